"""Pointless folders never reach DEST: before anything is placed, each source folder is given
the path it takes below the year folder (``folder_map``), the same in every year, so nothing
in DEST is ever moved or removed afterwards. ``finish_pending`` completes a folder move that a
run of an earlier release (which merged folders after placement) left half-done."""

from __future__ import annotations

import bisect
import os
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from engine.policy.naming import visible
from engine.store.journal import Journal

_TMP = ".imgorg-tidy-tmp"


@dataclass
class Node:
    files: int = 0
    folders: dict[str, Node] = field(default_factory=dict)

    def add(self, parts: list[str]) -> None:
        node = self
        for part in parts[:-1]:
            node = node.folders.setdefault(part, Node())
        node.files += 1


def tree_of(files: Iterable[str]) -> Node:
    """The folder tree of some file paths, with how many files each folder holds."""
    root = Node()
    for path in files:
        root.add(path.split("/"))
    return root


def folder_map(
    rels: Iterable[str], placed: Mapping[str, str] | None = None, collapse: bool = True
) -> dict[str, str]:
    """Where each source folder goes below the year folder, the same in every year: a chain of
    folders that hold nothing but one subfolder each is replaced by its innermost folder, unless
    that name is taken beside the chain's top. ``rels`` are the paths (relative to SOURCE) of
    every file the run takes (one listed twice counts as one). The result maps each source
    folder (as it is named in SOURCE) whose place is not simply its own path made visible
    (``engine.policy.naming.visible``) to its place: no placed folder is hidden, and a hidden
    folder whose shown name a sibling has is suffixed (``.Holiday`` beside ``Holiday`` ->
    ``Holiday_1``), so that it is neither merged with that sibling nor lifted into its place.

    ``placed`` (from ``placed_folders``) is where earlier runs put each source folder's files:
    a folder keeps that place, though files added to SOURCE since would now give it another,
    unless another folder takes that place now. ``collapse=False`` (``--no-tidy``): every folder
    keeps its path, only hidden ones shown as above."""
    out: dict[str, str] = {}
    _map_folders(tree_of(rels), out, collapse)
    pins = {old: place for old, place in (placed or {}).items() if place and old in out}
    pins = pins if collapse else {}
    if any(out[old] != place for old, place in pins.items()):
        _pin_all(out, pins)
    return {old: new for old, new in out.items() if new != _shown(old)}


def placed_folders(
    placed: Iterable[tuple[str, str, int]], adapted: Callable[[str], str] | None = None
) -> dict[str, str]:
    """Source folder -> the folder below the year folder that earlier runs placed its photos in
    (``Journal.placed_in_years``: source path, destination, year), where that is a place tidy
    gives (the folder's own name at the end, or that name as ``adapted`` gives it: see
    ``engine.policy.naming.DestNames``) and all its photos went there, as this release shows
    it (``visible``)."""
    places: dict[str, set[str | None]] = {}
    for rel, dest, year in placed:
        top, _, below = dest.partition("/")
        place = below.rpartition("/")[0] if top == str(year) else None
        places.setdefault(rel.rpartition("/")[0], set()).add(place)
    out = {}
    for folder, found in places.items():
        place = next(iter(found))
        if not folder or len(found) > 1 or not place:
            continue
        # Where the layout puts a folder pinned there: an older release's place named as a
        # photo library (2008/Lib.photoslibrary/A) is made visible (2008/Lib/A), and that is
        # the place another folder may hold now.
        place = _shown(place)
        own = _shown(folder).rpartition("/")[2]
        if place.rpartition("/")[2] in (own, adapted(own) if adapted else own):
            out[folder] = place
    return out


def _pin_all(out: dict[str, str], pins: Mapping[str, str]) -> None:
    """Give each folder of ``pins`` (shallowest first) its place, with the folders below it,
    unless another folder's files go there or below it. How many folders are at or below each
    place is counted once and kept up to date: each pin costs the folders it moves, not a look
    at every folder of the map."""
    folders = sorted(out)
    places = set(pins.values())
    depths = sorted({place.count("/") + 1 for place in places})
    held = Counter(p for path in out.values() for p in _places_above(path, places, depths))
    for old in sorted(pins, key=lambda folder: folder.count("/")):
        place, new = pins[old], out[old]
        if new == place:
            continue
        lo, hi = bisect.bisect_left(folders, old + "/"), bisect.bisect_left(folders, old + "0")
        mine = [old, *folders[lo:hi]]  # ``old`` and the folders below it ("0" follows "/")
        own = sum(1 for f in mine if out[f] == place or out[f].startswith(place + "/"))
        if held[place] > own:
            continue
        for folder in mine:
            path = out[folder]
            out[folder] = place + path[len(new) :]
            held.subtract(_places_above(path, places, depths))
            held.update(_places_above(out[folder], places, depths))


