"""The per-file work done in the pool: read once, hash, check, date, compress.

Photos are read whole into memory (hash, structure, EXIF and compression all from that one
buffer); videos are hashed in chunks and dated from their container; RAW files are read whole
and dated from their embedded EXIF. The files that travel with a main file (sidecars, a RAW
beside a JPEG, a Live Photo video) are hashed here too, and their dates are used when the main
file has none. A worker returns small ``Analysis`` records and never decides where a file goes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace

import xxhash

from engine import imaging
from engine.compress import CompressOptions
from engine.dating import date_from_folders, date_from_mtime, first_date
from engine.filename_dates import date_from_filename
from engine.fsops import hash_stream
from engine.media import extension
from engine.photo import Output, PhotoOptions, inspect_photo, unreadable_heif
from engine.raw import raw_date
from engine.records import Analysis, Candidate, CompanionResult, DateSource, Status
from engine.takeout import takeout_date
from engine.thumbs import make_thumbnail, thumbnail_path
from engine.xmp import xmp_date

_SIDECAR_READ_LIMIT = 4_000_000  # sidecars are read for their dates only up to this size


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    compress: CompressOptions | None = field(default_factory=CompressOptions)
    compress_above: int = 3_000_000
    verify_full: bool = False
    stage_dir: str | None = None  # None: dry run, nothing is written
    max_pixels: int = imaging.DEFAULT_MAX_PIXELS
    fix_orientation: str = "jpeg"  # none, jpeg, all
    path_map: tuple[tuple[str, str], ...] = ()  # (as the coordinator sees it, as workers do)
    date_from_folder: bool = False
    date_from_mtime: bool = False
    thumbs_dir: str | None = None  # where thumbnails of undated and corrupt photos go
    similar: bool = False  # compute the near-duplicate signature (engine.similar)

    def photo(self) -> PhotoOptions:
        return PhotoOptions(
            self.compress,
            self.compress_above,
            self.verify_full,
            self.max_pixels,
            self.fix_orientation,
        )


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


def analyze(root: str, candidate: Candidate, options: WorkerOptions) -> Analysis:
    result = Analysis(candidate.rel, candidate.size, candidate.mtime_ns)
    try:
        dates, output, photo = _analyze_main(
            os.path.join(root, candidate.rel), candidate, result, options
        )
    except FileNotFoundError:
        result.status, result.reason = Status.ERROR, "vanished before it could be read"
        return result
    except OSError as exc:
        result.status, result.reason = Status.ERROR, f"cannot read: {exc.strerror or exc}"
        return result
    except Exception as exc:  # a last resort: one odd file must never stop the run
        result.status = Status.ERROR
        result.reason = f"unexpected {type(exc).__name__} while analysing: {exc}"[:300]
        return result
    if result.status is Status.ERROR:
        return result
    dates += _companion_dates(root, candidate, result)
    dates.append((DateSource.FILENAME, date_from_filename(os.path.basename(candidate.rel))))
    if options.date_from_folder:
        dates.append((DateSource.FOLDER, date_from_folders(candidate.rel)))
    if options.date_from_mtime:
        dates.append((DateSource.MTIME, date_from_mtime(candidate.mtime_ns)))
    chosen = first_date(dates)
    if chosen is not None:
        source, when = chosen
        result.year, result.date, result.date_source = when.year, when.isoformat(), source
    if output is not None and result.status is Status.PLACED:
        _stage_output(result, output.data, options)
    if options.similar and photo and result.status is Status.PLACED:
        from engine.similar.signature import signature_of_bytes

        result.similar = signature_of_bytes(photo)
    if photo and options.thumbs_dir is not None and result.hash is not None:
        # A person will want to see the photos set aside and the ones nothing could date.
        corrupt = result.status is Status.CORRUPT
        if corrupt or result.year is None:
            make_thumbnail(photo, thumbnail_path(options.thumbs_dir, result.hash), corrupt)
    return result


def _analyze_main(
    path: str, candidate: Candidate, result: Analysis, options: WorkerOptions
) -> tuple[list[tuple[DateSource, dt.datetime | None]], Output | None, bytes | None]:
    """Dates found inside the file, new bytes to place if any, and a photo's bytes."""
    if candidate.kind == "video":
        result.hash, size, _ = hash_stream(path)
        if _changed(result, size, candidate.size):
            return [], None, None
        return _video_dates(path, result), None, None
    data = _read(path)
    result.hash = content_hash(data)
    if _changed(result, len(data), candidate.size):
        return [], None, None
    if not data:
        result.status, result.reason = Status.CORRUPT, "empty file (0 bytes)"
        return [], None, None
    if candidate.kind == "raw":
        result.format = extension(candidate.rel).lstrip(".").upper()
        return [(DateSource.EXIF, raw_date(data))], None, None
    dates, output = inspect_photo(data, result, options.photo())
    if result.status is Status.CORRUPT and unreadable_heif(candidate.rel):
        result.status, result.reason = Status.PLACED, None
        result.note = "HEIF not checked: no HEIF decoder is installed (pillow-heif)"
    return dates, output, data


