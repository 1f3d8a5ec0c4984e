"""The per-file work done in the pool: read once, hash, check, date, compress.

Photos are read whole into memory (hash, structure, EXIF and compression all from that one
buffer); videos are hashed in chunks and dated from their container; RAW files are read whole
and dated from their embedded EXIF. The files that travel with a main file (sidecars, a RAW
beside a JPEG, a Live Photo video) are hashed here too, and their dates rank below the capture
dates inside the main file. Every date source looked at gives one entry of date evidence (dated
or not); ``resolve_date`` (engine/policy/date_precedence.py) picks the file's date from it. A
worker returns small ``Analysis`` records and never decides where a file goes.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
import warnings
from collections import Counter
from dataclasses import dataclass, replace

import xxhash

from engine.dates import exiftool as exiftool_dates
from engine.dates.clock import (
    gps_evidence,
    is_clock_default,
    saved_before,
    weigh_clock_default,
)
from engine.dates.exif import read_exif_facts
from engine.dates.filename import filename_date
from engine.dates.folder import folder_dates, takeout_year
from engine.dates.mtime import date_from_mtime
from engine.dates.original import (
    APPLE,
    GOOGLE,
    EditNaming,
    OriginalDate,
    Taken,
    apple_original_date,
    apple_original_stem,
    edited_stem,
    first_ranked,
    original_date,
    placed_original,
)
from engine.dates.raw import raw_dates
from engine.dates.takeout import takeout_date, takeout_position
from engine.dates.timezone import file_zones, localize
from engine.dates.xmp import xmp_date
from engine.formats.bmff import file_problem
from engine.formats.imaging import quiet_libtiff
from engine.formats.jpeg import check_jpeg
from engine.formats.kinds import (
    RAW_EXTENSIONS,
    RAW_READ_LIMIT,
    SIDECAR_READ_LIMIT,
    VIDEO_EXTENSIONS,
    Kind,
    extension,
    still_inside,
    video_inside,
)
from engine.formats.still import Output, inspect_photo, unreadable_heif
from engine.formats.streams import container_problem, is_stream, riff_cut
from engine.formats.thumbs import SAMPLE_SIZE, make_thumbnail, thumbnail_path
from engine.policy.companions import own_sidecars
from engine.policy.date_precedence import (
    CAPTURE,
    is_future,
    outranks,
    resolve_date,
    without_future,
)
from engine.records import (
    Analysis,
    Candidate,
    Companion,
    CompanionResult,
    DateSource,
    Status,
    TzSource,
    noted,
    unread_companions,
)
from engine.report.jsonl import SMALL
from engine.settings import FixOrientation
from engine.stages.commit import RESERVE, free_bytes
from engine.stages.twins import BatchTwins, EarlierCopies
from engine.stages.work import SLOTS, WorkerOptions
from engine.store import fsops
from engine.store.fsops import hash_stream
from engine.store.journal import Journal

_BY_COMPANION = "dated by the file travelling with it (its RAW, video or .THM)"
_BY_SATELLITES = "dated by its GPS time stamp (UTC): the file holds no other capture date"
SAMPLE_PER_YEAR = 12  # year-view thumbnails a run makes per year, at most (a contact sheet)
# per process: year-view thumbnails made, by run and year (a pool outlives a run)
_sampled: Counter[tuple[str, int]] = Counter()
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL


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


Evidence = list[tuple[DateSource, dt.datetime | None]]


@dataclass(slots=True)
class Found:
    """What one file gave before its date is chosen (an exiftool batch may still add one):
    ``evidence`` holds one entry per date source looked at, dated or not, in no set order."""

    result: Analysis
    evidence: Evidence
    positions: list[tuple[float, float]]
    photo: bytes | None  # kept only until the file's date is settled
    is_photo: bool
    path: str
    weighed: Weighed | None = None  # ``evidence`` weighed against the run's start, once


@dataclass(slots=True)
class Weighed:
    """A file's date evidence with each date in the future taken out (``without_future``),
    the notes saying so, and its GPS date stamp as evidence (``gps_evidence``)."""

    evidence: Evidence
    future: list[str]
    satellites: tuple[DateSource, dt.datetime | None]
    passed: str | None  # why the stamp is passed over, if it is


def _weighed(found: Found, now: dt.datetime, exiftool_date: dt.datetime | None = None) -> Weighed:
    """``found``'s evidence weighed (with exiftool's date, where it gave one): once, when
    asked whether exiftool is needed, and kept for the file's date unless exiftool then dates
    it (its date is weighed with the rest: it silences the notes on future dates ranked below
    it, and the stamp's rollover is checked against it)."""
    if exiftool_date is None and found.weighed is not None:
        return found.weighed
    evidence, future = without_future([*found.evidence, (DateSource.EXIFTOOL, exiftool_date)], now)
    satellites, passed = gps_evidence(_stamp(found.result, now), evidence)
    weighed = Weighed(evidence, future, satellites, passed)
    if exiftool_date is None:
        found.weighed = weighed
    return weighed


def analyze(root: str, candidate: Candidate, options: WorkerOptions) -> Analysis:
    return analyze_all(root, [candidate], options)[0]


def analyze_all(root: str, candidates: list[Candidate], options: WorkerOptions) -> list[Analysis]:
    """Analyse every file; then ask exiftool, in one batch, about those nothing else dated.
    Only those wait for the batch, and without their bytes (a thumbnail re-reads the file)."""
    results: list[Analysis] = []
    undated: list[Found] = []
    twins = BatchTwins(root)
    earlier = _earlier_copies(options)
    for candidate in candidates:
        found = gather(root, candidate, options)
        twins.check(found if isinstance(found, Analysis) else found.result)
        if earlier is not None:
            earlier.check(found if isinstance(found, Analysis) else found.result, twins, root)
        if isinstance(found, Analysis):
            results.append(found)
        elif options.exiftool and _needs_exiftool(found, options):
            found.photo = None
            undated.append(found)
            results.append(found.result)
        else:
            results.append(_finish(found, None, options))
    if earlier is not None:
        earlier.close()
    if not undated:
        return results
    tool = exiftool_dates.shared()
    answer = tool.ask([f.path for f in undated]) if tool is not None else exiftool_dates.Answer()
    for found in undated:
        found.result.exiftool_missed = tool is None
        given_up = answer.given_up.get(found.path)
        if given_up is not None:
            note = f"not dated by exiftool: {given_up}"
            found.result.note = noted(found.result.note, note)
        _finish(found, answer.dates.get(found.path), options)
    return results


def _earlier_copies(options: WorkerOptions) -> EarlierCopies | None:
    if options.journal is None:
        return None
    return EarlierCopies(options.journal, options.run_id, options.dest)


def _needs_exiftool(found: Found, options: WorkerOptions) -> bool:
    weighed = _weighed(found, options.now)
    dated = outranks([*weighed.evidence, weighed.satellites], DateSource.EXIFTOOL)
    return found.result.status is Status.PLACED and not dated


def _stamp(result: Analysis, now: dt.datetime) -> dt.datetime | None:
    """The file's GPS date stamp, unless in the future of the run's ``now``."""
    gps = result.gps_time
    return None if gps is None or is_future(gps, now) else gps


def gather(root: str, candidate: Candidate, options: WorkerOptions) -> Found | Analysis:
    """Read one file and the files travelling with it: its ``Analysis`` so far and its date
    evidence, or a finished ``Analysis`` when it cannot be dated (vanished, unreadable,
    skipped). The warnings libraries raise on the way go in the file's note, not on the
    terminal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = _gather(root, candidate, options)
    _drop_unused_copies(found if isinstance(found, Analysis) else found.result, options)
    if caught:
        result = found if isinstance(found, Analysis) else found.result
        result.note = note_with_warnings(result.note, [str(w.message) for w in caught])
    return found


def note_with_warnings(note: str | None, messages: list[str]) -> str:
    """``note`` followed by each distinct warning once, the whole at most 500 characters."""
    parts = [note] if note else []
    for message in dict.fromkeys(" ".join(m.split()) for m in messages):
        parts.append(f"warning: {message}")
    return "; ".join(parts)[:500]


def _gather(root: str, candidate: Candidate, options: WorkerOptions) -> Found | Analysis:
    result = Analysis(candidate.rel, candidate.size, candidate.mtime_ns)
    path = os.path.join(root, candidate.rel)
    try:
        st = os.stat(path)  # before the read: any later change shows in the inode or ctime
        result.ino, result.ctime_ns = st.st_ino, st.st_ctime_ns
        if candidate.kind == Kind.SIDECAR:
            return _sidecar_alone(path, candidate, result, options)
        dates, output, photo, data = _analyze_main(path, candidate, result, options)
    except FileNotFoundError:
        result.status, result.reason = Status.ERROR, "vanished before it could be read"
    except OSError as exc:
        result.status, result.reason = Status.ERROR, f"cannot read: {exc.strerror or exc}"
    except Exception as exc:  # a last resort: one odd file must never stop the run
        result.status = Status.ERROR
        result.reason = f"unexpected {type(exc).__name__} while analysing: {exc}"[:300]
    if result.status in (Status.ERROR, Status.SKIPPED):
        result.companions = unread_companions(candidate)  # they share its fate
        return result
    positions = [result.position] if result.position else []
    undated = not any(
        when is not None and not is_clock_default(when) and not is_future(when, options.now)
        for source, when in dates
        if source in CAPTURE
    )
    if result.status is Status.CORRUPT:
        candidate = _free_originals(root, candidate, result, options)
    sidecar_dates, sidecar_positions = _companion_dates(root, candidate, result, options, undated)
    evidence = [*dates, *sidecar_dates]
    positions += sidecar_positions
    evidence += _original_dates(root, result, options, evidence, positions)
    evidence.append((DateSource.FILENAME, filename_date(os.path.basename(candidate.rel))))
    if options.analyse.date_from_folder:
        evidence += [(DateSource.FOLDER, when) for when in folder_dates(candidate.rel)]
    else:
        evidence += _takeout_folder_date(candidate)
    if options.analyse.date_from_mtime:
        evidence.append((DateSource.MTIME, date_from_mtime(candidate.mtime_ns)))
    if output is not None and result.status is Status.PLACED:
        _stage_output(result, output.data, options)
    if data is not None and result.staged is None and result.status in _PLACEABLE:
        stage_copy(result, path, data, options)
    if options.analyse.similar and photo and result.status is Status.PLACED:
        from engine.similar.signature import signature_of_bytes

        result.similar = signature_of_bytes(photo)
    return Found(result, evidence, positions, photo, photo is not None, path)


def _takeout_folder_date(candidate: Candidate) -> Evidence:
    """The year of the Takeout year folder (``Photos from 2015``) holding a file with no
    Takeout JSON: Takeout files a photo by the year Google Photos dated it (for one without a
    date of its own, the year it was uploaded), so it is the last resort. A file whose JSON
    holds no ``photoTakenTime`` is in its upload's year: that folder says nothing."""
    if any(extension(c.rel) == ".json" for c in candidate.companions):
        return []
    found = takeout_year(candidate.rel)
    return [(DateSource.FOLDER, found[1])] if found is not None else []


def _free_originals(
    root: str, candidate: Candidate, result: Analysis, options: WorkerOptions
) -> Candidate:
    """A corrupt photo's RAW or Live Photo video is the camera's own file, not a copy of the
    photo: each is analysed as a file of its own, with its own sidecars (``own_sidecars``),
    and when sound travels in ``result.companions`` as one to place alone. ``candidate`` is
    returned with the companions still travelling with the photo."""
    kinds = {c.rel: _own_kind(c.rel) for c in candidate.companions}
    if not any(kinds.values()):
        return candidate
    staying = list(candidate.companions)
    sidecars = [c for c in staying if kinds[c.rel] is None]
    for companion in candidate.companions:
        kind = kinds[companion.rel]
        if kind is None:
            continue
        names = own_sidecars(os.path.basename(companion.rel), kind, [_base(c) for c in sidecars])
        own = tuple(c for c in sidecars if _base(c) in names)
        single = Candidate(companion.rel, companion.size, companion.mtime_ns, kind, own)
        alone = _analysed_alone(root, single, options)
        if alone.status is not Status.PLACED:
            _discard_copies(alone, options)  # it stays with the photo, read again there
            continue
        photo = os.path.basename(candidate.rel)
        said = f"its photo {photo} is corrupt ({result.reason}); this file is sound: placed alone"
        alone.note = noted(said, alone.note)
        freed = f"its {_WHAT[kind]} {os.path.basename(companion.rel)} is sound: placed alone"
        result.note = noted(result.note, freed)
        item = CompanionResult(companion.rel, companion.size, companion.mtime_ns, alone.hash)
        item.ino, item.ctime_ns, item.alone = alone.ino, alone.ctime_ns, alone
        result.companions.append(item)
        staying = [c for c in staying if c is not companion and c not in own]
        sidecars = [c for c in sidecars if c not in own]
    return replace(candidate, companions=tuple(staying))


_WHAT = {Kind.RAW: "RAW", Kind.VIDEO: "video"}


def _own_kind(rel: str) -> Kind | None:
    ext = extension(rel)
    return Kind.RAW if ext in RAW_EXTENSIONS else Kind.VIDEO if ext in VIDEO_EXTENSIONS else None


def _base(companion: Companion) -> str:
    return os.path.basename(companion.rel)


def _analysed_alone(root: str, candidate: Candidate, options: WorkerOptions) -> Analysis:
    """``analyze`` of one file inside a worker's batch: exiftool, if needed, asked alone."""
    found = gather(root, candidate, options)
    if isinstance(found, Analysis):
        return found
    when = None
    if options.exiftool and _needs_exiftool(found, options):
        tool = exiftool_dates.shared()
        when = tool.ask([found.path]).dates.get(found.path) if tool is not None else None
    return _finish(found, when, options)


def _discard_copies(result: Analysis, options: WorkerOptions) -> None:
    """Remove the staged copies of a file, and of its companions, that will not be used."""
    if options.stage_dir is None:
        return
    items: list[Analysis | CompanionResult] = [result, *result.companions]
    for item in items:
        if item.copied is not None:
            fsops.remove_quietly(os.path.join(options.stage_dir, item.copied))
            item.copied = None


def _sidecar_alone(
    path: str, candidate: Candidate, result: Analysis, options: WorkerOptions
) -> Analysis:
    """A sidecar that follows a photo an earlier run placed (engine/commands/organize.py
    ``sidecars_following``): its bytes hashed and copied, nothing inspected or dated (it goes
    beside its photo)."""
    data = _read(path)
    result.hash = content_hash(data)
    if not _changed(result, len(data), candidate.size):
        stage_copy(result, path, data, options)
    return result


def _finish(found: Found, exiftool_date: dt.datetime | None, options: WorkerOptions) -> Analysis:
    result = found.result
    settled = _weighed(found, options.now, exiftool_date)
    evidence, satellites, passed = settled.evidence, settled.satellites, settled.passed
    if settled.future:
        said = "; ".join(settled.future)
        result.note = noted(result.note, said)
    gps = result.gps_time
    if gps is not None and is_future(gps, options.now):
        written = gps.replace(tzinfo=None).isoformat(sep=" ")
        passed = f"GPS date stamp {written} is in the future: not used"
    if passed is not None and not outranks(evidence, DateSource.GPS):
        result.note = noted(result.note, passed)
    # the GPS date stamp dates a photo whose camera date is a clock's default, or that has none
    chosen = resolve_date([*evidence, satellites])
    if chosen is not None:
        (source, when), weighed = weigh_clock_default(chosen, [*evidence, satellites])
        weighed = weighed or saved_before((source, when), evidence)
        if source is DateSource.GPS and chosen[0] is DateSource.GPS:
            weighed = _BY_SATELLITES
        # the stamp against the local time in the file's name: its zone, without a position
        zones = file_zones([*evidence, satellites], found.positions, result.gps_time)
        local, result.tz_source, note = localize(source, when, zones)
        result.year, result.date, result.date_source = local.year, local.isoformat(), source
        if source is DateSource.COMPANION:
            note = "; ".join(n for n in (_BY_COMPANION, note) if n)
        takeout = takeout_year(result.rel) if source is DateSource.FOLDER else None
        if takeout is not None and takeout[1] == when:
            said = f"dated by its Takeout folder {takeout[0]!r}: the year alone"
            note = "; ".join(n for n in (said, note) if n)
        note = "; ".join(n for n in (weighed, note) if n)
        if note:
            result.note = noted(result.note, note)
    if found.is_photo and options.thumbs_dir is not None and result.hash is not None:
        # A person will want to see the photos set aside and the ones nothing could date, and
        # a sample of each year's photos in the year view.
        corrupt = result.status is Status.CORRUPT
        year = None if corrupt else result.year
        target = thumbnail_path(options.thumbs_dir, result.hash)
        if year is not None and (
            os.path.exists(target)
            or not in_sample(
                result.hash,
                year,
                options.sample_rate,
                options.run_token,
                os.path.join(options.thumbs_dir, SLOTS, options.run_token),
            )
        ):
            return result
        photo = found.photo if found.photo is not None else _reread(found.path, result)
        if photo is not None:
            if year is not None:
                make_thumbnail(photo, target, size=SAMPLE_SIZE)
            else:
                make_thumbnail(photo, target, corrupt)
    return result


def in_sample(
    content_hash: str, year: int, rate: float, run: str = "", slots: str | None = None
) -> bool:
    """Whether a dated photo gets a year-view thumbnail: a share ``rate`` of photos chosen by
    their hash (spread over the archive, the same on every run), at most ``SAMPLE_PER_YEAR``
    per year in this process and, with ``slots`` (a folder every worker of the run sees), in
    the whole run: the contact sheet shows no more, and the workers get every year's photos."""
    if rate <= 0 or int(content_hash[:8], 16) >= rate * 0x1_0000_0000:
        return False
    if _sampled[run, year] >= SAMPLE_PER_YEAR:
        return False
    if slots is not None and not _take_slot(slots, year):
        _sampled[run, year] = SAMPLE_PER_YEAR  # the year is full: not asked again
        return False
    _sampled[run, year] += 1
    return True


def _take_slot(slots: str, year: int) -> bool:
    """One of the year's ``SAMPLE_PER_YEAR`` places on the contact sheet, taken by creating its
    file (no-replace, so one worker gets each, on any host); True when the folder cannot be
    written (each process then keeps to its own bound)."""
    try:
        os.makedirs(slots, exist_ok=True)
        for place in range(SAMPLE_PER_YEAR):
            try:
                os.close(os.open(os.path.join(slots, f"{year}-{place}"), _NEW_FILE, 0o644))
                return True
            except FileExistsError:
                continue
    except OSError:
        return True
    return False


def _reread(path: str, result: Analysis) -> bytes | None:
    """A file's bytes again, if they are still the ones analysed."""
    try:
        data = _read(path)
    except OSError:
        return None
    return data if content_hash(data) == result.hash else None


def _original_dates(
    root: str,
    result: Analysis,
    options: WorkerOptions,
    own: Evidence,
    positions: list[tuple[float, float]],
) -> Evidence:
    """An edited copy (``x-edited.jpg``, ``x-bearbeitet.jpg``, ...) beside its original takes
    the original's date; an iPhone edit (``IMG_E1234.*``) too, when neither it, its sidecars
    nor the files travelling with it (``own``) give a capture date (engine/dates/original.py),
    and, where none of its ``positions`` does, the time zone of its original's position. An
    original a move run took out of SOURCE first is read from DEST's journal, ranked with
    those still beside the edit."""
    path = os.path.join(root, result.rel)
    name = os.path.basename(result.rel)
    google = edited_stem(name) is not None
    found = original_date(path, options.now) if google else None
    apple = (
        found is None
        and apple_original_stem(name) is not None
        and not _capture_dated(own, result, options.now)
    )
    if apple:
        found = apple_original_date(path, options.now)
    journal = options.moved_journal or options.journal
    if (apple or google) and journal is not None:
        naming = GOOGLE if google else APPLE
        taken = _placed_original(root, result.rel, journal, naming)
        if taken is not None and os.path.lexists(os.path.join(root, taken.original)):
            taken = None  # still beside the edit: read there
        found = first_ranked(path, found, taken, naming) or found
    if found is None:
        return []
    if found.position is not None and result.position is None:
        result.position = found.position
    if found.when is not None:
        said = f"edited copy: dated by its original {os.path.basename(found.original)}"
        result.note = noted(result.note, said) if apple else said
        if apple and found.position is not None and not positions:
            positions.append(found.position)
    return [(DateSource.ORIGINAL, found.when)]


# The date sources of a placed original that ``apple_original_date`` would have read on disk
# (its EXIF, container or Takeout JSON, its GPS stamp, the Live Photo video of the same number,
# a clock's default with nothing else).
_ORIGINALS_OWN = frozenset(
    {
        DateSource.EXIF,
        DateSource.QUICKTIME,
        DateSource.TAKEOUT,
        DateSource.GPS,
        DateSource.COMPANION,
        DateSource.CLOCK_DEFAULT,
    }
)


# Of those, the ones Google's path reads beside a Google edit (``original_date``): no file
# travelling with the original (a video's container date is its JSON's: engine/dates/original.py).
_GOOGLE_READS = frozenset(
    {DateSource.EXIF, DateSource.TAKEOUT, DateSource.GPS, DateSource.CLOCK_DEFAULT}
)


def _placed_original(root: str, rel: str, path: str, naming: EditNaming) -> OriginalDate | None:
    """The date of an edit's original a move run took out of SOURCE (``rel``'s folder),
    as DEST's journal (at ``path``) holds it: this run placed it (read after the original: the
    journal names it before its source is gone), an earlier one, or one stopped after it."""
    try:
        journal = Journal.reader(path)
        try:
            stem = naming.stem_of(os.path.basename(rel)) or ""
            spellings = naming.spellings(stem)
            folder = os.path.dirname(rel)
            rows = journal.taken_dates_of(root, folder, spellings, not naming.first_dated)
        finally:
            journal.db.close()
    except (sqlite3.Error, OSError):
        return None
    read = _GOOGLE_READS if naming is GOOGLE else _ORIGINALS_OWN
    own = {source.value for source in read}  # an older journal's sources as written
    unknown = TzSource.NONE.value  # not NULL: an older journal's row, as it was read before
    positioned = (TzSource.GPS_POSITION.value, TzSource.GPS_TIME.value)
    by_exif = (DateSource.EXIF.value, DateSource.CLOCK_DEFAULT.value)
    placed = [
        Taken(r, when, source in own, zone != unknown, zone in positioned, at, source in by_exif)
        for r, when, source, zone, at in rows
    ]
    return placed_original(rel, placed, naming)


def _capture_dated(evidence: Evidence, result: Analysis, now: dt.datetime) -> bool:
    """Whether ``evidence`` or the file's GPS date stamp gives a capture date: one that is no
    camera clock's default and not in the future of ``now``."""
    return gps_evidence(_stamp(result, now))[0][1] is not None or any(
        when is not None and not is_clock_default(when) and not is_future(when, now)
        for source, when in evidence
        if source in CAPTURE
    )


def _analyze_main(
    path: str, candidate: Candidate, result: Analysis, options: WorkerOptions
) -> tuple[Evidence, Output | None, bytes | None, bytes | None]:
    """Dates found inside the file, new bytes to place if any, a photo's bytes, and the
    bytes of a file read whole (a video is streamed: its copy, if any, is made as it is read)."""
    if candidate.kind == "video" and not _photo_inside(path):
        result.hash, size, _, result.copied = hash_and_copy(
            path, candidate.rel, candidate.mtime_ns, candidate.size, options
        )
        if _changed(result, size, candidate.size):
            return [], None, None, None
        return _video_dates(path, result), None, None, None
    data = _read(path)
    result.hash = content_hash(data)
    if _changed(result, len(data), candidate.size):
        return [], None, None, None
    if not data:
        result.status, result.reason = Status.CORRUPT, "empty file (0 bytes)"
        return [], None, None, data
    if candidate.kind == "raw":
        result.format = extension(candidate.rel).lstrip(".").upper()
        shot, changed = raw_dates(data)
        return [(DateSource.EXIF, shot), (DateSource.EXIF_MODIFIED, changed)], None, None, data
    if candidate.kind == "video":
        return _misnamed_photo(data, candidate, result, options), None, data, data
    taken, modified, output = inspect_photo(data, result, options.analyse, options.compress)
    if result.status is Status.CORRUPT and video_inside(data[:12]):
        if not options.videos:
            result.status, result.note = Status.IGNORED, None
            result.reason = f"a video named as an image ({extension(candidate.rel)}; --no-videos)"
            return [], None, None, None
        return _misnamed_video(path, candidate, result), None, None, data
    if result.status is Status.CORRUPT and unreadable_heif(candidate.rel):
        result.status, result.reason = Status.PLACED, None
        result.note = "HEIF not checked: no HEIF decoder is installed (pillow-heif)"
    dated = (
        resolve_date(taken)
        or filename_date(os.path.basename(candidate.rel))
        or gps_evidence(result.gps_time)[0][1]
    )
    skip = size_skip_reason(candidate, options.analyse.min_size, dated is not None)
    if skip is not None and result.status in (Status.PLACED, Status.CORRUPT):
        result.status, result.reason, result.note = Status.SKIPPED, skip, None
        return [], None, None, None
    return [*taken, (DateSource.EXIF_MODIFIED, modified)], output, data, data


def _misnamed_video(path: str, candidate: Candidate, result: Analysis) -> Evidence:
    """A video under an image's name (an MP4 saved as ``.gif`` or ``.jpg``): placed byte for
    byte and dated as the video it is; set aside only when it is no sound video either."""
    result.status, result.reason, result.note = Status.PLACED, None, None
    evidence = _video_dates(path, result)
    if result.status is Status.PLACED:
        said = f"a video named as an image ({extension(candidate.rel)}): placed as it is"
        result.note = noted(said, result.note)
    return evidence


def _photo_inside(path: str) -> bool:
    with open(path, "rb", buffering=0) as handle:
        return still_inside(handle.read(12))


def _misnamed_photo(
    data: bytes, candidate: Candidate, result: Analysis, options: WorkerOptions
) -> Evidence:
    """A photo under a video's name (a JPEG saved as ``.avi``): checked and dated as the photo
    it is, placed byte for byte under its own name (never turned or compressed: the file stays
    as its owner left it, but for where it lives), with a note; set aside only when it is no
    sound photo either. Like any video, it is never skipped for its size."""
    as_it_is = replace(options.analyse, fix_orientation=FixOrientation.NONE)
    kept = replace(options.compress, enabled=False)
    taken, modified, _ = inspect_photo(data, result, as_it_is, kept)
    said = f"a photo named as a video ({extension(candidate.rel)})"
    if result.status is Status.PLACED:
        said += ": placed as it is"
    result.note = noted(said, result.note)
    return [*taken, (DateSource.EXIF_MODIFIED, modified)]


def size_skip_reason(candidate: Candidate, min_size: int, camera_dated: bool) -> str | None:
    """Why a photo is left behind for its size, or None: ``--min-size`` is for thumbnails,
    caches and web images, so a photo whose own metadata (or camera-style file name) says when
    it was taken, anything with a file travelling with it, a RAW or a video, and an empty file
    (corrupt) are never skipped."""
    if candidate.kind != "image" or candidate.companions or camera_dated:
        return None
    if not 0 < candidate.size < min_size:
        return None
    return f"{SMALL} ({candidate.size} < {min_size} bytes), no camera date"


def _changed(result: Analysis, read: int, planned: int) -> bool:
    if read == planned:
        return False
    result.status = Status.ERROR
    result.reason = f"changed since the scan ({planned} bytes then, {read} now); run again"
    return True


def _video_dates(path: str, result: Analysis) -> Evidence:
    from engine.dates import video

    cut = container_problem(path) if result.size and is_stream(path) else None
    if cut is not None:
        result.status, result.reason = Status.CORRUPT, f"truncated video (a copy cut short): {cut}"
        result.format = "video"
        return []
    if not video.available():
        result.note = "videos are not dated from their container: MediaInfo is not installed"
        return []
    facts = video.video_facts(path)
    when, tag, recognised = facts.date, facts.tag, facts.recognised
    result.position = facts.position
    if facts.truncated:
        result.status, result.reason = Status.CORRUPT, "truncated video (a copy cut short)"
    elif not recognised and result.size:
        result.status, result.reason = Status.CORRUPT, "not a recognisable video"
    elif not result.size:
        result.status, result.reason = Status.CORRUPT, "empty file (0 bytes)"
    result.format = "video"
    if tag:
        result.note = f"dated from {tag}"
    elif facts.unset:
        result.note = f"container date {facts.unset} is a clock never set: not a date"
    return [(DateSource.QUICKTIME, when)]


def _companion_dates(
    root: str, candidate: Candidate, result: Analysis, options: WorkerOptions, undated: bool
) -> tuple[Evidence, list[tuple[float, float]]]:
    """Hash every companion; collect the dates its sidecars carry (Takeout first, then XMP)
    and the position a Takeout JSON gives; for a photo ``undated`` by its own metadata, the
    capture date of the RAW or video travelling with it too."""
    takeout: dt.datetime | None = None
    positions: list[tuple[float, float]] = []
    xmp: dt.datetime | None = None
    travelling: dt.datetime | None = None
    for companion in candidate.companions:
        item = CompanionResult(companion.rel, companion.size, companion.mtime_ns)
        result.companions.append(item)
        ext = extension(companion.rel)
        keep = SIDECAR_READ_LIMIT if ext in (".json", ".xmp") else 0
        if undated and travelling is None and ext in (*RAW_EXTENSIONS, ".thm"):
            keep = RAW_READ_LIMIT
        path = os.path.join(root, companion.rel)
        try:
            st = os.stat(path)
            item.ino, item.ctime_ns = st.st_ino, st.st_ctime_ns
            item.hash, size, head, item.copied = hash_and_copy(
                path, companion.rel, companion.mtime_ns, companion.size, options, keep
            )
        except OSError as exc:
            item.error = f"cannot read: {exc.strerror or exc}"
            continue
        if size != companion.size:
            item.error = f"changed since the scan ({companion.size} bytes then, {size} now)"
            continue
        checked = ext in VIDEO_EXTENSIONS or (ext in RAW_EXTENSIONS and not item.size)
        if checked and result.status is Status.PLACED:
            _set_aside_if_cut(path, item, result)
            if item.alone is not None:
                continue
        if ext == ".json" and takeout is None:
            takeout = takeout_date(head)
            position = takeout_position(head)
            positions += [position] if position else []
        elif ext == ".xmp" and xmp is None:
            found = xmp_date(head)
            xmp = found[0] if found else None
        elif undated and travelling is None:
            travelling = _travelling_date(path, ext, head)
    return [
        (DateSource.TAKEOUT, takeout),
        (DateSource.XMP_SIDECAR, xmp),
        (DateSource.COMPANION, travelling),
    ], positions


def _set_aside_if_cut(path: str, item: CompanionResult, photo: Analysis) -> None:
    """A sound photo's Live Photo (or camera) video whose container proves it cut short (its
    boxes, an MPEG or ASF stream, an AVI's RIFF chunk): set aside on its own as corrupt
    (``item.alone``), as it would be standing alone; an empty one too (the 0-byte ``.MOV`` an
    interrupted import from an iPhone leaves), and an empty RAW (a card copy cut off), whose
    content is otherwise not checked."""
    try:
        if not item.size:
            cut = None
        elif is_stream(path):
            cut = container_problem(path)
        else:
            boxes = file_problem(path)
            cut = boxes if boxes and boxes.startswith("truncated") else riff_cut(path)
    except OSError:
        return
    if cut is None and item.size:
        return
    alone = Analysis(item.rel, item.size, item.mtime_ns, Status.CORRUPT, hash=item.hash)
    name = os.path.basename(photo.rel)
    why = f"truncated video (a copy cut short): {cut}" if cut else "empty file (0 bytes)"
    alone.reason = f"{why}; its photo {name} is sound"
    raw = extension(item.rel) in RAW_EXTENSIONS
    alone.format = extension(item.rel).lstrip(".").upper() if raw else "video"
    alone.copied, alone.ino, alone.ctime_ns = item.copied, item.ino, item.ctime_ns
    item.alone, item.copied = alone, None
    state = "cut short" if cut else "empty"
    said = f"its {'RAW' if raw else 'video'} {os.path.basename(item.rel)} is {state}: set aside"
    photo.note = noted(photo.note, said)


def _travelling_date(path: str, ext: str, head: bytes) -> dt.datetime | None:
    """The capture date of a RAW (its EXIF, in ``head``), a camera's ``.THM`` (the EXIF of
    the small JPEG a Canon or Nikon writes beside each of its videos) or a video (its
    container)."""
    if ext in RAW_EXTENSIONS:
        return raw_dates(head)[0]
    if ext == ".thm":
        exif = check_jpeg(head).exif
        return read_exif_facts(exif).date if exif else None
    if ext not in VIDEO_EXTENSIONS:
        return None
    from engine.dates import video

    facts = video.facts_if_readable(path)
    return facts.date if facts is not None else None


def _stage_output(result: Analysis, data: bytes, options: WorkerOptions) -> None:
    result.bytes_out = len(data)
    result.out_hash = content_hash(data)
    if options.stage_dir is None:
        return
    try:
        own = _own_folder(options.stage_dir, options.run_token)
        result.staged = stage(options.stage_dir, own, result, data, bool(options.path_map))
    except OSError as exc:
        # A photo placed unturned or unshrunk would differ from run to run: it waits instead.
        result.status = Status.ERROR
        why = "DEST is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "cannot write"
        result.reason = (
            f"{why}: its turned or re-encoded bytes could not be staged in DEST "
            f"({exc.strerror or exc}); run again"
        )


def stage(stage_dir: str, own: str, result: Analysis, data: bytes, durable: bool = False) -> str:
    """Write new bytes into the staging folder (on DEST's filesystem), in the process's ``own``
    folder there, under a unique name, with the source's mtime; fsync-free unless ``durable``
    (the placer's group sync covers it)."""
    name = f"{own}/{result.out_hash}-{xxhash.xxh3_64_hexdigest(os.fsencode(result.rel))}"
    final = os.path.join(stage_dir, name)
    part = final + ".part"
    fsops.remove_quietly(part)
    fsops.write_new(part, data, result.mtime_ns, durable)
    os.replace(part, final)
    return name


# What the placer writes to DEST: a sound photo, or a corrupt file to the corrupted folder.
_PLACEABLE = (Status.PLACED, Status.CORRUPT)


def _copies_to(options: WorkerOptions, size: int) -> str | None:
    """The staging folder to write a file's own bytes to, or None: a dry run, a move that
    renames, or a DEST without room for it (the placer then copies, and says DEST is full)."""
    if not options.copy_to_stage or options.stage_dir is None:
        return None
    try:
        # Twice the placer's reserve: several workers may pass this check at once.
        return options.stage_dir if free_bytes(options.stage_dir) >= size + 2 * RESERVE else None
    except OSError:
        return None


def _copy_name(rel: str, own: str) -> str:
    """A staging name no other copy has, in this run or a batch run twice (dask retries)."""
    return f"{own}/c-{xxhash.xxh3_64_hexdigest(os.fsencode(rel))}-{os.urandom(6).hex()}"


_own_folders: dict[tuple[int, str, str], str] = {}


def _own_folder(stage_dir: str, run: str) -> str:
    """This process's folder in the staging folder, made once: workers creating files side by
    side in one folder wait on its lock (with two workers on ext4, creating a file there took
    several times as long as alone, much of it spinning in the kernel)."""
    key = (os.getpid(), stage_dir, run)  # a pool outlives a run, which empties staging
    own = _own_folders.get(key)
    if own is None:
        own = f"w{os.getpid()}-{os.urandom(3).hex()}"
        os.makedirs(os.path.join(stage_dir, own), exist_ok=True)
        _own_folders[key] = own
    return own


def stage_copy(result: Analysis, path: str, data: bytes, options: WorkerOptions) -> None:
    """Put a file's own bytes into the staging folder, so that placing it is a rename: a
    reflink clone of ``path`` where the filesystem can make one (no bytes written; a source
    changed since the read shows in its inode or ctime when it is placed), else written from
    the very buffer that was hashed. A write that fails leaves the copy to the placer."""
    stage_dir = _copies_to(options, len(data))
    if stage_dir is None:
        return
    durable = bool(options.path_map)
    try:
        name = _copy_name(result.rel, _own_folder(stage_dir, options.run_token))
    except OSError:
        return
    target = os.path.join(stage_dir, name)
    try:
        result.cloned = fsops.clone_or_copy(path, target, data, None, result.mtime_ns, durable)
    except OSError:
        fsops.remove_quietly(target)
        result.cloned = False
        return
    result.copied = name


def hash_and_copy(
    path: str, rel: str, mtime_ns: int, size: int, options: WorkerOptions, keep: int = 0
) -> tuple[str, int, bytes, str | None]:
    """Hash a file in chunks as ``hash_stream`` does, copying it into the staging folder on
    the way when this run copies; the last item is the copy's staging name, if made."""
    stage_dir = _copies_to(options, size)
    if stage_dir is not None:
        try:
            name = _copy_name(rel, _own_folder(stage_dir, options.run_token))
            target = os.path.join(stage_dir, name)
            digest, read, head = fsops.copy_hashing(
                path, target, mtime_ns, keep, bool(options.path_map)
            )
            return digest, read, head, name
        except OSError:
            pass  # read again without copying: a source that cannot be read says so there
    return (*hash_stream(path, keep), None)


def _drop_unused_copies(result: Analysis, options: WorkerOptions) -> None:
    """Remove the copies of what will not be placed as its own bytes: a file skipped, in
    error or re-encoded, and the companions in error."""
    if options.stage_dir is None:
        return
    placeable = result.status in _PLACEABLE and result.staged is None
    if result.copied is not None and not placeable:
        fsops.remove_quietly(os.path.join(options.stage_dir, result.copied))
        result.copied = None
    for item in result.companions:
        if item.copied is not None and (item.error is not None or result.status not in _PLACEABLE):
            fsops.remove_quietly(os.path.join(options.stage_dir, item.copied))
            item.copied = None


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
    quiet_libtiff()
    results = analyze_all(root, candidates, options)
    if options.path_map:
        # Seen through another mount, inode numbers and ctimes need not match the coordinator's.
        for result in results:
            result.ino = result.ctime_ns = 0
            for item in result.companions:
                item.ino = item.ctime_ns = 0
    return batch_id, results
