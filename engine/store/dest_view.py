"""What the coordinator may know of DEST: the ``DestView`` protocol, and ``JournalView``, the
one a run uses (the journal and the disk).

The coordinator decides keepers and names through these few questions only, so it can be
specified with an in-memory view (tests/test_decide.py). The names it hands out are claimed
here.
The placer never calls back into the coordinator.
"""

from __future__ import annotations

import contextlib
import enum
import os
import stat
import unicodedata
from collections.abc import Callable, Collection, Iterable
from typing import Protocol, TypeVar

import xxhash

from engine.settings import ENGINE_FOLDER
from engine.store import fsops
from engine.store.journal import Journal, LeftCopy, Placed
from engine.store.keyset import KeySet


class Slot(enum.StrEnum):
    """A destination name, for a file with given bytes."""

    FREE = "free"
    IDENTICAL = "identical"  # a file with these very bytes is already there
    TAKEN = "taken"  # by another file, by the journal's account, or claimed in this run


class DestView(Protocol):
    @property
    def same_device(self) -> bool:
        """Whether a move can rename a source into DEST (one filesystem)."""
        ...

    def placed_with_hash(
        self,
        content_hash: str,
        earlier_runs_only: bool = False,
        still_there: Callable[[Placed], bool] | None = None,
    ) -> Placed | None:
        """The first placed file with this content (by source path), if any; with
        ``still_there``, the first it accepts, else the first."""
        ...

    def placed_beside(self, content_hash: str, photo: Placed) -> Placed | None:
        """A file with this content an earlier run placed travelling with ``photo``, if any."""
        ...

    def slot(self, name: str, content_hash: str | None, size: int | None = None) -> Slot:
        """Whether ``name`` (relative to DEST) can take a file with ``content_hash`` (and
        ``size``, when known)."""
        ...

    def claim(self, name: str) -> None:
        """``name`` is handed out: it is taken from now on."""
        ...

    def held(self, name: str) -> bool:
        """Whether ``name`` is taken whatever the bytes of the file that wants it, for the rest
        of the run: a name the journal holds, or one this run claimed."""
        ...

    def same_bytes(self, mine: str, theirs: str) -> bool | None:
        """Whether two files hold the same bytes; None when either is gone. Raises OSError
        when one cannot be read."""
        ...

    def left_copy(self, rel: str, content_hash: str) -> LeftCopy | None:
        """The copy an earlier run placed of SOURCE's ``rel`` from the bytes ``content_hash``,
        leaving it in SOURCE (a copy run), if any."""
        ...

    def own_copy(self, rel: str, content_hash: str) -> str | None:
        """The name below DEST where an earlier run placed SOURCE's ``rel`` from the bytes
        ``content_hash`` (its newest row, whatever it wrote there: a copy, a link), if any."""
        ...

    def own_link(self, rel: str) -> tuple[str, str] | None:
        """Where an earlier run (the newest row of SOURCE's ``rel``) made a symbolic link to it:
        the name below DEST and the hash of the bytes ``rel`` held then, if any."""
        ...

    def own_set_aside(self, rel: str) -> tuple[str, str, bool] | None:
        """Where an earlier run (the newest row of SOURCE's ``rel`` with a name in DEST) set it
        aside as damaged: the name below DEST, the hash of the bytes ``rel`` held then, and
        whether that name is a symbolic link to it, if any."""
        ...

    def links_with_hash(self, content_hash: str) -> list[Placed]:
        """The files of SOURCE earlier runs made symbolic links to, when they held these bytes,
        each once, by source path."""
        ...

    def companions_placed(self, photo: str, folder: str) -> list[tuple[str, str]]:
        """The files earlier runs placed travelling with SOURCE's ``photo`` in DEST's
        ``folder``: each one's path below SOURCE and its name below DEST."""
        ...

    def present(self, name: str, size: int) -> bool | None:
        """Whether DEST's file ``name`` is there as it was placed, by its size (its bytes are
        checked where it is acted on); None when it is gone."""
        ...

    def exists(self, path: str) -> bool:
        """Whether anything (a file, a link, a folder) is at the absolute ``path``."""
        ...


