"""Which imaging library runs (Pillow-SIMD or the Pillow fallback), and its safety limits."""

from __future__ import annotations

import importlib.metadata as metadata
import warnings

from PIL import Image

DEFAULT_MAX_PIXELS = 200_000_000


def imaging_library() -> str:
    """Name and version of the Pillow distribution that provides ``PIL``."""
    for name in ("pillow-simd", "pillow"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return f"PIL {Image.__version__} (unknown distribution)"


def is_simd() -> bool:
    return imaging_library().startswith("pillow-simd")


def configure(max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Treat images above ``max_pixels`` as decompression bombs (an error, not a warning)."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
