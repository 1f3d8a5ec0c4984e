import io
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from benchmarks.make_archive import jpeg_bytes, photo
from engine.formats import exif_edit, jpeg, png

SAMPLE = jpeg_bytes(photo(160, 120, seed=3), orientation=6, quality=85)
PROGRESSIVE = io.BytesIO()
photo(160, 120, seed=4).save(PROGRESSIVE, "JPEG", quality=80, progressive=True)


def test_sound_jpegs_pass() -> None:
    for data in (SAMPLE, PROGRESSIVE.getvalue()):
        result = jpeg.check_jpeg(data)
        assert result.problem is None
        assert result.trailing == 0
    assert jpeg.check_jpeg(PROGRESSIVE.getvalue()).progressive


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=len(SAMPLE) - 3))
def test_any_truncation_is_caught(cut: int) -> None:
    assert jpeg.check_jpeg(SAMPLE[:cut]).problem is not None


def test_trailing_data_is_measured_and_padding_ignored() -> None:
    assert jpeg.check_jpeg(SAMPLE + b"\x00" * 100).trailing == 0
    assert jpeg.check_jpeg(SAMPLE + b"ftypmp42" + b"x" * 500).trailing == 508


def test_corpus_jpegs(corpus: Path, manifest: dict[str, dict[str, str]]) -> None:
    for rel, row in manifest.items():
        if row["file_type"] != "JPEG":
            continue
        result = jpeg.check_jpeg((corpus / rel).read_bytes())
        damaged = row["pillow_load"] != "True" or row["djpeg"].startswith(("warning", "error"))
        assert (result.problem is not None) == damaged, (rel, result.problem, row["djpeg"])


def test_metadata_splice_keeps_segments() -> None:
    structure = jpeg.check_jpeg(SAMPLE)
    segments = jpeg.carried_segments(SAMPLE, structure)
    assert any(s.startswith(b"\xff\xe1") for s in segments)
    fresh = io.BytesIO()
    photo(40, 30, seed=1).save(fresh, "JPEG", quality=50)
    spliced = jpeg.replace_metadata(fresh.getvalue(), segments)
    assert jpeg.check_jpeg(spliced).problem is None
    assert Image.open(io.BytesIO(spliced)).getexif()[0x0112] == 6


def test_exif_patch_sets_orientation_and_size_keeping_the_rest() -> None:
    structure = jpeg.check_jpeg(SAMPLE)
    assert structure.exif is not None
    patched = exif_edit.patch_exif(structure.exif, orientation=1, drop_thumbnail=True)
    assert len(patched) == len(structure.exif)
    assert exif_edit.read_orientation(patched) == 1
    assert exif_edit.read_orientation(structure.exif) == 6
    exif = Image.Exif()
    exif.load(patched)
    assert exif[0x010F] == "imgorg-test"


@given(st.binary(max_size=300))
def test_exif_patch_never_raises_on_garbage(blob: bytes) -> None:
    exif_edit.patch_exif(blob, orientation=1, size=(10, 20), drop_thumbnail=True)
    exif_edit.read_orientation(blob)


@given(st.binary(max_size=400))
def test_jpeg_check_never_raises(blob: bytes) -> None:
    jpeg.check_jpeg(b"\xff\xd8" + blob)


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = [png.SIGNATURE]
    for kind, body in chunks:
        out.append(
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )
    return b"".join(out)


def test_png_checks() -> None:
    buffer = io.BytesIO()
    photo(32, 32, seed=2).save(buffer, "PNG")
    data = buffer.getvalue()
    assert png.check_png(data).problem is None
    assert png.check_png(data[:-20]).problem is not None
    damaged = bytearray(data)
    damaged[60] ^= 0xFF
    assert "CRC" in (png.check_png(bytes(damaged)).problem or "")
    assert png.check_png(_png([(b"IEND", b"")])).problem == "no IHDR chunk at the start"


@pytest.mark.parametrize("cut", [8, 20, 33, 50])
def test_png_truncations(cut: int) -> None:
    buffer = io.BytesIO()
    photo(16, 16, seed=5).save(buffer, "PNG")
    assert png.check_png(buffer.getvalue()[:cut]).problem is not None


@given(st.binary(max_size=300))
def test_png_check_never_raises(blob: bytes) -> None:
    png.check_png(png.SIGNATURE + blob)
