"""PNG at the byte level: every chunk whole with a matching CRC up to IEND, and the eXIf chunk."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(slots=True)
class PngStructure:
    problem: str | None = None
    exif: bytes | None = None
    animated: bool = False


def check_png(data: bytes) -> PngStructure:
    result = PngStructure()
    if not data.startswith(SIGNATURE):
        result.problem = "not a PNG (bad signature)"
        return result
    pos = len(SIGNATURE)
    size = len(data)
    first = True
    while True:
        if pos + 8 > size:
            result.problem = "truncated: the file ends before the IEND chunk"
            return result
        length, kind = struct.unpack_from(">I4s", data, pos)
        if first and kind != b"IHDR":
            result.problem = "no IHDR chunk at the start"
            return result
        if not kind.isalpha():
            result.problem = f"damaged chunk header at byte {pos}"
            return result
        end = pos + 12 + length
        if end > size:
            result.problem = f"truncated inside the {kind.decode('ascii')!r} chunk"
            return result
        first = False
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        if zlib.crc32(kind + body) != crc:
            result.problem = f"damaged {kind.decode('ascii')!r} chunk (CRC mismatch)"
            return result
        if kind == b"eXIf" and result.exif is None:
            result.exif = body
        elif kind == b"acTL":
            result.animated = True
        elif kind == b"IEND":
            return result
        pos = end
