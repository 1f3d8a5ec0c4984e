"""Making images upright without losing quality: JPEGs by a lossless DCT-domain transform
(libjpeg-turbo's ``jpegtran -perfect``), PNGs by turning their (losslessly stored) pixels."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from engine.dates.exif import read_exif_facts
from engine.formats import exif_edit, jpeg, png
from engine.formats.orientation import make_upright, needs_rotation, swaps_axes

JPEGTRAN_OPS: dict[int, list[str]] = {
    2: ["-flip", "horizontal"],
    3: ["-rotate", "180"],
    4: ["-flip", "vertical"],
    5: ["-transpose"],
    6: ["-rotate", "90"],
    7: ["-transverse"],
    8: ["-rotate", "270"],
}

# Which sides of the stored image a lossless turn needs in whole MCUs (width, height): the
# edge of partial MCUs that the turn would move (libjpeg's jtransform_perfect_transform).
_WHOLE_MCUS: dict[int, tuple[bool, bool]] = {
    2: (True, False),
    3: (True, True),
    4: (False, True),
    5: (False, False),
    6: (False, True),
    7: (True, True),
    8: (True, False),
}


@dataclass(slots=True)
class Rotated:
    data: bytes


@dataclass(slots=True)
class NotRotated:
    reason: str


def jpegtran() -> str | None:
    return shutil.which("jpegtran")


@dataclass(slots=True)
class Optimized:
    """A JPEG rewritten without loss: same pixels, smaller entropy coding."""

    data: bytes
    rotated: bool
    note: str | None = None


def optimize_jpeg(
    data: bytes, structure: jpeg.JpegStructure, orientation: int | None, size: tuple[int, int]
) -> Optimized | None:
    """``jpegtran -optimize -progressive -copy all``: Huffman tables optimised for the image and
    progressive coding, every metadata segment kept; turned upright in the same pass where the
    orientation asks and the turn is lossless. None when it cannot be done."""
    if structure.trailing or structure.has_mpf or structure.late_metadata:
        return None
    tool = jpegtran()
    if tool is None:
        return None
    command = [tool, "-copy", "all", "-optimize", "-progressive"]
    note = None
    if needs_rotation(orientation):
        assert orientation is not None
        turned = None
        if turns_losslessly(structure, orientation, size):
            turned = _run([*command, "-perfect", *JPEGTRAN_OPS[orientation]], data)
        if turned is not None:
            upright = (size[1], size[0]) if swaps_axes(orientation) else size
            return Optimized(_reset_orientation(turned, upright, orientation), True)
        note = "orientation kept as a tag: a lossless turn is impossible for this image"
    out = _run(command, data)
    return None if out is None else Optimized(out, False, note)


def complete_without_eoi(data: bytes) -> bool:
    """Whether a JPEG that ends inside its last scan holds all its image data, only the
    end-of-image marker missing: with the marker added, jpegtran reads every coefficient
    without a single warning (``-strict``); a file cut short runs out of data first."""
    tool = jpegtran()
    if tool is None:
        return False
    done = run_bounded([tool, "-strict", "-copy", "none"], data + b"\xff\xd9")
    return done.returncode == 0 and bool(done.stdout)


def turns_losslessly(
    structure: jpeg.JpegStructure, orientation: int, size: tuple[int, int]
) -> bool:
    """Whether ``jpegtran -perfect`` can turn the image: False when its frame header shows
    an edge of partial MCUs the turn would move (jpegtran refuses it only after starting)."""
    if structure.mcu is None:
        return True
    need_width, need_height = _WHOLE_MCUS[orientation]
    mcu_width, mcu_height = structure.mcu
    width_ok = not need_width or size[0] % mcu_width == 0
    height_ok = not need_height or size[1] % mcu_height == 0
    return width_ok and height_ok


def _not_whole_blocks(size: tuple[int, int]) -> NotRotated:
    return NotRotated(
        f"orientation kept as a tag: {size[0]}x{size[1]} is not a whole number of "
        "JPEG blocks, so a lossless rotation is impossible"
    )


def _run(command: list[str], data: bytes) -> bytes | None:
    done = run_bounded(command, data)
    return done.stdout if done.returncode == 0 and done.stdout else None


JPEGTRAN_SECONDS = 120.0  # a 12 MP photo takes about 0.14 s; a stuck or runaway one is stopped


def run_bounded(command: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` on ``data``; killed after ``JPEGTRAN_SECONDS`` (then a message on
    stderr says so). The limit is a timer thread, not ``subprocess.run(timeout=...)``, which
    waits for the child with a polling sleep: about a millisecond on every call."""
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        stopped = threading.Event()

        def stop() -> None:
            stopped.set()
            process.kill()

        timer = threading.Timer(JPEGTRAN_SECONDS, stop)
        timer.start()
        try:
            out, err = process.communicate(data)
        finally:
            timer.cancel()
        if stopped.is_set():
            err = f"did not finish within {JPEGTRAN_SECONDS:g} s".encode()
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def rotate_jpeg(
    data: bytes, structure: jpeg.JpegStructure, orientation: int, size: tuple[int, int]
) -> Rotated | NotRotated:
    """Turn a JPEG upright losslessly and reset its Orientation tag, or say why not."""
    if structure.trailing or structure.has_mpf:
        return NotRotated("orientation kept as a tag: the file carries data after the image")
    if structure.late_metadata:
        return NotRotated("orientation kept as a tag: the file has metadata after the image data")
    if not turns_losslessly(structure, orientation, size):
        return _not_whole_blocks(size)
    tool = jpegtran()
    if tool is None:
        return NotRotated("orientation kept as a tag: jpegtran is not installed")
    command = [tool, "-perfect", "-copy", "all", "-optimize"]
    if structure.progressive:
        command.append("-progressive")
    done = run_bounded([*command, *JPEGTRAN_OPS[orientation]], data)
    if done.returncode != 0 or not done.stdout:
        if b"not perfect" in done.stderr:
            return _not_whole_blocks(size)
        message = done.stderr.decode("utf-8", "replace").strip()[:200]
        return NotRotated(f"orientation kept as a tag: jpegtran failed ({message})")
    upright = (size[1], size[0]) if swaps_axes(orientation) else size
    rotated = _reset_orientation(done.stdout, upright, orientation)
    if len(rotated) > len(data):  # a thumbnail encoded again may be what tips it
        rotated = _reset_orientation(done.stdout, upright, orientation, turn_thumbnail=False)
    if len(rotated) > len(data):
        return NotRotated("orientation kept as a tag: the rotated file would have been larger")
    return Rotated(rotated)


