"""Known defects earlier sessions found and left, each fixed with a test from real files:
exiftool batches past a pathological file, ..."""

from __future__ import annotations

import shutil
import struct
import time
from pathlib import Path

import pytest

needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed"
)


def _tiff_with_a_long_chain(extra_directories: int) -> bytes:
    """A sound 8x8 grey TIFF whose first directory links to ``extra_directories`` more, one
    after another: Pillow decodes its first page at once; exiftool walks every directory,
    taking seconds for a few hundred thousand."""
    pixels = bytes(range(64))
    entries = [
        (0x0100, 3, 1, 8),  # ImageWidth
        (0x0101, 3, 1, 8),  # ImageLength
        (0x0102, 3, 1, 8),  # BitsPerSample
        (0x0103, 3, 1, 1),  # Compression: none
        (0x0106, 3, 1, 1),  # PhotometricInterpretation: black is zero
        (0x0111, 4, 1, 8),  # StripOffsets: the pixels right after the header
        (0x0116, 3, 1, 8),  # RowsPerStrip
        (0x0117, 4, 1, 64),  # StripByteCounts
    ]
    first = 8 + len(pixels)
    chain = first + 2 + 12 * len(entries) + 4
    head = bytearray(b"II*\x00" + struct.pack("<I", first) + pixels)
    head += struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        head += struct.pack("<HHII", tag, kind, count, value)
    head += struct.pack("<I", chain)
    link = struct.Struct("<HHHIII")
    tail = bytearray(18 * extra_directories)
    for n in range(extra_directories):
        following = chain + 18 * (n + 1) if n + 1 < extra_directories else 0
        link.pack_into(tail, 18 * n, 1, 0x00FE, 4, 1, 1, following)  # NewSubfileType: a page
    return bytes(head + tail)


@needs_exiftool
def test_a_file_exiftool_cannot_finish_costs_only_itself_its_date(
    tmp_path: Path, corpus: Path, organize, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Trail-camera photos only exiftool dates (Reconyx maker notes), in one batch with a TIFF
    of 300,000 chained directories that exiftool reads for many seconds: the TIFF is given up
    at the time limit, with a note, and exiftool, started again, dates every photo after it."""
    from engine.dates import exiftool

    monkeypatch.setattr(exiftool, "FILE_SECONDS", 2.0)
    source = tmp_path / "src"
    source.mkdir()
    trail = corpus / "camera/Reconyx_HC500_Hyperfire.jpg"
    photo = trail.read_bytes()
    for name in ("a trail.jpg", "c trail.jpg", "d trail.jpg"):
        comment = name.encode()  # a comment segment of its own: three photos, not copies
        segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
        (source / name).write_bytes(photo[:2] + segment + photo[2:])
    (source / "b scan.tif").write_bytes(_tiff_with_a_long_chain(300_000))
    started = time.monotonic()
    code, lines = organize(source, tmp_path / "out", "--min-size", "0", "--jobs", "1")
    took = time.monotonic() - started
    assert code == 0
    by_name = {line["source"].rsplit("/", 1)[-1]: line for line in lines}
    for name in ("a trail.jpg", "c trail.jpg", "d trail.jpg"):
        line = by_name[name]
        assert (line["status"], line["year"], line["date_source"]) == (
            "placed", 2020, "exiftool"
        ), line  # fmt: skip
    scan = by_name["b scan.tif"]
    assert scan["status"] == "placed" and scan["year"] is None, scan
    assert "not dated by exiftool: exiftool gave no answer within 2 s" in scan["note"], scan
    assert took < 30, took
