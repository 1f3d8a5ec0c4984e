"""An adversarial review of hunt12 (xap: dates, empty companions, large PNG metadata, turned
thumbnails, AVI trailers): each test rebuilds, from corpus files, a case the branch left wrong."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image

from conftest import tree_digest


def test_an_empty_raw_beside_a_sound_photo_is_set_aside_not_placed(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A card copy cut off before the RAW of a RAW+JPEG pair was written leaves a 0-byte
    ``.CR2`` beside the sound JPEG. Standing alone it is corrupt ("empty file"), as the empty
    Live Photo video beside a photo now is; beside its photo it was placed in the year folder
    as if it were the camera's RAW. It goes to Corrupted on its own (move mode: moved there,
    nothing left behind), and the photo is placed with its XMP sidecar."""
    source = tmp_path / "DCIM" / "100CANON"
    source.mkdir(parents=True)
    shutil.copy(corpus / "camera/Canon_40D.jpg", source / "IMG_0002.JPG")
    (source / "IMG_0002.CR2").write_bytes(b"")
    (source / "IMG_0002.JPG.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    photo_bytes = (source / "IMG_0002.JPG").read_bytes()

    code, rows = organize(tmp_path / "DCIM", tmp_path / "dest", "-j", "1", "--mode", "move")

    by_name = {row["source"]: row for row in rows}
    photo, raw = by_name["100CANON/IMG_0002.JPG"], by_name["100CANON/IMG_0002.CR2"]
    sidecar = by_name["100CANON/IMG_0002.JPG.xmp"]
    assert (photo["status"], photo["dest"]) == ("placed", "2008/100CANON/IMG_0002.JPG"), photo
    assert "IMG_0002.CR2 is empty" in photo["note"]
    assert (sidecar["status"], sidecar["dest"]) == ("placed", "2008/100CANON/IMG_0002.JPG.xmp")
    assert (raw["status"], raw["dest"]) == ("corrupt", "Corrupted/100CANON/IMG_0002.CR2"), raw
    assert raw["reason"].startswith("empty file (0 bytes)")
    assert not (tmp_path / "dest" / "2008" / "100CANON" / "IMG_0002.CR2").exists()
    assert (tmp_path / "dest" / "Corrupted" / "100CANON" / "IMG_0002.CR2").read_bytes() == b""
    assert (tmp_path / "dest" / photo["dest"]).read_bytes() == photo_bytes
    assert tree_digest(tmp_path / "DCIM") == {}
    assert code == 0


def _ztxt(keyword: bytes, text: bytes) -> bytes:
    body = keyword + b"\0\0" + zlib.compress(text, 9)
    return (
        struct.pack(">I", len(body))
        + b"zTXt"
        + body
        + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    )


def test_a_png_whose_metadata_inflates_past_a_megabyte_is_compared_for_near_duplicates(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """hunt12 places a PNG whose metadata chunk inflates past Pillow's 1 MB (a large ICC
    profile, Photoshop's bloated XMP) instead of setting it aside, but its ``--similar``
    signature was still read under the 1 MB limit: it had none, so its export without EXIF
    (the same pixels, no date) found no near-duplicate to be dated by and went to NoDate."""
    data = (corpus / "formats/png_with_exif_and_gps.png").read_bytes()
    at = data.index(b"IDAT") - 4
    source = tmp_path / "Exports"
    source.mkdir()
    bloated = _ztxt(b"Comment", b"photoshop:DocumentAncestors " * 80_000)
    (source / "IMG_0042.png").write_bytes(data[:at] + bloated + data[at:])
    with Image.open(corpus / "formats/png_with_exif_and_gps.png") as im:
        im.convert("RGB").save(source / "export.png")  # no EXIF: no date of its own

    code, rows = organize(source, tmp_path / "dest", "-j", "1", "--similar", "--min-size", "0")

    assert code == 0
    by_name = {row["source"]: row for row in rows}
    photo, export = by_name["IMG_0042.png"], by_name["export.png"]
    assert (photo["status"], photo["year"]) == ("placed", 2003), photo
    assert (export["status"], export["date_source"], export["year"]) == (
        "placed",
        "similar",
        2003,
    ), export


def test_an_edited_copy_of_a_png_whose_metadata_inflates_past_a_megabyte_takes_its_date(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """The original of an edited copy is read for its EXIF date; a PNG original whose metadata
    chunk inflates past Pillow's 1 MB, which hunt12 places, was read under the 1 MB limit, so
    its edit (Google Photos' ``-edited``, no EXIF of its own) went to NoDate."""
    data = (corpus / "formats/png_with_exif_and_gps.png").read_bytes()
    at = data.index(b"IDAT") - 4
    source = tmp_path / "Takeout"
    source.mkdir()
    bloated = _ztxt(b"Comment", b"photoshop:DocumentAncestors " * 80_000)
    (source / "IMG_0042.png").write_bytes(data[:at] + bloated + data[at:])
    with Image.open(corpus / "formats/png_with_exif_and_gps.png") as im:
        im.convert("RGB").rotate(3).save(source / "IMG_0042-edited.png")

    code, rows = organize(source, tmp_path / "dest", "-j", "1", "--min-size", "0")

    assert code == 0
    edit = {row["source"]: row for row in rows}["IMG_0042-edited.png"]
    assert (edit["dest"], edit["date_source"]) == ("2003/IMG_0042-edited.png", "original"), edit


FFMPEG = shutil.which("ffmpeg")


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_a_camera_avi_cut_inside_its_riff_chunk_beside_a_sound_photo_is_set_aside(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A compact camera's clip beside the photo of the same number (``IMG_0001.JPG`` +
    ``IMG_0001.AVI``) travels with the photo. Copied half-way, the AVI's RIFF chunk declares
    more bytes than the file holds: standing alone it is set aside as cut short, and so is a
    Live Photo or camera MOV cut short beside its photo; the AVI was placed beside the photo
    as if whole. It goes to Corrupted alone; the photo is placed. A whole AVI with stray bytes
    after its RIFF chunk (as hunt12 found) stays with its photo."""
    assert FFMPEG is not None
    source = tmp_path / "DCIM"
    source.mkdir()
    clip = tmp_path / "clip.avi"
    command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "2"]
    subprocess.run([*command, "-c:v", "mjpeg", str(clip)], check=True)
    data = clip.read_bytes()
    shutil.copy(corpus / "camera/Canon_PowerShot_S40.jpg", source / "IMG_0001.JPG")
    (source / "IMG_0001.AVI").write_bytes(data[: len(data) * 2 // 3])
    shutil.copy(corpus / "camera/Canon_40D.jpg", source / "IMG_0002.JPG")
    (source / "IMG_0002.AVI").write_bytes(data + b"\0" * 16)
    before = tree_digest(source)

    code, rows = organize(source, tmp_path / "dest", "-j", "1")

    by_name = {row["source"]: row for row in rows}
    photo, cut = by_name["IMG_0001.JPG"], by_name["IMG_0001.AVI"]
    assert (photo["status"], photo["dest"]) == ("placed", "2003/IMG_0001.JPG"), photo
    assert "IMG_0001.AVI is cut short" in photo["note"]
    assert (cut["status"], cut["dest"]) == ("corrupt", "Corrupted/IMG_0001.AVI"), cut
    assert cut["reason"].startswith("truncated video (a copy cut short): its RIFF chunk")
    whole = by_name["IMG_0002.AVI"]
    assert (whole["status"], whole["dest"]) == ("placed", "2008/IMG_0002.AVI"), whole
    assert code == 0
    assert tree_digest(source) == before
