"""Size-targeted JPEG re-encoding: the highest quality whose output fits the target.

The image is decoded once; every trial encode goes to memory; the metadata segments of the
original are spliced into the winner byte for byte (Orientation reset when the pixels turn).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, JpegImagePlugin

from engine import exif_edit, jpeg
from engine.orientation import make_upright, needs_rotation

# IJG standard luminance table (Annex K); quality 50 is this table as is.
_STD_LUMINANCE_SUM = 5640  # sum of the 64 entries of the standard luminance table


@dataclass(frozen=True, slots=True)
class CompressOptions:
    target_size: int = 6_000_000
    quality_floor: int = 70
    very_large: int = 10_000_000
    min_saving: float = 0.05


@dataclass(slots=True)
class Compressed:
    data: bytes
    quality: int
    encodes: int
    size: tuple[int, int]
    scale: float


@dataclass(slots=True)
class NotCompressed:
    reason: str
    encodes: int = 0
    decode_failed: bool = False


def estimate_quality(im: Image.Image) -> int | None:
    """IJG-equivalent quality of a JPEG from the sum of its luminance quantisation table."""
    tables = getattr(im, "quantization", None)
    if not tables:
        return None
    luminance = tables.get(0)
    if not luminance or len(luminance) != 64:
        return None
    scale = sum(luminance) * 100.0 / _STD_LUMINANCE_SUM
    quality = (200.0 - scale) / 2.0 if scale <= 100.0 else 5000.0 / scale
    return max(1, min(100, round(quality)))


def size_limit(original: int, options: CompressOptions) -> int:
    """The largest acceptable output: within the target and at least ``min_saving`` smaller."""
    return min(options.target_size, math.floor(original * (1.0 - options.min_saving)))


def highest_fitting_quality(
    encode: Callable[[int], int], limit: int, low: int, high: int = 100
) -> tuple[int | None, dict[int, int]]:
    """Bisection for the highest quality in [low, high] whose encoded size is within ``limit``.

    ``encode(q)`` returns the size at quality q. Returns the quality (None when even ``low``
    does not fit) and every size measured, by quality (its length is the encodes spent).
    """
    sizes = {low: encode(low)}
    if sizes[low] > limit:
        return None, sizes
    while low < high:
        mid = (low + high + 1) // 2
        sizes[mid] = encode(mid)
        if sizes[mid] <= limit:
            low = mid
        else:
            high = mid - 1
    return low, sizes


def _metadata_segments(
    data: bytes, structure: jpeg.JpegStructure, rotated: bool, size: tuple[int, int], scaled: bool
) -> list[bytes]:
    segments = []
    for segment in jpeg.carried_segments(data, structure):
        payload = segment[4:]
        if segment[1] == 0xE1 and payload.startswith(jpeg.EXIF_HEADER):
            payload = exif_edit.patch_exif(
                payload,
                orientation=1 if rotated else None,
                size=size,
                drop_thumbnail=rotated or scaled,
            )
            if len(payload) + 2 > 0xFFFF:
                continue
            segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        segments.append(segment)
    return segments


class _Encoder:
    """Encodes one image at a given quality; keeps the best output that fits the limit."""

    def __init__(
        self, image: Image.Image, segments: list[bytes], params: dict[str, object], limit: int
    ) -> None:
        self.image, self.segments, self.params, self.limit = image, segments, params, limit
        self.best = b""
        self.best_quality = 0

    def __call__(self, quality: int) -> int:
        buffer = io.BytesIO()
        self.image.save(buffer, "JPEG", quality=quality, **self.params)
        out = jpeg.replace_metadata(buffer.getvalue(), self.segments)
        if len(out) <= self.limit and quality > self.best_quality:
            self.best, self.best_quality = out, quality
        return len(out)


def compress_jpeg(
    data: bytes,
    structure: jpeg.JpegStructure,
    im: Image.Image,
    orientation: int | None,
    options: CompressOptions,
) -> Compressed | NotCompressed:
    """Re-encode ``data`` (already opened as ``im``) to fit the target, or say why not."""
    if structure.trailing or structure.has_mpf or im.format == "MPO":
        return NotCompressed("data after the image (motion photo or multi-picture): kept as is")
    if im.mode not in ("RGB", "L"):
        return NotCompressed(f"{im.mode} JPEG: kept as is (re-encoding would shift its colours)")
    limit = size_limit(len(data), options)
    subsampling = JpegImagePlugin.get_sampling(im)
    try:
        im.load()
    except Exception as exc:
        return NotCompressed(f"pixel data does not decode: {exc}", decode_failed=True)
    rotated = needs_rotation(orientation)
    upright = make_upright(im, orientation)
    params: dict[str, object] = {"progressive": structure.progressive, "optimize": False}
    if subsampling >= 0:
        params["subsampling"] = subsampling
    if "dpi" in im.info:
        params["dpi"] = im.info["dpi"]

    total_encodes = 0
    scale = 1.0
    current = upright
    for _attempt in range(6):
        scaled = scale < 1.0
        segments = _metadata_segments(data, structure, rotated, current.size, scaled)
        encoder = _Encoder(current, segments, params, limit)
        quality, sizes = highest_fitting_quality(encoder, limit, options.quality_floor)
        total_encodes += len(sizes)
        if quality is not None:
            return Compressed(encoder.best, quality, total_encodes, current.size, scale)
        if len(data) <= options.very_large:
            return NotCompressed(
                f"no quality >= {options.quality_floor} fits {limit} bytes: kept as is",
                total_encodes,
            )
        # Too big even at the floor: shrink by the square root of the size ratio, with margin.
        ratio = limit / sizes[options.quality_floor]
        scale *= min(0.9, math.sqrt(ratio) * 0.95)
        new_size = (max(1, round(upright.width * scale)), max(1, round(upright.height * scale)))
        current = upright.resize(new_size, Image.Resampling.LANCZOS)
    return NotCompressed("could not reach the target even downscaled: kept as is", total_encodes)
