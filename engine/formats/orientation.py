"""EXIF Orientation values and the pixel transforms that make an image upright."""

from __future__ import annotations

from PIL import Image

TRANSFORMS: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def needs_rotation(orientation: int | None) -> bool:
    return orientation in TRANSFORMS


def make_upright(im: Image.Image, orientation: int | None) -> Image.Image:
    method = TRANSFORMS.get(orientation or 1)
    return im.transpose(method) if method is not None else im


def swaps_axes(orientation: int | None) -> bool:
    return orientation in (5, 6, 7, 8)
