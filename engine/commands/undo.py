"""``imgorg undo DEST``: reverse the last run that changed DEST, as the disk now stands.

A placed file is deleted only when its source is in SOURCE with the very bytes the run read;
otherwise it goes back there (never over an existing file). A re-encoded or rotated file whose
original bytes were kept (DEST/.imgorg/originals/) gets those back instead. Anything changed
since is left alone and listed, and so is every moved file that is not back in SOURCE. Each
step is journaled, so an interrupted undo resumes.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import xxhash

from engine.commands.preview import Pending
from engine.policy.actions import Action, Undo
from engine.settings import ENGINE_FOLDER
from engine.stages.release import IS_SOURCE, give_mode, same_entry
from engine.store import fsops
from engine.store.dest_view import Refiled
from engine.store.journal import UNDO_INCOMPLETE, Journal, SourceMode, Written

_BATCH = 256
# Why a source's rewritten copy is left in DEST, never put in SOURCE as if it were the photo.
_REWRITTEN = "a rewritten version of its source (turned or re-encoded), left in DEST"
INCOMPLETE = UNDO_INCOMPLETE


class Retry(str):
    """Why a file was left in DEST when a later undo may get past it: SOURCE not mounted, a
    folder there not writable. (A file changed or taken since is the user's doing: left.)"""

    __slots__ = ()


class Gone(str):
    """A file whose copy is not at its name in DEST: why it is left alone, or "" when nothing
    is left to undo (SOURCE holds it), unless the copy is found in another folder of DEST,
    moved there by the user (``Refiled``): then it is left there, and said so."""

    __slots__ = ()


_MISSING = Gone("missing from DEST and not in SOURCE")
_REFILED = "moved since the run (the same name and bytes) to"


@dataclass
class UndoResult:
    runs: list[int] = field(default_factory=list)
    removed: int = 0
    restored: int = 0
    # of ``restored``: turned or re-encoded versions put back, their originals deleted by
    # ``imgorg finalize`` (SOURCE then holds the photo as it was placed, not as it was)
    as_placed: int = 0
    left: list[tuple[str, str]] = field(default_factory=list)  # (dest, why), unless told on
    left_count: int = 0
    unfinished: list[int] = field(default_factory=list)  # runs the next undo retries
    given_up: list[int] = field(default_factory=list)  # runs a retry took no further
    retry: bool = False  # this undo finishes one that ended incomplete
    still_incomplete: list[int] = field(default_factory=list)  # earlier runs, undone in part
    # with nothing to undo: the empty folders that runs which placed nothing had made, removed
    empty_folders_removed: int = 0


def undo(
    dest: str,
    journal: Journal,
    pending: Pending | None = None,
    on_left: Callable[[str, str], None] | None = None,
) -> UndoResult:
    """Undo the runs ``journal.runs_to_undo`` names; with ``pending`` (what the recovery of a
    killed run would do first, on a settled private copy of the journal: see
    engine/commands/preview.py) only count what the undo would do, changing nothing. Each file
    left in DEST goes to ``on_left(dest, why)`` as it is found if given, else to
    ``result.left``. The runs' rows are read one at a time, never held at once."""
    dry_run = pending is not None
    result = UndoResult(runs=journal.runs_to_undo())
    tell = on_left if on_left is not None else lambda path, why: result.left.append((path, why))
    if not result.runs:
        if not dry_run:
            result.empty_folders_removed = _remove_empty(dest, journal.folders_made_for_nothing())
        return result
    result.retry = journal.run_info(result.runs[0])["status"] == INCOMPLETE
    result.still_incomplete = journal.incomplete_before(result.runs)
    if not dry_run:
        for rel, reason in _put_back_set_aside(dest, journal, result.runs):
            result.left_count += 1
            tell(rel, reason)
    # A later move run may have released a file these runs placed (its undo gave up on it)
    released = journal.moved_after(min(result.runs))
    done: list[tuple[str, str, int]] = []
    touched: set[str] = set()
    progress: set[int] = set()  # runs with a file undone now
    stuck: set[int] = set()  # runs with a file left in DEST that a retry may put back
    not_back: set[str] = set()  # SOURCE folders a file left in DEST was taken from
    # Newest run first: a source path two of the runs took (a photo the user edited or
    # replaced between a killed run and its resume) gets back what it held before the last.
    # A row is marked undone only once read (``Journal.each_written`` reads on meanwhile).
    refiled = Refiled(dest, _gone(dest, journal, result.runs, pending), journal.holds_other)
    for item in _newest_run_first(journal, result.runs):
        if item.action.undo is Undo.NOTHING:
            continue  # an identical file was already there: not ours to remove
        if pending is not None and item.dest in pending.companions:
            why = _undo_pending_companion(pending.companions[item.dest][1], result)
        else:
            why = _undo_one(dest, item, journal if released else None, result, pending)
        if isinstance(why, Gone):
            why = _refiled(dest, item, refiled.find(item.dest, journal), why, result, dry_run)
        if why is None:
            progress.add(item.run_id)
            done.append((item.source_root, item.rel, item.run_id))
            if released and not dry_run and item.action.undo is not Undo.COPY_BACK:
                done.extend(_later_release_undone(dest, item, journal))
            touched.add(os.path.dirname(os.path.join(dest, item.dest)))
            if item.original:
                touched.add(os.path.dirname(os.path.join(dest, item.original)))
        else:
            if isinstance(why, Retry):
                stuck.add(item.run_id)
            not_back.add(os.path.join(item.source_root, os.path.dirname(item.rel)))
            result.left_count += 1
            tell(item.dest, why)
        if len(done) >= _BATCH and not dry_run:
            journal.mark_undone(done)
            done = []
    if not dry_run:
        journal.mark_undone(done)
        journal.mark_unwritten_undone(result.runs)
        made = journal.made_folders(result.runs)
        if made is None:  # an earlier release's run, which did not journal the folders it made
            _prune(dest, touched)
        else:  # a kept original's folders are the runs' own, below DEST/.imgorg/originals
            own = os.path.join(dest, ENGINE_FOLDER, "")
            _prune(dest, {folder for folder in touched if folder.startswith(own)})
            _remove_empty(dest, made)
        _remove_empty(dest, journal.folders_made_for_nothing())
        journal.undo_verdicts_on(result.runs)
        times = journal.source_folder_times(result.runs)
        _reset_folder_times([(path, ns) for path, ns in times if path not in not_back])
        _set_statuses(journal, result, progress, stuck)
        _drop_thumbnails(os.path.join(dest, ENGINE_FOLDER, "thumbs"), journal)
    return result


def _refiled(
    dest: str, item: Written, now: str | None, why: Gone, result: UndoResult, dry_run: bool
) -> str | None:
    """Undo ``item``, whose copy is not at its name: a released source is copied back from
    where the user moved that copy within DEST (``now``), any other copy found there is left
    there; found nowhere, ``why``."""
    if now is None:
        return why or None
    if item.action.undo is Undo.COPY_BACK:
        origin = os.path.join(item.source_root, item.rel)
        return _copy_back(dest, os.path.join(dest, now), origin, item, result, dry_run)
    return f"{_REFILED} {now} in DEST: left there"


def _gone(dest: str, journal: Journal, runs: list[int], pending: Pending | None) -> Iterator[str]:
    """The names below DEST of the runs' files that are not there (deleted, or moved by the
    user to another folder), read one row at a time."""
    for item in journal.each_written(runs):
        path = (
            os.path.join(dest, item.dest) if pending is None else pending.on_disk(dest, item.dest)
        )
        if not os.path.lexists(path):
            yield item.dest


def _reset_folder_times(folders: list[tuple[str, int]]) -> None:
    """Give SOURCE's folders back the modification times they had before the undone runs took
    files out of them (putting the files back changed them again). A folder a file left in
    DEST was taken from is not given one (it does not hold what it held then)."""
    for path, mtime_ns in folders:
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                os.utime(path, ns=(st.st_atime_ns, mtime_ns), follow_symlinks=False)


def _newest_run_first(journal: Journal, run_ids: list[int]) -> Iterator[Written]:
    for run_id in sorted(run_ids, reverse=True):
        yield from journal.each_written([run_id])


def _set_statuses(
    journal: Journal, result: UndoResult, progress: set[int], stuck: set[int]
) -> None:
    """A run with files left in DEST for a reason a retry may get past is not undone: the
    next undo retries them (once the drive is mounted, the folder writable), not an earlier
    run. A retry that moves none of them gives up on them, so that the undo after it goes on
    to the runs before. Of the runs undone together (a killed run and its resume), only the
    newest left incomplete is marked so: the older ones keep their status, which joins them to
    it in the retry (``Journal.runs_to_undo``)."""
    newest_stuck = True
    for run_id in result.runs:
        if run_id not in stuck:
            status = "undone"
        elif run_id not in progress and result.retry:
            status = "undone"
            result.given_up.append(run_id)
        else:
            result.unfinished.append(run_id)
            if not newest_stuck:
                continue
            status = INCOMPLETE
            newest_stuck = False
        journal.set_run_status([run_id], status)


def _put_back_set_aside(dest: str, journal: Journal, runs: list[int]) -> list[tuple[str, str]]:
    """Copies the undone runs set aside (``--similar set-aside``, earlier runs' too) go back to
    their places first; the runs' own are then undone from there. Those that cannot, and why."""
    if not journal.db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'similar_moves'"
    ).fetchone():
        return []
    from engine.similar.setaside import FOLDER, ensure_schema, restore

    ensure_schema(journal.db)
    _back, left = restore(dest, journal.db, runs)
    return [(rel, f"left in {FOLDER}/: its old place is taken") for rel in left]


