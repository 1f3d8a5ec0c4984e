"""Small JPEG thumbnails for the HTML report, made by the workers while the image is in memory
(undated and corrupt photos, so that a person can see what they are, and a sample of the
others for the report's year view)."""

from __future__ import annotations

import contextlib
import io
import os

from PIL import Image, ImageFile, ImageOps

SIZE = (256, 256)
SAMPLE_SIZE = (160, 160)  # the year view's contact sheets: many small pictures


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
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (size[0] * 2, size[1] * 2))
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
