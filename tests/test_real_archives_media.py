"""Videos and the less common still formats as camera cards and phone backups hold them: each
file gets its own date, status and reason, and is placed byte for byte."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from test_formats import FFMPEG, by_source, needs_ffmpeg, video


def _mux(path: Path, *args: str, seconds: str = "1") -> None:
    """A real video from ffmpeg's test source (noise, so that it has some size)."""
    assert FFMPEG is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    source = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-vf", "noise=alls=60:allf=t"]
    command = [FFMPEG, "-v", "error", "-y", *source, "-t", seconds, *args, str(path)]
    subprocess.run(command, check=True)


def _with_idit(avi: bytes, stamp: bytes) -> bytes:
    """An AVI with the ``IDIT`` chunk old Canon, Nikon, Casio and Fujifilm compacts write (the
    camera's local time, ``MON MAR 03 10:11:12 2008``) at the end of its ``hdrl`` list."""
    data = bytearray(avi)
    at = data.index(b"LIST")
    assert data[at + 8 : at + 12] == b"hdrl"
    size = struct.unpack("<I", data[at + 4 : at + 8])[0]
    payload = stamp + b"\n\x00"
    chunk = b"IDIT" + struct.pack("<I", len(payload)) + payload
    data[at + 8 + size : at + 8 + size] = chunk
    data[at + 4 : at + 8] = struct.pack("<I", size + len(chunk))
    data[4:8] = struct.pack("<I", struct.unpack("<I", data[4:8])[0] + len(chunk))
    return bytes(data)


