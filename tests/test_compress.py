"""The size-targeted JPEG search: as good as bisection, in fewer full encodes, metadata kept."""

from __future__ import annotations

import io
import itertools
import shutil
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from benchmarks.make_archive import jpeg_bytes, photo
from engine.formats import jpeg
from engine.formats.compress import (
    Compressed,
    CompressOptions,
    NotCompressed,
    compress_jpeg,
    estimate_quality,
    highest_fitting_quality,
    predicted_search,
)


def monotone(draw_steps: list[int]) -> list[int]:
    return list(itertools.accumulate(draw_steps))


@given(
    st.lists(st.integers(min_value=0, max_value=5000), min_size=101, max_size=101),
    st.lists(st.floats(min_value=0.7, max_value=1.3), min_size=101, max_size=101),
    st.integers(min_value=1, max_value=300_000),
    st.integers(min_value=1, max_value=95),
    st.floats(min_value=1.0, max_value=20.0),
)
def test_prediction_finds_the_bisection_answer(steps, noise, limit, low, ratio) -> None:  # type: ignore[no-untyped-def]
    sizes = monotone(steps)
    full = sizes.__getitem__
    sample = lambda q: max(1, int(sizes[q] / ratio * noise[q]))  # noqa: E731
    expected, _ = highest_fitting_quality(full, limit, low)
    found, _ = predicted_search(full, sample, limit, low, ratio)
    assert found == expected


def _source(
    orientation: int = 6, size: tuple[int, int] = (1600, 1200)
) -> tuple[bytes, Image.Image]:
    data = jpeg_bytes(photo(*size, seed=11), orientation=orientation, quality=97)
    return data, Image.open(io.BytesIO(data))


def test_compresses_to_target_in_few_encodes_keeping_metadata() -> None:
    data, im = _source()
    options = CompressOptions(target_size=len(data) // 2, quality_floor=40)
    result = compress_jpeg(data, jpeg.check_jpeg(data), im, 6, options)
    assert isinstance(result, Compressed)
    assert len(result.data) <= len(data) // 2
    assert result.encodes <= 3
    out = Image.open(io.BytesIO(result.data))
    assert out.size == (1200, 1600)
    assert out.getexif()[0x0112] == 1
    assert out.getexif()[0x010F] == "imgorg-test"
    # the next quality up would not have fitted
    upright = Image.open(io.BytesIO(data)).transpose(Image.Transpose.ROTATE_270)
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=result.quality + 1, subsampling=2)
    assert len(buffer.getvalue()) > len(data) // 2 - 2000


def test_keeps_original_when_no_quality_fits() -> None:
    data, im = _source(orientation=1, size=(640, 480))
    options = CompressOptions(target_size=len(data) // 50, quality_floor=90, very_large=10**9)
    result = compress_jpeg(data, jpeg.check_jpeg(data), im, 1, options)
    assert isinstance(result, NotCompressed)
    assert "kept as is" in result.reason


def test_downscales_very_large_files_when_the_floor_is_not_enough() -> None:
    data, im = _source(orientation=1, size=(1600, 1200))
    options = CompressOptions(target_size=len(data) // 10, quality_floor=85, very_large=1000)
    result = compress_jpeg(data, jpeg.check_jpeg(data), im, 1, options)
    assert isinstance(result, Compressed)
    assert result.scale < 1
    assert len(result.data) <= len(data) // 10
    assert Image.open(io.BytesIO(result.data)).getexif()[0x010F] == "imgorg-test"


def test_never_reencodes_motion_photos_or_cmyk() -> None:
    data, _im = _source(orientation=1, size=(320, 240))
    motion = data + b"\x00\x00\x00\x18ftypmp42" + b"v" * 2000
    result = compress_jpeg(
        motion,
        jpeg.check_jpeg(motion),
        Image.open(io.BytesIO(motion)),
        1,
        CompressOptions(target_size=1000),
    )
    assert isinstance(result, NotCompressed) and "motion" in result.reason
    buffer = io.BytesIO()
    photo(64, 64, seed=1).convert("CMYK").save(buffer, "JPEG")
    cmyk = buffer.getvalue()
    result = compress_jpeg(
        cmyk,
        jpeg.check_jpeg(cmyk),
        Image.open(io.BytesIO(cmyk)),
        1,
        CompressOptions(target_size=100),
    )
    assert isinstance(result, NotCompressed) and "CMYK" in result.reason


def test_quality_estimate() -> None:
    for quality in (50, 75, 90, 95):
        data = jpeg_bytes(photo(64, 64, seed=2), quality=quality)
        estimate = estimate_quality(Image.open(io.BytesIO(data)))
        assert estimate is not None and abs(estimate - quality) <= 1


def test_lossless_before_lossy(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Phone JPEGs under the target size get jpegtran's lossless rewrite (same pixels, every
    metadata segment kept), not a re-encode; a re-encode only where that is not enough."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("jolla.jpg", "Samsung GT-I9000 (Galaxy S).jpg"):
        shutil.copyfile(corpus / "phone" / name, src / name)
    code, report = organize(src, tmp_path / "out", "--compress-above", "50KB")
    assert code == 0
    lines = {line["source"]: line for line in report}
    for line in lines.values():
        assert (line["compressed"], line["quality"], line["encodes"]) == ("lossless", None, 0)
        assert line["bytes_out"] <= 0.95 * line["bytes_in"]
    before = Image.open(src / "jolla.jpg")
    after = Image.open(tmp_path / "out" / lines["jolla.jpg"]["dest"])
    assert after.tobytes() == before.tobytes()
    assert after.info["exif"] == before.info["exif"]
    assert after.info.get("icc_profile") == before.info.get("icc_profile")
    turned = Image.open(tmp_path / "out" / lines["Samsung GT-I9000 (Galaxy S).jpg"]["dest"])
    assert lines["Samsung GT-I9000 (Galaxy S).jpg"]["rotated"]
    assert (turned.size, turned.getexif()[0x0112]) == ((480, 640), 1)

    lossless = lines["jolla.jpg"]["bytes_out"]
    code, report = organize(
        src, tmp_path / "out2", "--compress-above", "500KB", "--target-size", str(lossless - 1)
    )
    line = {line["source"]: line for line in report}["jolla.jpg"]
    assert line["compressed"] is True and isinstance(line["quality"], int), line
    assert line["bytes_out"] < lossless
