"""Cheap grey pixels for a large JPEG's signature, without entropy-decoding the whole file.

Even at 1/8 DCT scale libjpeg must Huffman-decode every coefficient of a baseline JPEG, about
8 ms per MB of file (a 12 MP photo: 12-35 ms). Two shortcuts avoid that:

- **EXIF thumbnail** (IFD1, 160x120 or so, written by nearly every camera and phone): a reduced
  copy of the stored pixels, in their orientation. Editors may leave a stale one, and a tool
  copying metadata between files may carry another photo's, so it is used only when it is
  evidently of *these* pixels: letterbox bars trimmed (a 3:2 photo in a 4:3 thumbnail), its
  shape must be the image's stored shape within ``THUMB_ASPECT_TOLERANCE``, an IFD1
  Orientation must agree with IFD0's, and the image's own top rows, decoded by declaring a
  shorter image in the frame header (the top 1/16 of the rows; a quarter when that much is
  featureless), must match the same rows of the thumbnail: brightness within
  ``STRIP_MAX_MEAN_SHIFT`` grey levels, a correlation of ``STRIP_MIN_CORRELATION``, and no
  better match once shifted sideways (a neighbouring shot, panned, matches best shifted).
  A thumbnail that fails costs a decode, never a wrong look.
- **Progressive without a usable thumbnail**: at 1/8 scale only the DC coefficients reach the
  output, and a progressive file sends them first. The file cut before its first AC scan (and
  closed with EOI) decodes to the same pixels (but for the DC's last bit where a refinement
  scan sends it later) for a fraction of the work.

Everything else (small images, baseline without a usable thumbnail, arithmetic, lossless or
hierarchical coding) returns None: the caller decodes through ``draft()``.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image

MIN_PIXELS = 1_000_000  # below this a draft() decode costs a few ms: not worth a shortcut
THUMB_ASPECT_TOLERANCE = 0.03
STRIP_SHARES = (16, 4)  # the top 1/16 of the rows; a quarter when that much is featureless
STRIP_GRID_WIDTH = 64
STRIP_MAX_SHIFT = 8  # grid columns: a pan of up to 1/8 of the width is looked for
STRIP_MIN_STD = 8.0  # grey levels: below this the strip shows too little to compare
STRIP_MIN_CORRELATION = 0.93
STRIP_MAX_MEAN_SHIFT = 12.0
_BAR_MEAN = 16  # a letterbox bar: a row or column this dark on average...
_BAR_MAX = 48  # ...and nowhere brighter than this (JPEG ringing at its edge)
_MIN_THUMB_SIDE = 32
_PREFIX_MARGIN = 64 * 1024
_EOI = b"\xff\xd9"
_SMOOTHING_STEPS = 9  # the zigzag positions libjpeg's block smoothing reads (Q01 ... Q30)
_ORIENTATION = 274
_COMPRESSION = 259
_THUMB_OFFSET = 513
_THUMB_LENGTH = 514
_SEQUENTIAL = (0xC0, 0xC1)
_PROGRESSIVE = 0xC2
_OTHER_SOF = frozenset({0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


@dataclass(frozen=True, slots=True)
class JpegLayout:
    width: int
    height: int
    sof_at: int  # offset of the frame header's marker
    progressive: bool
    mcu_height: int  # pixel rows per MCU row of the first scan
    first_scan_complete: bool  # the first scan carries every component (interleaved)
    dc_end: int | None  # progressive: offset of the first AC scan, where the DC data ends
    quant_tables_at: tuple[int, ...] = ()  # offsets of the DQT segments before the first scan


def jpeg_layout(data: bytes) -> JpegLayout | None:
    """The frame and scan layout of a JPEG's main image (APPn segments, and so the EXIF
    thumbnail, are skipped), or None for anything this module does not shortcut."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos, frame, tables = 2, None, list[int]()
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in _OTHER_SOF:
            return None
        if marker in _SEQUENTIAL or marker == _PROGRESSIVE:
            frame = _frame(data, pos, marker == _PROGRESSIVE)
            if frame is None:
                return None
        elif marker == 0xDA:
            if frame is None:
                return None
            return _with_scans(frame, data, pos, tuple(tables))
        elif marker == 0xDB:
            tables.append(pos)
        elif marker == 0xD9:
            return None
        pos += 2 + length
    return None


