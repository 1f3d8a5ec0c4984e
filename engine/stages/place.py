"""Carrying out decisions on disk, in group commits.

For each batch: the journal records every decision that touches a file as ``planned`` (the
others are final at once); files are written to temporary names in their target folders (each
copy hashed as it is written and compared with what the worker read); one filesystem sync;
no-replace renames to the final names; another sync; the journal marks the batch ``done``.
In move mode a source is removed only after that, and only if its placed copy is verified.
"""

from __future__ import annotations

import errno
import os
from collections import deque
from dataclasses import dataclass, field

import xxhash

from engine.errors import DiskFull
from engine.policy.actions import Action, SourceAfter, Writes
from engine.records import Decision, Status
from engine.stages.commit import (
    Changed,
    FileWrite,
    Job,
    commit_files,
    copy_verified,
    placing_failed,
    unchanged,
)
from engine.stages.placers import Pending, PlacerPool
from engine.store import fsops
from engine.store.journal import Journal, original_path


@dataclass
class Placer:
    """The writer's half of a group commit: it journals each batch ``planned``, has its files
    put in place (engine/stages/commit.py, in a placer process when ``pool`` is given: up to
    ``depth`` batches under way at once), journals what came of them ``done``, and in move
    mode then takes the moved sources out of SOURCE."""

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
    pending: list[Decision] = field(default_factory=list)
    pending_bytes: int = 0
    placed: int = 0
    cloned: int = 0  # copies made as reflink clones (no bytes written)
    copies_discarded: int = 0  # workers' copies of files not placed (duplicates, say), removed
    sources_kept: list[Decision] = field(default_factory=list)  # moved, but not removed
    _under_way: deque[tuple[list[Decision], Pending]] = field(default_factory=deque)
    _full: str | None = None

    def add(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            self.pending.append(decision)
            self.pending_bytes += decision.bytes_out if decision.action.touches_dest else 0
        if len(self.pending) >= self.max_files or self.pending_bytes >= self.max_bytes:
            self._send()
            while len(self._under_way) > self.depth:
                self._settle_oldest()
            if self._full is not None:
                self._stop_full()

    def flush(self) -> None:
        """Send what is pending and wait until every batch is settled."""
        self._send()
        while self._under_way:
            self._settle_oldest()
        if self._full is not None:
            self._stop_full()

    def _stop_full(self) -> None:
        """DEST is full: settle the batches under way, send nothing more."""
        while self._under_way:
            self._settle_oldest()
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
        final = [d for d in everything if not _writes(d)]
        batch = [d for d in everything if _writes(d)]
        with self.journal.transaction():
            self.journal.record(self.run_id, self.source, batch, "planned")
            self.journal.record(self.run_id, self.source, final, "done")
        job = Job(
            self.source,
            self.dest,
            self.stage_dir,
            self.sync,
            [self._file_write(d) for d in batch],
            self._discards(final),
        )
        pending = self.pool.submit(job) if self.pool else Pending(commit_files(job))
        self._under_way.append((batch, pending))
        if self.pool is None:
            self._settle_oldest()

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
        batch, pending = self._under_way.popleft()
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
            self.journal.mark_done(
                self.source, (d.rel for d in batch if d.rel not in left), self.run_id
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
        """Stop the placer processes; a batch under way is finished first (its files are in
        place, the journal still says planned: the next run settles it by the disk)."""
        if self.pool is not None:
            self.pool.close()

    def _remove_sources(self, done: list[Decision]) -> None:
        """Take the moved files out of SOURCE; a transformed file's own bytes go to
        DEST/.imgorg/originals/ (kept until ``imgorg finalize``), so undo can restore them. A
        source that cannot be removed stays where it is, with a note, and is counted."""
        removed: list[str] = []
        originals: dict[str, str] = {}
        kept: list[Decision] = []
        for decision in done:
            after = decision.action.source_after
            if after is SourceAfter.STAYS:
                continue
            assert decision.dest is not None
            final = os.path.join(self.dest, decision.dest)
            why: str | None = None
            if after is SourceAfter.UNLINKED:
                why = remove_source(self.source, decision, final)
            elif after is SourceAfter.KEPT_BELOW_DEST:
                original = original_path(self.run_id, decision.rel)
                if keep_original(
                    self.source,
                    decision,
                    final,
                    os.path.join(self.dest, original),
                    sync=self.sync,
                ):
                    originals[decision.rel] = original
                else:
                    why = "it could not be kept below DEST/.imgorg/originals (changed, or refused)"
            if why is None:
                removed.append(decision.rel)
            else:
                note = f"placed, but its source was not removed: {why}"
                decision.note = f"{decision.note}; {note}" if decision.note else note
                kept.append(decision)
        if removed:
            # Journaled before the sync: a crash inside it must not leave a journal that says
            # "still in SOURCE" about a file that is gone.
            self.journal.mark_source_removed(self.source, removed, self.run_id, originals)
            if self.sync:
                fsops.sync_filesystem(self.source)
                if originals:
                    fsops.sync_filesystem(self.dest)
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


def remove_verified_source(source_root: str, decision: Decision, final: str) -> bool:
    """Unlink a moved file's source once its placed copy is verified and the source unchanged."""
    return remove_source(source_root, decision, final) is None


def remove_source(source_root: str, decision: Decision, final: str) -> str | None:
    """Unlink a moved file's source if it is still the file analysed, with the same bytes, and
    its placed copy verifies; None when it is gone, else why it stays."""
    source = os.path.join(source_root, decision.rel)
    try:
        if not unchanged(source, decision):
            return "it changed since it was analysed"
        # Without the inode and ctime (read through another mount, or from the journal), size
        # and mtime alone do not prove the source still holds the bytes placed.
        unknown = decision.action is Action.MOVE_COPY and not decision.ino
        if unknown and fsops.hash_file(source) != decision.hash:
            return "its bytes are not the ones analysed"
        if decision.action.keeps_original:
            if fsops.hash_file(source) != decision.hash:
                return "its bytes are not the ones analysed"
            if fsops.hash_file(final) != decision.out_hash:
                return "its placed copy does not verify"
        os.unlink(source)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot remove it: {exc.strerror or exc}"
    return None


def keep_original(
    source_root: str, decision: Decision, final: str, keep_at: str, sync: bool = True
) -> bool:
    """Take a transformed moved file's source out of SOURCE into ``keep_at`` (below DEST):
    a no-replace rename on one filesystem, else a copy verified against the source's hash.
    True when the source is gone from SOURCE and its bytes are at ``keep_at``."""
    source = os.path.join(source_root, decision.rel)
    temp = fsops.temp_name(keep_at)
    try:
        if fsops.hash_file(final) != decision.out_hash:
            return False
        try:
            if not unchanged(source, decision) or fsops.hash_file(source) != decision.hash:
                return False
        except FileNotFoundError:
            return fsops.holds(keep_at, decision.hash)
        os.makedirs(os.path.dirname(keep_at), exist_ok=True)
        if fsops.holds(keep_at, decision.hash):  # copied by a run that died before the unlink
            os.unlink(source)
            return True
        try:
            fsops.rename_noreplace(source, keep_at)
            return True
        except fsops.DestinationExists:
            return False
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                return False
        fsops.remove_quietly(temp)
        hasher = xxhash.xxh3_128()
        fsops.copy_into(source, temp, hasher)
        if hasher.hexdigest() != decision.hash:
            fsops.remove_quietly(temp)
            return False
        os.utime(temp, ns=(decision.mtime_ns, decision.mtime_ns))
        if sync:
            fsops.fsync_path(temp)
        fsops.rename_noreplace(temp, keep_at)
        os.unlink(source)
    except OSError:
        fsops.remove_quietly(temp)  # a full DEST, say: the source stays where it is
        return False
    return True