class JournalView:
    """DEST as the journal and the disk show it, with the names this run has handed out.

    What the journal says is read once, when the run starts: the names its files hold and the
    content hashes it has placed, kept as 64-bit digests, so a decision costs no query. A
    hash seen there is looked up in the journal for the file it names; two names sharing a
    digest (one chance in 2**64 per pair) would only cost the second one a suffix."""

    def __init__(self, journal: Journal, source: str, dest: str, run_id: int | None = None) -> None:
        self.journal, self.source, self.dest, self.run_id = journal, source, dest, run_id
        self._same_device = fsops.same_device(source, dest) if os.path.isdir(dest) else False
        self._taken = KeySet(map(name_key, journal.names_held()))
        self._hashes = KeySet(map(hash_key, journal.placed_hashes()))
        self._links: KeySet | None = None  # those of symlink runs' links, read on first need
        self._folders: dict[str, bool] = {}  # whether a folder of DEST existed when first asked
        self._made: set[str] = set()  # the folders new_folders has named
        # DEST's folders spelled like a folder asked about, and what each held when first read
        self._spellings: dict[str, list[str]] = {"": [""]}
        self._listings: dict[str, _Listing] = {}
        self._last: tuple[str, int] = ("", name_key(""))  # a name asked about, and its key

    def _key(self, name: str) -> int:
        """``name_key(name)``, remembered for the last name: a name is looked up, then claimed."""
        last, key = self._last
        if name != last:
            key = name_key(name)
            self._last = (name, key)
        return key

    @property
    def same_device(self) -> bool:
        return self._same_device

    @property
    def holds_placed_files(self) -> bool:
        """Whether earlier runs placed files (that undo has not taken back)."""
        return len(self._hashes) > 0

    def placed_with_hash(
        self,
        content_hash: str,
        earlier_runs_only: bool = False,
        still_there: Callable[[Placed], bool] | None = None,
    ) -> Placed | None:
        # Identical files share a size, and the coordinator settles a size at once: the files
        # this run placed never answer for another of its files.
        if hash_key(content_hash) not in self._hashes:
            return None
        before = self.run_id if earlier_runs_only else None
        return self.journal.placed_with_hash(content_hash, before, still_there)

    def placed_beside(self, content_hash: str, photo: Placed) -> Placed | None:
        if hash_key(content_hash) not in self._hashes:
            return None
        return self.journal.placed_beside(content_hash, photo, self.run_id)

    def slot(self, name: str, content_hash: str | None, size: int | None = None) -> Slot:
        if self._key(name) in self._taken:
            return Slot.TAKEN
        if self._spelled_otherwise(name):
            return Slot.TAKEN
        if not self._folder_exists(os.path.dirname(name)):
            return Slot.FREE
        path = os.path.join(self.dest, name)
        if not os.path.lexists(path):
            return Slot.FREE
        # A symbolic link holds no bytes (delete its target and the photo is gone): taken.
        if content_hash and not os.path.islink(path) and fsops.holds(path, content_hash, size):
            return Slot.IDENTICAL
        return Slot.TAKEN

    def claim(self, name: str) -> None:
        self._taken.add(self._key(name))

    def held(self, name: str) -> bool:
        return self._key(name) in self._taken

    def same_bytes(self, mine: str, theirs: str) -> bool | None:
        try:
            return fsops.same_bytes(mine, theirs)
        except FileNotFoundError:
            return None

    def left_copy(self, rel: str, content_hash: str) -> LeftCopy | None:
        if self.run_id is None:
            return None
        return self.journal.left_copy(self.source, rel, content_hash, self.run_id)

    def own_copy(self, rel: str, content_hash: str) -> str | None:
        if self.run_id is None:
            return None
        return self.journal.own_copy(self.source, rel, content_hash, self.run_id)

    def own_link(self, rel: str) -> tuple[str, str] | None:
        if self.run_id is None or not self._linked():  # a first link view: no query a file
            return None
        return self.journal.own_link(self.source, rel, self.run_id)

    def own_set_aside(self, rel: str) -> tuple[str, str, bool] | None:
        if self.run_id is None:
            return None
        return self.journal.own_set_aside(self.source, rel, self.run_id)

    def links_with_hash(self, content_hash: str) -> list[Placed]:
        if self.run_id is None or hash_key(content_hash) not in self._linked():
            return []
        return self.journal.links_with_hash(self.source, content_hash, self.run_id)

    def _linked(self) -> KeySet:
        if self._links is None:
            self._links = KeySet(map(hash_key, self.journal.linked_hashes()))
        return self._links

    def companions_placed(self, photo: str, folder: str) -> list[tuple[str, str]]:
        if self.run_id is None:
            return []
        return self.journal.companions_placed(self.source, photo, folder, self.run_id)

    def present(self, name: str, size: int) -> bool | None:
        try:
            st = os.lstat(os.path.join(self.dest, name))
        except FileNotFoundError:
            return None
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and st.st_size == size

    def exists(self, path: str) -> bool:
        """Below DEST, a file at another spelling of ``path`` counts: a copy whose folder or
        name the user renamed in another case (``2008/DCIM`` to ``2008/dcim``) is there."""
        if os.path.lexists(path):
            return True
        below = os.path.join(self.dest, "")
        return path.startswith(below) and self._spelled_otherwise(path[len(below) :])

    def _folder_exists(self, folder: str) -> bool:
        """Whether a folder of DEST existed when the run first asked. A folder made since holds
        only names this run claimed; a file someone else puts there meanwhile makes its
        no-replace rename fail, never an overwrite."""
        exists = self._folders.get(folder)
        if exists is None:
            exists = self._folders[folder] = os.path.lexists(os.path.join(self.dest, folder))
        return exists

    def new_folders(self, names: Iterable[str]) -> list[str]:
        """The folders (parents included) that ``names`` (relative to DEST) need and that did not
        exist when the run first looked, each named once, outermost first. Asked before the
        files that need them are sent to be placed: until then nothing of this run has made a
        folder of DEST that is first looked at here."""
        found: list[str] = []
        for name in names:
            folder = os.path.dirname(name)
            missing = []
            while folder and folder not in self._made and not self._folder_exists(folder):
                self._made.add(folder)
                missing.append(folder)
                folder = os.path.dirname(folder)
            found += reversed(missing)
        return found

    def _spelled_otherwise(self, name: str) -> bool:
        """Whether DEST holds a file that no run placed whose path is ``name`` in another case
        or Unicode form (``2008/trip/IMG_1.JPG`` for ``2008/Trip/img_1.jpg``), which a folder
        that is not case-sensitive would not tell apart."""
        folder, base = os.path.split(name)
        spellings = self._spelled_as(folder)
        key = name_key(base) if spellings else 0
        for spelling in spellings:
            if key in self._listing(spelling).files and (
                spelling != folder or not os.path.lexists(os.path.join(self.dest, name))
            ):
                return True
        return False

    def _spelled_as(self, folder: str) -> list[str]:
        """The folders of DEST whose path is ``folder`` in some case or Unicode form."""
        known, missing = folder, []
        while known not in self._spellings:
            known, _, part = known.rpartition("/")
            missing.append(part)
        spellings = self._spellings[known]
        for part in reversed(missing):
            known = f"{known}/{part}" if known else part
            spellings = self._spellings[known] = [
                f"{s}/{sub}" if s else sub
                for s in spellings
                for sub in self._listing(s).folders.get(name_key(part), ())
            ]
        return spellings

    def _listing(self, folder: str) -> _Listing:
        listing = self._listings.get(folder)
        if listing is None:
            listing = self._listings[folder] = _Listing()
            path = os.path.join(self.dest, folder)
            with contextlib.suppress(OSError), os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        listing.folders.setdefault(name_key(entry.name), []).append(entry.name)
                    else:
                        listing.files.add(name_key(entry.name))
        return listing


