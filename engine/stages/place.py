"""Carrying out decisions on disk, in group commits.

For each batch: the journal records every decision that touches a file as ``planned`` (the
others are final at once); files are written to temporary names in their target folders (each
copy hashed as it is written and compared with what the worker read); one filesystem sync;
no-replace renames to the final names; another sync; the journal marks the batch ``done``.
In move mode a source is removed only after that, and only if its placed copy is verified.
"""

from __future__ import annotations

import contextlib
import errno
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import xxhash

from engine.errors import DiskFull
from engine.policy.actions import Action, SourceAfter, Writes
from engine.records import Decision, Status
from engine.sizes import format_size
from engine.store import fsops
from engine.store.journal import Journal, original_path

RESERVE = 16_000_000  # bytes left free on DEST, for the journal and the filesystem itself


def disk_full_message(needed: int, free: int) -> str:
    return (
        f"DEST is full: {format_size(free)} free, the next file needs {format_size(needed)}, "
        f"and imgorg keeps {format_size(RESERVE)} free for its journal"
    )


def free_bytes(path: str) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@dataclass(slots=True)
class _Write:
    decision: Decision
    temp: str
    final: str
    is_temp: bool = True  # False when ``temp`` is the source itself (same-device move)


@dataclass
class Placer:
    source: str
    dest: str
    journal: Journal
    run_id: int
    dry_run: bool = False
    sync: bool = True
    stage_dir: str | None = None
    max_files: int = 256
    max_bytes: int = 256_000_000
    pending: list[Decision] = field(default_factory=list)
    pending_bytes: int = 0
    placed: int = 0
    cloned: int = 0  # copies made as reflink clones (no bytes written)
    copies_discarded: int = 0  # workers' copies of files not placed (duplicates, say), removed
    sources_kept: list[Decision] = field(default_factory=list)  # moved, but not removed
    _made: set[str] = field(default_factory=set)
    _discarding: list[Future[None]] = field(default_factory=list)
    _discarder: ThreadPoolExecutor | None = None

    def add(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            self.pending.append(decision)
            self.pending_bytes += decision.bytes_out if decision.action.touches_dest else 0
        if len(self.pending) >= self.max_files or self.pending_bytes >= self.max_bytes:
            self.flush()

    def flush(self) -> None:
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
        self.journal.record(self.run_id, self.source, batch, "planned")
        self.journal.record(self.run_id, self.source, final, "done")
        self._discard_copies(final)
        failed: list[Decision] = []
        writes, full = self._write_all(batch, failed)
        if writes and self.sync:
            fsops.sync_filesystem(self.dest)
        done = self._rename_all(writes, failed)
        if done and self.sync:
            fsops.sync_filesystem(self.dest)
        left = {d.rel for d in failed}
        if full is not None:
            # Everything from the file that did not fit on is forgotten: a re-run redoes it.
            unplaced = batch[batch.index(full[0]) :]
            left |= {d.rel for d in unplaced}
            self.journal.forget(
                ((self.source, d.rel) for d in unplaced if d not in failed), self.run_id
            )
        self.journal.mark_done(
            self.source, (d.rel for d in batch if d.rel not in left), self.run_id
        )
        if failed:
            self.journal.record(self.run_id, self.source, failed, "done")
            self._discard_copies(failed)
        self.placed += len(done)
        self._remove_sources(done)
        self._discarded()
        if full is not None:
            raise DiskFull(full[1])

    # steps --------------------------------------------------------------------
    def _write_all(
        self, batch: list[Decision], failed: list[Decision]
    ) -> tuple[list[_Write], tuple[Decision, str] | None]:
        """Write the batch to temporary names, stopping at the first file that does not fit."""
        writes: list[_Write] = []
        for decision in batch:
            if not _writes(decision):
                continue
            assert decision.dest is not None
            final = os.path.join(self.dest, decision.dest)
            if decision.action.needs_space and not decision.copied:
                free = free_bytes(self.dest)
                if decision.bytes_out + RESERVE > free:
                    return writes, (decision, disk_full_message(decision.bytes_out, free))
            try:
                writes.append(self._write(decision, final))
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    return writes, (decision, f"DEST is full ({exc.strerror})")
                if not os.path.lexists(os.path.join(self.source, decision.rel)):
                    _fail(decision, "vanished from SOURCE during the run", failed)
                else:
                    _fail(decision, f"cannot write {decision.dest}: {exc.strerror or exc}", failed)
            except _Changed as exc:
                _fail(decision, str(exc), failed)
        return writes, None

    def _write(self, decision: Decision, final: str) -> _Write:
        folder = os.path.dirname(final)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        source = os.path.join(self.source, decision.rel)
        writes = decision.action.writes
        if writes is Writes.COPY:
            if decision.copied and self.stage_dir is not None:
                return self._from_worker_copy(decision, source, final)
            temp, cloned = _copy_verified(source, final, decision)
            self.cloned += cloned
            return _Write(decision, temp, final)
        if writes is Writes.STAGED_FILE:
            # The worker wrote it there, with the source's mtime.
            assert self.stage_dir is not None and decision.staged is not None
            return _Write(decision, os.path.join(self.stage_dir, decision.staged), final)
        if writes is Writes.RENAME_SOURCE:
            if not unchanged(source, decision):
                raise _Changed(CHANGED)
            return _Write(decision, source, final, is_temp=False)
        if writes in (Writes.HARD_LINK, Writes.SYMBOLIC_LINK):
            return _Write(decision, _link(source, final, decision, writes), final)
        raise ValueError(f"{decision.action!r} writes nothing")

    def _from_worker_copy(self, decision: Decision, source: str, final: str) -> _Write:
        """Place the copy a worker wrote from the bytes it hashed: a rename, once the source is
        seen to be the file analysed still (a file changed since is an error, as when copied
        here; a stat, no read)."""
        if not unchanged(source, decision):
            raise _Changed(f"{decision.rel} changed since it was analysed; run again")
        assert self.stage_dir is not None and decision.copied is not None
        self.cloned += decision.cloned
        return _Write(decision, os.path.join(self.stage_dir, decision.copied), final)

    def _discard_copies(self, decisions: list[Decision]) -> None:
        """Remove the workers' copies of files that are not placed from them: duplicates,
        files already in place, errors. Within the group commit that settled them."""
        if self.stage_dir is None:
            return
        paths = []
        for decision in decisions:
            if decision.copied:
                paths.append(os.path.join(self.stage_dir, decision.copied))
                decision.copied = None
        if not paths:
            return
        # An unlink can wait for the file's writeback: on a thread, beside the writes, renames
        # and syncs of the batch (the GIL is free during the call).
        if self._discarder is None:
            self._discarder = ThreadPoolExecutor(1, thread_name_prefix="imgorg-discard")
        self._discarding.append(self._discarder.submit(_remove_all, paths))
        self.copies_discarded += len(paths)

    def _discarded(self) -> None:
        """Wait for the copies discarded in this group commit to be gone."""
        futures, self._discarding = self._discarding, []
        for future in futures:
            future.result()

    def _rename_all(self, writes: list[_Write], failed: list[Decision]) -> list[_Write]:
        done = []
        for write in writes:
            try:
                if not write.is_temp:
                    _check_before_move(write.temp, write.decision)
                try:
                    fsops.rename_noreplace(write.temp, write.final)
                except OSError as exc:
                    if write.is_temp or exc.errno != errno.EXDEV:
                        raise
                    write = self._copy_instead(write)
            except _Changed as exc:
                _fail(write.decision, str(exc), failed)
                continue
            except OSError as exc:
                if write.is_temp and not write.decision.staged:
                    fsops.remove_quietly(write.temp)
                if isinstance(exc, FileNotFoundError) and not write.is_temp:
                    reason = "vanished from SOURCE during the run"
                elif isinstance(exc, fsops.DestinationExists):
                    reason = "its destination appeared during the run"
                elif write.is_temp:  # written by a worker: placing it is the write
                    reason = f"cannot write {write.decision.dest}: {exc.strerror or exc}"
                else:
                    reason = f"cannot place: {exc.strerror or exc}"
                _fail(write.decision, reason, failed)
                continue
            done.append(write)
        return done

    def _copy_instead(self, write: _Write) -> _Write:
        """A rename across mounts of one filesystem (bind mounts) fails with EXDEV: copy,
        verify, place; the source is removed with the other moved copies, after the sync."""
        decision = write.decision
        decision.action = Action.MOVE_COPY
        self.journal.record(self.run_id, self.source, [decision], "planned")
        temp, cloned = _copy_verified(write.temp, write.final, decision)
        self.cloned += cloned
        try:
            fsops.rename_noreplace(temp, write.final)
        except OSError:
            fsops.remove_quietly(temp)
            raise
        return _Write(decision, temp, write.final)

    def _remove_sources(self, done: list[_Write]) -> None:
        """Take the moved files out of SOURCE; a transformed file's own bytes go to
        DEST/.imgorg/originals/ (kept until ``imgorg finalize``), so undo can restore them. A
        source that cannot be removed stays where it is, with a note, and is counted."""
        removed: list[str] = []
        originals: dict[str, str] = {}
        kept: list[Decision] = []
        for write in done:
            decision = write.decision
            why: str | None = None
            after = decision.action.source_after
            if after is SourceAfter.UNLINKED:
                why = remove_source(self.source, decision, write.final)
            elif after is SourceAfter.KEPT_BELOW_DEST:
                original = original_path(self.run_id, decision.rel)
                if keep_original(
                    self.source,
                    decision,
                    write.final,
                    os.path.join(self.dest, original),
                    sync=self.sync,
                ):
                    originals[decision.rel] = original
                else:
                    why = "it could not be kept below DEST/.imgorg/originals (changed, or refused)"
            elif after is SourceAfter.STAYS:
                continue
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


CHANGED = "changed since it was analysed; run again"


def _remove_all(paths: list[str]) -> None:
    """Remove files; one that cannot be is left to the end of the run (staging is emptied)."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def unchanged(path: str, decision: Decision) -> bool:
    """Whether ``path`` is still the very file the worker read: same size and mtime and, when
    known, same inode and ctime (a replaced file has a new inode; any write sets the ctime)."""
    st = os.lstat(path)
    if (st.st_size, st.st_mtime_ns) != (decision.size, decision.mtime_ns):
        return False
    return not decision.ino or (st.st_ino, st.st_ctime_ns) == (decision.ino, decision.ctime_ns)


def _check_before_move(source: str, decision: Decision) -> None:
    """Right before a source is renamed away: its bytes are the ones analysed, and it is still
    the same file (checked after the read, so a change during it shows too)."""
    if fsops.hash_file(source) != decision.hash or not unchanged(source, decision):
        raise _Changed(CHANGED)


def _link(source: str, final: str, decision: Decision, writes: Writes) -> str:
    """A link to ``source`` at the temporary sibling of ``final``; return the temporary name.
    The source must still be the file analysed: the link shows its bytes, not a copy of them."""
    if not unchanged(source, decision):
        raise _Changed(CHANGED)
    temp = fsops.temp_name(final)
    fsops.remove_quietly(temp)  # left by a run that died: it is ours to replace
    if writes is Writes.HARD_LINK:
        os.link(source, temp, follow_symlinks=False)
    else:
        os.symlink(os.path.abspath(source), temp)
    return temp


def _copy_verified(source: str, final: str, decision: Decision) -> tuple[str, bool]:
    """Copy ``source`` to the temporary sibling of ``final`` (a reflink clone where the
    filesystem can make one, else a copy hashed as it is written); return the temporary name
    and whether it is a clone. The copy must hold exactly the bytes the worker analysed."""
    temp = fsops.temp_name(final)
    fsops.remove_quietly(temp)  # left by a run that died: it is ours to replace
    hasher = xxhash.xxh3_128()
    try:
        cloned = fsops.clone_into(source, temp)
        if cloned:
            digest = fsops.hash_file(temp)  # the clone's bytes, read back: no write at all
        else:
            fsops.copy_into(source, temp, hasher)
            digest = hasher.hexdigest()
    except BaseException:
        fsops.remove_quietly(temp)
        raise
    if digest != decision.hash:
        fsops.remove_quietly(temp)
        raise _Changed(f"{decision.rel} changed while it was being copied; run again")
    os.utime(temp, ns=(decision.mtime_ns, decision.mtime_ns))
    return temp, cloned


class _Changed(Exception):
    pass


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
