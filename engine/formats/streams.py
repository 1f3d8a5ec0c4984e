"""Video containers other than ISO base media files, cut short: a copy that stopped half-way.

Each check reads a few kilobytes and says "truncated" only where the container itself proves
it; anything it cannot read as it expects is left alone (a sound file is never set aside):

- ASF (``.wmv``, ``.asf``): the header's Data Object, and its File Properties' file size,
  declare how long the file is (both invalid in a broadcast stream, which is not checked).
- MPEG program stream (``.mpg``, ``.mpeg``, ``.vob``, JVC's ``.mod``/``.tod``): packs, each of
  packets whose lengths are written before them; the last pack is found near the end, proven a
  pack by the one before it leading exactly to it, and walked: a packet running past the end
  of the file is cut. (The program end code is no help: ffmpeg and many cameras never write it.)
- MPEG transport stream (``.mts``, ``.m2ts``): packets of 188 bytes (192 on AVCHD and Blu-ray
  discs), each starting with the sync byte 0x47; a file whose whole packets keep that rhythm up
  to the end but whose last packet is incomplete is cut. A cut on a packet boundary leaves a
  shorter stream that nothing tells from a shorter recording.

And for AVI, RIFF chunks one after the other from the start (``RIFF AVI``, then the
``RIFF AVIX`` chunks OpenDML adds past a gigabyte): ``riff_cut`` says which one runs past the end
of the file, and ``riff_whole`` that every one is there, whatever bytes follow the last (which
MediaInfo reads as a chunk cut short).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

from engine.formats.kinds import extension

_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")
_ASF_FILE_PROPERTIES = bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365")
_ASF_BROADCAST = 0x1
_MOST_HEADER = 1 << 20  # an ASF header read whole only up to this size

_PACK = b"\x00\x00\x01\xba"
_START = b"\x00\x00\x01"
_END_CODE = 0xB9
_TAIL = 64 * 1024  # where the last packs of a program stream are looked for

_RIFF = b"RIFF"
_MOST_RIFFS = 4096  # an OpenDML AVI has one per gigabyte

_SYNC = 0x47
_TS_SIZES = ((188, 0), (192, 4))  # packet size, where its sync byte is
_TS_PACKETS_CHECKED = 16


# The extensions of the files these are (the others, MP4 and QuickTime, are ISO base media).
STREAM_EXTENSIONS = (".wmv", ".asf", ".mpg", ".mpeg", ".mod", ".tod", ".vob", ".mts", ".m2ts")


def is_stream(path: str) -> bool:
    return extension(path) in STREAM_EXTENSIONS


def container_problem(path: str) -> str | None:
    """Why the ASF or MPEG stream at ``path`` is cut short, or None (sound, or another kind
    of file, or nothing certain)."""
    with open(path, "rb", buffering=0) as handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        head = os.pread(fd, 64, 0)
        if head.startswith(_ASF_HEADER):
            return asf_problem(os.pread(fd, _header_size(head), 0), size)
        if head.startswith(_PACK):
            start = max(0, size - _TAIL)
            return program_stream_problem(os.pread(fd, size - start, start), start, size)
        packet = _ts_packet(head + os.pread(fd, 4 * 192, len(head)))
        if packet is not None:
            tail = min(size, packet[0] * (_TS_PACKETS_CHECKED + 1))
            return transport_stream_problem(os.pread(fd, tail, size - tail), size, packet)
    return None


def _header_size(head: bytes) -> int:
    declared = struct.unpack_from("<Q", head, 16)[0] if len(head) >= 24 else 0
    return min(max(declared, 0), _MOST_HEADER) + 24  # and the next object's GUID and size


def asf_problem(header: bytes, size: int) -> str | None:
    """``container_problem`` of an ASF file whose first bytes (its Header Object and the
    start of what follows) are ``header`` and whose length is ``size``."""
    if len(header) < 30:
        return "the file ends inside its ASF header" if len(header) < 24 else None
    declared = struct.unpack_from("<Q", header, 16)[0]
    if declared > size:
        return f"its ASF header needs {declared - size:,} bytes more"
    broadcast, file_size = _file_properties(header[30:declared])
    if broadcast is None or broadcast:
        return None
    if len(header) >= declared + 24 and header[declared : declared + 16] == _ASF_DATA:
        data_size = struct.unpack_from("<Q", header, declared + 16)[0]
        if data_size >= 50 and declared + data_size > size:
            missing = declared + data_size - size
            return f"its ASF data needs {missing:,} bytes more"
        if data_size >= 50:
            return None
    if file_size and file_size > size:
        return f"its ASF header says {file_size:,} bytes, the file has {size:,}"
    return None


def _file_properties(objects: bytes) -> tuple[bool | None, int]:
    """Whether the stream is a broadcast (None: no File Properties Object) and the file size
    it declares, from the objects of an ASF header."""
    pos = 0
    while pos + 24 <= len(objects):
        guid = objects[pos : pos + 16]
        length = struct.unpack_from("<Q", objects, pos + 16)[0]
        if length < 24:
            return None, 0
        if guid == _ASF_FILE_PROPERTIES and pos + 92 <= len(objects):
            file_size = struct.unpack_from("<Q", objects, pos + 40)[0]
            flags = struct.unpack_from("<I", objects, pos + 88)[0]
            return bool(flags & _ASF_BROADCAST), file_size
        pos += length
    return None, 0


def program_stream_problem(tail: bytes, start: int, size: int) -> str | None:
    """``container_problem`` of an MPEG program stream of ``size`` bytes whose bytes from
    ``start`` on are ``tail``."""
    last = tail.rfind(_PACK)
    while last >= 0:
        before = tail.rfind(_PACK, 0, last)
        proven = (start + last == 0) or (before >= 0 and _walk(tail, before, last) == "whole")
        if proven:
            if _walk(tail, last, len(tail)) == "cut":
                return "the last pack of its MPEG stream runs past the end of the file"
            return None
        last = before  # not a pack after all: a pack's code inside another packet's data
    return None


def _walk(data: bytes, pos: int, end: int) -> str:
    """Read packs and packets from ``pos``: "whole" when they end exactly at ``end``, "cut"
    when one runs past it, "unknown" when the bytes are not what a program stream holds."""
    while end - pos >= 4:
        if data[pos : pos + 3] != _START:
            return "unknown"
        code = data[pos + 3]
        if code == _PACK[3]:
            if pos + 5 > end:
                return "cut"
            marker = data[pos + 4]
            if marker & 0xC0 == 0x40:  # MPEG-2: 14 bytes, then stuffing
                if pos + 14 > end:
                    return "cut"
                pos += 14 + (data[pos + 13] & 0x07)
            elif marker & 0xF0 == 0x20:  # MPEG-1: 12 bytes
                pos += 12
            else:
                return "unknown"
        elif code == _END_CODE:
            pos += 4
            return "whole" if pos == end else "unknown"
        elif code >= 0xBB:  # the system header, and packets: each with its length
            if pos + 6 > end:
                return "cut"
            pos += 6 + struct.unpack_from(">H", data, pos + 4)[0]
        else:
            return "unknown"
    if pos > end:
        return "cut"
    return "whole" if pos == end else "unknown"


def _ts_packet(head: bytes) -> tuple[int, int] | None:
    """The packet size and sync byte offset of a transport stream starting ``head``, if it is
    one (four packets in a row with their sync byte)."""
    for packet, sync in _TS_SIZES:
        if len(head) >= 3 * packet + sync + 1 and all(
            head[n * packet + sync] == _SYNC for n in range(4)
        ):
            return packet, sync
    return None


def transport_stream_problem(tail: bytes, size: int, packet: tuple[int, int]) -> str | None:
    """``container_problem`` of a transport stream of ``size`` bytes ending with ``tail``."""
    length, sync = packet
    extra = size % length
    if not extra:
        return None
    whole = len(tail) - extra  # where the incomplete packet starts in ``tail``
    starts = range(whole - length, max(-1, whole - length * _TS_PACKETS_CHECKED - 1), -length)
    if len(starts) < 2 or any(tail[pos + sync] != _SYNC for pos in starts):
        return None
    if extra <= sync or tail[whole + sync] != _SYNC:
        return None  # bytes after the last packet that do not start one: not a packet cut
    return f"its last {length}-byte packet has {extra} bytes"


def _riff_chunks(path: str) -> Iterator[tuple[int, int, int]]:
    """Each RIFF chunk's position and declared length, from the start of ``path`` to the first
    bytes that are none or the first that is not whole, and the file's size."""
    with open(path, "rb", buffering=0) as handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        pos = chunks = 0
        while pos + 8 <= size and chunks < _MOST_RIFFS:
            head = os.pread(fd, 8, pos)
            if head[:4] != _RIFF:
                return
            (length,) = struct.unpack_from("<I", head, 4)
            yield pos, length, size
            pos += 8 + length + (length & 1)
            chunks += 1


def _placeholder(length: int) -> bool:
    return length <= 4  # a writer's, never filled in


def riff_whole(path: str) -> bool:
    """Whether ``path`` is a RIFF file whose RIFF chunks are all whole: bytes after the last
    one that are no RIFF chunk (a recovery tool's overrun, a stray header) are no part of the
    video."""
    chunks = 0
    for pos, length, size in _riff_chunks(path):
        if _placeholder(length) or pos + 8 + length > size:
            return False
        chunks += 1
    return chunks > 0


def riff_cut(path: str) -> str | None:
    """Where a RIFF file is cut short: the RIFF chunk that declares more bytes than the file
    holds after it; None for another file, or one whose chunks are whole."""
    for pos, length, size in _riff_chunks(path):
        if _placeholder(length):
            return None
        if pos + 8 + length > size:
            return f"its RIFF chunk at byte {pos} holds {length} bytes, the file {size - pos - 8}"
    return None
