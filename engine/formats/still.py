"""What a worker does with a still image's bytes: structural check, decode where needed, EXIF,
XMP and IPTC dates, and, for JPEGs, compression and lossless orientation fixing."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFile, IptcImagePlugin

from engine.dates.exif import ExifFacts, image_exif_facts, read_exif_facts
from engine.dates.iptc import iptc_date
from engine.dates.xmp import xmp_date
from engine.formats import bmff, exif_edit, imaging, jpeg, png
from engine.formats.compress import (
    Compressed,
    CompressOptions,
    compress_jpeg,
    estimate_quality,
    size_limit,
)
from engine.formats.kinds import HEIF_EXTENSIONS, extension
from engine.formats.orientation import needs_rotation
from engine.formats.rotate import (
    NotRotated,
    Rotated,
    complete_without_eoi,
    optimize_jpeg,
    orientation_resets,
    rotate_jpeg,
    rotate_png,
)
from engine.records import Analysis, DateSource, Status
from engine.settings import AnalyseOptions, FixOrientation, Verify

try:  # HEIC/HEIF (and AVIF) decoders register themselves with Pillow when present
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_DECODER = True
except ImportError:
    HEIF_DECODER = False
with contextlib.suppress(ImportError):
    import pillow_avif  # noqa: F401


# jpegtran's lossless rewrite saves 5-12 % on camera and phone JPEGs, rarely a quarter: a file
# that must shrink more than this goes straight to the re-encode.
LOSSLESS_SAVES_AT_MOST = 0.3
Dates = list[tuple[DateSource, dt.datetime | None]]


@dataclass(slots=True)
class Output:
    """Bytes to place instead of the original (re-encoded or turned upright)."""

    data: bytes


def inspect_photo(
    data: bytes, result: Analysis, options: AnalyseOptions, compress: CompressOptions
) -> tuple[list[tuple[DateSource, dt.datetime | None]], dt.datetime | None, Output | None]:
    """Fill ``result`` with what the bytes say; return the dates the file's own metadata gives
    for when the picture was taken (EXIF, XMP, IPTC, in precedence order), EXIF's IFD0
    DateTime (when the file was last changed), and any new bytes to place."""
    structure, exif_blob, problem, png_xmp = _structure(data)
    if structure is not None and structure.ends_in_last_scan and complete_without_eoi(data):
        return _without_eoi(structure, result)
    if problem:
        result.status, result.reason = Status.CORRUPT, problem
        # A damaged photo's camera date still tells it from a damaged thumbnail.
        return [(DateSource.EXIF, _damaged_date(data, exif_blob))], None, None
    unchecked = jpeg.undecodable(structure) if structure is not None else None
    if structure is not None and unchecked is not None:
        return _undecodable_jpeg(structure, unchecked, result)
    # JPEG and PNG are checked by their structure; other formats are rare enough in an archive
    # that decoding them in full is the simplest sound check.
    full = options.verify is Verify.FULL or (
        structure is None and not data.startswith(png.SIGNATURE)
    )
    with imaging.bomb_limit(options.max_pixels):
        im = _open(data, result, full)
        if im is None:
            return [(DateSource.EXIF, _damaged_date(data, exif_blob))], None, None
        facts = read_exif_facts(exif_blob) if exif_blob else _facts_of(im, data)
        _take_facts(result, facts)
        if _xmp_turns(structure, result, exif_blob):
            assert structure is not None
            result.orientation = exif_edit.xmp_orientation(structure.xmp)
        if im.format in ("HEIF", "AVIF"):
            result.orientation = None
        xmp_packet = structure.xmp if structure is not None else png_xmp or im.info.get("xmp")
        dates = _capture_dates(facts, xmp_packet)
        if structure is not None:
            dates.append((DateSource.IPTC, _iptc(im)))
        output = None
        if structure is not None:
            result.original_quality = estimate_quality(im)
            if compress.enabled and len(data) > compress.above:
                turn = options.fix_orientation is not FixOrientation.NONE
                turn = turn and _tag_resets(structure, result)
                output = _compress(data, structure, im, result, compress, turn)
        if result.status is Status.PLACED and output is None:
            output = _fix_orientation(data, structure, im, result, options.fix_orientation)
    return dates, facts.modified, output


def _xmp_turns(
    structure: jpeg.JpegStructure | None, result: Analysis, exif_blob: bytes | None
) -> bool:
    """Whether a JPEG's orientation is XMP's tiff:Orientation: as Pillow and exiftool read
    it, where EXIF has no Orientation at all."""
    return (
        structure is not None
        and result.orientation is None
        and exif_edit.read_orientation(exif_blob or b"") is None
    )


def _take_facts(result: Analysis, facts: ExifFacts) -> None:
    result.orientation = facts.orientation
    if facts.problem:
        result.note = "; ".join(n for n in (result.note, facts.problem) if n)
    result.camera, result.position, result.gps_time = facts.camera, facts.position, facts.gps_time


def _capture_dates(facts: ExifFacts, xmp_packet: object) -> Dates:
    dates: Dates = [(DateSource.EXIF, facts.date), *((DateSource.EXIF, d) for d in facts.others)]
    if isinstance(xmp_packet, bytes | str):
        found = xmp_date(xmp_packet)
        dates.append((DateSource.XMP, found[0] if found else None))
    return dates


def _undecodable_jpeg(
    structure: jpeg.JpegStructure, kind: str, result: Analysis
) -> tuple[Dates, dt.datetime | None, None]:
    """A JPEG whose structure is sound but whose samples the imaging library cannot decode
    (12-bit, lossless: medical and scientific cameras): placed as it is, never compressed or
    turned, dated from its EXIF and XMP (and later sources) as any photo; its note says so."""
    result.format = "JPEG"
    facts = read_exif_facts(structure.exif) if structure.exif else ExifFacts()
    _take_facts(result, facts)
    note = f"{kind}: its pixels could not be checked (the imaging library cannot decode it); "
    note += "placed as it is, never compressed or turned"
    result.note = "; ".join(n for n in (result.note, note) if n)
    return _capture_dates(facts, structure.xmp), facts.modified, None


def _without_eoi(
    structure: jpeg.JpegStructure, result: Analysis
) -> tuple[Dates, dt.datetime | None, None]:
    """A JPEG whose image data is whole but that has no end-of-image marker (written by a
    program that left it out): every viewer shows it whole, so it is placed as it is (never
    compressed or turned: a rewrite would change more than the photo's bytes) with a note."""
    result.format = "JPEG"
    facts = read_exif_facts(structure.exif) if structure.exif else ExifFacts()
    _take_facts(result, facts)
    note = "no end-of-image marker, but its image data is complete: placed as it is"
    result.note = "; ".join(n for n in (result.note, note) if n)
    return _capture_dates(facts, structure.xmp), facts.modified, None


def unreadable_heif(name: str) -> bool:
    """A HEIF file we cannot judge, because no decoder is installed."""
    return not HEIF_DECODER and extension(name) in HEIF_EXTENSIONS


def _structure(
    data: bytes,
) -> tuple[jpeg.JpegStructure | None, bytes | None, str | None, bytes | None]:
    """Structural check by content: JPEG markers to EOI, PNG chunks and CRCs, HEIF boxes; the
    EXIF block found, the problem, and a PNG's XMP packet (the imaging library reads none
    written after the image data)."""
    if data.startswith(jpeg.SOI):
        structure = jpeg.check_jpeg(data)
        return structure, structure.exif, structure.problem, None
    if data.startswith(png.SIGNATURE):
        found = png.check_png(data)
        return None, found.exif, found.problem, found.xmp
    if bmff.is_bmff(data):
        return None, None, bmff.bmff_problem(data), None
    return None, None, None, None


def _open(data: bytes, result: Analysis, full: bool) -> Image.Image | None:
    try:
        im = Image.open(io.BytesIO(data))
        result.format = im.format
        if full:
            _load(im, data, result)
        return im
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        result.reason = imaging.bomb_reason(exc)
    except Image.UnidentifiedImageError:
        result.reason = "not a recognisable image"
    except Exception as exc:
        result.reason = imaging.text_bomb_reason(exc) or (
            f"image data does not decode: {type(exc).__name__}: {exc}"
        )
    result.status = Status.CORRUPT
    return None


def _load(im: Image.Image, data: bytes, result: Analysis) -> None:
    """Decode the pixels. A failure in what the imaging library does once they have decoded
    (``load_end``: reading EXIF sub-directories, applying the orientation) is a note, not
    corruption; the pixels are then decoded again without that step, so that an error in the
    pixel data still counts."""
    try:
        im.load()
        return
    except Exception as exc:
        if not isinstance(im, ImageFile.ImageFile) or im.tile:
            raise
        note = f"metadata not fully read after the pixels decoded ({type(exc).__name__}: {exc})"
    again = Image.open(io.BytesIO(data))
    again.load_end = lambda: None  # type: ignore[method-assign]
    again.load()
    result.note = note[:200]


def _damaged_date(data: bytes, exif_blob: bytes | None) -> dt.datetime | None:
    """The camera date of an image whose pixels do not decode: from its EXIF block where the
    structural check found one (JPEG, PNG), else where its header still opens (a HEIC's EXIF
    item, a TIFF's directory)."""
    if exif_blob:
        return read_exif_facts(exif_blob).date
    try:
        return _facts_of(Image.open(io.BytesIO(data)), data).date
    except Exception:
        return None


def _facts_of(im: Image.Image, data: bytes) -> ExifFacts:
    if data.startswith((jpeg.SOI, png.SIGNATURE)):
        return ExifFacts()
    return image_exif_facts(im)


def _iptc(im: Image.Image) -> dt.datetime | None:
    try:
        info: Mapping[tuple[int, int], Any] | None = IptcImagePlugin.getiptcinfo(im)  # type: ignore[arg-type]
        return iptc_date(info)
    except Exception:
        return None


def _compress(
    data: bytes,
    structure: jpeg.JpegStructure,
    im: Image.Image,
    result: Analysis,
    options: CompressOptions,
    turn: bool,
) -> Output | None:
    """Rewrite a large JPEG losslessly, else re-encode it, turned upright if ``turn``."""
    orientation = result.orientation if turn else None
    limit = size_limit(len(data), options)
    lossless = None
    if limit >= len(data) * (1 - LOSSLESS_SAVES_AT_MOST):
        lossless = optimize_jpeg(data, structure, orientation, im.size)
    if lossless is not None and len(lossless.data) <= limit:
        result.compressed, result.rotated, result.quality = True, lossless.rotated, None
        if lossless.note:
            result.note = "; ".join(n for n in (result.note, lossless.note) if n)
        return Output(lossless.data)
    outcome = compress_jpeg(data, structure, im, orientation, options)
    result.encodes = outcome.encodes
    if not isinstance(outcome, Compressed):
        if outcome.decode_failed:
            result.status, result.reason = Status.CORRUPT, outcome.reason
        else:
            result.note = outcome.reason
        return None
    result.compressed = True
    result.rotated = needs_rotation(orientation)
    result.quality = outcome.quality
    if outcome.scale < 1.0:
        result.note = f"downscaled to {outcome.size[0]}x{outcome.size[1]} to reach the target"
    return Output(outcome.data)


_TAG_STAYS = "orientation kept as a tag: its EXIF block cannot be edited to say upright"


def _tag_resets(structure: jpeg.JpegStructure, result: Analysis) -> bool:
    """Whether a JPEG's Orientation can be set to 1 once its pixels are turned; if not (the
    note says so), turning them would have every viewer turn the photo a second time."""
    if not needs_rotation(result.orientation) or orientation_resets(structure.exif):
        return True
    if _TAG_STAYS not in (result.note or ""):
        result.note = "; ".join(n for n in (result.note, _TAG_STAYS) if n)
    return False


def _fix_orientation(
    data: bytes,
    structure: jpeg.JpegStructure | None,
    im: Image.Image,
    result: Analysis,
    fix: FixOrientation,
) -> Output | None:
    orientation = result.orientation
    if fix is FixOrientation.NONE or not needs_rotation(orientation):
        return None
    assert orientation is not None
    outcome: Rotated | NotRotated
    if structure is not None:
        if not _tag_resets(structure, result):
            return None
        outcome = rotate_jpeg(data, structure, orientation, im.size)
    elif fix is not FixOrientation.ALL:
        return None
    elif getattr(im, "n_frames", 1) > 1:
        outcome = NotRotated("orientation kept as a tag: an animation is never re-encoded")
    elif im.format == "PNG":
        outcome = rotate_png(data, im, orientation)
    else:
        outcome = NotRotated(
            f"orientation kept as a tag: {im.format} cannot be turned without re-encoding"
        )
    if isinstance(outcome, NotRotated):
        result.note = "; ".join(n for n in (result.note, outcome.reason) if n)
        return None
    result.rotated = True
    return Output(outcome.data)
