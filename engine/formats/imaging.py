"""Which imaging library runs (Pillow-SIMD or the Pillow fallback), and its safety limits."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.metadata as metadata
import os
import re
import warnings
from collections.abc import Iterator

DEFAULT_MAX_PIXELS = 200_000_000


def imaging_library() -> str:
    """Name and version of the Pillow distribution that provides ``PIL``. scripts/setup installs
    Pillow-SIMD under the name "pillow" with the local version "+simd": it says pillow-simd."""
    for name in ("pillow-simd", "pillow"):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        if version.endswith("+simd"):
            return f"pillow-simd {version.removesuffix('+simd')}"
        return f"{name} {version}"
    from PIL import Image  # here: the writer names the library without importing it

    return f"PIL {Image.__version__} (unknown distribution)"


def uses_simd() -> bool:
    return imaging_library().startswith("pillow-simd ")


@functools.cache
def quiet_libtiff() -> bool:
    """Stop libtiff printing its warnings and errors on the process's stderr, the terminal a run
    shows its progress on (a damaged fax TIFF makes hundreds of ``Fax3Decode2D`` lines): Pillow
    raises each error that matters, and the file's reason says it. Every libtiff the process has
    loaded is quieted (another library may bring its own beside Pillow's, and which one is
    Pillow's the file names do not say); the system's where none is. True once done; False
    where Pillow has no libtiff, or it cannot be reached."""
    from PIL import _imaging  # noqa: F401  # loads the libtiff Pillow decodes with

    quieted = [_quiet(path) for path in _loaded("libtiff")]
    return any(quieted) or any(_quiet(path) for path in ("libtiff.so.6", "libtiff.so.5"))


def _quiet(path: str) -> bool:
    """Unset the warning and error handlers of the libtiff at ``path``; False if it cannot."""
    try:
        libtiff = ctypes.CDLL(path)  # the library already loaded there, where it is
        libtiff.TIFFSetWarningHandler.restype = ctypes.c_void_p
        libtiff.TIFFSetErrorHandler.restype = ctypes.c_void_p
        libtiff.TIFFSetWarningHandler(None)
        libtiff.TIFFSetErrorHandler(None)
    except (OSError, AttributeError):
        return False
    return True


def _loaded(prefix: str) -> list[str]:
    """The files of the shared libraries named ``prefix*`` this process has loaded."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split(None, 5)[-1].strip() for line in maps if prefix in line}
    except OSError:
        return []
    return sorted(p for p in paths if os.path.basename(p).startswith(prefix))


@contextlib.contextmanager
def bomb_limit(max_pixels: int = DEFAULT_MAX_PIXELS) -> Iterator[None]:
    """Within the block, images above ``max_pixels`` raise (a bomb is an error, not a warning).
    Other warnings go on to the caller (the worker records them in the file's note)."""
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings(), large_png_metadata():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


@contextlib.contextmanager
def large_png_metadata() -> Iterator[None]:
    """Within the block, a PNG metadata chunk may inflate to more than Pillow's 1 MB, as in a
    sound PNG carrying a calibrated display's ICC profile or Photoshop's bloated XMP; Pillow's
    64 MB for all the text of a file still bounds what it holds."""
    from PIL import PngImagePlugin

    saved = PngImagePlugin.MAX_TEXT_CHUNK
    PngImagePlugin.MAX_TEXT_CHUNK = max(saved, PngImagePlugin.MAX_TEXT_MEMORY)
    try:
        yield
    finally:
        PngImagePlugin.MAX_TEXT_CHUNK = saved


_PIXELS = re.compile(r"\((\d+) pixels\)")


_TEXT_BOMB = (
    "Decompressed data too large for PngImagePlugin",
    "Too much memory used in text chunks",
)


def text_bomb_reason(error: Exception) -> str | None:
    """Why a PNG was refused for the text its metadata chunks inflate to (Pillow's own message
    names a setting, not the file's fault); None for any other error."""
    if not isinstance(error, ValueError) or not str(error).startswith(_TEXT_BOMB):
        return None
    from PIL import PngImagePlugin

    limit = PngImagePlugin.MAX_TEXT_MEMORY // (1 << 20)
    return f"decompression bomb: its text metadata inflates to more than {limit} MiB"


def bomb_reason(error: Exception) -> str:
    """Why an image was refused as a decompression bomb, with the limit in force (Pillow's own
    message names twice the limit when the image is more than twice too large)."""
    size = _PIXELS.search(str(error))
    pixels = f"{int(size.group(1)):,} pixels" if size else "too many pixels"
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    return f"decompression bomb: {pixels}, above the limit of {limit:,} pixels (--max-pixels)"
