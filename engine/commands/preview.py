"""DEST as the recovery of a killed run would leave it, found without changing anything: for
``imgorg undo --dry-run`` and ``imgorg verify``, which only look.

DEST's journal is copied aside (``organize.journal_copy``: reading it in place through SQLite
would make its -wal and -shm files) and the copy settled as ``engine.stages.recover.reconcile``
settles the real one; the disk steps that recovery would take (a tidy step to finish, a killed
move's companions to rename into DEST) are noted in ``Pending`` instead of taken.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.errors import JournalError, NewerJournal, RunError
from engine.policy.actions import Writes
from engine.records import Decision
from engine.stages.commit import unchanged
from engine.stages.recover import (
    FOLLOWING,
    renamed_away,
    settle_release,
    settle_removed_sources,
)
from engine.stages.tidy import _TMP as TIDY_TEMP
from engine.store import fsops
from engine.store.journal import Journal, check_readable


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A file a killed run had planned to place that is not in DEST: recovery forgets its row."""

    source: str  # its path in SOURCE
    dest: str  # where the killed run meant to put it, relative to DEST
    in_source: bool  # its source still holds the bytes the run read: the next run places it


@dataclass
class Pending:
    """What recovery would do before the real command, left undone."""

    moved: list[tuple[str, str]] = field(default_factory=list)  # (journaled folder, now at)
    companions: dict[str, tuple[str, bool]] = field(default_factory=dict)  # dest: source, renamed
    unplaced: list[Unplaced] = field(default_factory=list)

    def on_disk(self, dest: str, rel: str) -> str:
        """Where the file the (settled) journal puts at ``rel`` below DEST is now: a folder an
        unfinished tidy step moves may still be at its old name, or its temporary one."""
        for folder, now in self.moved:
            if rel.startswith(folder + "/"):
                return os.path.join(dest, now + rel[len(folder) :])
        return os.path.join(dest, rel)


@contextlib.contextmanager
def settled_copy(dest: str) -> Iterator[tuple[Journal, Pending]]:
    """A private copy of DEST's journal settled as recovery would settle it, and what recovery
    would do on the disk; DEST and SOURCE are left exactly as they are."""
    from engine.commands.organize import JOURNAL, META, journal_copy

    real = os.path.join(dest, META, JOURNAL)
    with tempfile.TemporaryDirectory(prefix="imgorg-read-only-") as scratch:
        copy = journal_copy(os.path.join(dest, META), scratch)
        if copy is None:
            raise RunError(f"no imgorg journal in {dest} (nothing was organized there)")
        try:
            journal = _private(copy)
        except NewerJournal:
            raise
        except JournalError as exc:
            raise RunError(
                f"{str(exc).replace(copy, real)}. Nothing was done. Move the journal "
                "aside (keep a copy) before running organize again: undo and verify need a "
                "readable journal"
            ) from exc
        try:
            yield journal, settle(journal, dest)
        finally:
            journal.close()


def _private(copy: str) -> Journal:
    """The journal copied into a scratch folder, read and settled in place there (not loaded
    into memory as a whole: a large archive's journal is large)."""
    check_readable(copy)
    return Journal(sqlite3.connect(copy, isolation_level=None))


def settle(journal: Journal, dest: str) -> Pending:
    """``reconcile`` on ``journal`` (a private copy) with the disk read, never written."""
    pending = Pending()
    for old, new in journal.pending_tidy():
        now = _tidy_folder_now(dest, old, new)
        if now != new:
            pending.moved.append((new, now))
        journal.apply_tidy(old, new)
    placed: set[tuple[str, str, int]] = set()
    behind: list[tuple[str, Decision, int]] = []
    for root, decision, run_id in journal.unfinished():
        if decision.action.releases:
            settle_release(journal, dest, root, decision, run_id)
            continue
        if decision.dest is None or not decision.action.touches_dest:
            journal.forget([(root, decision.rel)], run_id)
            continue
        final = pending.on_disk(dest, decision.dest)
        if fsops.holds(final, decision.out_hash) or renamed_away(root, decision, final):
            journal.mark_done(root, [decision.rel], run_id)
            placed.add((root, decision.rel, run_id))
        elif decision.companion_of is not None and decision.action in FOLLOWING:
            behind.append((root, decision, run_id))
        else:
            _forget_unplaced(journal, pending, root, decision, run_id)
    for root, decision, run_id in behind:
        assert decision.dest is not None and decision.companion_of is not None
        source = os.path.join(root, decision.rel)
        final = pending.on_disk(dest, decision.dest)
        photo = (root, decision.companion_of, run_id)
        if photo in placed and _would_place(source, decision, final):
            journal.mark_done(root, [decision.rel], run_id)
            renames = decision.action.writes is Writes.RENAME_SOURCE
            pending.companions[decision.dest] = (source, renames)
        else:
            _forget_unplaced(journal, pending, root, decision, run_id)
    settle_removed_sources(journal, dest, pending.on_disk)
    return pending


def _forget_unplaced(
    journal: Journal, pending: Pending, root: str, decision: Decision, run_id: int
) -> None:
    assert decision.dest is not None
    source = os.path.join(root, decision.rel)
    in_source = not os.path.islink(source) and fsops.holds(source, decision.hash)
    pending.unplaced.append(Unplaced(source, decision.dest, in_source))
    journal.forget([(root, decision.rel)], run_id)


def _tidy_folder_now(dest: str, old: str, new: str) -> str:
    """Where the folder a pending tidy step moves from ``old`` to ``new`` is now (relative to
    DEST), as ``engine.stages.tidy.finish_pending`` would find it."""
    temp = os.path.join(os.path.dirname(new), TIDY_TEMP)
    old_path, temp_path = os.path.join(dest, old), os.path.join(dest, temp)
    if os.path.isdir(old_path) and not os.path.lexists(temp_path):
        return old
    if os.path.isdir(temp_path) and not os.path.lexists(os.path.join(dest, new)):
        return temp
    return new


def _would_place(source: str, decision: Decision, final: str) -> bool:
    """Whether recovery would place a killed move's companion (``_place_unchanged``)."""
    try:
        return (
            unchanged(source, decision)
            and fsops.hash_file(source) == decision.hash
            and not os.path.lexists(final)
        )
    except OSError:
        return False