def _drop_thumbnails(thumbs: str, journal: Journal) -> None:
    """Remove the report's thumbnails of files no longer in DEST (named by content hash)."""
    try:
        names = os.listdir(thumbs)
    except OSError:
        return
    unused = {name.removesuffix(".jpg") for name in names if name.endswith(".jpg")}
    for digest in journal.hashes_in_dest():
        unused.discard(digest)
        if not unused:
            return
    for digest in unused:
        fsops.remove_quietly(os.path.join(thumbs, f"{digest}.jpg"))


def _undo_pending_companion(renamed: bool, result: UndoResult) -> str | None:
    """A dry run's count for a killed move's companion that recovery would first place in
    DEST: renamed there, it is then moved back; copied there, the copy is removed."""
    if renamed:
        result.restored += 1
    else:
        result.removed += 1
    return None


def _one_file(path: str, origin: str) -> bool:
    """Whether two names of different entries lead to one file (two hard links)."""
    try:
        one, two = os.lstat(path), os.lstat(origin)
    except OSError:
        return False
    same = (one.st_dev, one.st_ino) == (two.st_dev, two.st_ino) and stat.S_ISREG(one.st_mode)
    return same and not same_entry(path, origin)


def _undo_one(
    dest: str,
    item: Written,
    journal: Journal | None,
    result: UndoResult,
    pending: Pending | None,
) -> str | None:
    """Undo one file; None when done, else why it was left alone. With ``pending`` (a dry
    run) only count it, finding it where it is until recovery finishes a tidy step. With
    ``journal``, a later run may have released the file (asked when it is out of SOURCE)."""
    dry_run = pending is not None
    path = os.path.join(dest, item.dest) if pending is None else pending.on_disk(dest, item.dest)
    origin = os.path.join(item.source_root, item.rel)
    if item.action.undo is Undo.REMOVE_LINK:
        return _remove_link(path, origin, result, dry_run)
    if not os.path.isdir(item.source_root):  # never made again on whatever disk is there now
        return Retry(f"its SOURCE {item.source_root} is not there (a drive not mounted?)")
    if item.action.undo is Undo.COPY_BACK:
        return _copy_back(dest, path, origin, item, result, dry_run)
    if (
        item.action.undo is Undo.RETURN_ORIGINAL
        and item.original  # None once ``imgorg finalize`` deleted it: the placed bytes go back
        and not _same(origin, item.hash)
    ):
        kept = os.path.join(dest, item.original)
        return _restore_original(path, origin, kept, item, result, dry_run)
    if not os.path.lexists(path):
        # already undone (an interrupted undo), removed by hand, or moved within DEST
        if _same(origin, item.hash):
            if item.original and not dry_run:  # an undo killed before it dropped the spare
                _drop_spare(os.path.join(dest, item.original), item.hash, origin)
            return Gone("")
        return Gone("") if _same(origin, item.out_hash) else _MISSING
    if item.action is Action.HARDLINK and _one_file(path, origin):
        # A hard link view's name for SOURCE's own file, edited through the view or not:
        # dropping the name loses nothing, SOURCE's name holds the file.
        if not dry_run:
            os.unlink(path)
        result.removed += 1
        return None
    if not _same(path, item.out_hash):
        return "changed since the run wrote it"
    if _same(origin, item.hash) or (item.out_hash != item.hash and _same(origin, item.out_hash)):
        # SOURCE holds the file as the run read it (or as it placed it: a released source's
        # rewritten copy put back once finalize deleted its original): the placed copy is
        # redundant.
        if same_entry(path, origin):
            return f"{IS_SOURCE} (a folder of DEST leads to SOURCE): left"
        if dry_run:
            result.removed += 1
            return None
        os.unlink(path)
        result.removed += 1
        if item.original and _same(origin, item.hash):
            _drop_spare(os.path.join(dest, item.original), item.hash, origin)
        return None
    if os.path.lexists(origin):
        return "its source path holds other bytes now"
    # A source a later move run released (its undo gave up): the run left it in SOURCE, or
    # moved it and it was put back on the card since. A moved photo's own rewritten file is
    # all there is of it unless that release kept its original.
    later = None if journal is None else _release_of(journal, item)
    if later is not None and (
        not item.action.removes_source or (item.out_hash != item.hash and later.original)
    ):
        assert journal is not None
        return _return_released(dest, path, origin, item, later, journal, result, dry_run)
    why = None
    if not dry_run:
        why = _put_back(path, origin, item.out_hash, item.mtime_ns, item.source_mode)
    return _counted_back(result, why, rewritten=item.out_hash != item.hash)