def _places_above(path: str, places: set[str], depths: list[int]) -> list[str]:
    """The folders of ``places`` that ``path`` is, or lies below."""
    parts = path.split("/")
    found = []
    for depth in depths:
        if depth > len(parts):
            break
        prefix = "/".join(parts[:depth])
        if prefix in places:
            found.append(prefix)
    return found


def tidied(rel: str, mapping: Mapping[str, str]) -> str:
    """``rel``, never hidden, with its folder replaced as ``mapping`` (from ``folder_map``) says."""
    folder, _, name = rel.rpartition("/")
    moved = mapping.get(folder)
    if moved is None:
        return visible(rel)
    return f"{moved}/{visible(name)}" if moved else visible(name)


def _shown(folder: str) -> str:
    """A folder path as placed when nothing moves it: never hidden."""
    return os.path.dirname(visible(folder + "/_")) if folder else folder


def _shown_names(names: Iterable[str]) -> dict[str, str]:
    """The folders of one parent as they are placed: a visible one keeps its name; a hidden one
    takes its shown name unless a sibling has it (in any case or Unicode form), else the first
    free suffixed one (``.Holiday`` beside ``Holiday`` -> ``Holiday_1``)."""
    shown = {name: _shown(name) for name in names}
    used = {one_name(name) for name in names if shown[name] == name}
    out = {}
    for name in sorted(names):
        if shown[name] == name:
            out[name] = name
            continue
        candidate, n = shown[name], 0
        while one_name(candidate) in used:
            n += 1
            candidate = f"{shown[name]}_{n}"
        used.add(one_name(candidate))
        out[name] = candidate
    return out


def _map_folders(root: Node, out: dict[str, str], collapse: bool = True) -> None:
    """Fill ``out`` with every folder's place, a folder at a time (a tree thousands of folders
    deep is no deeper a recursion). Every folder of a ``tree_of`` holds a file or a folder that
    does."""
    stack: list[tuple[Node, str, str]] = [(root, "", "")]
    while stack:
        node, old_prefix, new_prefix = stack.pop()
        shown = _shown_names(node.folders)
        # names in this folder, as the chains mapped so far leave them (as one_name reads them)
        taken = Counter(one_name(name) for name in shown.values())
        for name in sorted(node.folders):
            inner, chain, placed = node.folders[name], [name], [shown[name]]
            while collapse and inner.files == 0 and len(inner.folders) == 1:
                inner_name, inner = next(iter(inner.folders.items()))
                chain.append(inner_name)
                placed.append(_shown(inner_name))  # alone in its folder: no sibling to avoid
            old = _join(old_prefix, *chain)
            new = _join(new_prefix, *placed)
            top_key, inner_key = one_name(placed[0]), one_name(placed[-1])
            if len(chain) > 1 and (inner_key == top_key or not taken[inner_key]):
                taken[top_key] -= 1
                taken[inner_key] += 1
                new = _join(new_prefix, placed[-1])
            out[old] = new
            stack.append((inner, old, new))


def one_name(name: str) -> str:
    """A folder name as macOS, exFAT and Windows shares read it: ``Camera`` and ``camera``,
    ``Café`` in NFC and in NFD, are one folder there (as they are one name to
    ``engine.store.dest_view.name_key``)."""
    return unicodedata.normalize("NFC", name).casefold()


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _move_folder(dest: str, old: str, new: str) -> None:
    old_path, new_path = os.path.join(dest, old), os.path.join(dest, new)
    top = os.path.join(dest, new.rsplit("/", 1)[0]) if "/" in new else dest
    temp = os.path.join(top, _TMP)
    os.rename(old_path, temp)
    # The chain above ``old`` now holds nothing: remove it, innermost first.
    chain = os.path.dirname(old_path)
    while len(chain) > len(top):
        os.rmdir(chain)
        chain = os.path.dirname(chain)
    os.rename(temp, new_path)


def finish_pending(dest: str, journal: Journal) -> None:
    """Complete a tidy step that an interrupted run had begun."""
    for old, new in journal.pending_tidy():
        old_path, new_path = os.path.join(dest, old), os.path.join(dest, new)
        temp = os.path.join(os.path.dirname(new_path), _TMP)
        if os.path.isdir(old_path) and not os.path.lexists(temp):
            _move_folder(dest, old, new)
        elif os.path.isdir(temp) and not os.path.lexists(new_path):
            os.rename(temp, new_path)
        journal.apply_tidy(old, new)