def orientation_resets(exif: bytes | None) -> bool:
    """Whether the in-place reset to Orientation 1 takes in a JPEG's EXIF block as the engine
    reads it (a block it cannot parse, such as one with its ``Exif`` header written twice, is
    left as it is, and would still say the photo needs turning)."""
    if not exif:
        return True
    patched = exif_edit.patch_exif(exif, orientation=1)
    return read_exif_facts(patched).orientation in (None, 1)


def _reset_orientation(
    data: bytes, size: tuple[int, int], orientation: int, turn_thumbnail: bool = True
) -> bytes:
    """Orientation 1 and the new dimensions in the EXIF block, its thumbnail turned by
    ``orientation`` (unlinked where that cannot be done, or without ``turn_thumbnail``);
    Orientation 1 in the XMP packet too."""
    structure = jpeg.check_jpeg(data)
    pieces = []
    done = 0
    exif_done = False
    for segment in structure.segments:
        start = segment.start + 4
        payload = data[start : segment.end]
        if segment.marker != 0xE1:
            continue
        if payload.startswith(jpeg.EXIF_HEADER) and not exif_done:
            exif_done = True
            patched = upright_exif(payload, size, orientation, turn_thumbnail)
        elif payload.startswith(jpeg.XMP_HEADER):
            patched = exif_edit.reset_xmp_orientation(payload)
        else:
            continue
        length = (len(patched) + 2).to_bytes(2, "big")
        pieces += [data[done : segment.start + 2], length, patched]
        done = segment.end
    return b"".join([*pieces, data[done:]])


def upright_exif(
    payload: bytes, size: tuple[int, int], orientation: int, turn_thumbnail: bool = True
) -> bytes:
    """An EXIF segment's payload for the image turned upright (to ``size``) by
    ``orientation``: Orientation 1, the new dimensions, and the thumbnail turned too; a
    thumbnail that cannot be turned (or would not fit the segment, or without
    ``turn_thumbnail``) is unlinked, never left the old way up."""
    dimensions = upright_dimensions(payload, size, swaps_axes(orientation))
    patched = exif_edit.patch_exif(payload, orientation=1, size=dimensions)
    small = exif_edit.thumbnail(patched) if turn_thumbnail else None
    for turned in _turned_thumbnails(small, orientation) if small else ():
        replaced = exif_edit.replace_thumbnail(patched, turned)
        if replaced is not None and len(replaced) + 2 <= 0xFFFF:
            return replaced
    return exif_edit.patch_exif(payload, orientation=1, size=dimensions, drop_thumbnail=True)


def upright_dimensions(payload: bytes, size: tuple[int, int], swaps: bool) -> tuple[int, int]:
    """The pixel dimensions an EXIF block should give once its picture is turned upright to
    ``size``: that size where the block gave the stored picture's (either way round, as
    cameras and phones differ); else the block's own, the camera's picture that the file was
    made smaller than since, turned the same way (exiftool derives the sensor size, and so the
    35 mm equivalent focal length, from them)."""
    stored = (size[1], size[0]) if swaps else size
    camera = exif_edit.pixel_dimensions(payload)
    if camera is None or camera in (stored, size):
        return size
    return (camera[1], camera[0]) if swaps else camera


