"""Misdating gaps left open by the hunts (session 11), each in a real archive's arrangement,
built from corpus files and run through ``imgorg organize``."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

from engine.policy.date_precedence import EARLIEST_NOW, is_future, run_start
from tests.conftest import CORPUS

EXIFTOOL = shutil.which("exiftool") or "exiftool"
CANON = CORPUS / "camera/Canon_40D.jpg"  # DTO 2008:05:30 15:56:01, ModifyDate 2008:07:31 10:38:11


def by_name(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(line["source"]).name: line for line in report}


def clock_at(when: str, mark: bytes = b"") -> bytes:
    """Canon 40D's photo as its camera writes it with its clock at ``when``
    (``YYYY:MM:DD HH:MM:SS``): every EXIF date that; ``mark`` (a JPEG comment) makes each
    copy's bytes its own."""
    data = CANON.read_bytes()
    for written in (b"2008:05:30 15:56:01", b"2008:07:31 10:38:11"):
        assert written in data
        data = data.replace(written, when.encode())
    if mark:
        data = data[:2] + b"\xff\xfe" + (len(mark) + 2).to_bytes(2, "big") + mark + data[2:]
    return data


def test_a_camera_clock_set_into_the_future_does_not_date_its_photos(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A camera whose clock was set to 2087 writes 2087 into every EXIF date. That year is
    passed over with a note, and the next evidence decides: the phone's file name, the Takeout
    JSON, or nothing (NoDate). Before, the date was silently dropped as if there were none."""
    src = tmp_path / "src"
    phone = src / "Phone/DCIM/Camera"
    phone.mkdir(parents=True)
    (phone / "IMG_20190102_123456.jpg").write_bytes(clock_at("2087:03:01 10:00:00", b"phone"))
    takeout = src / "Takeout/Google Photos/Photos from 2015"
    takeout.mkdir(parents=True)
    (takeout / "IMG_0042.JPG").write_bytes(clock_at("2087:03:01 10:00:00", b"takeout"))
    taken = '{"title": "IMG_0042.JPG", "photoTakenTime": {"timestamp": "1433678400"}}'
    (takeout / "IMG_0042.JPG.json").write_text(taken)  # 2015-06-07 12:00 UTC
    card = src / "Camera/DCIM/100CANON"
    card.mkdir(parents=True)
    (card / "IMG_0001.JPG").write_bytes(clock_at("2087:03:01 10:00:00", b"card"))

    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    lines = by_name(report)
    assert code == 0
    said = "exif date 2087-03-01 10:00:00 is in the future: not used"
    named = lines["IMG_20190102_123456.jpg"]
    assert (named["dest"], named["date_source"]) == (
        "2019/Camera/IMG_20190102_123456.jpg",
        "filename",
    ), named
    assert said in named["note"]
    json = lines["IMG_0042.JPG"]
    assert (json["year"], json["date_source"]) == (2015, "takeout"), json
    assert said in json["note"]
    alone = lines["IMG_0001.JPG"]
    assert (alone["dest"], alone["date_source"]) == ("NoDate/100CANON/IMG_0001.JPG", "none")
    assert said in alone["note"]
    assert "exif-modified date 2087-03-01 10:00:00 is in the future: not used" in alone["note"]


def test_a_camera_clock_a_few_weeks_ahead_does_not_date_its_photos(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Weeks ahead of the run's start (a clock set to the wrong month, whatever today is) is
    the future too: the phone's file name dates the photo."""
    ahead = (dt.datetime.now() + dt.timedelta(days=40)).strftime("%Y:%m:%d %H:%M:%S")
    phone = tmp_path / "src/Phone"
    phone.mkdir(parents=True)
    (phone / "IMG_20190102_123456.jpg").write_bytes(clock_at(ahead))

    code, (line,) = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    assert code == 0
    assert (line["date"], line["date_source"]) == ("2019-01-02T12:34:56", "filename"), line
    written = ahead.replace(":", "-", 2)
    assert f"exif date {written} is in the future: not used" in line["note"]


def test_a_takeout_photo_without_its_json_is_dated_by_its_year_folder(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Takeout files each photo under ``Photos from YYYY`` (``Fotos von YYYY`` in a German
    export); a photo whose JSON went missing and whose EXIF was stripped went to NoDate. Its
    folder's year dates it now, below every other source: a file name, an EXIF date or a JSON
    still wins, a JSON with no ``photoTakenTime`` (Takeout then files the photo under the
    year it was uploaded) leaves it undated, and an album merely named by a year is no
    Takeout year folder."""
    src = tmp_path / "src"
    year = src / "Takeout/Google Photos/Photos from 2015"
    year.mkdir(parents=True)
    (year / "IMG_1234.jpg").write_bytes((CORPUS / "no_exif/noexif.jpg").read_bytes())
    (year / "IMG_20120704_101500.jpg").write_bytes((CORPUS / "no_exif/hopper.jpg").read_bytes())
    (year / "IMG_0042.JPG").write_bytes(CANON.read_bytes())  # EXIF 2008
    (year / "scan.jpg").write_bytes((CORPUS / "no_exif/noexif.jpg").read_bytes() + b"\0")
    (year / "scan.jpg.json").write_text('{"title": "scan.jpg"}')
    german = src / "Takeout/Google Fotos/Fotos von 2016"
    german.mkdir(parents=True)
    (german / "IMG_5678.jpg").write_bytes((CORPUS / "no_exif/noexif.jpg").read_bytes() + b"1")
    album = src / "Takeout/Google Photos/Photos from 2017 Rome"
    album.mkdir(parents=True)
    (album / "IMG_9999.jpg").write_bytes((CORPUS / "no_exif/noexif.jpg").read_bytes() + b"2")

    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    lines = by_name(report)
    assert code == 0
    alone = lines["IMG_1234.jpg"]
    assert (alone["dest"], alone["date"], alone["date_source"]) == (
        "2015/Takeout/Google Photos/Photos from 2015/IMG_1234.jpg",
        "2015-01-01T00:00:00",
        "folder",
    ), alone
    assert "dated by its Takeout folder 'Photos from 2015': the year alone" in alone["note"]
    fotos = lines["IMG_5678.jpg"]
    assert (fotos["year"], fotos["date_source"]) == (2016, "folder"), fotos
    named = lines["IMG_20120704_101500.jpg"]
    assert (named["year"], named["date_source"]) == (2012, "filename"), named
    camera = lines["IMG_0042.JPG"]
    assert (camera["year"], camera["date_source"]) == (2008, "exif"), camera
    assert (lines["scan.jpg"]["year"], lines["scan.jpg"]["date_source"]) == (None, "none")
    assert (lines["IMG_9999.jpg"]["year"], lines["IMG_9999.jpg"]["date_source"]) == (None, "none")


def test_a_photo_whose_name_ends_in_a_space_is_placed_under_its_clean_name(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """``IMG_0001.JPG `` (a space after the extension, or a dot: names Windows cannot make but
    a copy on Linux or macOS keeps) was ignored as "not an image type (.jpg )". It is a photo,
    placed under the name without the trailing space or dot; beside a photo already named so,
    it takes the usual suffix."""
    roll = tmp_path / "src/Camera Roll"
    roll.mkdir(parents=True)
    (roll / "IMG_0001.JPG ").write_bytes(CANON.read_bytes())
    (roll / "IMG_0002.jpg.").write_bytes((CORPUS / "camera/Nikon_D70.jpg").read_bytes())
    (roll / "IMG_0003.JPG").write_bytes((CORPUS / "camera/Pentax_K10D.jpg").read_bytes())
    (roll / "IMG_0003.JPG  ").write_bytes((CORPUS / "camera/Panasonic_DMC-FZ30.jpg").read_bytes())

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = {line["source"]: line for line in report}
    assert code == 0
    spaced = lines["Camera Roll/IMG_0001.JPG "]
    assert (spaced["status"], spaced["dest"], spaced["date_source"]) == (
        "placed",
        "2008/Camera Roll/IMG_0001.JPG",
        "exif",
    ), spaced
    dotted = lines["Camera Roll/IMG_0002.jpg."]
    assert (dotted["status"], dotted["dest"]) == ("placed", "2008/Camera Roll/IMG_0002.jpg")
    assert {
        lines["Camera Roll/IMG_0003.JPG"]["dest"],
        lines["Camera Roll/IMG_0003.JPG  "]["dest"],
    } == {
        "2008/Camera Roll/IMG_0003.JPG",
        "2008/Camera Roll/IMG_0003_1.JPG",
    }
    placed = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.*"))
    assert [p for p in placed if p.endswith((" ", "."))] == []


def test_photos_named_by_a_day_first_dotted_date_land_in_that_year(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A German family's folder: photos named by hand ``Foto 12.04.2019.jpg``, ``12.04.2019
    Urlaub.jpg``, and an edited one ``IMG 24.12.2018 19.30.jpg`` that Photoshop re-saved in
    2008 (its only EXIF date, IFD0 DateTime, the re-save's). The dotted day-first dates were not
    read: NoDate, and 2008 for the re-saved one. A version in a name is still no date."""
    folder = tmp_path / "src/Bilder/Familie"
    folder.mkdir(parents=True)
    (folder / "Foto 12.04.2019.jpg").write_bytes((CORPUS / "no_exif/noexif.jpg").read_bytes())
    (folder / "12.04.2019 Urlaub.jpg").write_bytes((CORPUS / "no_exif/hopper.jpg").read_bytes())
    resaved = (CORPUS / "camera/Canon_40D_photoshop_import.jpg").read_bytes()
    (folder / "IMG 24.12.2018 19.30.jpg").write_bytes(resaved)
    version = (CORPUS / "no_exif/noexif.jpg").read_bytes() + b"\0"
    (folder / "Scanner v12.04.2019.jpg").write_bytes(version)

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_name(report)
    assert code == 0
    foto = lines["Foto 12.04.2019.jpg"]
    assert (foto["dest"], foto["date"], foto["date_source"]) == (
        "2019/Familie/Foto 12.04.2019.jpg",
        "2019-04-12T00:00:00",
        "filename",
    ), foto
    urlaub = lines["12.04.2019 Urlaub.jpg"]
    assert (urlaub["date"], urlaub["date_source"]) == ("2019-04-12T00:00:00", "filename")
    evening = lines["IMG 24.12.2018 19.30.jpg"]
    assert (evening["dest"], evening["date"], evening["date_source"]) == (
        "2018/Familie/IMG 24.12.2018 19.30.jpg",
        "2018-12-24T19:30:00",
        "filename",
    ), evening
    scanner = lines["Scanner v12.04.2019.jpg"]
    assert (scanner["year"], scanner["date_source"]) == (None, "none"), scanner


def test_a_clock_default_with_a_later_save_keeps_its_year_and_says_when_it_was_saved(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A Sony DSLR-A200 whose clock was never set wrote DateTimeOriginal 2007:01:01 00:00:00;
    a program saved the file on 2014-02-03 (IFD0 DateTime). That save bounds when it was
    taken but is no capture date (a re-save years later would move the photo into the year of
    the re-save): the photo stays under the clock's default, flagged, and its note now gives
    the save's date instead of saying nothing else dates it. A camera whose clock was never
    set writes its unset time into IFD0 DateTime too: then nothing else dates it indeed."""
    card = tmp_path / "src/Sony/DCIM/100MSDCF"
    card.mkdir(parents=True)
    (card / "DSC00042.JPG").write_bytes((CORPUS / "odd_dates/Sony_DSLR-A200.jpg").read_bytes())
    (card / "DSC00043.JPG").write_bytes(clock_at("2000:01:01 00:00:07"))

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_name(report)
    assert code == 0
    saved = lines["DSC00042.JPG"]
    assert (saved["year"], saved["date"], saved["date_source"]) == (
        2007,
        "2007-01-01T00:00:00",
        "clock-default",
    ), saved
    assert "nothing else dates it" not in saved["note"]
    assert "exif-modified date 2014-02-03 21:15:18, when a program last saved it" in saved["note"]
    unset = lines["DSC00043.JPG"]
    assert (unset["year"], unset["date_source"]) == (2000, "clock-default"), unset
    assert unset["note"].endswith("nothing else dates it"), unset["note"]


def test_a_capture_date_after_the_files_own_save_is_kept_and_flagged(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A Polaroid ION230 wrote DateTimeOriginal 2026:11:24; a program saved the file on
    2008-07-31 (IFD0 DateTime). A file saved 18 years before it was taken: one of the two
    clocks was wrong. The capture date stands (a person who corrected a camera's date with a
    tool that leaves IFD0 alone would lose the correction otherwise), and the note says so,
    where before nothing did. The Canon 40D saved two months after it was taken, and a save a
    day before the capture (a UTC clock against local time), say nothing."""
    card = tmp_path / "src/Camera/DCIM/100CANON"
    card.mkdir(parents=True)
    (card / "IMG_0001.JPG").write_bytes((CORPUS / "odd_dates/WWL_Polaroid_ION230.jpg").read_bytes())
    (card / "IMG_0002.JPG").write_bytes(CANON.read_bytes())
    near = CANON.read_bytes().replace(b"2008:07:31 10:38:11", b"2008:05:29 20:00:00")
    (card / "IMG_0003.JPG").write_bytes(near)

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_name(report)
    assert code == 0
    wrong = lines["IMG_0001.JPG"]
    assert (wrong["year"], wrong["date_source"]) == (2026, "exif"), wrong
    assert wrong["note"] == (
        "exif date 2026-11-24 14:41:16 is after its exif-modified date 2008-07-31 17:32:06, "
        "when a program last saved it: the camera's clock may have been wrong"
    )
    for name in ("IMG_0002.JPG", "IMG_0003.JPG"):
        sound = lines[name]
        assert (sound["year"], sound["date_source"]) == (2008, "exif"), sound
        assert "clock may have been wrong" not in (sound["note"] or ""), sound


def test_a_machine_clock_reset_to_the_past_does_not_make_every_photo_future() -> None:
    """A NAS or a Raspberry Pi whose clock was reset (1970, 2000) reads the run's start as that:
    every photo taken since would be "in the future" and go undated. The run's start is never
    before this version's release; a clock set right is taken as it reads."""
    reset = run_start(dt.datetime(1970, 1, 1, 0, 0))
    assert reset == EARLIEST_NOW
    assert not is_future(dt.datetime(2026, 10, 31, 12, 0), reset)
    assert is_future(dt.datetime(2087, 3, 1, 10, 0), reset)
    later = dt.datetime(2031, 5, 6, 7, 8)
    assert run_start(later) == later


def test_a_photo_dated_only_by_its_gps_time_stamp_lands_in_that_year(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A photo whose camera dates were stripped (an editor, a privacy tool that kept the
    position) still carries the satellites' date stamp: it dates the photo (UTC), with a note,
    rather than send it to NoDate. A receiver without a fix writes its epoch (1980): no date."""
    src = tmp_path / "src" / "Edited"
    src.mkdir(parents=True)
    for name, stamp in (("walk.jpg", "2015:07:04"), ("nofix.jpg", "1980:01:06")):
        shutil.copy2(CANON, src / name)
        subprocess.run(
            [EXIFTOOL, "-q", "-overwrite_original", "-AllDates=", f"-GPSDateStamp={stamp}",
             "-GPSTimeStamp=18:00:00", str(src / name)],
            check=True,
        )  # fmt: skip

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")

    lines = by_name(report)
    assert code == 0
    dated = lines["walk.jpg"]
    assert (dated["dest"], dated["date_source"]) == ("2015/Edited/walk.jpg", "gps"), dated
    assert "dated by its GPS time stamp" in dated["note"]
    assert lines["nofix.jpg"]["dest"] == "NoDate/Edited/nofix.jpg", lines["nofix.jpg"]
