"""Real camera and editor files from outside the shared corpus (metadata-extractor-images,
exif-samples, photoprism's test data) showed these; each test rebuilds the situation from a
corpus file."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import uuid
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import tree_digest

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs exiftool")

# The XMP packet Photoshop 7 to CS2 wrote: the xmp namespace under its old prefix, ``xap:``.
PHOTOSHOP_CS_XMP = """<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="3.1.1-111">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xap="http://ns.adobe.com/xap/1.0/"
   xap:CreatorTool="Adobe Photoshop CS Windows"
   xap:CreateDate="2004-08-14T16:20:05+02:00"
   xap:ModifyDate="2008-07-31T10:05:49+02:00"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


@needs_exiftool
def test_photoshop_cs_xap_create_date_dates_a_scan_resaved_years_later(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A scan made in Photoshop CS in 2004 and saved again in 2008: its EXIF holds only the
    2008 save (IFD0 DateTime), its XMP the creation under the old ``xap:`` prefix, as in
    BlueSquare.jpg of Adobe's XMP SDK. The XMP date places it in 2004, as ``xmp:CreateDate``
    would, and makes it a dated photo, not a small undated image to skip."""
    source = tmp_path / "Scans" / "Album 3"
    source.mkdir(parents=True)
    scan = source / "scan 012.jpg"
    shutil.copy(corpus / "camera/Canon_40D_photoshop_import.jpg", scan)
    packet = tmp_path / "packet.xmp"
    packet.write_text(PHOTOSHOP_CS_XMP)
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", f"-xmp<={packet}", str(scan)], check=True
    )
    before = tree_digest(tmp_path / "Scans")

    code, rows = organize(tmp_path / "Scans", tmp_path / "dest", "-j", "1")

    assert code == 0
    (row,) = rows
    assert (row["status"], row["year"], row["date_source"]) == ("placed", 2004, "xmp"), row
    assert row["date"] == "2004-08-14T16:20:05+02:00"
    assert (tmp_path / "dest" / row["dest"]).read_bytes() == scan.read_bytes()
    assert tree_digest(tmp_path / "Scans") == before


def test_an_empty_live_photo_video_beside_a_sound_photo_is_set_aside_not_placed(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """An import from an iPhone cut off before the Live Photo's video was written leaves a
    0-byte ``IMG_0001.MOV`` beside the photo (photoprism's test data has one). Standing alone
    such a file is corrupt ("empty file"); beside its photo it was placed in the year folder
    as a video. It goes to Corrupted on its own, and the sound photo is placed."""
    source = tmp_path / "iPhone import"
    source.mkdir()
    shutil.copy(corpus / "camera/Canon_PowerShot_S40.jpg", source / "IMG_0001.JPG")
    (source / "IMG_0001.MOV").write_bytes(b"")
    before = tree_digest(source)

    code, rows = organize(source, tmp_path / "dest", "-j", "1")

    by_name = {row["source"]: row for row in rows}
    photo, video = by_name["IMG_0001.JPG"], by_name["IMG_0001.MOV"]
    assert (photo["status"], photo["dest"]) == ("placed", "2003/IMG_0001.JPG"), photo
    assert "IMG_0001.MOV is empty" in photo["note"]
    assert (video["status"], video["dest"]) == ("corrupt", "Corrupted/IMG_0001.MOV"), video
    assert video["reason"].startswith("empty file (0 bytes)")
    assert not (tmp_path / "dest" / "2003" / "IMG_0001.MOV").exists()
    assert code == 0
    assert tree_digest(source) == before


def _imagemagick_raw_profile(name: str, payload: bytes) -> bytes:
    """The zTXt chunk ImageMagick writes a profile into when it saves a PNG
    (``Raw profile type xmp``: the profile's bytes in hex, compressed)."""
    hexed = payload.hex()
    lines = b"\n".join(hexed[i : i + 72].encode() for i in range(0, len(hexed), 72))
    text = f"\n{name}\n{len(payload):8d}\n".encode() + lines + b"\n"
    body = f"Raw profile type {name}".encode() + b"\0\0" + zlib.compress(text, 9)
    return (
        struct.pack(">I", len(body))
        + b"zTXt"
        + body
        + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    )


def test_a_png_whose_metadata_inflates_past_a_megabyte_is_placed_not_corrupt(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Photoshop's bloated XMP (tens of thousands of photoshop:DocumentAncestors), carried
    into a PNG by ImageMagick as a compressed ``Raw profile type xmp`` chunk, inflates past
    Pillow's 1 MB for one chunk (ReaganLargePng.png of exiv2's test data does so with a
    1.1 MB ICC profile). Every chunk is whole and the pixels decode: the photo is placed in
    its EXIF year, not set aside as "image data does not decode"."""
    ancestors = "".join(f"<rdf:li>xmp.did:{uuid.UUID(int=i)}</rdf:li>" for i in range(20_000))
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"><photoshop:DocumentAncestors>'
        f"<rdf:Bag>{ancestors}</rdf:Bag></photoshop:DocumentAncestors></rdf:Description>"
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    data = (corpus / "formats/png_with_exif_and_gps.png").read_bytes()
    at = data.index(b"IDAT") - 4
    source = tmp_path / "Exports"
    source.mkdir()
    photo = source / "IMG_0042.png"
    photo.write_bytes(data[:at] + _imagemagick_raw_profile("xmp", xmp) + data[at:])
    before = tree_digest(source)

    code, rows = organize(source, tmp_path / "dest", "-j", "1")

    assert code == 0
    (row,) = rows
    assert (row["status"], row["year"], row["dest"]) == ("placed", 2003, "2003/IMG_0042.png"), row
    assert (tmp_path / "dest" / row["dest"]).read_bytes() == photo.read_bytes()
    assert tree_digest(source) == before


def test_a_png_whose_text_inflates_past_64_mib_is_set_aside_as_a_decompression_bomb(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A zTXt chunk of 70 KB that inflates to 70 MiB of text (a bomb in the metadata, not in
    the pixels) is refused, as Pillow refuses it: set aside under a reason that says what it
    is. It said "image data does not decode: ValueError: Decompressed data too large for
    PngImagePlugin.MAX_TEXT_CHUNK", naming a setting and blaming the image data."""
    body = b"Comment\0\0" + zlib.compress(b"a" * (70 << 20), 9)
    bomb = (
        struct.pack(">I", len(body))
        + b"zTXt"
        + body
        + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    )
    data = (corpus / "formats/png_with_exif_and_gps.png").read_bytes()
    at = data.index(b"IDAT") - 4
    source = tmp_path / "Downloads"
    source.mkdir()
    (source / "meme.png").write_bytes(data[:at] + bomb + data[at:])

    code, rows = organize(source, tmp_path / "dest", "-j", "1")

    assert code == 0
    (row,) = rows
    assert (row["status"], row["dest"]) == ("corrupt", "Corrupted/meme.png"), row
    assert row["reason"] == "decompression bomb: its text metadata inflates to more than 64 MiB"


@needs_exiftool
def test_a_turned_phone_photo_keeps_its_exif_thumbnail_upright(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A Galaxy S writes its EXIF thumbnail 8 bytes before the end of the EXIF block, so a
    turned thumbnail must fit in the old one's place; jpegtran's lossless turn without
    optimised tables came out larger, and the thumbnail was unlinked (as for a Canon EOS
    1000D, Nikon D40 and Panasonic LZ2 of metadata-extractor-images). With optimised tables
    (else encoded again smaller) the turned photo keeps a thumbnail, upright as it is."""
    source = tmp_path / "DCIM" / "Camera"
    source.mkdir(parents=True)
    shutil.copy(corpus / "phone/Samsung GT-I9000 (Galaxy S).jpg", source / "20110402_183010.jpg")

    code, rows = organize(tmp_path / "DCIM", tmp_path / "dest", "-j", "1")

    assert code == 0
    (row,) = rows
    assert row["rotated"] is True, row
    placed = tmp_path / "dest" / row["dest"]
    thumbnail = subprocess.run(
        ["exiftool", "-b", "-ThumbnailImage", str(placed)], capture_output=True, check=True
    ).stdout
    assert thumbnail.startswith(b"\xff\xd8"), "the EXIF thumbnail was dropped"
    with Image.open(io.BytesIO(thumbnail)) as small, Image.open(placed) as photo:
        assert photo.getexif().get(0x0112) in (None, 1)
        assert small.size == (120, 160)  # portrait, as the upright photo (480x640)
        shown = np.asarray(small.convert("L"), dtype=float)
        scaled = np.asarray(photo.convert("L").resize(small.size), dtype=float)
        assert np.abs(shown - scaled).mean() < 12  # the same picture, the same way up


FFMPEG = shutil.which("ffmpeg")


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_an_avi_with_bytes_after_its_riff_chunk_is_placed_and_a_cut_one_is_not(
    tmp_path: Path, organize
) -> None:
    """flame.avi of exiv2's test data is a whole AVI (every frame and its idx1 index there;
    ffmpeg decodes it without a word) followed by 16 stray bytes, the header of a ``LIST
    movi`` chunk: MediaInfo reads that as a chunk cut short and the video was set aside as
    "truncated". Bytes after the RIFF chunk are no part of the video; a copy that stops
    inside the RIFF chunk is still cut short."""
    assert FFMPEG is not None
    source = tmp_path / "Videos"
    source.mkdir()
    whole = source / "MVI_0001.AVI"
    command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "2"]
    subprocess.run([*command, "-c:v", "mjpeg", str(whole)], check=True)
    data = whole.read_bytes()
    (source / "MVI_0002.AVI").write_bytes(
        data + b"\0\0\0\0LIST" + struct.pack("<I", 285452) + b"movi"
    )
    (source / "MVI_0003.AVI").write_bytes(data[: len(data) * 2 // 3])

    code, rows = organize(source, tmp_path / "dest", "-j", "1")

    assert code == 0
    by_name = {row["source"]: row for row in rows}
    trailed, cut = by_name["MVI_0002.AVI"], by_name["MVI_0003.AVI"]
    assert (trailed["status"], trailed["dest"]) == ("placed", "NoDate/MVI_0002.AVI"), trailed
    assert (cut["status"], cut["reason"]) == ("corrupt", "truncated video (a copy cut short)")
