"""Taking moved files out of SOURCE, once their placed copies are journaled ``done``; and
releasing the sources a move run finds already copied into DEST by an earlier run (a copy run).

A moved file's source is unlinked only if it is still the file analysed and its placed copy
verifies; a transformed file's own bytes (re-encoded or turned in DEST) go to
DEST/.imgorg/originals/ instead, so undo can restore them. That checking reads files (the
source, the placed copy; across filesystems the original is copied), so ``release_sources``
runs in a placer process like the group commit itself (engine/stages/placers.py), or in the
writer when the run has no pool. It touches no journal: the writer journals what it reports.
A crash after an unlink and before the journal says so is settled by the disk on the next
start (engine/stages/recover.py).

A release (``Action.RELEASE``, ``RELEASE_KEPT``) writes nothing: its row is journaled
``planned`` and synced, then DEST's file, the earlier run's copy, is re-hashed against the hash
the journal recorded for it, and the source against the one its worker read and the journal
tied to that copy; only then does the source go (unlinked, or kept below DEST when DEST's copy
is re-encoded or turned). The writer then journals it removed and ``done``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import xxhash

from engine.policy.actions import Action, SourceAfter
from engine.stages.commit import Seen, holds_what_was_read, unchanged
from engine.store import fsops
from engine.store.journal import SourceMode, original_path

CANNOT_REMOVE = "cannot remove it"  # the start of the reason a verified source stays
STILL_WRITTEN = "another program has it open for writing (a copy or import still under way?)"
IS_SOURCE = "its copy in DEST is the source file itself"
SET_ID = stat.S_ISUID | stat.S_ISGID


class Moved(Seen, Protocol):
    """A moved file and its placed copy (a Decision, a ``MovedFile``)."""

    @property
    def rel(self) -> str: ...
    @property
    def action(self) -> Action: ...
    @property
    def out_hash(self) -> str | None: ...


class MovedFile(NamedTuple):
    """A moved file as a placer process is told of it."""

    rel: str
    dest: str  # below DEST: its placed copy
    action: Action
    size: int
    mtime_ns: int
    ino: int
    ctime_ns: int
    hash: str | None
    out_hash: str | None


class Release(NamedTuple):
    """The moved files of one settled group commit, whose sources are to leave SOURCE."""

    source: str
    dest: str
    run_id: int
    sync: bool
    files: list[MovedFile]


@dataclass(slots=True)
class Released:
    removed: list[int] = field(default_factory=list)  # indexes into Release.files: gone now
    originals: dict[int, str] = field(default_factory=dict)  # kept below DEST, at this path
    kept: list[tuple[int, str]] = field(default_factory=list)  # still in SOURCE, and why
    modes: dict[int, SourceMode] = field(default_factory=dict)  # the mode of those gone


def release_sources(job: Release) -> Released:
    """Unlink each verified source, or keep a transformed one's bytes below DEST; then sync
    SOURCE (and DEST when originals were kept there)."""
    done = Released()
    if job.sync and any(moved.action.releases for moved in job.files):
        # Their rows, journaled "planned" by the writer, are on disk before any source goes.
        fsops.sync_filesystem(job.dest)
    for index, moved in enumerate(job.files):
        final = os.path.join(job.dest, moved.dest)
        why: str | None = None
        after = moved.action.source_after
        takes_out = after in (SourceAfter.UNLINKED, SourceAfter.KEPT_BELOW_DEST)
        mode = source_mode(os.path.join(job.source, moved.rel)) if takes_out else None
        if after is SourceAfter.UNLINKED:
            why = remove_source(job.source, moved, final)
        elif after is SourceAfter.KEPT_BELOW_DEST:
            original = original_path(job.run_id, moved.rel)
            target = os.path.join(job.dest, original)
            if moved.action.releases:  # DEST's file, not this run's: a file there, no link
                why = copy_stands_apart(final, moved.out_hash, os.path.join(job.source, moved.rel))
            if why is None:
                if keep_original(job.source, moved, final, target, sync=job.sync):
                    done.originals[index] = original
                else:
                    why = "it could not be kept below DEST/.imgorg/originals (changed, or refused)"
        elif after is not SourceAfter.RENAMED_AWAY:  # that one left with the placing rename
            continue
        if why is None:
            done.removed.append(index)
            if mode is not None:
                done.modes[index] = mode
        else:
            done.kept.append((index, why))
    if done.removed and job.sync:
        fsops.sync_filesystem(job.source)
        if done.originals:
            fsops.sync_filesystem(job.dest)
    return done


def source_mode(path: str) -> SourceMode | None:
    """The permission bits and owner of a source about to leave SOURCE (None: not a file
    there)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return mode_of(st) if stat.S_ISREG(st.st_mode) else None


def mode_of(st: os.stat_result) -> SourceMode:
    return SourceMode(stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)


def give_mode(path: str, mode: SourceMode) -> None:
    """Give ``path``, a file written in place of a source, the source's owner where this
    process may (root) and its permission bits: the setuid and setgid bits only as far as the
    file is then the source's owner's and group's (never a set-id program of whoever wrote it,
    root say, made of a user's bytes: ``cp`` drops them too). A filesystem that keeps no modes
    or owners (MTP, FUSE) leaves the file as it is."""
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if mode.uid is not None and (st.st_uid, st.st_gid) != (mode.uid, mode.gid):
            with contextlib.suppress(OSError):
                os.chown(path, mode.uid, -1 if mode.gid is None else mode.gid)
                st = os.lstat(path)
        os.chmod(path, mode.bits & ~_set_id_not_theirs(st, mode))