Key = TypeVar("Key")


def lost_copies(
    journal: Journal,
    source: str,
    dest: str,
    moved: dict[str, str] | None = None,
    among: Collection[str] | None = None,
) -> set[str]:
    """The files of SOURCE an earlier run finished whose bytes DEST no longer holds (deleted
    there by mistake, lost with a disk), to be decided again when found unchanged in SOURCE:
    those placed whose name in DEST holds nothing now, and the duplicates left in SOURCE whose
    every placed copy's name holds nothing. A name that holds anything (a copy edited since, a
    re-encoded or turned copy, which differs from its source by design) is not lost: ``imgorg
    verify`` names a changed one. DEST is listed a folder at a time, never a file at a time.
    Given ``moved``, a copy found under its name in another folder of DEST (moved there by the
    user) is not lost either, and ``moved`` gets its name -> where it is now (``moved_within``:
    DEST walked once, only when a copy is missing); given ``among`` too, only the copies of
    those files of SOURCE are looked for (a move run's: those left in SOURCE, which it takes
    out; a photo an earlier move run placed and the user culled since has no source to take
    out, and no walk of DEST is made for it every run)."""
    placed = gone_from(dest, (((rel, name), name) for rel, name in journal.placed_copies(source)))
    keepers = gone_from(dest, ((name, name) for name in journal.keepers_of_duplicates(source)))
    sought = [(rel, name) for rel, name in placed if among is None or rel in among]
    if moved is not None and (sought or keepers):
        names = {name for _, name in sought} | set(keepers)
        moved.update(moved_within(dest, journal.bytes_at(sorted(names)), journal.holds_other))
        placed = [(rel, name) for rel, name in placed if name not in moved]
        keepers = [name for name in keepers if name not in moved]
    lost = {rel for rel, _ in placed}
    if keepers:
        lost |= journal.duplicates_kept_only_at(source, set(keepers))
    return lost


