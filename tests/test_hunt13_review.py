"""Review of the session-13 merges (a photo under a video's name, a PNG's XMP after its image
data, companions DEST holds under one name), built from corpus files arranged as real archives."""

from __future__ import annotations

import shutil
import struct
import time
import zlib
from pathlib import Path
from typing import Any

from tests.conftest import CORPUS, imgorg, tree_digest


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


def test_of_a_photo_and_its_copy_saved_under_a_video_name_the_image_name_is_kept(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A camera JPEG (Orientation 6) in ``Trip/`` and the same bytes saved as
    ``Downloads/MVI_0001.AVI``. A photo under a video's name is placed as it is, never turned:
    the keeper's rule for a video under a video's name kept the ``.AVI`` and set the ``.jpg``
    aside, so the archive held the photo sideways under a name no viewer opens as a photo. The
    ``.jpg`` is kept (turned upright), the ``.AVI`` is its duplicate; undo restores SOURCE."""
    src = tmp_path / "src"
    (src / "Trip").mkdir(parents=True)
    (src / "Downloads").mkdir()
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "Trip" / "canon.jpg")
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "Downloads" / "MVI_0001.AVI")
    before = tree_digest(src)

    out = tmp_path / "out"
    code, report = organize(src, out, "--mode", "move", "--min-size", "0")
    lines = by_source(report)

    assert code == 0, report
    kept, copy = lines["Trip/canon.jpg"], lines["Downloads/MVI_0001.AVI"]
    assert (kept["status"], kept["dest"], kept["rotated"]) == (
        "placed",
        "2015/Trip/canon.jpg",
        True,
    )
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", "Trip/canon.jpg")
    assert copy["reason"].endswith("because it is named as what it is (a video as a video, a photo as an image)")  # fmt: skip
    assert imgorg("verify", str(out))[0] == 0
    assert imgorg("undo", str(out))[0] == 0
    assert tree_digest(src) == before


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def xmp_chunk(text: bytes) -> bytes:
    """An ``XML:com.adobe.xmp`` iTXt chunk holding ``text`` compressed."""
    return png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(text))


def test_a_png_with_thousands_of_xmp_chunks_is_read_in_linear_time(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A PNG (the corpus's hopper.png) whose XMP is followed, after the image data, by 15,000
    more small XMP chunks (each 1 KB of text, 30 bytes stored: the file is 0.8 MB): every packet
    was joined to those before it, one copy of the whole each time, about 120 GB copied in
    all (minutes for one file). It is read in a moment and dated by its first packet."""
    src = tmp_path / "src" / "Scans"
    src.mkdir(parents=True)
    data = (CORPUS / "formats/hopper.png").read_bytes()
    iend = data.rindex(b"IEND") - 4
    dated = b'<x:xmpmeta><rdf:Description exif:DateTimeOriginal="2012-02-02T10:00:00"/></x:xmpmeta>'
    filler = xmp_chunk(b" " * 1000)
    (src / "hopper.png").write_bytes(data[:iend] + xmp_chunk(dated) + filler * 15_000 + data[iend:])

    started = time.monotonic()
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    elapsed = time.monotonic() - started

    assert code == 0, report
    (line,) = report
    assert (line["status"], line["date"], line["date_source"]) == (
        "placed",
        "2012-02-02T10:00:00",
        "xmp",
    )
    assert elapsed < 30, elapsed
