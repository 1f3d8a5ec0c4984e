"""ISO base media files (HEIC, HEIF, AVIF; MP4, MOV, 3GP) at the byte level: the top-level
boxes each whole. libheif decodes a grid image whose tiles are cut off (an iPhone HEIC copied
half-way) without complaint, filling the missing tiles, and MediaInfo calls a video with a
maker's trailer after its boxes (Samsung's SEFT) truncated; the boxes tell."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from engine.formats.kinds import is_iso_bmff

# The top-level boxes these files are made of; anything else after them (a maker's trailer
# appended to the file) ends the walk rather than reading as a box cut short.
_KNOWN = frozenset(
    (b"ftyp", b"meta", b"mdat", b"moov", b"free", b"skip", b"wide", b"uuid", b"idat", b"pdin")
) | {b"moof", b"mfra", b"sidx", b"styp"}  # and a fragmented MP4's


def is_bmff(data: bytes) -> bool:
    return is_iso_bmff(data[:12])


def is_iso_bmff_file(path: str) -> bool:
    with open(path, "rb") as handle:
        return is_iso_bmff(handle.read(12))


def bmff_problem(data: bytes) -> str | None:
    """Why a known top-level box runs past the end of the file (a copy cut short), or None."""
    return _walk(lambda pos, count: data[pos : pos + count], len(data))


def file_problem(path: str) -> str | None:
    """``bmff_problem`` of a file too large to read whole (a video): only its box headers are
    read. None for a file that is not an ISO base media file."""
    with open(path, "rb", buffering=0) as handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        if not is_iso_bmff(os.pread(fd, 12, 0)):
            return None
        return _walk(lambda pos, count: os.pread(fd, count, pos), size)


def _walk(read: Callable[[int, int], bytes], size: int) -> str | None:
    pos = 0
    while pos + 8 <= size:
        length, kind = struct.unpack(">I4s", read(pos, 8))
        if kind not in _KNOWN:
            return None
        header = 8
        if length == 1:  # a 64-bit size follows the type
            if pos + 16 > size:
                return "truncated: the file ends inside a box header"
            length = struct.unpack(">Q", read(pos + 8, 8))[0]
            header = 16
        elif length == 0:  # the last box, to the end of the file
            return None
        if length < header:
            return f"damaged: box {kind.decode('latin-1')!r} declares {length} bytes"
        if pos + length > size:
            missing = pos + length - size
            return f"truncated: box {kind.decode('latin-1')!r} needs {missing:,} bytes more"
        pos += length
    return None


_MOST_USER_DATA = 1 << 20  # a box found this way is read only up to this size


def movie_box(path: str, route: tuple[bytes, ...]) -> bytes | None:
    """The body of the box at ``route`` (``(b"moov", b"udta", b"loci")``) of a video, reading
    only the headers of the boxes on the way to it; None when the file has no such box (or
    it is larger than ``_MOST_USER_DATA``)."""
    with open(path, "rb", buffering=0) as handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        if not is_iso_bmff(os.pread(fd, 12, 0)):
            return None
        found = _find(lambda pos, count: os.pread(fd, count, pos), 0, size, route)
        if found is None or found[1] - found[0] > _MOST_USER_DATA:
            return None
        return os.pread(fd, found[1] - found[0], found[0])


def _find(
    read: Callable[[int, int], bytes], start: int, end: int, route: tuple[bytes, ...]
) -> tuple[int, int] | None:
    """Where the body of the box at ``route`` lies among the boxes from ``start`` to ``end``."""
    pos = start
    while pos + 8 <= end:
        head = read(pos, 16 if pos + 16 <= end else 8)
        length, kind = struct.unpack_from(">I4s", head)
        header = 8
        if length == 1:
            if len(head) < 16:
                return None
            length, header = struct.unpack_from(">Q", head, 8)[0], 16
        elif length == 0:
            length = end - pos
        if length < header or pos + length > end:
            return None
        if kind == route[0]:
            body = (pos + header, pos + length)
            return body if len(route) == 1 else _find(read, *body, route[1:])
        pos += length
    return None
