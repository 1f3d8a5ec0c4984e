"""Local capture time with its zone, dates only exiftool reads, and edited copies (issue #16)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from benchmarks.make_archive import photo
from conftest import ROOT, write_photo
from engine.dates.timezone import offset_from_gps_time, parse_offset
from engine.policy.date_precedence import edited_stem

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed (scripts/setup)"
)
TOKYO = (35.6895, 139.6917)
# 00:30 on New Year's Day in Tokyo is still 15:30 on New Year's Eve in UTC.
NEW_YEAR_UTC = dt.datetime(2019, 12, 31, 15, 30, tzinfo=dt.UTC)


def by_source(report):  # type: ignore[no-untyped-def]
    return {line["source"]: line for line in report}


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round(((value - degrees) * 60 - minutes) * 60 * 100), 100)
    return Fraction(degrees), Fraction(minutes), seconds


def jpeg_with_exif(
    path: Path,
    taken: dt.datetime,
    offset: str | None = None,
    position: tuple[float, float] | None = None,
    gps_utc: dt.datetime | None = None,
    seed: int = 0,
) -> None:
    """A real JPEG whose EXIF says when (local time), and optionally its offset and GPS."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 40D"
    sub = exif.get_ifd(0x8769)
    sub[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if offset is not None:
        sub[0x9011] = offset
    gps = exif.get_ifd(0x8825)
    if position is not None:
        gps[1], gps[2] = ("N" if position[0] >= 0 else "S"), _dms(position[0])
        gps[3], gps[4] = ("E" if position[1] >= 0 else "W"), _dms(position[1])
    if gps_utc is not None:
        gps[29] = gps_utc.strftime("%Y:%m:%d")
        gps[7] = (Fraction(gps_utc.hour), Fraction(gps_utc.minute), Fraction(gps_utc.second))
    buffer = io.BytesIO()
    photo(64, 48, seed=seed).save(buffer, "JPEG", quality=85, exif=exif.tobytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def video(path: Path, creation: str, metadata: dict[str, str]) -> None:
    assert FFMPEG is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"]
    command += ["-t", "1", "-metadata", f"creation_time={creation}"]
    for key, value in metadata.items():
        command += ["-metadata", f"{key}={value}"]
    command += ["-movflags", "use_metadata_tags", "-c:v", "mjpeg", str(path)]
    subprocess.run(command, check=True)


def takeout_json(path: Path, taken: dt.datetime, position: tuple[float, float] | None) -> None:
    document: dict[str, object] = {
        "title": path.name.removesuffix(".json"),
        "photoTakenTime": {"timestamp": str(int(taken.timestamp())), "formatted": "..."},
    }
    latitude, longitude = position or (0.0, 0.0)
    document["geoData"] = {"latitude": latitude, "longitude": longitude, "altitude": 0.0}
    path.write_text(json.dumps(document))


@needs_ffmpeg
def test_a_video_in_utc_lands_in_the_year_of_its_local_time(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    utc = "2019-12-31T15:30:00Z"
    video(src / "iphone.MOV", utc, {"com.apple.quicktime.creationdate": "2020-01-01T00:30:00+0900"})
    iso6709 = f"+{TOKYO[0]:.4f}+{TOKYO[1]:.4f}+010.000/"
    video(src / "gps.MOV", utc, {"com.apple.quicktime.location.ISO6709": iso6709})
    video(src / "nozone.mp4", utc, {})
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    apple, gps, nozone = lines["iphone.MOV"], lines["gps.MOV"], lines["nozone.mp4"]
    assert (apple["date"], apple["tz_source"]) == ("2020-01-01T00:30:00+09:00", "quicktime")
    assert apple["year"] == 2020 and apple["dest"] == "2020/iphone.MOV"
    assert (gps["date"], gps["tz_source"]) == ("2020-01-01T00:30:00+09:00", "gps-position")
    assert gps["dest"] == "2020/gps.MOV"
    # Nothing gives this one a zone: it stays in UTC, and the note says so.
    assert (nozone["date"], nozone["tz_source"]) == ("2019-12-31T15:30:00+00:00", "none")
    assert nozone["year"] == 2019 and "UTC" in nozone["note"]


@needs_ffmpeg
def test_a_messenger_video_named_by_its_day_lands_on_that_day(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """WhatsApp names a saved video by its day alone and writes ``creation_time`` in UTC: a
    New Year's Eve video from the Americas (03:10 UTC on New Year's Day) stayed in UTC, in the
    next year. The name's day bounds the offset: the whole hour nearest UTC is taken, and the
    note says so. A UTC time on the name's day, or one no zone can put there, stays in UTC."""
    src = tmp_path / "src" / "WhatsApp" / "Media" / "WhatsApp Video"
    video(src / "VID-20191231-WA0005.mp4", "2020-01-01T03:10:00Z", {})
    video(src / "VID-20200101-WA0001.mp4", "2019-12-31T20:00:00Z", {})  # Asia's New Year
    video(src / "VID-20190615-WA0002.mp4", "2019-06-15T10:00:00Z", {})
    video(src / "VID-20190615-WA0003.mp4", "2019-06-18T10:00:00Z", {})  # re-encoded days later
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = {Path(line["source"]).name: line for line in report}
    names = ("20191231-WA0005", "20200101-WA0001", "20190615-WA0002", "20190615-WA0003")
    eve, day, june, later = (lines[f"VID-{n}.mp4"] for n in names)
    assert (eve["date"], eve["tz_source"], eve["year"]) == (
        "2019-12-31T23:10:00-04:00",
        "filename",
        2019,
    ), eve
    assert "guessed" in eve["note"] and eve["dest"].startswith("2019/"), eve
    assert (day["date"], day["year"]) == ("2020-01-01T00:00:00+04:00", 2020), day
    assert (june["date"], june["tz_source"]) == ("2019-06-15T10:00:00+00:00", "none"), june
    assert (later["date"], later["tz_source"]) == ("2019-06-18T10:00:00+00:00", "none"), later


def test_a_jpeg_carries_its_offset_or_its_position(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    eve = dt.datetime(2019, 12, 31, 23, 30)
    jpeg_with_exif(src / "offset.jpg", eve, offset="+09:00", seed=1)
    jpeg_with_exif(src / "gps.jpg", eve, position=TOKYO, seed=2)
    summer = dt.datetime(2021, 7, 4, 12, 0)
    jpeg_with_exif(src / "nyc.jpg", summer, position=(40.7128, -74.0060), seed=3)
    gps_utc = dt.datetime(2019, 12, 31, 14, 29, 40)  # the camera's clock is 20 s fast
    jpeg_with_exif(src / "gpstime.jpg", eve, gps_utc=gps_utc, seed=4)
    jpeg_with_exif(src / "plain.jpg", eve, seed=5)
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    assert (lines["offset.jpg"]["date"], lines["offset.jpg"]["tz_source"]) == (
        "2019-12-31T23:30:00+09:00",
        "exif-offset",
    )
    assert (lines["gps.jpg"]["date"], lines["gps.jpg"]["tz_source"]) == (
        "2019-12-31T23:30:00+09:00",
        "gps-position",
    )
    # summer time at the position, not the zone's standard offset
    assert lines["nyc.jpg"]["date"] == "2021-07-04T12:00:00-04:00"
    assert (lines["gpstime.jpg"]["date"], lines["gpstime.jpg"]["tz_source"]) == (
        "2019-12-31T23:30:00+09:00",
        "gps-time",
    )
    assert (lines["plain.jpg"]["date"], lines["plain.jpg"]["tz_source"]) == (
        "2019-12-31T23:30:00",
        "none",
    )
    assert all(line["year"] == 2019 or line["source"] == "nyc.jpg" for line in report)


def test_takeout_new_years_eve_in_tokyo(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "Takeout" / "Google Photos" / "Photos from 2019"
    write_photo(src / "IMG_0001.jpg", None, seed=1)
    takeout_json(src / "IMG_0001.jpg.json", NEW_YEAR_UTC, TOKYO)
    write_photo(src / "IMG_0002.jpg", None, seed=2)
    takeout_json(src / "IMG_0002.jpg.json", NEW_YEAR_UTC, None)  # geoData 0, 0: no position
    code, report = organize(tmp_path / "Takeout", tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    tokyo = lines["Google Photos/Photos from 2019/IMG_0001.jpg"]
    assert (tokyo["date"], tokyo["tz_source"], tokyo["date_source"]) == (
        "2020-01-01T00:30:00+09:00",
        "gps-position",
        "takeout",
    )
    assert tokyo["dest"].startswith("2020/")
    unknown = lines["Google Photos/Photos from 2019/IMG_0002.jpg"]
    assert (unknown["date"], unknown["tz_source"]) == ("2019-12-31T15:30:00+00:00", "none")
    assert unknown["dest"].startswith("2019/") and "UTC" in unknown["note"]


def test_pixel_names_are_utc(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "PXL_20191231_153000123.jpg", None, seed=1)
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    assert report[0]["date"] == "2019-12-31T15:30:00+00:00"
    assert "UTC" in report[0]["note"]


def test_an_undated_edited_copy_travels_with_its_original(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "Takeout" / "Google Photos" / "Album"
    taken = dt.datetime(2015, 6, 7, 8, 9, tzinfo=dt.UTC)
    write_photo(src / "IMG_0001.jpg", None, seed=1)
    takeout_json(src / "IMG_0001.jpg.json", taken, None)
    write_photo(src / "IMG_0001-edited.jpg", None, seed=2)
    write_photo(src / "IMG_0002.jpg", dt.datetime(2011, 3, 4, 5, 6, 7), seed=3)
    write_photo(src / "IMG_0002-bearbeitet.jpg", None, seed=4)
    write_photo(src / "IMG_0003.jpg", None, seed=5)
    takeout_json(src / "IMG_0003.jpg.supplemental-metadata.json", taken, None)
    write_photo(src / "IMG_0003-編集済み.jpg", None, seed=6)
    write_photo(src / "lonely-edited.jpg", None, seed=7)
    code, report = organize(tmp_path / "Takeout", tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = {os.path.basename(k): v for k, v in by_source(report).items()}
    for original, edited, year in (
        ("IMG_0001.jpg", "IMG_0001-edited.jpg", 2015),
        ("IMG_0002.jpg", "IMG_0002-bearbeitet.jpg", 2011),
        ("IMG_0003.jpg", "IMG_0003-編集済み.jpg", 2015),
    ):
        assert lines[original]["year"] == year, lines[original]
        assert (lines[edited]["year"], lines[edited]["date_source"]) == (year, "original")
        assert lines[edited]["date"] == lines[original]["date"]
        assert os.path.dirname(lines[edited]["dest"]) == os.path.dirname(lines[original]["dest"])
        assert original in lines[edited]["note"]
    assert lines["lonely-edited.jpg"]["year"] is None


@needs_exiftool
def test_maker_note_dates_come_from_one_exiftool(
    corpus, manifest, tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """Every corpus file whose only date is in a maker note gets exiftool's year."""
    maker_note_only = [
        rel
        for rel, row in manifest.items()
        if row["exiftool_DateTimeOriginal"][:4].isdigit()
        and not {"ExifIFD", "IFD0"} & set(row["dto_group"].split(","))
        and row["category"] != "corrupt"
    ]
    assert "camera/Reconyx_HC500_Hyperfire.jpg" in maker_note_only
    src = tmp_path / "src"
    for rel in maker_note_only:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / rel, src / rel)
    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--jobs", "1")
    assert code == 0
    lines = by_source(report)
    for rel in maker_note_only:
        year = int(manifest[rel]["exiftool_DateTimeOriginal"][:4])
        assert (lines[rel]["year"], lines[rel]["date_source"]) == (year, "exiftool"), rel
        assert lines[rel]["dest"].startswith(f"{year}/")


def test_without_exiftool_the_run_says_how_many_it_could_have_dated(
    corpus, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from engine.cli import main
    from engine.dates import exiftool as exiftool_dates

    monkeypatch.setattr(exiftool_dates, "_shared", None)
    src = tmp_path / "src"
    src.mkdir()
    shutil.copyfile(corpus / "camera/Reconyx_HC500_Hyperfire.jpg", src / "trail.jpg")
    write_photo(src / "dated.jpg", dt.datetime(2012, 1, 2), seed=1)
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    code = main(
        ["organize", str(src), str(tmp_path / "out"), "--min-size", "0", "--plain", "--jobs", "1"]
    )
    assert code == 0
    said = capsys.readouterr()
    assert "1 files have no date that imgorg reads; exiftool" in said.out + said.err
    assert (tmp_path / "out" / "NoDate" / "trail.jpg").exists()


@needs_exiftool
def test_one_exiftool_answers_a_whole_batch(corpus, tmp_path: Path) -> None:
    from engine.dates import exiftool as exiftool_dates
    from engine.records import Candidate
    from engine.settings import CompressOptions
    from engine.stages.analyse import WorkerOptions, analyze_all

    trail = (corpus / "camera/Reconyx_HC500_Hyperfire.jpg").read_bytes()
    names = [f"trail {n}.jpg" for n in range(6)]
    for name in names:
        (tmp_path / name).write_bytes(trail)
    started = []
    original = exiftool_dates.ExifTool._start

    def counting(self):  # type: ignore[no-untyped-def]
        started.append(self.process is None or self.process.poll() is not None)
        return original(self)

    exiftool_dates.ExifTool._start = counting  # type: ignore[method-assign]
    try:
        candidates = [Candidate(n, len(trail), 0) for n in names]
        results = analyze_all(
            str(tmp_path), candidates, WorkerOptions(compress=CompressOptions(enabled=False))
        )
    finally:
        exiftool_dates.ExifTool._start = original  # type: ignore[method-assign]
    assert [r.year for r in results] == [2020] * len(names)
    assert len(started) == 1, "one request for the whole batch"


def test_offsets_and_edited_names() -> None:
    assert parse_offset("+09:00") == dt.timedelta(hours=9)
    assert parse_offset("-0530") == -dt.timedelta(hours=5, minutes=30)
    assert parse_offset("   :  ") is None and parse_offset("+25:00") is None
    local = dt.datetime(2020, 1, 1, 0, 30, 10)
    assert offset_from_gps_time(local, dt.datetime(2019, 12, 31, 15, 30)) == dt.timedelta(hours=9)
    assert offset_from_gps_time(local, dt.datetime(2019, 12, 31, 15, 0)) == dt.timedelta(
        hours=9, minutes=30
    )  # Adelaide
    assert offset_from_gps_time(local, dt.datetime(2019, 12, 31, 15, 7)) is None  # a wrong clock
    assert edited_stem("IMG_1-edited.jpg") == "IMG_1"
    assert edited_stem("IMG_1-modifié.JPG") == "IMG_1"
    assert edited_stem("IMG_1-modifie\u0301.JPG") == "IMG_1"  # decomposed é, as macOS writes it
    assert edited_stem("IMG_1-editado(1).jpg") == "IMG_1(1)"
    assert edited_stem("IMG_1-modificato.jpg") == "IMG_1"
    assert edited_stem("IMG_1.jpg") is None and edited_stem("-edited.jpg") is None


def test_a_journal_from_before_time_zones_still_opens(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    src = tmp_path / "src"
    write_photo(src / "a.jpg", dt.datetime(2012, 1, 2), seed=1)
    code, _ = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    [journal] = [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".db", ".sqlite")]
    with sqlite3.connect(journal) as db:
        db.execute("ALTER TABLE files DROP COLUMN tz_source")
    write_photo(src / "b.jpg", dt.datetime(2013, 1, 2), seed=2)
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    assert lines["b.jpg"]["dest"] == "2013/b.jpg" and lines["a.jpg"]["tz_source"] == "none"


def test_the_report_shows_where_every_dated_photos_offset_came_from() -> None:
    """The HTML legend lists every time-zone source, and its counts add up to the dated photos."""
    import re

    from engine.records import Decision, Status, TzSource
    from engine.report.html import aggregate
    from engine.report.html.sections import TZ_LABEL, zones_section

    zones = [TzSource.EXIF_OFFSET, TzSource.GPS_POSITION, TzSource.GPS_POSITION, TzSource.NONE]
    decisions = [
        Decision(f"p{i}.jpg", Status.PLACED, year=2019, date="2019-12-31T23:30:00", tz_source=tz)
        for i, tz in enumerate(zones)
    ]
    decisions.append(Decision("undated.jpg", Status.PLACED))
    page = zones_section(aggregate(decisions))
    shown = {
        series: int(count)
        for series, count in re.findall(r'data-legend="tz-([a-z-]+)" data-count="(\d+)"', page)
    }
    assert set(TZ_LABEL) == set(TzSource)
    assert shown == {tz.value: zones.count(tz) for tz in TzSource}
    assert sum(shown.values()) == len(zones)


def test_exiftool_does_not_outlive_a_killed_run(tmp_path: Path) -> None:
    """A run killed outright (SIGKILL) must not leave its exiftool waiting forever on a pipe
    (found by the crash test on a larger archive: the orphan kept strace, and the run, alive)."""
    import signal
    import subprocess
    import sys
    import time

    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed (scripts/setup installs it)")
    photo = tmp_path / "a.jpg"
    write_photo(photo, None)
    script = (
        "import os, signal, sys\n"
        "from engine.dates import exiftool\n"
        "tool = exiftool.shared()\n"
        "tool.dates([sys.argv[1]])\n"
        "print(tool.process.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", script, str(photo)], capture_output=True, text=True, env=env
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    child = int(run.stdout.split()[0])

    def running() -> bool:
        try:
            with open(f"/proc/{child}/stat") as handle:
                return handle.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 5
    while running() and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = running()
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "exiftool outlived the run that started it"