@dataclass(frozen=True, slots=True)
class _Frame:
    width: int
    height: int
    sof_at: int
    progressive: bool
    components: tuple[int, ...]
    max_vertical: int


def _frame(data: bytes, pos: int, progressive: bool) -> _Frame | None:
    header = data[pos + 4 : pos + 10]
    if len(header) < 6:
        return None
    height = int.from_bytes(header[1:3], "big")
    width = int.from_bytes(header[3:5], "big")
    count = header[5]
    specs = data[pos + 10 : pos + 10 + 3 * count]
    if height == 0 or width == 0 or count == 0 or len(specs) < 3 * count:
        return None  # a height set later by a DNL marker, or a truncated header
    ids = tuple(specs[3 * k] for k in range(count))
    vertical = max(specs[3 * k + 1] & 0x0F for k in range(count)) or 1
    return _Frame(width, height, pos, progressive, ids, vertical)


def _with_scans(frame: _Frame, data: bytes, sos: int, tables: tuple[int, ...]) -> JpegLayout:
    first = data[sos + 5 : sos + 5 + 2 * data[sos + 4]][::2]
    complete = set(first) == set(frame.components)
    mcu_height = 8 * frame.max_vertical if len(first) > 1 else 8
    dc_end = _dc_end(data, sos, frame.components[0]) if frame.progressive else None
    return JpegLayout(
        frame.width,
        frame.height,
        frame.sof_at,
        frame.progressive,
        mcu_height,
        complete,
        dc_end,
        tables,
    )


def _dc_end(data: bytes, sos: int, luma: int) -> int | None:
    """Where a progressive file's first AC scan starts, if its DC scans before it include
    the first (luma) component's."""
    pos, dc_components = sos, set[int]()
    while pos + 4 <= len(data):
        marker = data[pos + 1]
        if data[pos] != 0xFF or marker == 0xD9:
            return None
        if marker == 0xFF:
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            count = data[pos + 4]
            spectral_start = data[pos + 5 + 2 * count]
            if spectral_start > 0:
                return pos if luma in dc_components else None
            dc_components.update(data[pos + 5 : pos + 5 + 2 * count][::2])
            found = _NEXT_MARKER.search(data, pos + 2 + length)
            if found is None:
                return None
            pos = found.start()
        else:
            pos += 2 + length
    return None


def exif_thumbnail(im: Image.Image) -> bytes | None:
    """The JPEG thumbnail in the EXIF IFD1, when its orientation is the main image's."""
    raw = im.info.get("exif")
    if not isinstance(raw, bytes) or not raw.startswith(b"Exif\x00\x00"):
        return None
    try:
        exif = im.getexif()
        ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
    except Exception:  # broken EXIF: no thumbnail to trust
        return None
    offset, length = ifd1.get(_THUMB_OFFSET), ifd1.get(_THUMB_LENGTH)
    if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
        return None
    if ifd1.get(_COMPRESSION, 6) != 6:
        return None
    if _ORIENTATION in ifd1 and ifd1[_ORIENTATION] != exif.get(_ORIENTATION, 1):
        return None
    thumb = raw[6 + offset : 6 + offset + length]
    return thumb if len(thumb) == length and thumb.startswith(b"\xff\xd8") else None


def aspect_matches(size: tuple[int, int], width: int, height: int) -> bool:
    w, h = size
    if min(w, h) < _MIN_THUMB_SIDE:
        return False
    return abs((w / h) / (width / height) - 1.0) <= THUMB_ASPECT_TOLERANCE