def test_a_fujifilm_hif_is_taken_as_a_heif_photo(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src" / "DCIM" / "100_FUJI"
    src.mkdir(parents=True)
    data = (corpus / "formats" / "IMG_2927.HEIC").read_bytes()
    (src / "DSCF0001.HIF").write_bytes(data)
    code, report = organize(tmp_path / "src", tmp_path / "out")
    line = by_source(report)["DCIM/100_FUJI/DSCF0001.HIF"]
    assert code == 0 and line["status"] == "placed", line
    assert (line["year"], line["date_source"]) == (2020, "exif")
    assert not line["rotated"] and not line["compressed"]
    assert (tmp_path / "out" / line["dest"]).read_bytes() == data


@needs_ffmpeg
def test_two_videos_of_one_stem_are_two_videos(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    video(src / "clip.mp4", creation="2017-08-09T10:11:12Z")
    (src / "clip.avi").write_text("an AVI a copy tool never finished: text, no video\n")
    video(src / "holiday.3gp", creation="2009-07-01T10:00:00Z", codec="libx264")
    video(src / "holiday.m4v", creation="2016-05-06T07:08:09Z", codec="libx264")  # an export
    _, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert lines["clip.avi"]["status"] == "corrupt"
    clip = lines["clip.mp4"]
    assert (clip["status"], clip["year"], clip["companion_of"]) == ("placed", 2017, None), clip
    assert clip["dest"] == "2017/clip.mp4"
    assert (tmp_path / "out" / clip["dest"]).read_bytes() == (src / "clip.mp4").read_bytes()
    assert lines["holiday.3gp"]["year"] == 2009
    export = lines["holiday.m4v"]
    assert (export["year"], export["companion_of"]) == (2016, None), export


@needs_ffmpeg
@pytest.mark.parametrize("layout", ["faststart", "moov-last", "fragmented"])
def test_a_truncated_video_is_corrupt_not_placed_as_sound(
    tmp_path: Path,
    layout: str,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    whole = tmp_path / "whole.mp4"
    flags = {
        "faststart": ["-movflags", "+faststart"],
        "fragmented": ["-movflags", "frag_keyframe+empty_moov"],  # action cameras, streams
    }.get(layout, [])
    creation = ["-metadata", "creation_time=2017-08-09T10:11:12Z"]
    _mux(whole, *creation, "-c:v", "mjpeg", *flags, seconds="2")
    data = whole.read_bytes()
    src = tmp_path / "src"
    src.mkdir()
    (src / "VID_0001.mp4").write_bytes(data[: len(data) // 2])  # a copy cut short
    _, report = organize(src, tmp_path / "out")
    line = report[0]
    assert line["status"] == "corrupt", line
    assert line["reason"] == "truncated video (a copy cut short)"
    assert line["dest"] == "Corrupted/VID_0001.mp4"
    assert (tmp_path / "out" / line["dest"]).read_bytes() == data[: len(data) // 2]


@needs_ffmpeg
def test_a_video_with_a_makers_trailer_is_placed_as_sound(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    _mux(src / "whole.mp4", "-metadata", "creation_time=2019-05-06T07:08:09Z", "-c:v", "mjpeg")
    # Samsung Galaxy phones append their SEF trailer after the MP4's boxes: data blocks
    # (marker, type, name length, name, data), then its directory
    block = b"\x00\x00\x01\x0a" + struct.pack("<I", 17) + b"Auto_Enhance_Info" + b"\x01"
    sef = block + b"SEFH" + bytes(20) + struct.pack("<I", 48) + b"SEFT"
    trailer = (src / "whole.mp4").read_bytes() + sef
    (src / "20190506_070809.mp4").write_bytes(trailer)
    code, report = organize(src, tmp_path / "out")
    line = by_source(report)["20190506_070809.mp4"]
    assert code == 0 and line["status"] == "placed", line
    assert (line["year"], line["date_source"]) == (2019, "quicktime")
    assert (tmp_path / "out" / line["dest"]).read_bytes() == trailer


@needs_ffmpeg
def test_an_old_camera_avi_is_dated_from_its_idit_or_icrd_chunk(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    plain = tmp_path / "plain.avi"
    _mux(plain, "-c:v", "mjpeg")
    src.mkdir()
    (src / "MVI_0001.AVI").write_bytes(_with_idit(plain.read_bytes(), b"MON MAR 03 10:11:12 2008"))
    _mux(src / "CIMG0002.AVI", "-metadata", "date=2006-11-26", "-c:v", "mjpeg")  # INFO ICRD
    shutil.copy(plain, src / "undated.avi")
    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    canon = lines["MVI_0001.AVI"]
    assert (canon["status"], canon["date_source"]) == ("placed", "quicktime"), canon
    assert canon["date"] == "2008-03-03T10:11:12"  # the camera's clock: local time, no zone
    assert canon["dest"] == "2008/MVI_0001.AVI"
    casio = lines["CIMG0002.AVI"]
    assert (casio["year"], casio["date_source"]) == (2006, "quicktime"), casio
    assert lines["undated.avi"]["dest"] == "NoDate/undated.avi"


@pytest.mark.parametrize("name", ["IMG_2927.HEIC", "iphone_13_pro_max.heic", "mountains.avif"])
def test_a_heif_copied_half_way_is_corrupt(
    tmp_path: Path,
    corpus: Path,
    name: str,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    data = (corpus / "formats" / name).read_bytes()
    src = tmp_path / "src"
    src.mkdir()
    (src / name).write_bytes(data[: len(data) * 6 // 10])  # libheif fills the missing tiles
    (src / f"whole-{name}").write_bytes(data)
    trailer = data + struct.pack(">I4s", 4096, b"SEFH") + bytes(8)  # a maker's data appended
    (src / f"trailer-{name}").write_bytes(trailer)
    _, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    cut = lines[name]
    assert cut["status"] == "corrupt", cut
    assert cut["reason"].startswith("truncated: box 'mdat' needs"), cut
    assert (tmp_path / "out" / cut["dest"]).read_bytes() == data[: len(data) * 6 // 10]
    whole = lines[f"whole-{name}"]
    assert whole["status"] == "placed" and not whole["dest"].startswith("Corrupted/"), whole
    assert (tmp_path / "out" / whole["dest"]).read_bytes() == data
    kept = lines[f"trailer-{name}"]
    assert kept["status"] == "placed" and not kept["dest"].startswith("Corrupted/"), kept
