"""HEIC, HEIF and AVIF at the byte level: the top-level boxes of the ISO base media file each
whole. libheif decodes a grid image whose tiles are cut off (an iPhone HEIC copied half-way)
without complaint, filling the missing tiles; the boxes tell."""

from __future__ import annotations

import struct

from engine.formats.kinds import is_iso_bmff

# The top-level boxes a HEIF or AVIF file is made of; anything else after them (a maker's
# trailer appended to the file) ends the walk rather than reading as a box cut short.
_KNOWN = frozenset((b"ftyp", b"meta", b"mdat", b"moov", b"free", b"skip", b"uuid", b"idat"))


def is_bmff(data: bytes) -> bool:
    return is_iso_bmff(data[:12])


def bmff_problem(data: bytes) -> str | None:
    """Why a known top-level box runs past the end of the file (a copy cut short), or None."""
    pos, size = 0, len(data)
    while pos + 8 <= size:
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind not in _KNOWN:
            return None
        header = 8
        if length == 1:  # a 64-bit size follows the type
            if pos + 16 > size:
                return "truncated: the file ends inside a box header"
            length = struct.unpack_from(">Q", data, pos + 8)[0]
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
