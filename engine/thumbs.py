"""Small JPEG thumbnails for the HTML report, made by the workers while the image is in memory
(undated and corrupt photos, so that a person can see what they are)."""

from __future__ import annotations

import contextlib
import io
import os

from PIL import Image, ImageFile, ImageOps

SIZE = (256, 256)


def thumbnail_path(thumbs_dir: str, content_hash: str) -> str:
    return os.path.join(thumbs_dir, f"{content_hash}.jpg")


def make_thumbnail(data: bytes, path: str, damaged: bool = False) -> bool:
    """Write a thumbnail of ``data`` to ``path``; False when nothing can be shown."""
    if os.path.exists(path):
        return True
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = damaged  # show what a truncated file still holds
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (SIZE[0] * 2, SIZE[1] * 2))
            im.thumbnail(SIZE, Image.Resampling.BILINEAR)
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
