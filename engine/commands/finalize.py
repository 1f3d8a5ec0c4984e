"""``imgorg finalize DEST``: delete the originals that move mode kept of re-encoded or rotated
files (DEST/.imgorg/originals/), once ``verify`` passes. After it, undo of those runs brings
back the placed (re-encoded or rotated) versions instead."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from engine.store.journal import Journal


@dataclass
class Finalizable:
    keys: list[tuple[str, str, int]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # below DEST
    bytes: int = 0


def finalizable(journal: Journal) -> Finalizable:
    found = Finalizable()
    for key, path, size in journal.kept_originals():
        found.keys.append(key)
        found.paths.append(path)
        found.bytes += size
    return found


def delete_originals(dest: str, journal: Journal, found: Finalizable) -> int:
    """Delete the kept originals, journaling each batch; return how many files went."""
    deleted = 0
    folders: set[str] = set()
    for start in range(0, len(found.paths), 256):
        keys = found.keys[start : start + 256]
        for path in found.paths[start : start + 256]:
            full = os.path.join(dest, path)
            try:
                os.unlink(full)
                deleted += 1
            except FileNotFoundError:
                pass
            folders.add(os.path.dirname(full))
        journal.clear_originals(keys)
    top = os.path.join(dest, ".imgorg", "originals")
    for folder in sorted(folders, key=len, reverse=True):
        while folder.startswith(top) and os.path.isdir(folder):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)
    return deleted
