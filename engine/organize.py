"""One organize run, end to end: plan, analyse in the pool, decide, place, tidy, report."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine import imaging, planner, pool
from engine.compress import CompressOptions
from engine.coordinator import Coordinator, Folders
from engine.fsops import same_device
from engine.html_report import write_run_report
from engine.journal import Journal
from engine.output import Output
from engine.placement import RESERVE, DiskFull, Placer, free_bytes
from engine.records import Candidate, Decision, Status
from engine.recovery import recover
from engine.report import append_error_log, write_report
from engine.settings import Mode, Settings, Verify
from engine.sizes import format_size
from engine.tidy import tidy
from engine.worker import WorkerOptions

if TYPE_CHECKING:
    from engine.similar.flow import DateFlow
    from engine.similar.signature import Signature

META = ".imgorg"
JOURNAL = "journal.sqlite"
ERROR_LOG = "error_log.log"


class RunError(Exception):
    """The run cannot start or go on (exit code 2); the message says why."""


@dataclass
class RunResult:
    run_id: int
    summary: dict[str, Any]

    @property
    def exit_code(self) -> int:
        return 1 if self.summary["counts"].get(Status.ERROR.value, 0) else 0


def check_paths(settings: Settings) -> None:
    source, dest = settings.source, settings.dest
    if not os.path.exists(source):
        raise RunError(f"SOURCE does not exist: {source}")
    if not os.path.isdir(source):
        raise RunError(f"SOURCE is not a folder: {source}")
    real_source, real_dest = os.path.realpath(source), os.path.realpath(dest)
    if real_source == real_dest:
        raise RunError("SOURCE and DEST are the same folder")
    managed = [
        META,
        settings.corrupted_folder,
        settings.nodate_folder,
        settings.duplicates_folder,
    ]
    if real_source.startswith(real_dest + os.sep):
        inside = os.path.relpath(real_source, real_dest).split(os.sep)[0]
        if inside in managed or inside.isdigit():
            raise RunError(f"SOURCE lies inside DEST's own {inside}/ folder")
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise RunError(f"DEST exists and is not a folder: {dest}")


@contextlib.contextmanager
def dest_lock(meta: str) -> Iterator[None]:
    with open(os.path.join(meta, "lock"), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError("another imgorg run is using this DEST (its lock is held)") from None
        yield


def check_space(settings: Settings, todo: list[Candidate]) -> None:
    """Refuse to start when DEST cannot hold what the plan may write (before compression)."""
    if settings.mode is Mode.MOVE and same_device(settings.source, settings.dest):
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
        journal = Journal.open(path)
        try:
            yield journal
        finally:
            journal.close()


def _prepare_dest(settings: Settings) -> str:
    meta = os.path.join(settings.dest, META)
    try:
        os.makedirs(meta, exist_ok=True)
        probe = os.path.join(meta, ".write-test")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as exc:
        raise RunError(f"DEST is not writable: {exc.strerror} ({settings.dest})") from exc
    return meta


def organize(settings: Settings, output: Output) -> RunResult:
    check_paths(settings)
    if settings.dry_run:
        journal = Journal.in_memory(os.path.join(settings.dest, META, JOURNAL))
        try:
            views = None
            if settings.plan_dir:
                os.makedirs(os.path.join(settings.plan_dir, "thumbs"), exist_ok=True)
                views = Views(
                    os.path.join(settings.plan_dir, "report.html"),
                    os.path.join(settings.plan_dir, "thumbs"),
                )
            return _run(settings, output, journal, None, views)
        finally:
            journal.close()
    meta = _prepare_dest(settings)
    with dest_lock(meta):
        journal = Journal.open(os.path.join(meta, JOURNAL))
        try:
            stage_dir = os.path.join(meta, "staging")
            settled = recover(journal, settings.dest, stage_dir)
            if settled:
                output.message(f"resumed: {settled} files of an interrupted run were complete")
            os.makedirs(stage_dir, exist_ok=True)
            views = Views(os.path.join(meta, "report.html"), os.path.join(meta, "thumbs"))
            os.makedirs(views.thumbs, exist_ok=True)
            return _run(settings, output, journal, stage_dir, views)
        finally:
            journal.close()


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


def _date_flow(settings: Settings) -> DateFlow | None:
    if not settings.similar:
        return None
    from engine.similar.flow import DateFlow

    return DateFlow(settings.workers)


def _find_similar(settings: Settings, journal: Journal, signatures: dict[str, Signature]) -> str:
    """--similar: the signatures the workers computed go to the journal, then DEST is grouped."""
    from engine.similar import store
    from engine.similar.command import find_similar

    store.ensure_schema(journal.db)
    store.save(journal.db, signatures)
    folder = settings.plan_dir or os.path.join(settings.dest, META)
    report = os.path.join(folder, "similar.jsonl")
    set_aside = settings.similar == "set-aside" and not settings.dry_run
    found = find_similar(settings.dest, journal.db, settings.workers, report, set_aside)
    copies = sum(len(g.members) - 1 for g in found.groups)
    return (
        f"near-duplicates: {len(found.groups)} groups, {copies} lesser copies, "
        f"{len(found.moved)} files set aside ({report})"
    )


def _run(
    settings: Settings,
    output: Output,
    journal: Journal,
    stage_dir: str | None,
    views: Views | None,
) -> RunResult:
    started = time.monotonic()
    source, dest = settings.source, settings.dest
    run_id = journal.begin_run(
        source, dest, settings.mode.value, settings.dry_run, settings.describe()
    )
    output.message(f"imgorg: {imaging.imaging_library()}, {settings.backend} x{settings.workers}")
    plan = planner.plan(
        source, settings.extensions, settings.min_size, exclude=[dest], videos=settings.videos
    )
    done = journal.done_files(source)
    todo: list[Candidate] = []
    earlier: list[str] = []  # done by an earlier run: reported again, not redone
    for c in plan.candidates:
        if done.get(c.rel) == (c.size, c.mtime_ns):
            earlier += [c.rel, *(m.rel for m in c.companions if m.rel in done)]
        else:
            todo.append(c)
    earlier += [f.rel for f in plan.findings if f.rel in done]
    journal.mark_seen(run_id, source, earlier)
    journal.record(
        run_id,
        source,
        (
            Decision(f.rel, f.status, size=f.size, reason=f.reason)
            for f in plan.findings
            if f.rel not in done
        ),
        "done",
    )
    if earlier:
        output.message(f"{len(earlier)} files were already done by an earlier run")

    folders = Folders(
        settings.layout,
        settings.corrupted_folder,
        settings.nodate_folder,
        settings.duplicates_folder,
    )
    coordinator = Coordinator(source, dest, journal, todo, folders, settings.mode)
    placer = Placer(
        source,
        dest,
        journal,
        run_id,
        dry_run=settings.dry_run,
        sync=settings.sync,
        stage_dir=stage_dir,
        on_flush=coordinator.forget_claims,
    )
    options = WorkerOptions(
        compress=CompressOptions(
            settings.target_size, settings.quality_floor, settings.very_large, settings.min_saving
        )
        if settings.compress
        else None,
        compress_above=settings.compress_above,
        verify_full=settings.verify is Verify.FULL,
        stage_dir=stage_dir,
        max_pixels=settings.max_pixels,
        fix_orientation=settings.fix_orientation.value,
        path_map=settings.path_map,
        date_from_folder=settings.date_from_folder,
        date_from_mtime=settings.date_from_mtime,
        thumbs_dir=views.thumbs if views else None,
        similar=settings.similar is not None,
    )
    if settings.similar:
        _similar_check()
    if not settings.dry_run and settings.space_check:
        check_space(settings, todo)
    batches = planner.shard(
        todo, settings.workers, settings.compress_above if settings.compress else None
    )
    output.start(len(todo), sum(c.size for c in todo))
    signatures: dict[str, Signature] = {}
    flow = _date_flow(settings)
    try:
        with pool.Pool(settings.backend, settings.workers, settings.scheduler) as workers:
            workers_used = workers.workers
            for analyses in workers.analyze(batches, source, options):
                for analysis in analyses:
                    output.advance(1, analysis.size)
                    if analysis.similar is not None:
                        signatures[analysis.out_hash or analysis.hash or ""] = analysis.similar
                    if flow is not None and flow.offer(analysis):
                        continue  # placed once every photo's date is known
                    placer.add(coordinator.accept(analysis))
            for analysis in flow.release() if flow is not None else []:
                placer.add(coordinator.accept(analysis))
        placer.flush()
    except DiskFull as exc:
        with contextlib.suppress(sqlite3.Error):
            journal.finish_run(run_id, "disk full", {})
        raise RunError(f"{exc}. Free some space and run the same command again to resume.") from exc
    except sqlite3.OperationalError as exc:
        raise RunError(
            f"the journal cannot be written ({exc}); free space on DEST and run the same "
            "command again to resume"
        ) from exc
    except pool.BackendUnavailable as exc:
        raise RunError(str(exc)) from exc
    if coordinator.waiting:
        raise AssertionError(f"{coordinator.waiting} results were never settled")
    if settings.tidy:
        tidy(dest, journal, run_id, settings.dry_run)
    if settings.similar:
        output.message(_find_similar(settings, journal, signatures))
    seconds = time.monotonic() - started
    totals = write_report(
        settings.report, journal.decisions(run_id, source), settings.nodate_folder
    )
    summary = totals.as_dict()
    summary.update(
        seconds=seconds,
        files_per_second=totals.files / max(seconds, 1e-9),
        imaging=imaging.imaging_library(),
        backend=settings.backend,
        workers=workers_used,
        dry_run=settings.dry_run,
        report=settings.report,
        run_id=run_id,
    )
    if not settings.dry_run and summary["counts"].get("error"):
        log = os.path.join(dest, ERROR_LOG)
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        append_error_log(log, journal.decisions(run_id, source), stamp)
        summary["error_log"] = log
    if views is not None:
        summary["html"] = views.html
    journal.finish_run(run_id, "finished", summary)
    if views is not None:
        write_run_report(views.html, journal, run_id, views.thumbs, settings.report)
    output.finish(summary)
    return RunResult(run_id, summary)
