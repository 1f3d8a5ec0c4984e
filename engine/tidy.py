"""After placement: inside each year folder, a folder holding nothing but one subfolder is
merged into that subfolder, and empty folders are removed. Tidy never deletes a file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.journal import Journal

YEAR_FOLDER = re.compile(r"^\d{4}$")
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

    def ensure(self, parts: list[str]) -> None:
        node = self
        for part in parts:
            node = node.folders.setdefault(part, Node())


def tree_of(files: Iterable[str], folders: Iterable[str] = ()) -> Node:
    """A tree from file paths and (possibly empty) folder paths, relative to a year folder."""
    root = Node()
    for path in files:
        root.add(path.split("/"))
    for path in folders:
        root.ensure(path.split("/"))
    return root


def plan_merges(node: Node, prefix: str = "") -> list[tuple[str, str]]:
    """(old, new) folder moves, parents before children, relative to the year folder.

    ``old`` is the innermost folder of a chain of single-subfolder folders; it moves up to take
    the place of the chain's top, keeping its own name. A chain whose innermost name is taken
    beside the top is left alone.
    """
    moves: list[tuple[str, str]] = []
    taken = set(node.folders)  # names in this folder, as the moves planned so far leave them
    for name in sorted(node.folders):
        child = node.folders[name]
        if _has_files(child):
            inner, inner_name, chain = child, name, [name]
            while inner.files == 0 and len(live := _live(inner)) == 1:
                inner_name, inner = next(iter(live.items()))
                chain.append(inner_name)
            where = _join(prefix, *chain)  # where ``inner`` ends up
            if len(chain) > 1 and (inner_name == name or inner_name not in taken):
                taken.discard(name)
                taken.add(inner_name)
                moves.append((where, _join(prefix, inner_name)))
                where = _join(prefix, inner_name)
            moves.extend(plan_merges(inner, where))
    return moves


def _live(node: Node) -> dict[str, Node]:
    return {name: child for name, child in node.folders.items() if _has_files(child)}


def _has_files(node: Node) -> bool:
    return node.files > 0 or any(_has_files(c) for c in node.folders.values())


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def year_folders(dest: str) -> list[str]:
    try:
        return sorted(
            e.name
            for e in os.scandir(dest)
            if e.is_dir(follow_symlinks=False) and YEAR_FOLDER.match(e.name)
        )
    except FileNotFoundError:
        return []


def _disk_tree(root: str) -> tuple[list[str], list[str]]:
    files: list[str] = []
    folders: list[str] = []
    for path, dirs, names in os.walk(root):
        rel = os.path.relpath(path, root)
        rel = "" if rel == "." else rel
        folders.extend(_join(rel, d) for d in dirs)
        files.extend(_join(rel, n) for n in names)
    return files, folders


def tidy(dest: str, journal: Journal, run_id: int, dry_run: bool) -> list[tuple[str, str]]:
    """Merge and prune inside every year folder; return the moves made (relative to DEST)."""
    finish_pending(dest, journal)
    all_moves: list[tuple[str, str]] = []
    years = set(year_folders(dest))
    if dry_run:
        years |= journal.dest_years()
    for year in sorted(years):
        root = os.path.join(dest, year)
        if not dry_run:
            prune_empty(root)
        files, folders = _disk_tree(root) if os.path.isdir(root) else ([], [])
        if dry_run:
            files = sorted(set(files) | {d.split("/", 1)[1] for d in journal.dests_under(year)})
        moves = [(_join(year, a), _join(year, b)) for a, b in plan_merges(tree_of(files, folders))]
        if moves:
            journal.record_tidy(run_id, moves)
            for old, new in moves:
                if not dry_run:
                    _move_folder(dest, old, new)
                journal.apply_tidy(old, new)
        all_moves.extend(moves)
    return all_moves


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


def prune_empty(root: str) -> int:
    """Remove empty folders below ``root`` (never ``root`` itself); return how many."""
    removed = 0
    for path, _dirs, _files in os.walk(root, topdown=False):
        if path != root and not os.listdir(path):
            os.rmdir(path)
            removed += 1
    return removed
