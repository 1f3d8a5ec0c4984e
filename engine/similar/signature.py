"""A perceptual signature of one image: a 64-bit DCT hash (pHash), a 16x16 grey thumbnail for
verification, the upright size and the facts the keeper and the burst guard need.

The hash needs only a 32x32 grey image, so a JPEG is never fully decoded. A large one (1 MP or
more) is read from its EXIF thumbnail when that is checked to be of these very pixels, or, if
progressive, from its DC scans alone (``engine.similar.jpegfast``); any other JPEG through
Pillow's ``draft()``: libjpeg's DCT scaling returns 1/8 of the size without the inverse
transform, but still entropy-decodes every coefficient, about 8 ms per MB of file. CPU time per
signature (``python -m benchmarks.similar --cost-only``): a 12 MP camera JPEG with its EXIF
thumbnail 2-4 ms at quality 85-98 (its draft decode: 12-33 ms); a large progressive one without
a thumbnail about 7 ms (draft: about 100 ms); a 12 MP baseline JPEG without a usable thumbnail
still 20-35 ms.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from engine.formats.compress import estimate_quality
from engine.formats.imaging import large_png_metadata
from engine.formats.orientation import make_upright, swaps_axes
from engine.similar.jpegfast import jpeg_layout, quick_grey

HASH_NAME = "phash-dct64"
HASH_VERSION = 2

_JPEG = ("JPEG", "MPO")  # MPO: a JPEG with more images after it (Ultra HDR, 3D, previews)

_HASH_SIDE = 32  # the DCT is taken over a 32x32 grey image; its 8x8 low frequencies are kept
_THUMB_SIDE = 16
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_ORIENTATION = 274
_DATE_TIME_ORIGINAL = 36867
_SUBSEC_ORIGINAL = 37521


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    matrix[0] /= np.sqrt(2.0)
    return matrix


_DCT = _dct_matrix(_HASH_SIDE)


@dataclass(frozen=True, slots=True)
class Signature:
    phash: int  # 64 bits, unsigned
    thumb: bytes  # 16x16 grey, row major, upright
    width: int  # upright pixel size of the full image
    height: int
    capture: str | None  # EXIF DateTimeOriginal with its sub-seconds: "2012:05:01 10:11:12.34"
    gps: bool
    quality: int | None  # JPEG quality estimated from its quantisation tables

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 0.0


def phash_of(grey: Image.Image) -> int:
    """pHash: sign of each of the 8x8 lowest DCT frequencies against their median (DC left out
    of the median, as it only measures brightness)."""
    small = grey.resize((_HASH_SIDE, _HASH_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    pixels = np.asarray(small, dtype=np.float64)
    low = (_DCT @ pixels @ _DCT.T)[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int(np.packbits(bits).view(">u8")[0])


def thumb_of(grey: Image.Image) -> bytes:
    small = grey.resize((_THUMB_SIDE, _THUMB_SIDE), Image.Resampling.BOX)
    return small.tobytes()


def _exif_facts(im: Image.Image) -> tuple[int | None, str | None, bool]:
    try:
        exif = im.getexif()
        orientation = exif.get(_ORIENTATION)
        sub = exif.get_ifd(_EXIF_IFD)
        gps = bool(exif.get_ifd(_GPS_IFD))
    except Exception:  # broken EXIF: the pixels still make a signature
        return None, None, False
    capture = sub.get(_DATE_TIME_ORIGINAL)
    text: str | None = None
    if isinstance(capture, str) and capture.strip(" \x00:0"):
        text = capture.strip(" \x00")
        subsec = sub.get(_SUBSEC_ORIGINAL)
        if isinstance(subsec, str) and subsec.strip(" \x00"):
            text += "." + subsec.strip(" \x00")
    valid = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None
    return valid, text, gps


def _flattened_grey(im: Image.Image) -> Image.Image:
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("L")
    return im.convert("L")


def stored_grey(im: Image.Image, data: bytes | None = None) -> tuple[Image.Image, str]:
    """The image's grey pixels as stored (not yet upright), reduced where that is cheap, and the
    route that produced them: ``"exif thumbnail"``, ``"dc scans"``, ``"draft"`` or ``"decode"``."""
    if im.format in _JPEG and data is not None:
        layout = jpeg_layout(data)
        if layout is not None:
            fast = quick_grey(im, data, layout)
            if fast is not None:
                return fast
    if im.format in _JPEG:
        im.draft("L", (_HASH_SIDE * 2, _HASH_SIDE * 2))
        return im.convert("L"), "draft"
    return _flattened_grey(im), "decode"


def signature_of_image(im: Image.Image, data: bytes | None = None) -> Signature:
    """The signature of an opened (not yet decoded) image; ``data``, the file's bytes, lets a
    large JPEG be read from its EXIF thumbnail or its first scans."""
    orientation, capture, gps = _exif_facts(im)
    if im.format == "HEIF":
        orientation = None  # pillow-heif returns upright pixels already
    quality = estimate_quality(im) if im.format in _JPEG else None
    width, height = im.size
    if swaps_axes(orientation):
        width, height = height, width
    grey, _route = stored_grey(im, data)
    grey = make_upright(grey, orientation)
    return Signature(phash_of(grey), thumb_of(grey), width, height, capture, gps, quality)


def signature_of_bytes(data: bytes) -> Signature | None:
    """The signature of an image file's bytes, or None when it cannot be decoded."""
    try:
        with large_png_metadata(), Image.open(io.BytesIO(data)) as im:  # as the analysis does
            return signature_of_image(im, data)
    except Exception:  # an undecodable image simply has no signature
        return None


def signature_of_file(path: str) -> Signature | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return signature_of_bytes(data)