def _changed(result: Analysis, read: int, planned: int) -> bool:
    if read == planned:
        return False
    result.status = Status.ERROR
    result.reason = f"changed since the scan ({planned} bytes then, {read} now); run again"
    return True


def _video_dates(path: str, result: Analysis) -> list[tuple[DateSource, dt.datetime | None]]:
    from engine import video

    if not video.available():
        result.note = "videos are not dated from their container: MediaInfo is not installed"
        return []
    when, tag, recognised = video.video_facts(path)
    if not recognised and result.size:
        result.status, result.reason = Status.CORRUPT, "not a recognisable video"
    elif not result.size:
        result.status, result.reason = Status.CORRUPT, "empty file (0 bytes)"
    result.format = "video"
    if tag:
        result.note = f"dated from {tag}"
    return [(DateSource.QUICKTIME, when)]


def _companion_dates(
    root: str, candidate: Candidate, result: Analysis
) -> list[tuple[DateSource, dt.datetime | None]]:
    """Hash every companion; collect the dates its sidecars carry (Takeout first, then XMP)."""
    takeout: dt.datetime | None = None
    xmp: dt.datetime | None = None
    for companion in candidate.companions:
        item = CompanionResult(companion.rel, companion.size, companion.mtime_ns)
        result.companions.append(item)
        ext = extension(companion.rel)
        keep = _SIDECAR_READ_LIMIT if ext in (".json", ".xmp") else 0
        try:
            item.hash, size, head = hash_stream(os.path.join(root, companion.rel), keep)
        except OSError as exc:
            item.error = f"cannot read: {exc.strerror or exc}"
            continue
        if size != companion.size:
            item.error = f"changed since the scan ({companion.size} bytes then, {size} now)"
            continue
        if ext == ".json" and takeout is None:
            takeout = takeout_date(head)
        elif ext == ".xmp" and xmp is None:
            found = xmp_date(head)
            xmp = found[0] if found else None
    return [(DateSource.TAKEOUT, takeout), (DateSource.XMP_SIDECAR, xmp)]


def _stage_output(result: Analysis, data: bytes, options: WorkerOptions) -> None:
    result.bytes_out = len(data)
    result.out_hash = content_hash(data)
    if options.stage_dir is not None:
        result.staged = stage(options.stage_dir, result, data)


def stage(stage_dir: str, result: Analysis, data: bytes) -> str:
    """Write new bytes into the staging folder (on DEST's filesystem) under a unique name."""
    name = f"{result.out_hash}-{xxhash.xxh3_64_hexdigest(os.fsencode(result.rel))}"
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
        options = replace(
            options,
            stage_dir=options.stage_dir and translate(options.stage_dir, options.path_map),
            thumbs_dir=options.thumbs_dir and translate(options.thumbs_dir, options.path_map),
        )
    return batch_id, [analyze(root, candidate, options) for candidate in candidates]
