"""Where a file belongs in DEST, and the next free name when that one is taken. Pure functions."""

from __future__ import annotations

import os
import re
from enum import StrEnum

NAME_MAX = 255  # bytes, on every common Linux filesystem


class Layout(StrEnum):
    NESTED = "nested"  # DEST/<year>/<folder relative to SOURCE>/<name>
    FLAT = "flat"  # DEST/<year>/<name>


_TRASHED = re.compile(r"^\.(trashed|pending)-\d+-(?=.)")


def visible(rel: str) -> str:
    """``rel`` with no hidden component: Android's ``.trashed-<seconds>-`` prefix and leading
    dots dropped (``.Trash-1000/.trashed-1690000000-IMG_1.jpg`` -> ``Trash-1000/IMG_1.jpg``)."""
    parts = []
    for part in rel.split(os.sep):
        if part.startswith("."):
            part = _TRASHED.sub("", part).lstrip(".") or "_"
        parts.append(part)
    return os.sep.join(parts)


def layout_part(rel: str, layout: Layout) -> str:
    """The part of the destination below the year folder, never hidden."""
    return visible(os.path.basename(rel) if layout is Layout.FLAT else rel)


def destination(folder: str, rel: str, layout: Layout) -> str:
    """Destination relative to DEST, e.g. ``2019/Trip/IMG_1.jpg``."""
    return os.path.join(folder, layout_part(rel, layout))


def with_suffix(path: str, n: int) -> str:
    """``a/b/name.jpg`` -> ``a/b/name_<n>.jpg``, shortening the stem to fit NAME_MAX bytes."""
    if n == 0:
        return path
    folder, name = os.path.split(path)
    stem, extension = os.path.splitext(name)
    suffix = f"_{n}{extension}"
    room = NAME_MAX - len(os.fsencode(suffix))
    encoded = os.fsencode(stem)
    if len(encoded) > room:
        stem = _cut(encoded, room)
    return os.path.join(folder, stem + suffix)


def path_key(path: str) -> bytes:
    """Byte order of paths, the tie-break used everywhere a choice must be deterministic."""
    return os.fsencode(path)


def _cut(encoded: bytes, room: int) -> str:
    """The longest prefix of ``encoded`` within ``room`` bytes that ends on a whole character."""
    for end in range(room, max(0, room - 4), -1):
        try:
            return encoded[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return os.fsdecode(encoded[:room])