def _set_id_not_theirs(st: os.stat_result, mode: SourceMode) -> int:
    """The set-id bits ``path`` (now ``st``) may not take from ``mode``."""
    if mode.uid is None:  # journaled without its owner: those the file has already, only
        return SET_ID & ~st.st_mode
    return (stat.S_ISUID if st.st_uid != mode.uid else 0) | (
        stat.S_ISGID if st.st_gid != mode.gid else 0
    )


def remove_source(source_root: str, moved: Moved, final: str) -> str | None:
    """Unlink a moved file's source if it is still the file analysed, with the same bytes, and
    its placed copy verifies; None when it is gone, else why it stays."""
    source = os.path.join(source_root, moved.rel)
    try:
        if fsops.open_for_writing(source):
            return STILL_WRITTEN
        if not unchanged(source, moved):
            return _remove_renumbered(source, moved, final)
        # Without the inode and ctime (read through another mount, or from the journal), or
        # with a ctime no write sets (FUSE), size and mtime alone do not prove the source
        # still holds the bytes placed.
        unknown = moved.action is Action.MOVE_COPY and (
            not moved.ino or not fsops.keeps_change_times(source)
        )
        if moved.action.releases:
            why = copy_stands_apart(final, moved.out_hash, source)
            if why is not None:
                return why
        elif moved.action.keeps_original and not fsops.holds(final, moved.out_hash):
            return "its copy in DEST is gone or no longer holds the bytes placed"
        # DEST's copy first, the source last, then a stat: a write to the source while either
        # was read shows in its bytes or its stat, where (on FUSE) no stat alone would show it.
        if unknown or moved.action.keeps_original or moved.action.releases:
            if fsops.hash_file(source) != moved.hash:
                return "its bytes are not the ones analysed"
            if not unchanged(source, moved):
                return "it changed since it was analysed"
        os.unlink(source)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{CANNOT_REMOVE}: {exc.strerror or exc}"
    return None


def _remove_renumbered(source: str, moved: Moved, final: str) -> str | None:
    """Unlink a source that holds the bytes analysed, with the size and mtime analysed, under
    another inode number (a FUSE filesystem renumbers the files the kernel lets go: an exFAT
    card, a phone over MTP), once its placed copy is seen to be a file of its own holding the
    bytes placed; None when it is gone, else why it stays."""
    if not holds_what_was_read(source, moved):
        return "it changed since it was analysed"
    why = copy_stands_apart(final, moved.out_hash, source)
    if why is not None:
        return why
    if not holds_what_was_read(source, moved):  # written to while DEST's copy was read
        return "it changed since it was analysed"
    os.unlink(source)
    return None


def copy_stands_apart(final: str, out_hash: str | None, source: str) -> str | None:
    """Why DEST's file ``final``, an earlier run's copy, cannot stand for ``source`` once that
    is unlinked; None when it can: a regular file itself (never followed if a symbolic link),
    holding the bytes ``out_hash`` (read through the very file checked), and not the source's
    own name seen through a folder of DEST linked or mounted onto SOURCE's. A hard link of the
    source elsewhere in DEST keeps its bytes, and stands."""
    try:
        fd = os.open(final, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return "its copy in DEST is gone, or a link, no longer the file placed"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "its copy in DEST is no longer a file"
        if (st.st_nlink < 2 and _same_inode(st, os.lstat(source))) or same_entry(final, source):
            return f"{IS_SOURCE} (a folder of DEST leads to SOURCE)"
        hasher = xxhash.xxh3_128()
        while chunk := os.read(fd, 1 << 20):
            hasher.update(chunk)
        if hasher.hexdigest() != out_hash:
            return "its copy in DEST no longer holds the bytes placed"
    except OSError as exc:
        return f"its copy in DEST cannot be read ({exc.strerror or exc})"
    finally:
        os.close(fd)
    return None


def same_entry(a: str, b: str) -> bool:
    """Whether two paths name one entry of one folder (reached by two paths: a folder linked
    or mounted onto another), so that unlinking either takes the file from both."""
    if os.path.basename(a) != os.path.basename(b):
        return False
    try:
        one, two = os.stat(os.path.dirname(a)), os.stat(os.path.dirname(b))
    except OSError:
        return False
    return _same_inode(one, two)


def _same_inode(one: os.stat_result, two: os.stat_result) -> bool:
    return (one.st_dev, one.st_ino) == (two.st_dev, two.st_ino)


def keep_original(
    source_root: str, moved: Moved, final: str, keep_at: str, sync: bool = True
) -> bool:
    """Take a transformed moved file's source out of SOURCE into ``keep_at`` (below DEST):
    a no-replace rename on one filesystem, else a copy verified against the source's hash.
    True when the source is gone from SOURCE and its bytes are at ``keep_at``."""
    source = os.path.join(source_root, moved.rel)
    temp = fsops.temp_name(keep_at)
    try:
        if not fsops.holds(final, moved.out_hash):
            return False
        try:
            if fsops.open_for_writing(source):
                return False
            if not holds_what_was_read(source, moved) or fsops.hash_file(source) != moved.hash:
                return False
        except FileNotFoundError:
            return fsops.holds(keep_at, moved.hash)
        fsops.make_folders(os.path.dirname(keep_at))
        if fsops.holds(keep_at, moved.hash):  # copied by a run that died before the unlink
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
        if hasher.hexdigest() != moved.hash:
            fsops.remove_quietly(temp)
            return False
        give_mode(temp, mode_of(os.stat(source)))
        os.utime(temp, ns=(moved.mtime_ns, moved.mtime_ns))
        if sync:
            fsops.fsync_path(temp)
        fsops.rename_noreplace(temp, keep_at)
        os.unlink(source)
    except OSError:
        fsops.remove_quietly(temp)  # a full DEST, say: the source stays where it is
        return False
    return True