def _return_released(
    dest: str,
    path: str,
    origin: str,
    item: Written,
    later: Written,
    journal: Journal,
    result: UndoResult,
    dry_run: bool,
) -> str | None:
    """A source placed by ``item``'s run, then released by the ``later`` run, whose undo gave up
    on it (SOURCE not there then): its own bytes go back, the kept original when DEST's file is
    rewritten (turned or re-encoded), never the rewritten file; the release is undone with it."""
    back, content = path, item.out_hash
    if item.out_hash != item.hash:
        if later.original is None:
            return (
                f"{_REWRITTEN}; its original, kept when run {later.run_id} released it, was "
                "deleted (imgorg finalize)"
            )
        back, content = os.path.join(dest, later.original), item.hash
        if not _same(back, item.hash):
            return f"{_REWRITTEN}; its kept original {later.original} is missing or changed"
    if dry_run:
        result.restored += 1
        return None
    why = _put_back(back, origin, content, item.mtime_ns, later.source_mode)
    if why is not None:
        return why
    if back != path:  # the kept original went back: DEST's rewritten file is not the photo
        os.unlink(path)
        _prune(dest, {os.path.dirname(back)})
    journal.mark_undone([(later.source_root, later.rel, later.run_id)])
    result.restored += 1
    return None


def _release_of(journal: Journal, item: Written) -> Written | None:
    """A later run's release of ``item``'s file (its source, its copy in DEST) not undone."""
    later = journal.released_later(item.source_root, item.rel, item.run_id)
    return later if later is not None and later.dest == item.dest else None


