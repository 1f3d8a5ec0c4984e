"""``imgorg verify DEST``: re-hash what the journal says was written, and the originals it
keeps; report what is missing or changed.

It only looks: it reads a private copy of the journal, settled as the recovery of a killed run
would settle it (engine/commands/preview.py), and changes nothing in DEST or SOURCE. What a
killed run left unfinished is named, and finished by the next organize of its SOURCE (or undo).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from engine.commands.preview import Pending, Unplaced
from engine.policy.actions import SourceAfter
from engine.store import fsops
from engine.store.dest_view import Refiled
from engine.store.journal import Journal, Written


@dataclass
class VerifyResult:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    # a copy the journal says DEST holds, found as a symbolic link (to where it points now) or
    # as no file at all (a folder, a pipe): DEST does not hold its bytes
    not_files: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (dest, why): not checked
    originals: int = 0  # kept originals checked
    originals_bytes: int = 0
    only_copy: dict[str, str] = field(default_factory=dict)  # missing moved file: its source
    dangling: dict[str, str] = field(default_factory=dict)  # missing: a link run's link, target
    unplaced: list[Unplaced] = field(default_factory=list)  # planned by a killed run, not in DEST
    pending: list[tuple[str, str]] = field(default_factory=list)  # (dest, source) to place
    # a copy gone from DEST whose bytes a later run placed again (from its source, or from a
    # copy of it): its new name, and that run
    placed_again: dict[str, tuple[str, int]] = field(default_factory=dict)
    # a copy not at its name, found under it with its bytes in another folder of DEST (the
    # user moved it there): where it is now; not missing
    moved: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        problems = (self.missing, self.changed, self.not_files, self.unreadable, self.unplaced)
        return not (any(problems) or self.pending)


def verify(dest: str, journal: Journal, pending: Pending | None = None) -> VerifyResult:
    """Check every file the journal has in DEST; with ``pending`` (what recovery would do on a
    settled private copy), where it is until recovery runs, and what a killed run left."""
    result = VerifyResult()
    pending = pending or Pending()
    result.unplaced = pending.unplaced
    checked = None
    for item in journal.each_written():
        if item.dest in pending.companions:  # still in SOURCE: recovery places it
            result.pending.append((item.dest, pending.companions[item.dest][0]))
            continue
        # A later run's row naming the same file (a release, or one a move run did not release)
        # comes right after the row of the run that placed it: the file is checked once.
        if (item.dest, item.out_hash) != checked:
            checked = (item.dest, item.out_hash)
            result.checked += 1
            link = item.action.symbolic  # its bytes are the target's
            _check(pending.on_disk(dest, item.dest), item.dest, item.out_hash, result, link)
            if result.missing[-1:] == [item.dest] and not link:
                again = journal.placed_again(item.hash, item.dest, item.run_id)
                if again is not None:
                    result.missing.pop()
                    result.placed_again[item.dest] = again
        if result.missing[-1:] == [item.dest] and _moved_away(item):
            result.only_copy[item.dest] = os.path.join(item.source_root, item.rel)
        if item.action.keeps_original and item.original:
            result.originals += 1
            result.originals_bytes += item.size
            _check(os.path.join(dest, item.original), item.original, item.hash, result)
    if result.missing:
        _found_moved(dest, journal, result)
    return result


def _found_moved(dest: str, journal: Journal, result: VerifyResult) -> None:
    """Take out of ``result.missing`` the copies found moved to another folder of DEST."""
    refiled = Refiled(dest, result.missing, journal.holds_other)
    for name in result.missing:
        now = refiled.find(name, journal)
        if now is not None:
            result.moved[name] = now
            result.only_copy.pop(name, None)
    if result.moved:
        result.missing = [name for name in result.missing if name not in result.moved]


def _moved_away(item: Written) -> bool:
    """Whether the move that placed ``item`` took its source out of SOURCE, DEST then holding
    its only copy (a transformed move's original is kept below DEST)."""
    after = item.action.source_after
    gone = not os.path.lexists(os.path.join(item.source_root, item.rel))
    return gone and (
        after is SourceAfter.RENAMED_AWAY or (after is SourceAfter.UNLINKED and item.source_removed)
    )


def _check(
    path: str, rel: str, content_hash: str | None, result: VerifyResult, link: bool = False
) -> None:
    """Re-hash the file at ``path``: a regular file of DEST's own, or, where the run made a
    symbolic link (``link``), the regular file it leads to. Anything else is not read (a pipe
    would never answer): a link where the run wrote a file holds no bytes in DEST, even when
    its target has the very bytes (delete that target and the photo is gone)."""
    try:
        st = os.stat(path) if link else os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # its folder gone, or a file there now
        result.missing.append(rel)
        if link and os.path.islink(path):
            result.dangling[rel] = os.readlink(path)
        return
    except OSError as exc:  # a folder on the way not readable, say: nothing is known of it
        result.unreadable.append((rel, exc.strerror or str(exc)))
        return
    if stat.S_ISLNK(st.st_mode):
        result.not_files.append((rel, f"a symbolic link to {os.readlink(path)}, not a copy"))
        return
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a pipe, socket or device"
        result.not_files.append((rel, what))
        return
    try:
        actual = fsops.hash_file(path)
    except FileNotFoundError:
        result.missing.append(rel)
        return
    except OSError as exc:
        result.unreadable.append((rel, exc.strerror or str(exc)))
        return
    if actual != content_hash:
        result.changed.append(rel)
