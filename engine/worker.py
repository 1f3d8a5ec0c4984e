"""The per-file work done in the pool: read once, hash, check, read EXIF, date, compress.

A worker returns small ``Analysis`` records and never decides where a file goes.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field, replace

import xxhash
from PIL import Image

from engine import imaging, jpeg, png
from engine.compress import Compressed, CompressOptions, compress_jpeg, estimate_quality
from engine.filename_dates import date_from_filename
from engine.metadata import ExifFacts, image_exif_facts, read_exif_facts
from engine.orientation import needs_rotation
from engine.records import Analysis, Candidate, DateSource, Status
from engine.rotate import NotRotated, Rotated, rotate_jpeg, rotate_png


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    compress: CompressOptions | None = field(default_factory=CompressOptions)
    compress_above: int = 3_000_000
    verify_full: bool = False
    stage_dir: str | None = None  # None: dry run, nothing is written
    max_pixels: int = imaging.DEFAULT_MAX_PIXELS
    fix_orientation: str = "jpeg"  # none, jpeg, all
    path_map: tuple[tuple[str, str], ...] = ()  # (as the coordinator sees it, as workers do)


def translate(path: str, path_map: tuple[tuple[str, str], ...]) -> str:
    """A coordinator path as a worker on another host sees it (``--path-map``)."""
    for ours, theirs in path_map:
        if path == ours or path.startswith(ours.rstrip("/") + "/"):
            return theirs.rstrip("/") + path[len(ours.rstrip("/")) :]
    return path


def content_hash(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def _read(path: str) -> bytes:
    with open(path, "rb", buffering=0) as handle:
        return handle.read()


def _structure_problem(data: bytes) -> tuple[str | None, jpeg.JpegStructure | None, bytes | None]:
    """Structural check by content: JPEG markers to EOI, PNG chunks and CRCs."""
    if data.startswith(jpeg.SOI):
        structure = jpeg.check_jpeg(data)
        return structure.problem, structure, structure.exif
    if data.startswith(png.SIGNATURE):
        found = png.check_png(data)
        return found.problem, None, found.exif
    return None, None, None


def analyze(root: str, candidate: Candidate, options: WorkerOptions) -> Analysis:
    result = Analysis(candidate.rel, candidate.size, candidate.mtime_ns)
    try:
        data = _read(os.path.join(root, candidate.rel))
    except FileNotFoundError:
        result.status, result.reason = Status.ERROR, "vanished before it could be read"
        return result
    except OSError as exc:
        result.status, result.reason = Status.ERROR, f"cannot read: {exc.strerror or exc}"
        return result
    result.size = len(data)
    result.hash = content_hash(data)
    if not data:
        result.status, result.reason = Status.CORRUPT, "empty file (0 bytes)"
        return result
    try:
        _inspect(data, result, options)
    except Exception as exc:  # a last resort: one odd file must never stop the run
        result.status = Status.ERROR
        result.reason = f"unexpected {type(exc).__name__} while analysing: {exc}"[:300]
    return result


def _open(data: bytes, result: Analysis, full: bool) -> Image.Image | None:
    try:
        im = Image.open(io.BytesIO(data))
        result.format = im.format
        if full:
            im.load()
        return im
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        result.reason = f"decompression bomb: {exc}"
    except Image.UnidentifiedImageError:
        result.reason = "not a recognisable image"
    except Exception as exc:
        result.reason = f"image data does not decode: {type(exc).__name__}: {exc}"
    result.status = Status.CORRUPT
    return None


def _inspect(data: bytes, result: Analysis, options: WorkerOptions) -> None:
    problem, structure, exif_blob = _structure_problem(data)
    if problem:
        result.status, result.reason = Status.CORRUPT, problem
        return
    # JPEG and PNG are checked by their structure; other formats are rare enough in an archive
    # that decoding them in full is the simplest sound check.
    full = options.verify_full or (structure is None and not data.startswith(png.SIGNATURE))
    with imaging.bomb_limit(options.max_pixels):
        im = _open(data, result, full)
        if im is None:
            return
        facts = read_exif_facts(exif_blob) if exif_blob else _facts_of(im, data)
        _date(result, facts)
        result.orientation = facts.orientation
        if facts.problem:
            result.note = facts.problem
        if structure is not None:
            result.original_quality = estimate_quality(im)
            if options.compress is not None and len(data) > options.compress_above:
                _compress(data, structure, im, result, options)
        if result.status is Status.PLACED and not result.compressed:
            _fix_orientation(data, structure, im, result, options)


def _facts_of(im: Image.Image, data: bytes) -> ExifFacts:
    if data.startswith((jpeg.SOI, png.SIGNATURE)):
        return ExifFacts()
    return image_exif_facts(im)


def _date(result: Analysis, facts: ExifFacts) -> None:
    when = facts.date
    source = DateSource.EXIF
    if when is None:
        when = date_from_filename(os.path.basename(result.rel))
        source = DateSource.FILENAME
    if when is None:
        return
    result.year, result.date, result.date_source = when.year, when.isoformat(), source


def _compress(
    data: bytes,
    structure: jpeg.JpegStructure,
    im: Image.Image,
    result: Analysis,
    options: WorkerOptions,
) -> None:
    assert options.compress is not None
    outcome = compress_jpeg(data, structure, im, result.orientation, options.compress)
    result.encodes = outcome.encodes
    if not isinstance(outcome, Compressed):
        if outcome.decode_failed:
            result.status, result.reason = Status.CORRUPT, outcome.reason
        else:
            result.note = outcome.reason
        return
    result.compressed = True
    result.rotated = needs_rotation(result.orientation)
    result.quality = outcome.quality
    if outcome.scale < 1.0:
        result.note = f"downscaled to {outcome.size[0]}x{outcome.size[1]} to reach the target"
    _stage_output(result, outcome.data, options)


def _fix_orientation(
    data: bytes,
    structure: jpeg.JpegStructure | None,
    im: Image.Image,
    result: Analysis,
    options: WorkerOptions,
) -> None:
    orientation = result.orientation
    if options.fix_orientation == "none" or not needs_rotation(orientation):
        return
    assert orientation is not None
    outcome: Rotated | NotRotated
    if structure is not None:
        outcome = rotate_jpeg(data, structure, orientation, im.size)
    elif options.fix_orientation != "all":
        return
    elif im.format == "PNG":
        outcome = rotate_png(im, orientation)
    else:
        outcome = NotRotated(
            f"orientation kept as a tag: {im.format} cannot be turned without re-encoding"
        )
    if isinstance(outcome, NotRotated):
        result.note = _join(result.note, outcome.reason)
        return
    result.rotated = True
    _stage_output(result, outcome.data, options)


def _join(*notes: str | None) -> str:
    return "; ".join(n for n in notes if n)


def _stage_output(result: Analysis, data: bytes, options: WorkerOptions) -> None:
    result.bytes_out = len(data)
    result.out_hash = content_hash(data)
    if options.stage_dir is not None:
        result.staged = stage(options.stage_dir, result, data)


def stage(stage_dir: str, result: Analysis, data: bytes) -> str:
    """Write compressed bytes into the staging folder (same filesystem as DEST)."""
    name = f"{result.out_hash}-{xxhash.xxh3_64_hexdigest(os.fsencode(result.rel))}.jpg"
    final = os.path.join(stage_dir, name)
    part = final + ".part"
    with open(part, "wb") as handle:
        handle.write(data)
    os.replace(part, final)
    return name


def process_batch(
    batch_id: int, root: str, candidates: list[Candidate], options: WorkerOptions
) -> tuple[int, list[Analysis]]:
    if options.path_map:
        root = translate(root, options.path_map)
        if options.stage_dir is not None:
            options = replace(options, stage_dir=translate(options.stage_dir, options.path_map))
    return batch_id, [analyze(root, candidate, options) for candidate in candidates]