def moved_within(
    dest: str, wanted: dict[str, tuple[str, int]], known: Callable[[str, str], bool]
) -> dict[str, str]:
    """Where DEST now holds the bytes of each name of ``wanted`` (name below DEST -> the hash
    and size of the bytes placed there), found under the same file name (any case or Unicode
    form) in another folder: that name -> the file holding them. DEST is walked once, its own
    folder left out; only a file of a wanted name is looked at, and read only when its size is
    the one placed. Each file stands for one name; none a run put there as the file of another
    source (``known(file, name)``: a move run's copy of another card's photo in Duplicates/,
    which a move run would otherwise release this source against)."""
    by_name: dict[tuple[int, int], list[str]] = {}
    for name, (_, size) in sorted(wanted.items()):
        by_name.setdefault((name_key(os.path.basename(name)), size), []).append(name)
    keys = {key for key, _ in by_name}
    found: dict[str, str] = {}
    for path, key in _files_keyed(dest, keys):
        with contextlib.suppress(OSError):
            size = os.lstat(path).st_size
            rel = os.path.relpath(path, dest)
            for name in by_name.get((key, size), []):
                if (
                    name not in found
                    and not known(rel, name)
                    and fsops.holds(path, wanted[name][0], size)
                ):
                    found[name] = rel
                    break
    return found


class Refiled:
    """The files of DEST among which a copy gone from its name may be found, moved there by
    the user: those named as one of ``names`` (in any case or Unicode form), found in one walk
    of DEST, none when no name is given (the names are kept as 8-byte keys: a million rows of
    a run are never held). Each file answers for the names of one source's file (its copy's,
    and a later move run's release of it against that copy where the user had moved it: one
    file); none a run put there as the file of another source (``known(file, name)``: a move
    run's copy in Duplicates/ is no copy the user moved)."""

    def __init__(self, dest: str, names: Iterable[str], known: Callable[[str, str], bool]) -> None:
        keys = KeySet(name_key(os.path.basename(name)) for name in names)
        self.dest, self._known = dest, known
        self._files: dict[int, list[str]] = {}
        self._answers: dict[str, str] = {}  # a file found -> the first name it answered for
        if keys:
            for path, key in _files_keyed(dest, keys):
                self._files.setdefault(key, []).append(path)

    def find(self, name: str, journal: Journal) -> str | None:
        """Where the copy a run placed at ``name`` (below DEST) is now: a file of its name
        holding the bytes the journal says were placed there; None if none."""
        paths = self._files.get(name_key(os.path.basename(name)))
        held = journal.bytes_at([name]).get(name) if paths else None
        if paths is None or held is None:
            return None
        for path in paths:
            rel = os.path.relpath(path, self.dest)
            first = self._answers.get(rel)
            if first is not None and self._known(first, name):
                continue  # the copy of another source's file
            if not self._known(rel, name) and fsops.holds(path, held[0], held[1]):
                self._answers.setdefault(rel, name)
                return rel
        return None


