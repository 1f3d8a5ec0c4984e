"""``imgorg undo DEST``: reverse the last run recorded in DEST's journal.

Copy mode: remove only the files the run wrote whose bytes are still what it wrote. Move mode:
put every moved file back where it came from (never over an existing file). Anything changed
since is left alone and listed. Each step is journaled, so an interrupted undo resumes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from engine import fsops
from engine.journal import Journal, Written

_BATCH = 256


@dataclass
class UndoResult:
    runs: list[int] = field(default_factory=list)
    removed: int = 0
    restored: int = 0
    left: list[tuple[str, str]] = field(default_factory=list)  # (dest, why)


def undo(dest: str, journal: Journal, dry_run: bool = False) -> UndoResult:
    result = UndoResult(runs=journal.runs_to_undo())
    if not result.runs:
        return result
    done: list[tuple[str, str]] = []
    touched: set[str] = set()
    for item in journal.written(result.runs):
        if item.action == "none":
            continue  # an identical file was already there: not ours to remove
        why = _undo_one(dest, item, result, dry_run)
        if why is None:
            done.append((item.source_root, item.rel))
            touched.add(os.path.dirname(os.path.join(dest, item.dest)))
        else:
            result.left.append((item.dest, why))
        if len(done) >= _BATCH and not dry_run:
            journal.mark_undone(done)
            done = []
    if not dry_run:
        journal.mark_undone(done)
        _prune(dest, touched)
        journal.set_run_status(result.runs, "undone")
    return result


def _undo_one(dest: str, item: Written, result: UndoResult, dry_run: bool) -> str | None:
    """Undo one file; None when done, else why it was left alone."""
    path = os.path.join(dest, item.dest)
    origin = os.path.join(item.source_root, item.rel)
    moved = item.action.startswith("move") and item.source_removed
    if not os.path.lexists(path):
        if moved and not os.path.exists(origin):
            return "missing from DEST and from its source"
        return None  # already undone (an interrupted undo) or removed by hand
    try:
        if fsops.hash_file(path) != item.out_hash:
            return "changed since the run wrote it"
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if dry_run:
        result.restored += moved
        result.removed += not moved
        return None
    if not moved:
        os.unlink(path)
        result.removed += 1
        return None
    if os.path.lexists(origin):
        return "its original place is taken again"
    os.makedirs(os.path.dirname(origin), exist_ok=True)
    try:
        fsops.rename_noreplace(path, origin)
    except OSError:
        fsops.copy_into(path, origin + fsops.TEMP_PREFIX)
        if fsops.hash_file(origin + fsops.TEMP_PREFIX) != item.out_hash:
            fsops.remove_quietly(origin + fsops.TEMP_PREFIX)
            return "could not be copied back intact"
        fsops.rename_noreplace(origin + fsops.TEMP_PREFIX, origin)
        os.unlink(path)
    result.restored += 1
    return None


def _prune(dest: str, folders: set[str]) -> None:
    """Remove folders the undo emptied, up to (never including) DEST itself."""
    for folder in sorted(folders, key=len, reverse=True):
        while folder.startswith(dest + os.sep) and os.path.isdir(folder):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)
