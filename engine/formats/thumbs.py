"""Small JPEG thumbnails for the HTML report, made by the workers while the image is in memory
(undated and corrupt photos, so that a person can see what they are, and a sample of the
others for the report's year view). A camera JPEG whose EXIF thumbnail is checked to show its
very pixels (engine/similar/jpegfast.py) and is large enough gives the thumbnail without
decoding the photo (a 12 MP photo: 2-4 ms instead of 30-100 ms)."""

from __future__ import annotations

import contextlib
import io
import os

from PIL import ExifTags, Image, ImageFile, ImageOps

from engine.formats.imaging import large_png_metadata
from engine.formats.orientation import make_upright

SIZE = (256, 256)
SAMPLE_SIZE = (160, 160)  # the year view's contact sheets: many small pictures
_ORIENTATION = 0x0112
_THUMB_OFFSET = 513


def thumbnail_path(thumbs_dir: str, content_hash: str) -> str:
    return os.path.join(thumbs_dir, f"{content_hash}.jpg")


def make_thumbnail(
    data: bytes, path: str, damaged: bool = False, size: tuple[int, int] = SIZE
) -> bool:
    """Write a thumbnail of ``data`` to ``path``; False when nothing can be shown."""
    if os.path.exists(path):
        return True
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = damaged  # show what a truncated file still holds
    try:
        with large_png_metadata(), Image.open(io.BytesIO(data)) as im:
            small = None if damaged else _from_exif_thumbnail(im, data, size)
            if small is None:
                im.draft("RGB", size)  # the smallest DCT scale that still covers size
                im.thumbnail(size, Image.Resampling.BILINEAR)
                small = ImageOps.exif_transpose(im).convert("RGB")
        part = f"{path}.part"
        small.save(part, "JPEG", quality=70)
        os.replace(part, path)
        return True
    except Exception:
        with contextlib.suppress(OSError):
            os.unlink(f"{path}.part")
        return False
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _from_exif_thumbnail(im: Image.Image, data: bytes, size: tuple[int, int]) -> Image.Image | None:
    """The photo's trusted EXIF thumbnail turned upright and fitted to ``size``, when it is at
    least that large; None when the photo must be decoded."""
    if im.format not in ("JPEG", "MPO"):
        return None
    try:
        exif = im.getexif()
        if _THUMB_OFFSET not in exif.get_ifd(ExifTags.IFD.IFD1):
            return None
        orientation = exif.get(_ORIENTATION)
    except Exception:  # broken EXIF: no thumbnail to trust
        return None
    from engine.similar.jpegfast import trusted_thumbnail  # numpy: only for such photos

    picture = trusted_thumbnail(im, data, at_least=max(size))
    if picture is None:
        return None
    upright = make_upright(picture, orientation if isinstance(orientation, int) else None)
    upright.thumbnail(size, Image.Resampling.BILINEAR)
    return upright