def picture_box(thumb: Image.Image, width: int, height: int) -> tuple[int, int, int, int] | None:
    """Where a grey thumbnail's picture is, black letterbox bars trimmed, when its shape is the
    stored image's (``width`` x ``height``); None otherwise."""
    if aspect_matches(thumb.size, width, height):
        return (0, 0, *thumb.size)
    pixels = np.asarray(thumb)
    rows = _content_span(pixels)
    cols = _content_span(pixels.T)
    if rows is None or cols is None:
        return None
    box = (cols[0], rows[0], cols[1], rows[1])
    return box if aspect_matches((box[2] - box[0], box[3] - box[1]), width, height) else None


def without_bars(thumb: Image.Image, width: int, height: int) -> Image.Image | None:
    """The thumbnail's picture, black letterbox bars trimmed, when its shape is the stored
    image's (``width`` x ``height``); None otherwise."""
    box = picture_box(thumb, width, height)
    if box is None:
        return None
    return thumb if box == (0, 0, *thumb.size) else thumb.crop(box)


def _content_span(pixels: np.ndarray) -> tuple[int, int] | None:
    bar = (pixels.mean(axis=1) <= _BAR_MEAN) & (pixels.max(axis=1) <= _BAR_MAX)
    content = np.flatnonzero(~bar)
    if content.size == 0:
        return None
    return int(content[0]), int(content[-1]) + 1


def top_rows(data: bytes, layout: JpegLayout, rows: int) -> Image.Image:
    """The top ``rows`` of a sequential JPEG in grey at 1/8 scale: the frame header declares a
    shorter image, so libjpeg stops after those MCU rows. Only a prefix of the file is handed
    over (copying all of it costs more than decoding the strip); when the prefix ends too
    soon the decoder says so (truncated) and a longer one is tried."""
    at = layout.sof_at + 5
    budget = at + 2 * (len(data) - at) * rows // layout.height + _PREFIX_MARGIN
    if layout.progressive:
        budget = len(data)  # ``data`` is then the DC scans alone: short, and all needed
    while True:
        shortened = data[:at] + rows.to_bytes(2, "big") + data[at + 2 : budget]
        try:
            with Image.open(io.BytesIO(shortened)) as strip:
                strip.draft("L", (1, 1))
                return strip.convert("L")
        except OSError:
            if budget >= len(data):
                raise
            budget *= 4


def _grid(im: Image.Image, box: tuple[float, float, float, float], rows: int) -> np.ndarray:
    small = im.resize((STRIP_GRID_WIDTH, rows), Image.Resampling.BOX, box=box)
    return np.asarray(small, dtype=np.float64)


def strip_agrees(data: bytes, layout: JpegLayout, thumb: Image.Image) -> bool:
    """The image's own top rows look like the thumbnail's (see the module docstring)."""
    for share in STRIP_SHARES:
        step = layout.mcu_height
        rows = min(layout.height, math.ceil(layout.height / share / step) * step)
        strip = top_rows(data, layout, rows)
        grid_rows = max(2, round(STRIP_GRID_WIDTH * rows / layout.width))
        expected = _grid(thumb, (0, 0, thumb.width, thumb.height * rows / layout.height), grid_rows)
        if expected.std() < STRIP_MIN_STD and rows < layout.height:
            continue
        found = _grid(strip, (0, 0, strip.width, strip.height), grid_rows)
        return _alike(expected, found)
    return False


def _alike(expected: np.ndarray, found: np.ndarray) -> bool:
    """Alike in brightness and in detail, and best aligned where they are: a strip of the
    same scene panned by a few per cent correlates well too, but better once shifted."""
    if expected.std() < STRIP_MIN_STD or found.std() < STRIP_MIN_STD:
        return False
    if abs(expected.mean() - found.mean()) > STRIP_MAX_MEAN_SHIFT:
        return False
    aligned = _correlation(expected, found)
    shifted = [
        _correlation(expected[:, shift:], found[:, :-shift])
        for shift in range(2, STRIP_MAX_SHIFT + 1)
    ] + [
        _correlation(expected[:, :-shift], found[:, shift:])
        for shift in range(2, STRIP_MAX_SHIFT + 1)
    ]
    return aligned >= STRIP_MIN_CORRELATION and aligned >= max(shifted)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    x = a - a.mean()
    y = b - b.mean()
    norm = math.sqrt(float((x * x).sum() * (y * y).sum()))
    return float((x * y).sum()) / norm if norm else 0.0


