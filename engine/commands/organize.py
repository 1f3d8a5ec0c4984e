"""One organize run, end to end: plan, analyse in the pool, decide, place, tidy, report."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import itertools
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from engine.errors import DiskFull, JournalError, NewerJournal, RunError
from engine.formats import imaging
from engine.formats.kinds import Kind
from engine.policy.actions import Action
from engine.policy.companions import Mains, sidecar_key
from engine.policy.date_precedence import run_start
from engine.policy.naming import Layout, template_folders
from engine.records import Analysis, Candidate, Companion, Decision, Finding, Status
from engine.report.console import PLAN_LINES_ON_TERMINAL, Output, plan_lines, print_plan
from engine.report.html import write_run_report
from engine.report.jsonl import append_error_log, write_report
from engine.report.summary import Summary
from engine.settings import (
    ENGINE_FOLDER,
    FixOrientation,
    Mode,
    Settings,
    placement_changes,
    top_folder,
)
from engine.signals import raise_pending_stop
from engine.sizes import format_size
from engine.stages import pool
from engine.stages import walk as planner
from engine.stages.commit import RESERVE, free_bytes
from engine.stages.decide import Coordinator, Folders
from engine.stages.place import Placer
from engine.stages.placers import PlacerPool
from engine.stages.recover import recover
from engine.stages.tidy import finish_pending, folder_map, placed_folders
from engine.stages.work import SLOTS as YEAR_SLOTS
from engine.stages.work import WorkerOptions
from engine.store import dest_names, fsops
from engine.store.dest_view import JournalView, gone_from, lost_copies, moved_within
from engine.store.fsops import same_device
from engine.store.journal import RUN_ROWS, Journal, PlacedPhoto

if TYPE_CHECKING:
    from engine.similar.flow import DateFlow
    from engine.similar.signature import Signature

META = ENGINE_FOLDER
JOURNAL = "journal.sqlite"
ERROR_LOG = "error_log.log"
YEAR_VIEW_SAMPLE = 1000  # thumbnails for the report's year view a run makes, about


@dataclass
class RunResult:
    run_id: int
    summary: Summary

    @property
    def exit_code(self) -> int:
        return 1 if _needs_attention(self.summary) else 0


def _needs_attention(summary: Summary) -> bool:
    """Errors, among the photos or the files travelling with them, or moved files whose
    source could not be removed."""
    error = Status.ERROR.value
    return bool(summary.counts.get(error) or summary.companions.get(error) or summary.sources_kept)


def left_to_do(
    candidate: Candidate, done: dict[str, tuple[int, int]]
) -> tuple[Candidate | None, list[str]]:
    """What of ``candidate`` is still to do (None: nothing) and which of its files an earlier
    run finished. A photo is done only with all its companions: one placed with the kept copy
    of a duplicate photo is journaled apart from it, so a crash can cut either off. A finished
    companion (same size and mtime: an XMP edited since is not) stays as it is; the photo is
    decided again with the others."""
    finished = [m.rel for m in candidate.companions if done.get(m.rel) == (m.size, m.mtime_ns)]
    rest = tuple(m for m in candidate.companions if m.rel not in finished)
    if done.get(candidate.rel) == (candidate.size, candidate.mtime_ns) and not rest:
        return None, [candidate.rel, *finished]
    if not finished:
        return candidate, finished
    return dataclasses.replace(candidate, companions=rest), finished


def _walked(candidates: list[Candidate], done: dict[str, tuple[int, int]]) -> Iterator[str]:
    """The files of ``candidates`` (companions too) that ``done`` has as they are now."""
    for c in candidates:
        files: list[Candidate | Companion] = [c, *c.companions]
        for m in files:
            if done.get(m.rel) == (m.size, m.mtime_ns):
                yield m.rel


def sidecars_following(
    journal: Journal, source: str, findings: list[Finding], done: dict[str, tuple[int, int]]
) -> dict[str, tuple[Candidate, PlacedPhoto]]:
    """The sidecars the walk found without their photo whose photo (same folder, the name the
    sidecar gives) an earlier run of this SOURCE placed: each is a candidate of its own, to
    follow that photo (``Coordinator``'s followers)."""
    orphans: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.reason in planner.ORPHANED and finding.rel not in done:
            orphans.setdefault(os.path.dirname(finding.rel), []).append(finding)
    following = {}
    done_names: dict[str, set[str]] | None = None
    for folder, sidecars in orphans.items():
        photos = journal.placed_photos_in(source, folder)
        if not photos:
            continue
        newest: dict[str, PlacedPhoto] = {}
        for photo in photos:  # newest run first
            newest.setdefault(os.path.basename(photo.rel), photo)
        mains = Mains(list(newest))
        for sidecar in sidecars:
            name = os.path.basename(sidecar.rel)
            owner = mains.owner(name)
            if owner is None and (owner := mains.version_owner(name)) is not None:
                # darktable's IMG_5_01.CR2.xmp is the IMG_5_01.CR2 an earlier run placed
                done_names = _names_done(done) if done_names is None else done_names
                owner = None if sidecar_key(name) in done_names.get(folder, ()) else owner
            if owner is None:
                continue
            try:
                st = os.lstat(os.path.join(source, sidecar.rel))
            except OSError:
                continue
            candidate = Candidate(sidecar.rel, st.st_size, st.st_mtime_ns, Kind.SIDECAR.value)
            following[sidecar.rel] = (candidate, newest[owner])
    return following


def _names_done(done: dict[str, tuple[int, int]]) -> dict[str, set[str]]:
    """The names (folded, ``sidecar_key`` of their ``.xmp``) of the files earlier runs of this
    SOURCE decided, by folder."""
    names: dict[str, set[str]] = {}
    for rel in done:
        folder, name = os.path.split(rel)
        names.setdefault(folder, set()).add(sidecar_key(name + ".xmp"))
    return names


def report_place_problem(report: str, source: str, dest: str) -> str | None:
    """Why the JSON Lines report cannot be written at ``report``: inside SOURCE (a photo
    there, or a file SOURCE never had), or in a folder of DEST (the archive's photos, the
    journal). DEST itself, where nothing is ever placed, will do."""
    real = os.path.realpath(report)
    real_source, real_dest = os.path.realpath(source), os.path.realpath(dest)
    if real.startswith(real_dest + os.sep):
        if os.path.dirname(real) == real_dest:
            return None
        return "a folder of DEST, which holds the archive and its journal: write it in DEST itself"
    if real.startswith(real_source + os.sep):
        return "SOURCE, which imgorg never writes to: write it outside SOURCE"
    return None


def photos_moved(
    journal: Journal,
    dest: str,
    following: dict[str, tuple[Candidate, PlacedPhoto]],
    moved: dict[str, str],
) -> None:
    """Add to ``moved`` where the user moved, within DEST, the photos that sidecars new in
    SOURCE follow (found under their name with their bytes, as a copy that is not lost is):
    DEST is walked only when such a photo is gone from its name."""
    names = sorted({photo.dest for _, photo in following.values()} - set(moved))
    gone = gone_from(dest, ((name, name) for name in names))
    if gone:
        moved.update(moved_within(dest, journal.bytes_at(gone), journal.holds_other))


def check_paths(settings: Settings) -> None:
    source, dest = settings.source, settings.dest
    if not os.path.exists(source):
        raise RunError(f"SOURCE does not exist: {source}")
    if not os.path.isdir(source):
        raise RunError(f"SOURCE is not a folder: {source}")
    real_source, real_dest = os.path.realpath(source), os.path.realpath(dest)
    if real_source == real_dest or (os.path.isdir(dest) and os.path.samefile(source, dest)):
        raise RunError("SOURCE and DEST are the same folder")
    managed = [
        META,
        *(
            top_folder(folder)
            for folder in (
                settings.folders.corrupted_folder,
                settings.folders.nodate_folder,
                settings.folders.duplicates_folder,
            )
        ),
    ]
    if real_source.startswith(real_dest + os.sep):
        inside = os.path.relpath(real_source, real_dest)
        top = inside.split(os.sep)[0]
        if top in managed or top.isdigit():
            raise RunError(f"SOURCE lies inside DEST's own {top}/ folder")
        placed = template_folders(settings.folders.layout)
        if placed and os.path.commonpath([inside, placed]) in (inside, placed):
            raise RunError(
                f"--layout {settings.folders.layout!r} places photos in DEST's {placed}/, and "
                "SOURCE lies there too: the next run would take the archive for new photos "
                "(a move run would set it aside as their duplicates). Choose a SOURCE outside "
                "that folder, or another --layout"
            )
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise RunError(f"DEST exists and is not a folder: {dest}")
    report = settings.run.report
    problem = report and report_place_problem(report, source, dest)
    if problem:
        raise RunError(f"the report {report} lies inside {problem}")


def check_source_removable(settings: Settings) -> None:
    """Move mode removes each source once it is placed: refuse up front a SOURCE where that
    cannot happen (files in a locked subfolder are reported one by one instead)."""
    source = settings.source
    if settings.run.mode is not Mode.MOVE or os.access(source, os.W_OK | os.X_OK):
        return
    read_only = os.statvfs(source).f_flag & os.ST_RDONLY
    why = "is on a read-only filesystem" if read_only else "is not writable by this user"
    raise RunError(
        f"move mode cannot remove files from SOURCE: it {why} ({source}). "
        "Use --mode copy, or make SOURCE writable."
    )


@contextlib.contextmanager
def dest_lock(meta: str) -> Iterator[None]:
    path = os.path.join(meta, "lock")
    try:
        handle = open(path, "a+")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise RunError(
            f"cannot take DEST's lock {path}: {exc.strerror}. Every command writes DEST's "
            "journal: make DEST writable (a read-only mount: remount it read-write)"
        ) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError("another imgorg run is using this DEST (its lock is held)") from None
        yield


def check_backend(settings: Settings) -> None:
    """--scheduler and --path-map steer dask workers: without --backend dask the run would
    go on the local pool, the flag silently ignored."""
    run = settings.run
    if run.backend == "dask":
        return
    for flag, value in (("--scheduler", run.scheduler), ("--path-map", run.path_map)):
        if value:
            raise RunError(f"{flag} is for --backend dask (add it, or drop {flag})")


def check_links(settings: Settings) -> None:
    """Hard links cannot cross filesystems (nor two mounts of one): say so before starting."""
    if settings.run.mode is Mode.HARDLINK and not same_device(settings.source, settings.dest):
        raise RunError(
            "--mode hardlink needs SOURCE and DEST on one filesystem (and one mount of it): "
            "hard links cannot cross them; --mode symlink can"
        )


def check_space(settings: Settings, todo: list[Candidate]) -> None:
    """Refuse to start when DEST cannot hold what the plan may write (before compression)."""
    if settings.run.mode.links:
        return  # links take no room for the bytes
    if settings.run.mode is Mode.MOVE and same_device(settings.source, settings.dest):
        return
    needed = sum(c.size + sum(m.size for m in c.companions) for c in todo) + RESERVE
    free = free_bytes(settings.dest)
    if needed > free:
        raise RunError(
            f"not enough free space in DEST: the plan may write {format_size(needed)} and "
            f"{format_size(free)} is free (compression may need less: --no-space-check "
            "skips this check; a full disk still stops the run cleanly)"
        )


@contextlib.contextmanager
def existing_journal(dest: str) -> Iterator[Journal]:
    """DEST's journal, locked against a concurrent run, for undo and verify."""
    meta = os.path.join(dest, META)
    path = os.path.join(meta, JOURNAL)
    if not os.path.isfile(path):
        raise RunError(f"no imgorg journal in {dest} (nothing was organized there)")
    with dest_lock(meta):
        journal = _open_journal(path)
        try:
            yield journal
        finally:
            journal.close()


def _open_journal(path: str) -> Journal:
    try:
        return Journal.open(path)
    except NewerJournal:
        raise
    except JournalError as exc:
        raise RunError(
            f"{exc}. Nothing was done. Move the journal aside (keep a copy) before running "
            "organize again: undo and verify need a readable journal"
        ) from exc


def _discard_unborn_journal(dest: str, path: str) -> None:
    """A 0-byte journal in a DEST holding nothing else is one whose creation was interrupted."""
    if (
        os.path.isfile(path)
        and os.path.getsize(path) == 0
        and not os.path.exists(path + "-wal")
        and os.listdir(dest) == [META]
    ):
        os.unlink(path)


def _prepare_dest(settings: Settings) -> str:
    meta = os.path.join(settings.dest, META)
    for own in (meta, os.path.join(meta, "staging"), os.path.join(meta, "thumbs")):
        refuse_non_folder(own)
    try:
        os.makedirs(meta, exist_ok=True)
        probe = os.path.join(meta, ".write-test")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as exc:
        raise RunError(f"DEST is not writable: {exc.strerror} ({settings.dest})") from exc
    return meta


def refuse_non_folder(path: str) -> None:
    """Refuse a DEST where imgorg's own folder ``path`` (or one inside it) is something else: a
    file, a link to nothing. What it holds may be the user's: it is never removed."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise RunError(
            f"{path} is not a folder, and imgorg keeps its journal and work there: "
            "move it aside, then run again"
        )


def source_as_journaled(journal: Journal, source: str) -> str:
    """The path under which DEST's journal knows the folder ``source``: the first earlier run's
    spelling of the same folder (reached through a symbolic link, a bind mount), else
    ``source``. A resume by another path then finds the files done, and undo takes the killed
    run and its resume as one SOURCE."""
    rows = journal.db.execute("SELECT source FROM runs GROUP BY source ORDER BY min(id)")
    for (spelled,) in rows:
        known = os.fsdecode(spelled)
        if known == source:
            return source
        with contextlib.suppress(OSError):
            if os.path.samefile(known, source):
                return known
    return source


def _with_journaled_source(settings: Settings, journal: Journal, output: Output) -> Settings:
    known = source_as_journaled(journal, settings.source)
    if known == settings.source:
        return settings
    output.message(f"SOURCE is the folder earlier runs named {known}: continuing under that name")
    return replace(settings, source=known)


def options_changed(journal: Journal, run_id: int, source: str, now: dict[str, Any]) -> list[str]:
    """A line for each earlier run whose placed files this run found done with other
    placement settings than its own: those files stay as that run made them."""
    lines = []
    for earlier, (count, before) in sorted(journal.placed_earlier_by_run(run_id, source).items()):
        changes = placement_changes(before, now)
        if changes:
            lines.append(
                f"{count} of them were placed by run {earlier} with other settings "
                f"({'; '.join(changes)}): they stay as that run placed them; this run's "
                "settings apply to the files it places (to place them anew, undo the runs "
                "down to that one, `imgorg undo` once for each, newest first, and run again)"
            )
    return lines


def only_linked_earlier(journal: Journal, run_id: int, source: str) -> int:
    """How many of the files run ``run_id`` found done are in DEST only as symbolic links an
    earlier run made: a copy or hardlink run takes them as done, yet DEST holds none of their
    bytes."""
    links = [action.value for action in Action if action.symbolic]
    row = journal.db.execute(
        f"SELECT count(*) FROM files WHERE {RUN_ROWS} AND run_id < ? AND state = 'done' "
        f"AND action IN ({', '.join('?' * len(links))})",
        (run_id, os.fsencode(source), run_id, *links),
    ).fetchone()
    return int(row[0])


def organize(settings: Settings, output: Output) -> RunResult:
    check_paths(settings)
    check_source_removable(settings)
    check_backend(settings)
    if settings.run.dry_run:
        with tempfile.TemporaryDirectory(prefix="imgorg-dry-run-") as scratch:
            copy = journal_copy(os.path.join(settings.dest, META), scratch)
            return _dry_run(settings, output, copy)
    meta = _prepare_dest(settings)
    check_links(settings)
    with dest_lock(meta):
        _discard_unborn_journal(settings.dest, os.path.join(meta, JOURNAL))
        journal = _open_journal(os.path.join(meta, JOURNAL))
        try:
            stage_dir = os.path.join(meta, "staging")
            still_in_source: list[Decision] = []  # earlier moves' sources that stay
            settled = recover(journal, settings.dest, stage_dir, still_in_source)
            finish_pending(settings.dest, journal)
            if settled:
                output.message(f"resumed: {settled} files of an interrupted run were complete")
            os.makedirs(stage_dir, exist_ok=True)
            views = Views(os.path.join(meta, "report.html"), os.path.join(meta, "thumbs"))
            os.makedirs(views.thumbs, exist_ok=True)
            _drop_year_slots(views)  # an interrupted run's
            settings = _with_journaled_source(settings, journal, output)
            return _run(settings, output, journal, stage_dir, views, journal.path, still_in_source)
        except KeyboardInterrupt:  # also before _run's own handler (during the walk, say)
            with contextlib.suppress(sqlite3.Error):
                journal.interrupt_last_run()
            raise
        finally:
            journal.close()


def _dry_run(settings: Settings, output: Output, journal_path: str | None) -> RunResult:
    try:
        journal = Journal.in_memory(journal_path)
    except JournalError as exc:
        real = os.path.join(settings.dest, META, JOURNAL)
        raise RunError(str(exc).replace(journal_path or real, real)) from exc
    try:
        # as the real run would find it, once the recovery of a killed run has settled it
        from engine.commands.preview import settle

        settle(journal, settings.dest)
        views = None
        plan_dir = settings.run.plan_dir
        if plan_dir:
            os.makedirs(os.path.join(plan_dir, "thumbs"), exist_ok=True)
            views = Views(os.path.join(plan_dir, "report.html"), os.path.join(plan_dir, "thumbs"))
        settings = _with_journaled_source(settings, journal, output)
        return _run(settings, output, journal, None, views, journal_path)
    finally:
        journal.close()


def journal_copy(meta: str, scratch: str) -> str | None:
    """A copy in ``scratch`` of DEST's journal (and its write-ahead log), for a dry run to read:
    SQLite opening even a read-only connection to a journal in WAL mode creates its -wal and
    -shm files beside it, and a dry run leaves DEST as it was. Copied under DEST's lock, when
    its lock file exists (taking it creates nothing), so no run changes the journal meanwhile.
    None when DEST has no journal."""
    path = os.path.join(meta, JOURNAL)
    if not os.path.isfile(path):
        return None
    copy = os.path.join(scratch, JOURNAL)
    with _lock_if_present(os.path.join(meta, "lock")):
        shutil.copyfile(path, copy)
        with contextlib.suppress(FileNotFoundError):
            shutil.copyfile(path + "-wal", copy + "-wal")
    return copy


@contextlib.contextmanager
def _lock_if_present(path: str) -> Iterator[None]:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError("another imgorg run is using this DEST (its lock is held)") from None
        yield
    finally:
        os.close(descriptor)


def _print_plan(settings: Settings, output: Output, journal: Journal, run_id: int) -> None:
    """A dry run prints its plan; on a terminal only the first lines, and where the rest is."""
    limit = PLAN_LINES_ON_TERMINAL if sys.stderr.isatty() else None
    full = settings.run.report
    if limit is not None and full is None:
        handle, full = tempfile.mkstemp(prefix="imgorg-plan-", suffix=".jsonl")
        os.close(handle)
        write_report(full, journal, run_id, settings.source, settings.folders.nodate_folder)
    decisions = journal.decisions(run_id, settings.source, by_folder=True)
    print_plan(output, plan_lines(decisions), limit, full)


def _drop_year_slots(views: Views | None) -> None:
    """The places on the year view's contact sheets the workers took (engine.stages.analyse
    ``in_sample``): they count only within a run."""
    if views is not None:
        shutil.rmtree(os.path.join(views.thumbs, YEAR_SLOTS), ignore_errors=True)


def _empty(stage_dir: str | None) -> None:
    """Remove what the run staged but did not use (the re-encodes of duplicates, say)."""
    if stage_dir is None or not os.path.isdir(stage_dir):
        return
    for entry in os.scandir(stage_dir):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            fsops.remove_quietly(entry.path)


def _kept_as_errors(kept: list[Decision]) -> list[Decision]:
    """Moved files whose source could not be removed, as lines for the error log (they stay
    ``placed`` in the journal and the report, with a note)."""
    lines = []
    for decision in kept:
        line = Decision(replace(decision.found), Status.ERROR, dest=decision.dest)
        line.reason = f"placed at {decision.dest}, but {decision.note}"
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Views:
    """Where the HTML report and the thumbnails it shows go."""

    html: str
    thumbs: str


def _similar_check() -> None:
    from engine.similar.index import available

    if not available():
        raise RunError(
            "--similar needs faiss, which is not installed: pip install 'imgorg[similar]'"
        )


def _date_flow(settings: Settings, journal: Journal) -> DateFlow | None:
    if not settings.analyse.similar:
        return None
    from engine.similar import store
    from engine.similar.flow import DateFlow

    store.ensure_schema(journal.db)  # once: each batch's signatures are saved as they arrive
    return DateFlow(settings.workers, journal.db)


def _save_signatures(journal: Journal, signatures: dict[str, Signature]) -> None:
    from engine.similar import store

    store.save(journal.db, signatures)


def _find_similar(settings: Settings, journal: Journal) -> str:
    """--similar: DEST grouped by the signatures the journal holds (this run's saved as each
    batch arrived)."""
    from engine.similar.command import find_similar

    folder = settings.run.plan_dir or os.path.join(settings.dest, META)
    report = os.path.join(folder, "similar.jsonl")
    set_aside = settings.analyse.similar == "set-aside" and not settings.run.dry_run
    found = find_similar(settings.dest, journal.db, settings.workers, report, set_aside)
    copies = sum(len(g.members) - 1 for g in found.groups)
    return (
        f"near-duplicates: {len(found.groups)} groups, {copies} lesser copies, "
        f"{len(found.moved)} files set aside ({report})"
    )


def copies_in_workers(settings: Settings) -> bool:
    """Whether the workers write each file's bytes into the staging folder, so the writer
    only renames: every real run except a move within one filesystem (that renames sources)."""
    if settings.run.dry_run or settings.run.mode.links:
        return False
    move = settings.run.mode is Mode.MOVE
    return not (move and same_device(settings.source, settings.dest))


def earlier_placed(
    settings: Settings, view: JournalView, run_id: int, journal: str | None
) -> dict[str, Any]:
    """What a worker needs to compare a file with the one an earlier run placed with the same
    hash (so that the writer reads neither): DEST's journal, when it has such files. Not for
    workers on other hosts: they would read it over a network filesystem, where SQLite's WAL
    does not work; the writer compares those files itself."""
    run = settings.run
    other_hosts = run.backend == "dask" and bool(run.scheduler or run.path_map)
    if other_hosts or not view.holds_placed_files or journal is None:
        return {}
    return {"journal": journal, "run_id": run_id, "dest": settings.dest}


def moved_journal(settings: Settings, journal: str | None) -> str | None:
    """DEST's journal for the workers of a move run on the writer's host, which take out of
    SOURCE originals whose edits a later batch reads (``WorkerOptions.moved_journal``)."""
    run = settings.run
    other_hosts = run.backend == "dask" and bool(run.scheduler or run.path_map)
    moves = run.mode is Mode.MOVE and not run.dry_run
    return journal if moves and not other_hosts else None


def placer_pool(settings: Settings) -> PlacerPool | None:
    """Processes that put each group commit's files in place while the writer decides the
    next: none when the run analyses in the writer's own process (``--jobs 1``) or writes
    nothing; one per eight workers, at most four (renames in one folder take turns anyway)."""
    if settings.run.dry_run or settings.workers <= 1 or os.environ.get("NOPL"):
        return None
    return PlacerPool(max(1, min(4, settings.workers // 8)))


def folder_times(source: str, candidates: Iterable[Candidate]) -> list[tuple[str, int]]:
    """The folders of SOURCE holding ``candidates``, and every folder above them, each with its
    modification time now (relative paths; SOURCE itself is ``""``)."""
    folders: set[str] = set()
    for candidate in candidates:
        folder = os.path.dirname(candidate.rel)
        while folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    times = []
    for folder in sorted(folders):
        with contextlib.suppress(OSError):
            times.append((folder, os.lstat(os.path.join(source, folder)).st_mtime_ns))
    return times


def _run(
    settings: Settings,
    output: Output,
    journal: Journal,
    stage_dir: str | None,
    views: Views | None,
    journal_path: str | None,
    still_in_source: list[Decision] | None = None,
) -> RunResult:
    """The run itself; ``journal_path`` is the file ``journal`` was read from (a dry run's
    private copy of DEST's), which the workers read too."""
    started = time.monotonic()
    source, dest = settings.source, settings.dest
    run = settings.run
    run_id = journal.begin_run(source, dest, run.mode.value, run.dry_run, settings.describe())
    output.message(f"imgorg: {imaging.imaging_library()}, {run.backend} x{settings.workers}")
    output.stage("walk")
    walk = settings.walk
    plan = planner.plan(source, walk.extensions, exclude=[dest], videos=walk.videos)
    done = journal.done_files(source, move=run.mode is Mode.MOVE)
    copied: set[str] = set()
    if run.mode is Mode.MOVE:  # what earlier runs copied, this one takes out of SOURCE
        copied = journal.left_in_source(source)
        done = {rel: seen for rel, seen in done.items() if rel not in copied}
    following = sidecars_following(journal, source, plan.findings, done)
    todo: list[Candidate] = [candidate for candidate, _ in following.values()]
    earlier: list[str] = []  # done by an earlier run: reported again, not redone
    moved: dict[str, str] = {}  # copies the user moved to another folder of DEST: not lost
    # a move run takes every copied file out of SOURCE: against its copy, wherever in DEST
    finds_moved = run.restore_missing or run.mode is Mode.MOVE
    among = None if run.restore_missing else copied
    lost = lost_copies(journal, source, dest, moved if finds_moved else None, among)
    photos_moved(journal, dest, following, moved)
    missing = sum(rel in lost for rel in _walked(plan.candidates, done)) if lost else 0
    if missing and not run.restore_missing:  # culled from DEST, maybe: the user's to say
        lost = set()
    still = {rel: seen for rel, seen in done.items() if rel not in lost} if lost else done
    for c in plan.candidates:
        left, finished = left_to_do(c, still)
        earlier += finished
        if left is not None:
            todo.append(left)
    earlier += [f.rel for f in plan.findings if f.rel in done]
    if run.mode is Mode.MOVE and not run.dry_run:
        journal.record_source_folders(run_id, folder_times(source, todo))
    journal.mark_seen(run_id, source, earlier)
    journal.record(
        run_id,
        source,
        (
            Decision(f.rel, f.status, size=f.size, reason=f.reason)
            for f in plan.findings
            if f.rel not in done and f.rel not in following
        ),
        "done",
    )
    if missing and lost:
        output.message(
            f"{missing} files an earlier run finished have no copy in DEST any more: decided again"
        )
    elif missing:
        output.message(
            f"{missing} files an earlier run finished have no copy where it placed them (deleted, "
            "lost, or moved within DEST since): left as done; --restore-missing places them "
            "again (not those it finds moved to another folder of DEST)"
        )
    if moved:
        output.message(
            f"{len(moved)} copies an earlier run placed were found moved to another folder of "
            "DEST (the same name and bytes): not placed again"
        )
    if earlier:
        output.message(f"{len(earlier)} files were already done by an earlier run")
        kept = journal.kept_in_source_earlier(run_id, source) if run.mode is Mode.MOVE else 0
        if kept:
            output.message(
                f"{kept} of them were placed by an earlier run that left their sources (a link "
                "run): this move run leaves them in SOURCE too; `imgorg undo` that run first to "
                "move them instead"
            )
        for line in options_changed(journal, run_id, source, settings.describe()):
            output.message(line)
        holds = run.mode in (Mode.COPY, Mode.HARDLINK)  # what the user wants DEST to hold
        linked = only_linked_earlier(journal, run_id, source) if holds else 0
        if linked:
            output.message(
                f"{linked} of them are in DEST only as symbolic links (an earlier --mode "
                "symlink run): DEST holds no copy of their bytes; `imgorg undo` that run first, "
                "then run this command again"
            )

    chosen = settings.folders
    # what DEST's filesystem refuses in a name; a dry run writes nothing there, so cannot probe
    meta = os.path.join(dest, META)
    names = dest_names.guess(dest) if run.dry_run else dest_names.probe(meta, dest)
    folders = Folders(
        chosen.layout,
        chosen.corrupted_folder,
        chosen.nodate_folder,
        chosen.duplicates_folder,
        # Every file of SOURCE, including those an earlier run moved away: a resumed run
        # gives each folder the same place. A layout template's folders are left as they are.
        folder_map(
            itertools.chain((c.rel for c in plan.candidates), done),
            placed_folders(journal.placed_in_years(source), names.adapted if names else None),
            collapse=chosen.tidy,  # --no-tidy: hidden folders are still shown apart
        )
        if isinstance(chosen.layout, Layout)
        else {},
        chosen.rename,
        names,
    )
    view = JournalView(journal, source, dest, run_id)
    link = Action(run.mode.value) if run.mode.links else None
    coordinator = Coordinator(
        source,
        dest,
        view,
        todo,
        folders,
        move=run.mode is Mode.MOVE,
        link=link,
        followers={rel: photo for rel, (_, photo) in following.items()},
        restore_missing=run.restore_missing,
        moved=moved,
    )
    placer = Placer(
        source,
        dest,
        journal,
        run_id,
        dry_run=run.dry_run,
        sync=run.sync,
        stage_dir=stage_dir,
        pool=placer_pool(settings),
        new_folders=view.new_folders,
    )
    analyse, compress = settings.analyse, settings.compress
    if run.mode.links:  # a link shows the source's own bytes: nothing is re-encoded or turned
        compress = replace(compress, enabled=False)
        analyse = replace(analyse, fix_orientation=FixOrientation.NONE)
    options = WorkerOptions(
        analyse=analyse,
        compress=compress,
        stage_dir=stage_dir,
        path_map=run.path_map,
        thumbs_dir=views.thumbs if views else None,
        sample_rate=min(1.0, YEAR_VIEW_SAMPLE / max(1, len(todo))) if views else 0.0,
        run_token=uuid.uuid4().hex,
        copy_to_stage=copies_in_workers(settings),
        videos=settings.walk.videos,
        now=run_start(),
        moved_journal=moved_journal(settings, journal_path),
        **earlier_placed(settings, view, run_id, journal_path),
    )
    if settings.analyse.similar:
        _similar_check()
    if not run.dry_run and run.space_check:
        check_space(settings, todo)
    batches = planner.shard(todo, settings.workers, compress.above if compress.enabled else None)
    output.start(len(todo), sum(c.size for c in todo))
    todo.clear()  # the batches hold the candidates now, each until its results are back
    plan.candidates.clear()
    exiftool_missed = 0
    flow = _date_flow(settings, journal)
    stream: Generator[list[Analysis], None, None] | None = None
    try:
        try:
            with pool.Pool(run.backend, settings.workers, run.scheduler) as workers:
                workers_used = workers.workers
                stream = workers.analyze(batches, source, options)
                batches = []  # the pool holds each batch until its results are back
                for analyses in stream:
                    raise_pending_stop()
                    output.advance(len(analyses), sum(a.size for a in analyses))
                    signed: dict[str, Signature] = {}
                    for analysis in analyses:
                        exiftool_missed += analysis.exiftool_missed
                        if analysis.similar is not None:
                            signed[analysis.out_hash or analysis.hash or ""] = analysis.similar
                        if flow is not None and flow.offer(analysis):
                            continue  # placed once every photo's date is known
                        placer.add(coordinator.accept(analysis))
                    if signed:  # journaled now: a resume dates copies from the photos placed
                        _save_signatures(journal, signed)
                for analysis in flow.release(coordinator.earlier_copy) if flow is not None else []:
                    placer.add(coordinator.accept(analysis))
                raise_pending_stop()
            placer.flush()
            raise_pending_stop()
            _empty(stage_dir)
            _drop_year_slots(views)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what is journaled stands, a re-run resumes
            with contextlib.suppress(sqlite3.Error):
                journal.finish_run(run_id, "interrupted", {})
            raise
        except DiskFull as exc:
            _empty(stage_dir)
            with contextlib.suppress(sqlite3.Error):
                journal.finish_run(run_id, "disk full", {})
            raise DiskFull(
                f"{exc}. Free some space and run the same command again to resume."
            ) from exc
        except sqlite3.OperationalError as exc:
            raise RunError(
                f"the journal cannot be written ({exc}); free space on DEST and run the same "
                "command again to resume"
            ) from exc
    finally:
        if stream is not None:
            stream.close()  # a pool stopped early says so now, into this run's warnings.log
        placer.close()  # a batch under way is finished first
    if coordinator.left_out:
        output.message(
            f"{coordinator.left_out} files decided again (changed in SOURCE since, by their "
            "time) were placed by an earlier run whose copy is gone from DEST (deleted or lost "
            "there since): left out; --restore-missing places them again"
        )
    if coordinator.moved_back:
        output.message(
            f"{coordinator.moved_back} files an earlier run copied to DEST, whose copy is gone "
            "from DEST since (deleted or lost there), were placed there again: a move run takes "
            "every file out of SOURCE (`imgorg undo` puts them back in SOURCE)"
        )
    if placer.released:
        output.message(
            f"{placer.released} files already in DEST (copied there by an earlier run, or "
            "identical at their destination) were taken out of SOURCE, each once its copy "
            "there was checked to hold its bytes"
        )
    try:
        if coordinator.waiting:
            raise AssertionError(f"{coordinator.waiting} results were never settled")
        if exiftool_missed:
            output.message(
                f"{exiftool_missed} files have no date that imgorg reads; exiftool (not installed: "
                "apt-get install libimage-exiftool-perl) could have looked for one in them"
            )
        if settings.analyse.similar:
            output.message(_find_similar(settings, journal))
        output.stage("reports")
        seconds = time.monotonic() - started
        nodate = settings.folders.nodate_folder
        totals = write_report(run.report, journal, run_id, source, nodate)
        summary = totals.summary(
            seconds=seconds,
            files_per_second=totals.files / max(seconds, 1e-9),
            imaging=imaging.imaging_library(),
            backend=run.backend,
            workers=workers_used,
            dry_run=run.dry_run,
            plan=run.plan_dir,
            report=run.report,
            run_id=run_id,
            min_size=settings.analyse.min_size,
            undated=totals.years.get(nodate, 0),
            already_done=len(earlier),
            settings={
                k: getattr(settings.analyse, k) for k in ("date_from_folder", "date_from_mtime")
            },
        )
        sources_kept = [*(still_in_source or []), *placer.sources_kept]
        if sources_kept:
            summary.sources_kept = len(sources_kept)
        if placer.cloned:
            summary.cloned = placer.cloned
        if placer.copies_discarded:
            summary.copies_discarded = placer.copies_discarded
        if not run.dry_run and _needs_attention(summary):
            log = os.path.join(dest, ERROR_LOG)
            stamp = dt.datetime.now().isoformat(timespec="seconds")
            unremoved = _kept_as_errors(sources_kept)
            errors = journal.decisions(run_id, source, Status.ERROR)
            append_error_log(log, [*errors, *unremoved], stamp)
            summary.error_log = log
        if views is not None:
            summary.html = views.html
        if not run.dry_run:
            originals = journal.kept_originals()
            summary.originals = len(originals)
            summary.originals_bytes = sum(size for _key, _path, size in originals)
            if originals:
                size = format_size(summary.originals_bytes)
                output.message(
                    f"{len(originals)} originals of re-encoded or rotated moved files ({size}) are "
                    f"kept in {os.path.join(dest, META, 'originals')} so undo can restore them; "
                    f"`imgorg finalize {dest}` deletes them"
                )
        journal.finish_run(run_id, "finished", summary.to_json())
        if views is not None:
            write_run_report(views.html, journal, run_id, views.thumbs, run.report)
        if run.dry_run:
            _print_plan(settings, output, journal, run_id)
        output.finish(summary)
    except KeyboardInterrupt:  # while reporting: every file is placed, the reports are not
        with contextlib.suppress(sqlite3.Error):
            journal.finish_run(run_id, "interrupted", {})
        raise
    return RunResult(run_id, summary)
