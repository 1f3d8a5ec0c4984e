"""Everything a real archive holds: HEIC, videos, RAW, Takeout exports, XMP sidecars, Live
Photo and RAW+JPEG pairs, and dates from every source."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from benchmarks.make_archive import exif_bytes, photo
from conftest import write_photo

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(
    FFMPEG is None, reason="ffmpeg is not installed (scripts/setup --dev installs it)"
)


def by_source(report):  # type: ignore[no-untyped-def]
    return {line["source"]: line for line in report}


def heic(path: Path, when: dt.datetime, orientation: int = 1) -> bytes:
    pillow_heif = pytest.importorskip("pillow_heif")
    image = photo(64, 48, seed=3)
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(
        buffer, format="HEIF", exif=exif_bytes(when, orientation), quality=80
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def video(
    path: Path, creation: str | None = None, apple: str | None = None, codec: str = "mjpeg"
) -> None:
    assert FFMPEG is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        FFMPEG,
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x48:rate=5",
        "-t",
        "1",
    ]
    if creation:
        command += ["-metadata", f"creation_time={creation}"]
    if apple:
        command += [
            "-metadata",
            f"com.apple.quicktime.creationdate={apple}",
            "-movflags",
            "use_metadata_tags",
        ]
    subprocess.run([*command, "-c:v", codec, str(path)], check=True)


def test_heic_is_dated_never_turned_and_never_reencoded(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    data = heic(tmp_path / "src" / "IMG_0001.HEIC", dt.datetime(2021, 3, 4, 5, 6, 7), orientation=6)
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    line = report[0]
    assert code == 0 and line["status"] == "placed", line
    assert (line["year"], line["date_source"]) == (2021, "exif")
    assert not line["rotated"] and not line["compressed"]
    assert (tmp_path / "out" / line["dest"]).read_bytes() == data


@needs_ffmpeg
def test_videos_are_dated_from_their_container(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    video(src / "clip.mp4", creation="2017-08-09T10:11:12Z", codec="libx264")
    video(src / "iphone.MOV", creation="2016-05-06T07:08:09Z", apple="2016-05-06T09:08:09+0200")
    video(src / "VID_20150102_030405.mp4")
    video(src / "nothing.avi")
    (src / "copy.mp4").write_bytes((src / "clip.mp4").read_bytes())
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    assert (lines["clip.mp4"]["year"], lines["clip.mp4"]["date_source"]) == (2017, "quicktime")
    assert lines["iphone.MOV"]["date"] == "2016-05-06T09:08:09+02:00"
    assert lines["iphone.MOV"]["tz_source"] == "quicktime"
    assert lines["clip.mp4"]["date"] == "2017-08-09T10:11:12+00:00"
    assert "UTC" in lines["clip.mp4"]["note"]
    assert (
        lines["VID_20150102_030405.mp4"]["year"],
        lines["VID_20150102_030405.mp4"]["date_source"],
    ) == (2015, "filename")
    assert lines["nothing.avi"]["dest"].startswith("NoDate/")
    assert lines["copy.mp4"]["status"] == "duplicate"
    _, report = organize(src, tmp_path / "out2", "--min-size", "0", "--no-videos")
    assert {line["status"] for line in report} == {"ignored"}


def test_takeout_export(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "Takeout" / "Google Photos" / "Trip"
    taken = int(dt.datetime(2013, 7, 8, 12, 0, tzinfo=dt.UTC).timestamp())

    def sidecar(name: str, seconds: int = taken) -> None:
        (src / name).write_text(
            json.dumps(
                {"title": name, "photoTakenTime": {"timestamp": str(seconds), "formatted": "..."}}
            )
        )

    write_photo(src / "a.jpg", None, seed=1)
    sidecar("a.jpg.json")
    write_photo(src / "b.jpg", None, seed=2)
    sidecar("b.jpg.supplemental-metadata.json", taken + 366 * 86400)
    write_photo(src / "c(1).jpg", None, seed=3)
    sidecar("c.jpg(1).json")
    long = "Screenshot_20190101-101010_A_Very_Long_Application_Name.jpg"
    write_photo(src / long, None, seed=4)
    sidecar(long[:46] + ".json", taken)
    sidecar("metadata.json")
    code, report = organize(tmp_path / "Takeout", tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    trip = "Google Photos/Trip/"
    assert (lines[trip + "a.jpg"]["year"], lines[trip + "a.jpg"]["date_source"]) == (
        2013,
        "takeout",
    )
    assert lines[trip + "a.jpg.json"]["dest"] == lines[trip + "a.jpg"]["dest"] + ".json"
    assert lines[trip + "a.jpg.json"]["companion_of"] == trip + "a.jpg"
    assert lines[trip + "b.jpg"]["year"] == 2014
    assert lines[trip + "c(1).jpg"]["year"] == 2013
    assert lines[trip + "c.jpg(1).json"]["dest"] == lines[trip + "c(1).jpg"]["dest"] + ".json"
    assert lines[trip + long]["date_source"] == "takeout"  # Takeout ranks above the file name
    assert lines[trip + long[:46] + ".json"]["companion_of"] == trip + long
    assert lines[trip + "metadata.json"]["status"] == "ignored"
    for line in report:
        if line["companion_of"]:
            main = lines[line["companion_of"]]
            assert os.path.dirname(line["dest"]) == os.path.dirname(main["dest"])


def test_xmp_sidecar_and_pairs_travel_together(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "edited.jpg", None, seed=1)
    (src / "edited.xmp").write_text(
        '<x:xmpmeta><rdf:Description exif:DateTimeOriginal="2009-10-11T12:13:14"/></x:xmpmeta>'
    )
    for folder in ("card1", "card2"):  # the same names on two cards: a collision
        write_photo(
            src / folder / "IMG_0001.JPG",
            dt.datetime(2020, 1, 1),
            seed=len(folder) + ord(folder[-1]),
        )
        (src / folder / "IMG_0001.CR2").write_bytes(b"II*\x00" + os.urandom(3000))
    heic(src / "live" / "IMG_5000.HEIC", dt.datetime(2022, 2, 2))
    if FFMPEG:
        video(src / "live" / "IMG_5000.MOV", creation="2022-02-02T00:00:01Z")
    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--layout", "flat")
    assert code == 0
    lines = by_source(report)
    assert (lines["edited.jpg"]["year"], lines["edited.jpg"]["date_source"]) == (
        2009,
        "xmp-sidecar",
    )
    assert lines["edited.xmp"]["dest"] == "2009/edited.xmp"
    assert lines["card1/IMG_0001.JPG"]["dest"] == "2020/IMG_0001.JPG"
    assert lines["card1/IMG_0001.CR2"]["dest"] == "2020/IMG_0001.CR2"
    assert lines["card2/IMG_0001.JPG"]["dest"] == "2020/IMG_0001_1.JPG"
    assert lines["card2/IMG_0001.CR2"]["dest"] == "2020/IMG_0001_1.CR2"
    assert lines["card2/IMG_0001.CR2"]["companion_of"] == "card2/IMG_0001.JPG"
    if FFMPEG:
        assert lines["live/IMG_5000.MOV"]["dest"] == "2022/IMG_5000.MOV"
        assert lines["live/IMG_5000.MOV"]["companion_of"] == "live/IMG_5000.HEIC"


def test_raw_files_are_dated_from_their_exif(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    src.mkdir()
    buffer = io.BytesIO()
    photo(32, 24, seed=1).save(buffer, "TIFF", exif=exif_bytes(dt.datetime(2012, 12, 12)))
    (src / "DSC_0001.NEF").write_bytes(buffer.getvalue())
    (src / "DSC_0002.DNG").write_bytes(b"II*\x00\x08\x00\x00\x00" + b"\x00" * 100)
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    assert (lines["DSC_0001.NEF"]["year"], lines["DSC_0001.NEF"]["date_source"]) == (2012, "exif")
    assert lines["DSC_0002.DNG"]["dest"] == "NoDate/DSC_0002.DNG"
    assert (tmp_path / "out" / lines["DSC_0001.NEF"]["dest"]).read_bytes() == buffer.getvalue()


def test_dates_from_folders_and_mtime_are_opt_in(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "2001-06-02 Trip" / "a.jpg", None, seed=1)
    write_photo(src / "2015" / "Summer" / "b.jpg", None, seed=2)
    write_photo(src / "misc" / "c.jpg", None, seed=3)
    stamp = dt.datetime(2004, 4, 4, 12).timestamp()
    os.utime(src / "misc" / "c.jpg", (stamp, stamp))
    _, report = organize(src, tmp_path / "plain", "--min-size", "0")
    assert {line["date_source"] for line in report} == {"none"}
    _, report = organize(
        src, tmp_path / "opted", "--min-size", "0", "--date-from-folder", "--date-from-mtime"
    )
    lines = by_source(report)
    assert (
        lines["2001-06-02 Trip/a.jpg"]["year"],
        lines["2001-06-02 Trip/a.jpg"]["date_source"],
    ) == (2001, "folder")
    assert lines["2015/Summer/b.jpg"]["year"] == 2015
    assert (lines["misc/c.jpg"]["year"], lines["misc/c.jpg"]["date_source"]) == (2004, "mtime")


def test_iptc_date_inside_a_jpeg(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    src.mkdir()
    image = photo(32, 24, seed=5)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    iptc = b"\x1c\x02\x37\x00\x0820070809" + b"\x1c\x02\x3c\x00\x06101112"
    block = b"8BIM\x04\x04\x00\x00" + len(iptc).to_bytes(4, "big") + iptc
    segment = b"Photoshop 3.0\x00" + block
    data = buffer.getvalue()
    (src / "iptc.jpg").write_bytes(
        data[:2] + b"\xff\xed" + (len(segment) + 2).to_bytes(2, "big") + segment + data[2:]
    )
    _, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert (report[0]["year"], report[0]["date_source"], report[0]["date"]) == (
        2007,
        "iptc",
        "2007-08-09T10:11:12",
    )
    assert Image.open(src / "iptc.jpg").size == (32, 24)


def test_a_rerun_reports_the_companions_again(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "a.jpg", dt.datetime(2010, 1, 1), seed=1)
    (src / "a.jpg.xmp").write_text("<x:xmpmeta/>")
    _, first = organize(src, tmp_path / "out", "--min-size", "0")
    _, second = organize(src, tmp_path / "out", "--min-size", "0")
    assert first == second and len(second) == 2