def dc_scans(data: bytes, layout: JpegLayout) -> bytes | None:
    """A progressive JPEG cut before its first AC scan and closed: its DC scans alone, which
    decode to the same pixels at 1/8 scale."""
    if layout.dc_end is None or min(layout.width, layout.height) < 8 * 64:
        return None  # a smaller scale than 1/8 would need AC coefficients too
    scans = bytearray(data[: layout.dc_end] + _EOI)
    for at in layout.quant_tables_at:
        _without_smoothing(scans, at)
    return bytes(scans)


def _without_smoothing(scans: bytearray, at: int) -> None:
    """Zero the first AC steps of the DQT segment at ``at``. libjpeg then skips its "block
    smoothing" of a progressive image whose AC coefficients have not arrived (it estimates
    them, for every block, only to be thrown away at 1/8 scale: 60 % of the time); no AC
    coefficient is present, so nothing else reads them."""
    end = at + 2 + int.from_bytes(scans[at + 2 : at + 4], "big")
    pos = at + 4
    while pos < end:
        wide = scans[pos] >> 4  # 16-bit steps
        step = 2 if wide else 1
        for k in range(1, _SMOOTHING_STEPS + 1):
            scans[pos + 1 + k * step : pos + 1 + (k + 1) * step] = bytes(step)
        pos += 1 + 64 * step


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (64, 64))
        return im.convert("L")


def _from_thumbnail(
    im: Image.Image, scans: bytes, layout: JpegLayout, mode: str = "L", at_least: int = 0
) -> Image.Image | None:
    """The EXIF thumbnail's picture in ``mode``, if it passes every check (and its longer side
    has ``at_least`` pixels); ``scans`` are the JPEG's own scans its top rows are read from."""
    if not layout.first_scan_complete:
        return None
    raw = exif_thumbnail(im)
    if raw is None:
        return None
    with Image.open(io.BytesIO(raw)) as thumb:
        if thumb.format != "JPEG" or max(thumb.size) < at_least:
            return None
        grey = thumb.convert("L")
        wanted = grey if mode == "L" else thumb.convert(mode)
    box = picture_box(grey, layout.width, layout.height)
    if box is None or max(box[2] - box[0], box[3] - box[1]) < at_least:
        return None
    whole = box == (0, 0, *grey.size)
    if not strip_agrees(scans, layout, grey if whole else grey.crop(box)):
        return None
    return wanted if whole else wanted.crop(box)


def trusted_thumbnail(im: Image.Image, data: bytes, at_least: int = 0) -> Image.Image | None:
    """A JPEG's EXIF thumbnail in colour, as stored (not yet upright, letterbox bars trimmed),
    when every check of the module docstring says it shows these very pixels and its longer
    side has ``at_least`` pixels; None otherwise."""
    layout = jpeg_layout(data)
    if layout is None or im.size != (layout.width, layout.height):
        return None
    try:
        scans = dc_scans(data, layout) if layout.progressive else data
        if scans is None:
            return None
        return _from_thumbnail(im, scans, layout, "RGB", at_least)
    except Exception:  # a damaged thumbnail or scan: the caller decodes the image itself
        return None


def quick_grey(im: Image.Image, data: bytes, layout: JpegLayout) -> tuple[Image.Image, str] | None:
    """Grey stored pixels of a large JPEG at about 1/8 scale or smaller, and the route taken,
    without decoding the whole file; None where no shortcut applies."""
    if layout.width * layout.height < MIN_PIXELS or im.size != (layout.width, layout.height):
        return None
    try:
        scans = dc_scans(data, layout) if layout.progressive else data
        if scans is None:
            return None
        picture = _from_thumbnail(im, scans, layout)
        if picture is not None:
            return picture, "exif thumbnail"
        return (_decoded(scans), "dc scans") if layout.progressive else None
    except Exception:  # a damaged thumbnail or scan: the caller decodes the image itself
        return None