def _later_release_undone(dest: str, item: Written, journal: Journal) -> list[tuple[str, str, int]]:
    """``item``'s file is out of DEST (or back in SOURCE): a later release of it that the undo
    of its run gave up on is undone with it (the key of its row, to mark undone with
    ``item``'s), its kept original dropped as spare when SOURCE holds those bytes; kept
    otherwise (SOURCE holds the rewritten file), with its release."""
    later = _release_of(journal, item)
    if later is None:
        return []
    origin = os.path.join(item.source_root, item.rel)
    if later.original is not None:
        if not _same(origin, item.hash):
            return []
        _drop_spare(os.path.join(dest, later.original), item.hash, origin)
    return [(later.source_root, later.rel, later.run_id)]


def _drop_spare(kept: str, content_hash: str | None, origin: str) -> None:
    """Delete a kept original whose bytes SOURCE holds again at ``origin``: a later run
    released the photo once more (put back on the card since), kept a copy of its own, and its
    undo put that one back."""
    if _same(kept, content_hash) and not same_entry(kept, origin):
        os.unlink(kept)


def _remove_link(path: str, origin: str, result: UndoResult, dry_run: bool) -> str | None:
    """Drop a symbolic link the run made, whatever became of its target (it holds no bytes)."""
    if not os.path.lexists(path):
        return None
    if not os.path.islink(path) or os.readlink(path) != os.path.abspath(origin):
        return "changed since the run wrote it"
    if not dry_run:
        os.unlink(path)
    result.removed += 1
    return None


def _restore_original(
    path: str, origin: str, kept: str, item: Written, result: UndoResult, dry_run: bool
) -> str | None:
    """Put a transformed file's kept original back in SOURCE and drop the placed version."""
    if os.path.lexists(origin):
        return "its source path holds other bytes now"
    if not _same(kept, item.hash):
        return f"its kept original {item.original} is missing or changed"
    placed_ours = os.path.lexists(path) and _same(path, item.out_hash)
    if dry_run:
        result.restored += 1
        return None
    why = _put_back(kept, origin, item.hash, item.mtime_ns, item.source_mode)
    if why is not None:
        return why
    result.restored += 1
    if placed_ours:
        os.unlink(path)
    elif os.path.lexists(path):
        return "original restored; the placed version was changed since and is left in DEST"
    return None