def _files_keyed(dest: str, keys: set[int] | KeySet) -> Iterable[tuple[str, int]]:
    """The files below DEST (not in its own folder, no symbolic link followed) whose name's key
    is one of ``keys``, each with that key."""
    folders = [dest]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if folder != dest or entry.name != ENGINE_FOLDER:
                            folders.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        key = name_key(entry.name)
                        if key in keys:
                            yield entry.path, key
        except OSError:
            continue


def gone_from(dest: str, named: Iterable[tuple[Key, str]]) -> list[Key]:
    """The keys of ``named`` (key, name below DEST) whose name holds nothing in DEST, in any
    case or Unicode form (a copy renamed ``img_1.jpg`` is there, as it is on a Mac or a Windows
    share). Each folder is listed once while its names come (in name order, a folder's files
    and its subfolders' are together); a name its listing lacks is looked up alone too (a
    folder that cannot be listed)."""
    gone: list[Key] = []
    listings: dict[str, _Names] = {}
    folder: str | None = None
    names = _Names(frozenset())
    for key, name in named:
        at, _, base = name.rpartition("/")
        if at != folder:
            folder = at
            known = listings.get(folder)
            if known is None:
                for done in [f for f in listings if not _inside(folder, f)]:
                    del listings[done]  # no name of it comes any more
                known = listings[folder] = _Names(_names_in(dest, folder))
            names = known
        if base in names.exact or name_key(base) in names.spellings():
            continue
        if not os.path.lexists(os.path.join(dest, name)):
            gone.append(key)
    return gone


class _Names:
    """A DEST folder's names as listed, and their keys in any spelling (made when first asked:
    only for a folder where a name is missing)."""

    __slots__ = ("_keys", "exact")

    def __init__(self, exact: frozenset[str]) -> None:
        self.exact = exact
        self._keys: set[int] | None = None

    def spellings(self) -> set[int]:
        if self._keys is None:
            self._keys = {name_key(name) for name in self.exact}
        return self._keys


def _inside(folder: str, parent: str) -> bool:
    return not parent or folder == parent or folder.startswith(parent + "/")


def _names_in(dest: str, folder: str) -> frozenset[str]:
    """The names in DEST's ``folder``, or in the folder that spells its name another way (a
    ``2008/DCIM`` renamed ``2008/dcim``: the same folder on a Mac or a Windows share)."""
    with contextlib.suppress(OSError), os.scandir(os.path.join(dest, folder)) as entries:
        return frozenset(entry.name for entry in entries)
    spelled = _spelled(dest, folder)
    if spelled is not None:
        with contextlib.suppress(OSError), os.scandir(spelled) as entries:
            return frozenset(entry.name for entry in entries)
    return frozenset()


def _spelled(dest: str, folder: str) -> str | None:
    """The folder below DEST whose path is ``folder`` in some case or Unicode form, if any:
    each part of it found by its name key (read only when ``folder`` cannot be listed)."""
    path = dest
    for part in folder.split("/") if folder else []:
        if os.path.isdir(os.path.join(path, part)):
            path = os.path.join(path, part)
            continue
        key = name_key(part)
        try:
            with os.scandir(path) as entries:
                found = [e.name for e in entries if e.is_dir() and name_key(e.name) == key]
        except OSError:
            return None
        if not found:
            return None
        path = os.path.join(path, found[0])
    return path


class _Listing:
    """The entries of a DEST folder when first read: files by name key (numbers, not strings),
    subfolders by name key with their spellings."""

    __slots__ = ("files", "folders")

    def __init__(self) -> None:
        self.files: set[int] = set()
        self.folders: dict[int, list[str]] = {}


def name_key(name: str) -> int:
    """One key for the names a person reads as one, ``IMG_1.JPG`` and ``img_1.jpg``, ``é`` in
    NFC and in NFD (one name on macOS, exFAT and Windows shares): never two files in DEST."""
    return xxhash.xxh3_64_intdigest(os.fsencode(unicodedata.normalize("NFC", name).casefold()))


def hash_key(content_hash: str) -> int:
    try:
        return int(content_hash[:16], 16)
    except ValueError:  # not the hex digest imgorg writes: a journal edited by hand, say
        return xxhash.xxh3_64_intdigest(content_hash.encode("utf-8", "surrogateescape"))
