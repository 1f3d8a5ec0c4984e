"""Carrying out decisions on disk, in group commits.

For each batch: the journal records every decision that touches a file as ``planned`` (the
others are final at once); files are written to temporary names in their target folders (each
copy hashed as it is written and compared with what the worker read); one filesystem sync;
no-replace renames to the final names; another sync; the journal marks the files in place
``done`` (engine/stages/commit.py, in a placer process when the run has them). In move mode a
source is removed only after that, and only if its placed copy is verified.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from engine.errors import DiskFull
from engine.policy.actions import Action, SourceAfter, Writes
from engine.records import Decision, Status, noted
from engine.stages.commit import (
    Changed,
    FileWrite,
    Job,
    Ledger,
    Outcome,
    copy_verified,
    group_commit,
    placing_failed,
)
from engine.stages.placers import Pending, PlacerPool
from engine.stages.release import MovedFile, Release, Released, release_sources
from engine.store import fsops
from engine.store.journal import Journal, rows


@dataclass
class Placer:
    """The writer's half of a group commit: it encodes each batch's rows and files and has them
    journaled and put in place (engine/stages/commit.py, in a placer process when ``pool`` is
    given: up to ``depth`` batches under way at once), journals the files that failed, and in
    move mode then takes the moved sources out of SOURCE."""

    source: str
    dest: str
    journal: Journal
    run_id: int
    dry_run: bool = False
    sync: bool = True
    stage_dir: str | None = None
    max_files: int = 1024
    max_bytes: int = 256_000_000
    pool: PlacerPool | None = None
    depth: int = 2
    # The folders of DEST that names need and that did not exist before the run
    # (JournalView.new_folders): journaled with the batch that makes them, for undo.
    new_folders: Callable[[Iterable[str]], list[str]] | None = None
    pending: list[Decision] = field(default_factory=list)
    pending_bytes: int = 0
    placed: int = 0
    cloned: int = 0  # copies made as reflink clones (no bytes written)
    copies_discarded: int = 0  # workers' copies of files not placed (duplicates, say), removed
    sources_kept: list[Decision] = field(default_factory=list)  # moved, but not removed
    released: int = 0  # sources whose copy an earlier run placed, taken out of SOURCE
    # Each batch sent and not yet settled, with the new folders it journals.
    _under_way: deque[tuple[list[Decision], list[str], Pending[Outcome]]] = field(
        default_factory=deque
    )
    _releasing: deque[tuple[list[Decision], Pending[Released]]] = field(default_factory=deque)
    _full: str | None = None

    def add(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            self.pending.append(decision)
            self.pending_bytes += decision.bytes_out if decision.action.touches_dest else 0
        if len(self.pending) >= self.max_files or self.pending_bytes >= self.max_bytes:
            self._send()
            while len(self._under_way) > self.depth:
                self._settle_oldest()
            self._settle_releases(wait=False)
            if self._full is not None:
                self._stop_full()

    def flush(self) -> None:
        """Send what is pending and wait until every batch (and release) is settled."""
        self._send()
        while self._under_way:
            self._settle_oldest()
        self._settle_releases(wait=True)
        if self._full is not None:
            self._stop_full()

    def _stop_full(self) -> None:
        """DEST is full: settle the batches under way, send nothing more."""
        while self._under_way:
            self._settle_oldest()
        self._settle_releases(wait=True)
        full, self._full = self._full, None
        raise DiskFull(full or "DEST is full")

    def _send(self) -> None:
        everything, self.pending, self.pending_bytes = self.pending, [], 0
        if not everything:
            return
        if self.dry_run:
            self.journal.record(self.run_id, self.source, everything, "done")
            return
        # Verdicts that touch no file (duplicates in copy mode, errors, files already in place)
        # are final at once; the rest are "planned" until their files are durable.
        releases = [d for d in everything if d.action.releases]
        final = [d for d in everything if not _writes(d) and not d.action.releases]
        batch = [d for d in everything if _writes(d)]
        made = []
        if self.new_folders is not None:
            dests = [d.dest for d in batch if d.dest is not None]
            made = self.new_folders(dests)
            if self.pool is not None and self._under_way:
                made += self._claimed_under_way(dests)
        assert self.journal.path is not None
        ledger = Ledger(
            self.journal.path,
            self.run_id,
            rows(self.run_id, self.source, batch, "planned"),
            rows(self.run_id, self.source, final, "done"),
            made,
        )
        job = Job(
            self.source,
            self.dest,
            self.stage_dir,
            self.sync,
            [self._file_write(d) for d in batch],
            self._discards(final),
            ledger,
        )
        pending = self.pool.submit(job) if self.pool else Pending(group_commit(job, self.journal))
        self._under_way.append((batch, made, pending))
        if self.pool is None:
            self._settle_oldest()
        if releases:
            self._release(releases)

    def _release(self, releases: list[Decision]) -> None:
        """Sources whose copy an earlier run placed (a copy run): journaled ``planned``, then
        taken out of SOURCE once that copy verifies (engine/stages/release.py), then journaled
        removed and ``done``; a crash between is settled by the disk (engine/stages/recover.py).
        The workers' copies of them are not needed."""
        self.journal.record(self.run_id, self.source, releases, "planned")
        for path in self._discards(releases):
            fsops.remove_quietly(path)
        self._remove_sources(releases)

    def _claimed_under_way(self, dests: list[str]) -> list[str]:
        """The new folders of ``dests`` that batches still under way claimed: another placer
        process may carry out this batch first, making them, and the run die before those
        batches are journaled. Journaled with this batch too, undo then knows them."""
        claimed = {folder for _, made, _ in self._under_way for folder in made}
        if not claimed:
            return []
        shared: set[str] = set()
        for folder in {os.path.dirname(dest) for dest in dests}:
            while folder and folder not in shared:
                if folder in claimed:
                    shared.add(folder)
                folder = os.path.dirname(folder)
        return sorted(shared)

    def _file_write(self, decision: Decision) -> FileWrite:
        assert decision.dest is not None
        writes = decision.action.writes
        staged = decision.staged
        if writes is Writes.COPY:
            staged = decision.copied if self.stage_dir is not None else None
            self.cloned += bool(staged) and decision.cloned
        return FileWrite(
            writes,
            decision.rel,
            decision.dest,
            staged,
            decision.size,
            decision.mtime_ns,
            decision.ino,
            decision.ctime_ns,
            decision.hash,
            decision.bytes_out,
            decision.action.needs_space and not decision.copied,
            decision.out_hash,
        )

    def _discards(self, decisions: list[Decision]) -> list[str]:
        """The workers' copies of files not placed from them (duplicates, files already in
        place, errors): removed within the group commit that settled them."""
        if self.stage_dir is None:
            return []
        paths = []
        for decision in decisions:
            if decision.copied:
                paths.append(os.path.join(self.stage_dir, decision.copied))
                decision.copied = None
        self.copies_discarded += len(paths)
        return paths

    def _settle_oldest(self) -> None:
        batch, _, pending = self._under_way.popleft()
        outcome = pending.result()
        self.cloned += outcome.cloned
        failed: list[Decision] = []
        for index, reason in outcome.failed:
            _fail(batch[index], reason, failed)
        done = [batch[i] for i in outcome.placed]
        if outcome.crossing:
            done += self._copy_across([batch[i] for i in outcome.crossing], failed)
        left = {d.rel for d in failed}
        with self.journal.transaction():
            if outcome.full is not None:
                # Everything from the file that did not fit on is forgotten: a re-run redoes it.
                unplaced = batch[outcome.full[0] :]
                left |= {d.rel for d in unplaced}
                self.journal.forget(
                    ((self.source, d.rel) for d in unplaced if d not in failed), self.run_id
                )
                self._full = self._full or outcome.full[1]
            # Files copied across mounts were journaled again (planned) under new ids.
            again = [batch[i] for i in outcome.crossing]
            if not outcome.all_marked:  # a row written again while under way: mark by path
                again += [batch[i] for i in outcome.placed]
            self.journal.mark_done(
                self.source, (d.rel for d in again if d.rel not in left), self.run_id
            )
            if failed:
                self.journal.record(self.run_id, self.source, failed, "done")
        if failed:
            self._discard_now(failed)
        self.placed += len(done)
        self._remove_sources(done)

    def _discard_now(self, failed: list[Decision]) -> None:
        for path in self._discards(failed):
            fsops.remove_quietly(path)

    def _copy_across(self, moves: list[Decision], failed: list[Decision]) -> list[Decision]:
        """A rename across mounts of one filesystem (bind mounts) fails with EXDEV: copy,
        verify, place; the source is removed with the other moved copies, after a sync."""
        done = []
        for decision in moves:
            decision.action = Action.MOVE_COPY
            self.journal.record(self.run_id, self.source, [decision], "planned")
            assert decision.dest is not None
            final = os.path.join(self.dest, decision.dest)
            item = self._file_write(decision)
            try:
                temp, cloned = copy_verified(os.path.join(self.source, decision.rel), final, item)
                self.cloned += cloned
                try:
                    fsops.rename_noreplace(temp, final)
                except OSError:
                    fsops.remove_quietly(temp)
                    raise
            except Changed as exc:
                _fail(decision, str(exc), failed)
                continue
            except OSError as exc:
                _fail(decision, placing_failed(exc, decision.dest, written_here=False), failed)
                continue
            done.append(decision)
        if done and self.sync:
            fsops.sync_filesystem(self.dest)
        return done

    def close(self) -> None:
        """Stop the placer processes; a batch under way is finished first (its placer journals
        the files in place done; what became of the others the next run settles by the disk)."""
        if self.pool is not None:
            self.pool.close()

    def _remove_sources(self, done: list[Decision]) -> None:
        """Have the moved files of a settled batch taken out of SOURCE (engine/stages/release.py:
        verifying reads files): in a placer process, settled when it is done, or here and now
        when the run has no pool."""
        moved = [d for d in done if d.action.source_after is not SourceAfter.STAYS]
        if not moved:
            return
        files = [_moved_file(d) for d in moved]
        job = Release(self.source, self.dest, self.run_id, self.sync, files)
        pending = self.pool.release(job) if self.pool else Pending(release_sources(job))
        self._releasing.append((moved, pending))
        if self.pool is None:
            self._settle_releases(wait=True)

    def _settle_releases(self, wait: bool) -> None:
        """Journal what came of the releases that are done (every one, if ``wait``): sources
        removed (a transformed file's original kept below DEST), or kept, with why."""
        while self._releasing and (wait or self._releasing[0][1].ready()):
            moved, pending = self._releasing.popleft()
            released = pending.result()
            removed = [moved[i].rel for i in released.removed]
            originals = {moved[i].rel: path for i, path in released.originals.items()}
            modes = {moved[i].rel: mode for i, mode in released.modes.items()}
            kept = []
            for index, why in released.kept:
                decision = moved[index]
                if decision.action.releases:
                    # Not released: the earlier run's copy and the source stay as they were; a
                    # later move run looks at them again.
                    note = f"not released: {why} ({decision.dest}); its source stays in SOURCE"
                    decision.note, decision.action = note, Action.NONE
                else:
                    note = f"placed, but its source was not removed: {why}"
                    decision.note = noted(decision.note, note)
                kept.append(decision)
            released_now = [moved[i].rel for i in released.removed if moved[i].action.releases]
            self.released += len(released_now)
            if removed:
                with self.journal.transaction():
                    self.journal.mark_source_removed(
                        self.source, removed, self.run_id, originals, modes
                    )
                    self.journal.mark_done(self.source, released_now, self.run_id)
            if kept:
                self.journal.record(self.run_id, self.source, kept, "done")
                self.sources_kept += kept


def _writes(decision: Decision) -> bool:
    """Whether placing ``decision`` writes a file into DEST."""
    return decision.action.touches_dest and decision.dest is not None


def _fail(decision: Decision, reason: str, failed: list[Decision]) -> None:
    decision.status, decision.reason = Status.ERROR, reason
    decision.dest, decision.action = None, Action.NONE
    failed.append(decision)


def _moved_file(decision: Decision) -> MovedFile:
    assert decision.dest is not None
    return MovedFile(
        decision.rel,
        decision.dest,
        decision.action,
        decision.size,
        decision.mtime_ns,
        decision.ino,
        decision.ctime_ns,
        decision.hash,
        decision.out_hash,
    )
