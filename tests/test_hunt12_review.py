"""An adversarial review of hunt12 (xap: dates, empty companions, large PNG metadata, turned
thumbnails, AVI trailers): each test rebuilds, from corpus files, a case the branch left wrong."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

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
