"""Size-targeted JPEG re-encoding: the highest quality whose output fits the target.

The image is decoded once; every trial encode goes to memory; the metadata segments of the
original are spliced into the winner byte for byte (Orientation reset when the pixels turn).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from engine.formats import exif_edit, jpeg
from engine.formats.orientation import make_upright, needs_rotation, swaps_axes
from engine.formats.rotate import upright_exif
from engine.settings import CompressOptions

# IJG standard luminance quantisation table (JPEG Annex K); libjpeg scales it for quality q.
_STD_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip


def _ijg_table_sum(quality: int) -> int:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return sum(min(255, max(1, (q * scale + 50) // 100)) for q in _STD_LUMINANCE)


_TABLE_SUMS = {q: _ijg_table_sum(q) for q in range(1, 101)}


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
    """IJG-equivalent quality of a JPEG: the quality whose scaled standard luminance table is
    closest (by sum) to the file's own. Exact for files written by libjpeg."""
    tables = getattr(im, "quantization", None)
    if not tables:
        return None
    luminance = tables.get(0)
    if not luminance or len(luminance) != 64:
        return None
    return _quality_of_sum(sum(luminance))


@functools.lru_cache(maxsize=4096)  # an archive's cameras and editors use few tables
def _quality_of_sum(total: int) -> int:
    return min(_TABLE_SUMS, key=lambda q: (abs(_TABLE_SUMS[q] - total), -q))


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


def predicted_search(
    full: Callable[[int], int],
    sample: Callable[[int], int],
    limit: int,
    low: int,
    area_ratio: float,
    overhead: int = 0,
    high: int = 100,
    lean: float = 0.015,
) -> tuple[int | None, dict[int, int]]:
    """The highest quality in [low, high] whose full encode fits ``limit``, in few full encodes.

    ``sample(q)`` is the size of a cheap reduced encode (a fraction of the rows); scaled by a
    factor that every full encode recalibrates, it predicts the full size, so the search starts
    at the predicted boundary and usually needs one encode on each side of it. ``overhead`` is
    the part of every full encode that does not scale (the metadata segments). Guesses lean
    upwards by ``lean``: a guess one step too high costs nothing (the next encode, one step
    down, both fits and proves the boundary), one step too low costs an extra encode.

    The answer is a quality that fits with the next one up measured not to (or ``high``): the
    same boundary that bisection finds. Returns it (None when even ``low`` does not fit) and
    the full sizes.
    """
    sample_sizes: dict[int, int] = {}
    full_sizes: dict[int, int] = {}

    def predicted(quality: int) -> float:
        if quality not in sample_sizes:
            sample_sizes[quality] = sample(quality)
        return overhead + factor * sample_sizes[quality]

    factor = area_ratio
    best_fit, first_miss = low - 1, high + 1
    while best_fit + 1 < first_miss:
        lo, hi = best_fit + 1, first_miss - 1
        aim = limit * (1 + lean)
        if predicted(lo) <= aim:
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if predicted(mid) <= aim:
                    lo = mid
                else:
                    hi = mid - 1
        quality = lo
        size = full_sizes[quality] = full(quality)
        factor = max(1, size - overhead) / sample_sizes[quality]
        if size <= limit:
            best_fit = quality
        else:
            first_miss = quality
    return (best_fit if best_fit >= low else None), full_sizes


def sample_rows(
    image: Image.Image, band: int = 16, every: int = 10, fewest: int = 12
) -> tuple[Image.Image, float]:
    """Every ``every``-th band of ``band`` rows (closer on small images, to keep ``fewest``
    bands), stacked: a cheap stand-in for the whole image when predicting encoded sizes.
    Returns it and the area ratio whole/sample."""
    every = max(2, min(every, image.height // (band * fewest)))
    bands = list(range(0, image.height - band + 1, band * every))
    if len(bands) < 4:
        return image, 1.0
    stacked = Image.new(image.mode, (image.width, band * len(bands)))
    for n, top in enumerate(bands):
        stacked.paste(image.crop((0, top, image.width, top + band)), (0, n * band))
    return stacked, image.height / stacked.height


# The chroma subsamplings Pillow's encoder offers: luma samples per chroma sample (across, down).
_SUBSAMPLINGS = {(1, 1): 0, (2, 1): 1, (2, 2): 2}


def upright_subsampling(im: Image.Image, orientation: int | None) -> int:
    """The encoder's subsampling that keeps the chroma resolution the original has along each
    axis of the upright picture: the original's own where the encoder offers it (4:4:4, 4:2:2,
    4:2:0; but 4:2:2 turned a quarter is 4:4:0), else the most reduced one that loses none
    (4:1:1 -> 4:2:2, 4:4:0 -> 4:4:4). -1 (the encoder's default) when not three components."""
    layers = getattr(im, "layer", None)
    if not layers or len(layers) != 3:
        return -1
    (_, luma_h, luma_v, _), *chroma = layers
    across = max(1, luma_h // max(c[1] for c in chroma))
    down = max(1, luma_v // max(c[2] for c in chroma))
    if swaps_axes(orientation):
        across, down = down, across
    fitting = [(h, v) for h, v in _SUBSAMPLINGS if h <= across and v <= down]
    return _SUBSAMPLINGS[max(fitting, key=lambda hv: hv[0] * hv[1])]


def _metadata_segments(
    data: bytes,
    structure: jpeg.JpegStructure,
    orientation: int | None,
    size: tuple[int, int],
    scaled: bool,
) -> list[bytes]:
    """The segments to carry, for pixels turned by ``orientation`` (None: not turned).

    EXIF is edited only where the pixels changed shape: a photo neither turned nor scaled keeps
    its pixel dimensions as the camera wrote them (those of a picture since made smaller tell
    exiftool the sensor size, from which it derives the 35 mm equivalent focal length)."""
    rotated = needs_rotation(orientation)
    segments = []
    for segment in jpeg.carried_segments(data, structure):
        payload = segment[4:]
        if segment[1] == 0xE1 and payload.startswith(jpeg.EXIF_HEADER):
            if rotated and not scaled:
                assert orientation is not None
                payload = upright_exif(payload, size, orientation)
            elif rotated or scaled:
                payload = exif_edit.patch_exif(
                    payload,
                    orientation=1 if rotated else None,
                    size=size,
                    drop_thumbnail=rotated or scaled,
                )
            if len(payload) + 2 > 0xFFFF:
                continue
            segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        elif rotated and segment[1] == 0xE1 and payload.startswith(jpeg.XMP_HEADER):
            segment = exif_edit.reset_xmp_orientation(segment)
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
    if structure.late_metadata:
        return NotCompressed("metadata after the image data: kept as is")
    if im.mode not in ("RGB", "L"):
        return NotCompressed(f"{im.mode} JPEG: kept as is (re-encoding would shift its colours)")
    limit = size_limit(len(data), options)
    subsampling = upright_subsampling(im, orientation)
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
        turned = orientation if rotated else None
        segments = _metadata_segments(data, structure, turned, current.size, scaled)
        encoder = _Encoder(current, segments, params, limit)
        stand_in, area_ratio = sample_rows(current)
        sampler = _Encoder(stand_in, [], params, 0)
        if area_ratio > 1:
            quality, sizes = predicted_search(
                encoder,
                sampler,
                limit,
                options.quality_floor,
                area_ratio,
                overhead=jpeg.metadata_size(segments),
            )
        else:
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