def _copy_back(
    dest: str, path: str, origin: str, item: Written, result: UndoResult, dry_run: bool
) -> str | None:
    """A released source (its copy an earlier run's, which stays in DEST) back in SOURCE: its
    kept original when DEST's copy is transformed, else a verified copy of DEST's file."""
    kept = os.path.join(dest, item.original) if item.original else None
    if _same(origin, item.hash):
        # Back already: an interrupted undo, or the undo of a later run that released it again
        # (put back on the card since) and kept its own copy of the original; this one is spare.
        if kept is not None and not dry_run:
            _drop_spare(kept, item.hash, origin)
        return None
    if os.path.lexists(origin):
        return "its source path holds other bytes now"
    if kept is not None and not _same(kept, item.hash):
        return f"its kept original {item.original} is missing or changed"
    if kept is None and not os.path.lexists(path):
        return Gone("its copy in DEST is missing since")  # or moved within DEST (_refiled)
    if kept is None and not _same(path, item.out_hash):
        return "its copy in DEST is missing or changed since"
    if dry_run:
        why = None
    elif kept is not None:
        why = _put_back(kept, origin, item.hash, item.mtime_ns, item.source_mode)
    else:
        why = _put_back(path, origin, item.out_hash, item.mtime_ns, item.source_mode, keep=True)
    # without its kept original (finalized away), the rewritten file is what goes back
    return _counted_back(result, why, rewritten=kept is None and item.out_hash != item.hash)


def _counted_back(result: UndoResult, why: str | None, rewritten: bool) -> str | None:
    """Count a file put back in SOURCE (``why`` None: it is back, or a dry run would put it
    back), and among them one put back as placed (``rewritten``); ``why`` it was not."""
    if why is None:
        result.restored += 1
        result.as_placed += rewritten
    return why


def _put_back(
    path: str,
    origin: str,
    content_hash: str | None,
    mtime_ns: int,
    mode: SourceMode | None,
    keep: bool = False,
) -> str | None:
    """Move ``path`` to ``origin`` (no replace); across filesystems copy, verify, then unlink.
    ``keep``: copy and verify, leaving ``path`` where it is. The file at ``origin`` gets the
    source's permission bits and owner ``mode`` (``release.give_mode``; None: not journaled,
    the bits of ``path``) and ``mtime_ns`` when it is a copy."""
    try:
        fsops.make_folders(os.path.dirname(origin))
    except OSError as exc:  # a file where its folder was, a folder locked since
        return Retry(f"its source folder cannot be made again ({exc.strerror})")
    try:
        if not keep:
            fsops.rename_noreplace(path, origin)
            if mode is not None:  # a kept original copied there by an earlier release
                give_mode(origin, mode)
            return None
    except fsops.DestinationExists:
        return "its source path is taken again"
    except OSError:
        pass
    temp = os.path.join(os.path.dirname(origin), fsops.TEMP_PREFIX + os.path.basename(origin))
    fsops.remove_quietly(temp)
    hasher = xxhash.xxh3_128()
    try:
        fsops.copy_into(path, temp, hasher)
        if hasher.hexdigest() != content_hash:
            fsops.remove_quietly(temp)
            return Retry("could not be copied back intact")
        give_mode(temp, SourceMode(stat.S_IMODE(os.stat(path).st_mode)) if mode is None else mode)
        os.utime(temp, ns=(mtime_ns, mtime_ns))
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsops.rename_noreplace(temp, origin)
    except OSError as exc:
        fsops.remove_quietly(temp)
        return Retry(f"could not be copied back: {exc.strerror or exc}")
    if not keep:
        os.unlink(path)
    return None


def _same(path: str, content_hash: str | None) -> bool:
    """True when ``path`` is a regular file (not a link) holding exactly the bytes of
    ``content_hash``."""
    return not os.path.islink(path) and fsops.holds(path, content_hash)


def _remove_empty(dest: str, made: list[str]) -> int:
    """Remove the folders (relative to DEST) the undone runs made that are empty, innermost
    first: one that existed before them, or holds anything now, stays. How many went."""
    removed = 0
    for folder in sorted(made, key=lambda f: f.count("/"), reverse=True):
        path = os.path.join(dest, folder)
        if os.path.isdir(path) and not os.path.islink(path):
            with contextlib.suppress(OSError):
                os.rmdir(path)
                removed += 1
    return removed


def _prune(dest: str, folders: set[str]) -> None:
    """Remove folders the undo emptied, up to (never including) DEST itself."""
    for folder in sorted(folders, key=len, reverse=True):
        while folder.startswith(dest + os.sep) and os.path.isdir(folder):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)
