"""PNG at the byte level: every chunk whole with a matching CRC up to IEND, the EXIF block
(the eXIf chunk, else the hex "Raw profile" text chunk in which ImageMagick writes it) and the
XMP packet (the ``XML:com.adobe.xmp`` iTXt chunk), wherever they are: before the image data or
after it, where some editors write them."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
RAW_EXIF_KEYWORDS = (b"Raw profile type exif", b"Raw profile type APP1")
XMP_KEYWORD = b"XML:com.adobe.xmp"
_RAW_PROFILE_LIMIT = 1 << 20  # the hex text of an EXIF block (at most 64 KB) is far below this
_TEXT_LIMIT = 16 << 20  # a compressed text (an XMP packet) larger than this is not edited


@dataclass(slots=True)
class PngStructure:
    problem: str | None = None
    exif: bytes | None = None
    xmp: bytes | None = None  # its XMP packets' text, in file order (an editor may add one)
    animated: bool = False


def check_png(data: bytes) -> PngStructure:
    result = PngStructure()
    if not data.startswith(SIGNATURE):
        result.problem = "not a PNG (bad signature)"
        return result
    pos = len(SIGNATURE)
    size = len(data)
    first = True
    raw_exif: bytes | None = None
    packets: list[bytes] = []  # joined once at the end: joining at each chunk is quadratic
    room = _TEXT_LIMIT
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
        elif kind == b"iTXt" and body.startswith(XMP_KEYWORD + b"\x00") and room > 0:
            packet = _xmp_packet(body, room)
            if packet is not None:
                packets.append(packet)
                room -= len(packet) + 1
        elif kind in TEXT_CHUNKS and raw_exif is None:
            raw_exif = raw_profile_exif(kind, body)
        elif kind == b"acTL":
            result.animated = True
        elif kind == b"IEND":
            result.exif = result.exif or raw_exif
            result.xmp = b"\n".join(packets) if packets else None
            return result
        pos = end


def raw_profile_exif(kind: bytes, body: bytes) -> bytes | None:
    """The EXIF block of an ImageMagick "Raw profile type exif" (or "APP1") text chunk, whose
    text is a line break, the type, the length, then hex digits over several lines; else None."""
    keyword, _, rest = body.partition(b"\x00")
    if keyword not in RAW_EXIF_KEYWORDS:
        return None
    compressed = False
    if kind == b"zTXt":
        compressed, rest = True, rest[1:]
    elif kind == b"iTXt":
        compressed = rest[:1] == b"\x01"
        rest = rest[2:].split(b"\x00", 2)[-1]  # after the language tag and translated keyword
    if compressed:
        try:
            rest = zlib.decompressobj().decompress(rest, _RAW_PROFILE_LIMIT)
        except zlib.error:
            return None
    lines = rest.split(b"\n")
    if len(lines) < 4:
        return None
    try:
        blob = bytes.fromhex(b"".join(lines[3:]).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return blob if blob.startswith((b"Exif\x00\x00", b"II", b"MM")) else None


def _xmp_packet(body: bytes, room: int) -> bytes | None:
    """The XMP packet of the iTXt chunk ``body``, or None where it does not inflate whole or
    is longer than ``room`` (what is left of ``_TEXT_LIMIT`` for all of them; positive: zlib
    reads 0 as no limit)."""
    rest = body.partition(b"\x00")[2]
    stored = rest[2:].split(b"\x00", 2)[-1]  # after the language tag and translated keyword
    text = _inflate(stored, room) if rest[:1] == b"\x01" else stored
    return None if text is None or len(text) > room else text


def edit_text(kind: bytes, body: bytes, edit: Callable[[bytes], bytes]) -> bytes | None:
    """The body of a tEXt, zTXt or iTXt chunk with ``edit`` applied to its text, inflated and
    deflated again where it is stored compressed (the body as it was where ``edit`` changes
    nothing); None where a compressed text does not inflate whole within ``_TEXT_LIMIT``."""
    keyword, _, rest = body.partition(b"\x00")
    if kind == b"tEXt":
        head, stored, compressed = b"", rest, False
    elif kind == b"zTXt":
        head, stored, compressed = rest[:1], rest[1:], True
    else:  # iTXt: compression flag and method, language tag, translated keyword, text
        stored = rest[2:].split(b"\x00", 2)[-1]
        head, compressed = rest[: len(rest) - len(stored)], rest[:1] == b"\x01"
    text = _inflate(stored) if compressed else stored
    if text is None:
        return None
    edited = edit(text)
    if edited == text:
        return body
    return keyword + b"\x00" + head + (zlib.compress(edited, 9) if compressed else edited)


def _inflate(stored: bytes, limit: int = _TEXT_LIMIT) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(stored, limit)
    except zlib.error:
        return None
    return text if inflater.eof and not inflater.unconsumed_tail else None


def chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Each chunk's type and body, in file order, of a PNG ``check_png`` found sound."""
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        yield kind, data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return
        pos += 12 + length


def wide_colour(data: bytes) -> bool:
    """Whether the PNG holds colour (or grey with alpha) at 16 bits a sample, which the imaging
    library reads at 8 (its 16-bit grey it keeps)."""
    return len(data) > 25 and data[12:16] == b"IHDR" and data[24] == 16 and data[25] != 0


def storage(data: bytes) -> tuple[bytes, int]:
    """How a PNG stores its samples: IHDR's bit depth and colour type, and the palette's length."""
    palette = next((len(body) for kind, body in chunks(data) if kind == b"PLTE"), 0)
    return data[24:26], palette