# Cameras often leave a byte or more after the thumbnail, or write it mid-block, so a turned
# one must fit in the old one's place: each quality is a smaller try (a preview, never the photo).
_THUMBNAIL_QUALITIES = (90, 75, 60)


def _turned_thumbnails(small: bytes, orientation: int) -> Iterator[bytes]:
    """A JPEG thumbnail turned upright, best first: losslessly where its blocks allow (with
    optimised Huffman tables, which most cameras' thumbnails lack), else decoded, turned and
    encoded again at falling qualities."""
    if not small.startswith(jpeg.SOI):
        return
    tool = jpegtran()
    if tool is not None:
        ops = JPEGTRAN_OPS[orientation]
        turned = _run([tool, "-copy", "none", "-perfect", "-optimize", *ops], small)
        if turned is not None:
            yield turned
    try:
        with Image.open(io.BytesIO(small)) as im:
            upright = make_upright(im, orientation)
            upright.load()
    except Exception:  # a thumbnail that does not decode is unlinked instead
        return
    for quality in _THUMBNAIL_QUALITIES:
        buffer = io.BytesIO()
        try:
            upright.save(buffer, "JPEG", quality=quality)
        except Exception:  # a mode JPEG cannot hold: unlinked instead
            return
        yield buffer.getvalue()


def rotate_png(data: bytes, im: Image.Image, orientation: int) -> Rotated | NotRotated:
    """Turn a PNG's pixels upright and write it again (PNG is lossless): its EXIF block keeps
    every byte but Orientation (1) and the dimensions, and its other metadata chunks (text and
    XMP, colour space, modification time) are carried over."""
    if png.wide_colour(data):
        return NotRotated(
            "orientation kept as a tag: a 16-bit colour PNG would be written at 8 bits"
        )
    try:
        im.load()
        upright = make_upright(im, orientation)
        exif = _upright_exif(data, im, upright.size, swaps_axes(orientation))
        params: dict[str, object] = {"exif": exif}
        for key in ("icc_profile", "dpi", "transparency"):
            if key in im.info:
                params[key] = im.info[key]
        for optimize in (False, True):  # zlib's best only when the quick one is not enough
            out = _png_bytes(upright, optimize, params, _carried_chunks(data, True))
            if png.storage(out) != png.storage(data):
                out = _png_bytes(upright, optimize, params, _carried_chunks(data, False))
            if len(out) <= len(data):
                return Rotated(out)
    except Exception as exc:
        return NotRotated(f"orientation kept as a tag: cannot rewrite the PNG ({exc})")
    return NotRotated("orientation kept as a tag: the rotated file would have been larger")


def _upright_exif(data: bytes, im: Image.Image, size: tuple[int, int], swaps: bool) -> bytes:
    """The PNG's own EXIF block with Orientation 1 and the upright dimensions (every other
    byte kept), or, where that edit cannot be made, the block as the imaging library rewrites it."""
    blob = png.check_png(data).exif
    if blob:
        dimensions = upright_dimensions(blob, size, swaps)
        patched = exif_edit.patch_exif(blob, orientation=1, size=dimensions)
        if exif_edit.read_orientation(patched) == 1:
            return patched
    exif = im.getexif()
    exif[0x0112] = 1
    return exif.tobytes()


def _png_bytes(im: Image.Image, optimize: bool, params: dict[str, object], info: PngInfo) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "PNG", optimize=optimize, pnginfo=info, **params)
    return buffer.getvalue()


# What the encoder writes itself: the pixels, palette, transparency, ICC profile, resolution
# and EXIF. Of the rest, the chunks that do not depend on how the pixels are stored are carried,
# and those that do (background, significant bits, palette histogram) where it stores them alike.
_CARRIED_CHUNKS = {b"cHRM", b"cICP", b"gAMA", b"sRGB", b"tIME"}
_STORAGE_CHUNKS = {b"bKGD", b"sBIT", b"hIST"}


def _carried_chunks(data: bytes, same_storage: bool) -> PngInfo:
    info = PngInfo()
    for kind, body in png.chunks(data):
        if kind in png.TEXT_CHUNKS:
            if png.raw_profile_exif(kind, body) is None:  # that one becomes the eXIf chunk
                text = png.edit_text(kind, body, exif_edit.reset_xmp_orientation)
                if text is None:
                    raise ValueError(
                        f"its compressed {kind.decode()} text does not inflate, so an XMP "
                        "orientation in it could not be reset"
                    )
                info.add(kind, text)
        elif _carried(kind, same_storage):
            info.add(kind, body)
    return info


def _carried(kind: bytes, same_storage: bool) -> bool:
    private_safe_to_copy = kind[1:2].islower() and kind[3:4].islower()
    return (
        kind in _CARRIED_CHUNKS
        or (same_storage and kind in _STORAGE_CHUNKS)
        or private_safe_to_copy
    )
