"""A group commit, as the writer decided it: the batch's rows journaled ``planned`` (those
of verdicts that write nothing ``done`` at once), temporary files, one sync, no-replace
renames, another sync, the files in place journaled ``done``, and the removal of the workers'
copies nobody placed.

The writer encodes the rows (``Ledger``) and the files to write (``FileWrite``);
``group_commit`` runs in a placer process (engine/stages/placers.py), or in the writer itself
when the run has no pool. It decides nothing: it reports which files are in place, which
failed and why, and where DEST ran out of space; the writer journals what becomes of those.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import xxhash

from engine.policy.actions import Writes
from engine.policy.naming import FAT_REFUSES
from engine.sizes import format_size
from engine.store import fsops
from engine.store.journal import Journal

RESERVE = 16_000_000  # bytes left free on DEST, for the journal and the filesystem itself
CHANGED = "changed since it was analysed; run again"


def disk_full_message(needed: int, free: int) -> str:
    return (
        f"DEST is full: {format_size(free)} free, the next file needs {format_size(needed)}, "
        f"and imgorg keeps {format_size(RESERVE)} free for its journal"
    )


def free_bytes(path: str) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class FileWrite(NamedTuple):
    """One file of a batch to put in DEST, as the writer decided it."""

    writes: Writes
    rel: str  # below SOURCE
    dest: str  # below DEST
    staged: str | None  # below the staging folder: the worker's copy or output, if any
    size: int  # the source as analysed
    mtime_ns: int
    ino: int  # 0: unknown
    ctime_ns: int
    hash: str | None
    bytes_out: int
    needs_space: bool  # the bytes are written here, not already on DEST
    out_hash: str | None = None  # the bytes placed, when not the source's (a staged output)


class Ledger(NamedTuple):
    """What a group commit journals, encoded by the writer (engine.store.journal.rows)."""

    journal: str  # its path
    run_id: int
    planned: list[list[Any]]  # the rows of Job.writes, in their order
    final: list[list[Any]]  # the rows of verdicts that write nothing: done at once
    folders: list[str]  # the folders of DEST the batch makes, journaled for undo


class Job(NamedTuple):
    source: str
    dest: str
    stage_dir: str | None
    sync: bool
    writes: list[FileWrite]
    discard: list[str]  # the workers' copies of files not placed from them: removed
    ledger: Ledger | None = None  # None: journaled by the caller


@dataclass(slots=True)
class Outcome:
    placed: list[int] = field(default_factory=list)  # indexes into Job.writes, in place now
    failed: list[tuple[int, str]] = field(default_factory=list)  # index, why not
    crossing: list[int] = field(default_factory=list)  # moves refused across mounts (EXDEV)
    full: tuple[int, str] | None = None  # the first file that did not fit, and the message
    cloned: int = 0  # copies made here as reflink clones
    # Whether every placed file's row was marked done: False when one was written again (under
    # another id) while the batch was under way; the writer then marks them by path.
    all_marked: bool = True


class Changed(Exception):
    pass


def group_commit(job: Job, journal: Journal) -> Outcome:
    """Journal the batch (``job.ledger``) ``planned``, put its files in place, and journal
    those in place ``done``."""
    ledger = job.ledger
    assert ledger is not None
    with journal.transaction():
        journal.record_made_folders(ledger.run_id, ledger.folders)
        ids = journal.insert_rows(ledger.planned)
        journal.insert_rows(ledger.final)
    outcome = commit_files(job)
    done = [ids[i] for i in sorted(outcome.placed)]
    outcome.all_marked = journal.mark_done_ids(ledger.run_id, done) == len(done)
    return outcome


def commit_files(job: Job) -> Outcome:
    """Write the batch to temporary names (stopping at the first file that does not fit),
    sync, rename each to its final name (never over an existing file), sync, and remove the
    copies to discard. A failure is one file's, never the batch's."""
    outcome = Outcome()
    temps: list[tuple[int, str, bool]] = []  # index, temporary path, whether it is ours
    made: dict[str, bool] = {}  # folders made (or found) for this batch: staging's filesystem?
    for index, item in enumerate(job.writes):
        final = os.path.join(job.dest, item.dest)
        if item.needs_space:
            free = free_bytes(job.dest)
            if item.bytes_out + RESERVE > free:
                outcome.full = (index, disk_full_message(item.bytes_out, free))
                break
        try:
            temp, ours = _temporary(job, item, final, outcome, made)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                outcome.full = (index, f"DEST is full ({exc.strerror})")
                break
            if not os.path.lexists(os.path.join(job.source, item.rel)):
                outcome.failed.append((index, "vanished from SOURCE during the run"))
            else:
                outcome.failed.append((index, cannot_write(exc, item.dest)))
            continue
        except Changed as exc:
            outcome.failed.append((index, str(exc)))
            continue
        temps.append((index, temp, ours))
    if temps and job.sync:
        fsops.sync_filesystem(job.dest)
    for index, temp, ours in temps:
        item = job.writes[index]
        reason = _rename(temp, os.path.join(job.dest, item.dest), item, ours)
        if reason is None:
            outcome.placed.append(index)
        elif reason is _CROSSING:
            outcome.crossing.append(index)
        else:
            outcome.failed.append((index, reason))
    if outcome.placed and job.sync:
        fsops.sync_filesystem(job.dest)
    for path in job.discard:
        with contextlib.suppress(OSError):  # left to the end of the run: staging is emptied
            os.unlink(path)
    return outcome


_CROSSING = "crossing"


def _temporary(
    job: Job, item: FileWrite, final: str, outcome: Outcome, made: dict[str, bool]
) -> tuple[str, bool]:
    """The file to rename to ``final``, and whether it is a temporary file of ours."""
    folder = os.path.dirname(final)
    if folder not in made:
        fsops.make_folders(folder)
        made[folder] = job.stage_dir is not None and same_filesystem(folder, job.stage_dir)
    source = os.path.join(job.source, item.rel)
    if item.writes is Writes.COPY:
        if item.staged is not None and job.stage_dir is not None and made[folder]:
            # The worker's copy of the bytes it hashed: placed once the source is seen to be
            # the file analysed still (a stat, no read).
            if not holds_what_was_read(source, item):
                raise Changed(f"{item.rel} changed since it was analysed; run again")
            staged = os.path.join(job.stage_dir, item.staged)
            no_wider_than_source(staged, source)
            return staged, True
        temp, cloned = copy_verified(source, final, item)
        outcome.cloned += cloned
        return temp, True
    if item.writes is Writes.STAGED_FILE:  # the worker's output, with the source's mtime
        assert job.stage_dir is not None and item.staged is not None
        staged = os.path.join(job.stage_dir, item.staged)
        if not made[folder]:
            return copy_staged_across(staged, source, final, item), True
        no_wider_than_source(staged, source)
        return staged, True
    if item.writes is Writes.RENAME_SOURCE:
        if not holds_what_was_read(source, item):
            raise Changed(CHANGED)
        return source, False
    if item.writes in (Writes.HARD_LINK, Writes.SYMBOLIC_LINK):
        return _link(source, final, item), True
    raise ValueError(f"{item.writes!r} writes nothing")


def same_filesystem(folder: str, stage_dir: str) -> bool:
    """Whether a file in the staging folder can be renamed into ``folder``: not when ``folder``
    is on another disk (a year folder of DEST linked or mounted onto another one, as an
    archive that outgrew its disk has), nor on another mount of DEST's (a bind mount: one
    filesystem, yet a rename between them fails)."""
    return fsops.same_device(stage_dir, folder)


def copy_staged_across(staged: str, source: str, final: str, item: FileWrite) -> str:
    """The worker's output (``staged``) copied to the temporary sibling of ``final``, on
    another filesystem than the staging folder; the copy must hold the bytes the worker wrote."""
    expected = item.out_hash
    temp, _cloned = _copy_checked(staged, final, expected, "its turned or re-encoded bytes")
    os.utime(temp, ns=(item.mtime_ns, item.mtime_ns))
    no_wider_than_source(temp, source)
    return temp


def no_wider_than_source(new: str, source: str) -> None:
    """Take from the file ``new`` written for ``source`` every permission ``source`` lacks: a
    photo only its owner may read stays so in DEST. Nothing is added (a card's 0777 files land
    with the mode new files get here); a source gone already, or a DEST that keeps no modes,
    leaves ``new`` as it is."""
    try:
        allowed = os.stat(source).st_mode & 0o777
    except OSError:
        return
    mode = os.stat(new).st_mode & 0o777
    if mode & allowed != mode:
        with contextlib.suppress(OSError):  # a DEST without modes (FAT, MTP, some FUSE)
            os.chmod(new, mode & allowed)


def _rename(temp: str, final: str, item: FileWrite, ours: bool) -> str | None:
    """Rename into place; None when done, else why not (``_CROSSING``: a move across mounts
    of one filesystem, which the writer turns into a copy)."""
    try:
        if not ours:
            check_before_move(temp, item)
        fsops.rename_noreplace(temp, final)
        return None
    except Changed as exc:
        return str(exc)
    except OSError as exc:
        if not ours and exc.errno == errno.EXDEV:
            return _CROSSING
        if ours and (
            item.writes is not Writes.STAGED_FILE
            or os.path.basename(temp).startswith(fsops.TEMP_PREFIX)
        ):
            fsops.remove_quietly(temp)
        return placing_failed(exc, item.dest, written_here=ours)


def placing_failed(exc: OSError, dest: str, written_here: bool) -> str:
    """Why a file could not be placed at ``dest``: a copy written for it (by a worker or a
    placer), or its source renamed or copied from SOURCE."""
    if isinstance(exc, FileNotFoundError) and not written_here:
        return "vanished from SOURCE during the run"
    if isinstance(exc, fsops.DestinationExists):
        return "its destination appeared during the run"
    if written_here:  # placing it is the write
        return cannot_write(exc, dest)
    if refused_name(exc, dest):
        return f"cannot place: {_REFUSED} ({exc.strerror or exc}); {_FAT_NAMES}"
    return f"cannot place: {exc.strerror or exc}"


_FAT_NAMES = 'FAT and exFAT disks take no \\ : * ? " < > | in a name, nor one ending in . or space'
_REFUSED = "DEST's filesystem refuses this name"


def cannot_write(exc: OSError, dest: str) -> str:
    if refused_name(exc, dest):
        return f"cannot write {dest}: {_REFUSED} ({exc.strerror or exc}); {_FAT_NAMES}"
    return f"cannot write {dest}: {exc.strerror or exc}"


def refused_name(exc: OSError, dest: str) -> bool:
    """Whether creating ``dest`` (below DEST) failed for a name a FAT or exFAT disk cannot
    hold: the kernel says EINVAL, some FUSE drivers ENOENT."""
    if exc.errno not in (errno.EINVAL, errno.ENOENT):
        return False
    parts = dest.split("/")
    return any(c in dest for c in FAT_REFUSES) or any(part.endswith((".", " ")) for part in parts)


class Seen(Protocol):
    """What identifies a file as the one a worker read (a FileWrite, a Decision)."""

    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...
    @property
    def ino(self) -> int: ...
    @property
    def ctime_ns(self) -> int: ...
    @property
    def hash(self) -> str | None: ...


class Named(Seen, Protocol):
    """A file as analysed, with its path below SOURCE."""

    @property
    def rel(self) -> str: ...


def unchanged(path: str, seen: Seen) -> bool:
    """Whether ``path`` is still the very file the worker read: same size and mtime and, when
    known, same inode and ctime (a replaced file has a new inode; any write sets the ctime).
    The ctime also moves when a hard link to the file is made, renamed or removed (one photo
    under two names in SOURCE, the other name already moved) or its mode changes: on the same
    inode a new ctime is then settled by the bytes, read between two identical stats."""
    st = os.lstat(path)
    if (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
        return False
    if not seen.ino or (st.st_ino, st.st_ctime_ns) == (seen.ino, seen.ctime_ns):
        return True
    if st.st_ino != seen.ino or seen.hash is None:
        return False
    return _read_between_stats(path, st, seen.hash)


def holds_what_was_read(path: str, seen: Seen) -> bool:
    """Whether ``path`` still holds the bytes the worker read, so that its copy of them can be
    placed: ``unchanged``, or the same size, mtime and bytes under a new inode number (a FUSE
    filesystem, an exFAT card or a phone over MTP, numbers a file anew once the kernel has let
    it go; a sync tool rewrites a file whole). Not enough to remove a source: that must be the
    very file whose copy was placed."""
    if unchanged(path, seen):
        return True
    st = os.lstat(path)
    if (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns) or seen.hash is None:
        return False
    return st.st_ino != seen.ino and _read_between_stats(path, st, seen.hash)


def _read_between_stats(path: str, st: os.stat_result, content_hash: str) -> bool:
    """Whether ``path`` (seen as ``st``) holds ``content_hash``, and is seen so again after."""
    if fsops.hash_file(path) != content_hash:
        return False
    again = os.lstat(path)
    return (again.st_ino, again.st_size, again.st_mtime_ns, again.st_ctime_ns) == (
        st.st_ino,
        st.st_size,
        st.st_mtime_ns,
        st.st_ctime_ns,
    )


def check_before_move(source: str, item: FileWrite) -> None:
    """Right before a source is renamed away: its bytes are the ones analysed, and it is still
    the same file, or one with its size and mtime under a new inode number (see
    ``holds_what_was_read``; checked after the read, so a change during it shows too)."""
    if fsops.open_for_writing(source):
        raise Changed("another program has it open for writing; run again once it is done")
    if fsops.hash_file(source) != item.hash or not holds_what_was_read(source, item):
        raise Changed(CHANGED)


def _link(source: str, final: str, item: FileWrite) -> str:
    """A link to ``source`` at the temporary sibling of ``final``; return the temporary name.
    The source must still be the file analysed: the link shows its bytes, not a copy of them."""
    if not unchanged(source, item):
        raise Changed(CHANGED)
    temp = fsops.temp_name(final)
    fsops.remove_quietly(temp)  # left by a run that died: it is ours to replace
    if item.writes is Writes.HARD_LINK:
        os.link(source, temp, follow_symlinks=False)
    else:
        os.symlink(os.path.abspath(source), temp)
    return temp


def copy_verified(source: str, final: str, item: Named) -> tuple[str, bool]:
    """Copy ``source`` to the temporary sibling of ``final`` (a reflink clone where the
    filesystem can make one, else a copy hashed as it is written); return the temporary name
    and whether it is a clone. The copy must hold exactly the bytes the worker analysed."""
    temp, cloned = _copy_checked(source, final, item.hash, item.rel)
    os.utime(temp, ns=(item.mtime_ns, item.mtime_ns))
    no_wider_than_source(temp, source)
    return temp, cloned


def _copy_checked(path: str, final: str, expected: str | None, what: str) -> tuple[str, bool]:
    """Copy ``path`` to the temporary sibling of ``final``; return it and whether it is a
    clone. Removed, and Changed raised, unless it holds the bytes ``expected``."""
    temp = fsops.temp_name(final)
    fsops.remove_quietly(temp)  # left by a run that died: it is ours to replace
    hasher = xxhash.xxh3_128()
    try:
        cloned = fsops.clone_or_copy(path, temp, hasher=hasher)
        # a clone's bytes are read back (it wrote nothing); a copy's were hashed as written
        digest = fsops.hash_file(temp) if cloned else hasher.hexdigest()
    except BaseException:
        fsops.remove_quietly(temp)
        raise
    if expected is None or digest != expected:
        fsops.remove_quietly(temp)
        raise Changed(f"{what} changed while it was being copied; run again")
    return temp, cloned
