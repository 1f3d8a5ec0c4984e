"""In-place edits of an EXIF (TIFF) block that keep every other byte, maker notes included:
reset Orientation, update the pixel dimensions (the EXIF sub-IFD's, and IFD0's where a phone
writes them too), unlink the thumbnail IFD; and the same reset of
an XMP packet's tiff:Orientation."""

from __future__ import annotations

import re
import struct

_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_PIXEL_X = 0xA002
_PIXEL_Y = 0xA003
_IMAGE_SIZE = {0x0100: 0, 0x0101: 1}  # IFD0 ImageWidth, ImageLength: index in (w, h)
_SHORT = 3
_LONG = 4
# How a one-value integer entry is stored, by its type: writers use signed and byte types too,
# which readers take for the same number (an Orientation left unpatched would turn twice).
_INTEGER_FORMATS = {1: "B", _SHORT: "H", _LONG: "I", 6: "b", 8: "h", 9: "i"}
_HEADER = b"Exif\x00\x00"
# tiff:Orientation as an attribute (="6") or an element (>6<); possessive: the packet is untrusted
_XMP_ORIENTATION = re.compile(
    rb"(tiff:Orientation(?:[ \t\r\n]*+=[ \t\r\n]*+[\"']|>)[ \t\r\n]*+)[2-8]"
)
_XMP_ORIENTATION_VALUE = re.compile(
    rb"tiff:Orientation(?:[ \t\r\n]*+=[ \t\r\n]*+[\"']|>)[ \t\r\n]*+([0-9])"
)


def _entries(tiff: bytearray, endian: str, offset: int) -> tuple[list[int], int] | None:
    """Offsets of the 12-byte entries of the IFD at ``offset`` and of its next-IFD link."""
    if offset < 8 or offset + 2 > len(tiff):
        return None
    (count,) = struct.unpack_from(endian + "H", tiff, offset)
    link = offset + 2 + 12 * count
    if link + 4 > len(tiff):
        return None
    return [offset + 2 + 12 * i for i in range(count)], link


def _set_number(tiff: bytearray, endian: str, entry: int, value: int) -> None:
    kind, count = struct.unpack_from(endian + "HI", tiff, entry + 2)
    fmt = _INTEGER_FORMATS.get(kind)
    if count != 1 or fmt is None:
        return
    try:
        struct.pack_into(endian + fmt, tiff, entry + 8, value)
    except struct.error:  # out of the type's range
        return


def patch_exif(
    blob: bytes,
    *,
    orientation: int | None = None,
    size: tuple[int, int] | None = None,
    drop_thumbnail: bool = False,
) -> bytes:
    """Return ``blob`` (with or without the ``Exif\\0\\0`` header) with the edits applied.

    A block that cannot be parsed is returned unchanged: an edit is never worth a broken file.
    """
    prefix = _HEADER if blob.startswith(_HEADER) else b""
    tiff = bytearray(blob[len(prefix) :])
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return blob
    endian = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(endian + "I", tiff, 4)
    found = _entries(tiff, endian, ifd0)
    if found is None:
        return blob
    entries, link = found
    exif_ifd = None
    for entry in entries:
        (tag,) = struct.unpack_from(endian + "H", tiff, entry)
        if tag == _ORIENTATION and orientation is not None:
            _set_number(tiff, endian, entry, orientation)
        elif tag in _IMAGE_SIZE and size is not None:  # a phone's copy of the pixel dimensions
            _set_number(tiff, endian, entry, size[_IMAGE_SIZE[tag]])
        elif tag == _EXIF_IFD:
            (exif_ifd,) = struct.unpack_from(endian + "I", tiff, entry + 8)
    if drop_thumbnail:
        struct.pack_into(endian + "I", tiff, link, 0)
    if size is not None and exif_ifd is not None:
        sub = _entries(tiff, endian, exif_ifd)
        for entry in sub[0] if sub else []:
            (tag,) = struct.unpack_from(endian + "H", tiff, entry)
            if tag == _PIXEL_X:
                _set_number(tiff, endian, entry, size[0])
            elif tag == _PIXEL_Y:
                _set_number(tiff, endian, entry, size[1])
    return prefix + bytes(tiff)


def pixel_dimensions(blob: bytes) -> tuple[int, int] | None:
    """The EXIF sub-IFD's PixelXDimension and PixelYDimension, or None without both."""
    tiff = bytearray(blob[len(_HEADER) :] if blob.startswith(_HEADER) else blob)
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    endian = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(endian + "I", tiff, 4)
    found = _entries(tiff, endian, ifd0)
    exif_ifd = None
    for entry in found[0] if found else []:
        if struct.unpack_from(endian + "H", tiff, entry)[0] == _EXIF_IFD:
            (exif_ifd,) = struct.unpack_from(endian + "I", tiff, entry + 8)
    sub = _entries(tiff, endian, exif_ifd) if exif_ifd else None
    if sub is None:
        return None
    width, height = (_number(tiff, endian, sub[0], tag) for tag in (_PIXEL_X, _PIXEL_Y))
    return None if width is None or height is None else (width, height)


def _number(tiff: bytearray, endian: str, entries: list[int], wanted: int) -> int | None:
    for entry in entries:
        tag, kind, count = struct.unpack_from(endian + "HHI", tiff, entry)
        fmt = _INTEGER_FORMATS.get(kind)
        if tag == wanted and fmt is not None and count == 1:
            return int(struct.unpack_from(endian + fmt, tiff, entry + 8)[0])
    return None


_THUMBNAIL_OFFSET = 0x0201
_THUMBNAIL_LENGTH = 0x0202


def _thumbnail_entries(tiff: bytearray, endian: str) -> tuple[int, int, int | None] | None:
    """The IFD1 entries giving the JPEG thumbnail's offset and length, if both are there, and
    its Orientation entry, if any."""
    (ifd0,) = struct.unpack_from(endian + "I", tiff, 4)
    found = _entries(tiff, endian, ifd0)
    if found is None:
        return None
    (ifd1,) = struct.unpack_from(endian + "I", tiff, found[1])
    sub = _entries(tiff, endian, ifd1) if ifd1 else None
    entries = {}
    orientation = None
    for entry in sub[0] if sub else []:
        tag, kind, count = struct.unpack_from(endian + "HHI", tiff, entry)
        if tag in (_THUMBNAIL_OFFSET, _THUMBNAIL_LENGTH) and kind == _LONG and count == 1:
            entries[tag] = entry
        elif tag == _ORIENTATION:
            orientation = entry
    if len(entries) != 2:
        return None
    return entries[_THUMBNAIL_OFFSET], entries[_THUMBNAIL_LENGTH], orientation


def thumbnail(blob: bytes) -> bytes | None:
    """The JPEG thumbnail an EXIF block carries in IFD1, or None."""
    prefix = _HEADER if blob.startswith(_HEADER) else b""
    tiff = bytearray(blob[len(prefix) :])
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    endian = "<" if tiff[:2] == b"II" else ">"
    found = _thumbnail_entries(tiff, endian)
    if found is None:
        return None
    (offset,) = struct.unpack_from(endian + "I", tiff, found[0] + 8)
    (length,) = struct.unpack_from(endian + "I", tiff, found[1] + 8)
    if not 8 <= offset <= offset + length <= len(tiff) or length == 0:
        return None
    return bytes(tiff[offset : offset + length])


def replace_thumbnail(blob: bytes, new: bytes) -> bytes | None:
    """``blob`` with its IFD1 thumbnail replaced by ``new`` (an upright one: IFD1's own
    Orientation, if any, becomes 1): where the old one ends the block (as cameras and phones
    write it) the block grows or shrinks; elsewhere ``new`` must fit in the old one's place.
    None when it cannot be done."""
    prefix = _HEADER if blob.startswith(_HEADER) else b""
    tiff = bytearray(blob[len(prefix) :])
    old = thumbnail(blob)
    if old is None:
        return None
    endian = "<" if tiff[:2] == b"II" else ">"
    found = _thumbnail_entries(tiff, endian)
    assert found is not None
    (offset,) = struct.unpack_from(endian + "I", tiff, found[0] + 8)
    if max(entry for entry in found if entry is not None) + 12 > offset:
        return None  # a directory inside the thumbnail's bytes: not a block to edit
    struct.pack_into(endian + "I", tiff, found[1] + 8, len(new))
    if found[2] is not None:  # the thumbnail is turned as the image is
        _set_number(tiff, endian, found[2], 1)
    if offset + len(old) == len(tiff):
        tiff[offset:] = new
    elif len(new) <= len(old):
        tiff[offset : offset + len(new)] = new
    else:
        return None
    return prefix + bytes(tiff)


def read_orientation(blob: bytes) -> int | None:
    """The IFD0 Orientation value, or None when absent or unreadable."""
    tiff = blob[len(_HEADER) :] if blob.startswith(_HEADER) else blob
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    endian = "<" if tiff[:2] == b"II" else ">"
    buf = bytearray(tiff)
    (ifd0,) = struct.unpack_from(endian + "I", buf, 4)
    found = _entries(buf, endian, ifd0)
    if found is None:
        return None
    for entry in found[0]:
        tag, kind, count = struct.unpack_from(endian + "HHI", buf, entry)
        fmt = _INTEGER_FORMATS.get(kind)
        if tag == _ORIENTATION and fmt is not None and count == 1:
            return int(struct.unpack_from(endian + fmt, buf, entry + 8)[0])
    return None


def xmp_orientation(packet: bytes | None) -> int | None:
    """The first tiff:Orientation of an XMP packet (what Pillow and exiftool show where EXIF
    has none), if it is one of the eight."""
    match = _XMP_ORIENTATION_VALUE.search(packet) if packet else None
    value = int(match.group(1)) if match else None
    return value if value is not None and 1 <= value <= 8 else None


def reset_xmp_orientation(packet: bytes) -> bytes:
    """``packet`` (XMP, or a segment or chunk holding it) with every tiff:Orientation set to 1:
    the same length, so it can replace the original in place."""
    return _XMP_ORIENTATION.sub(rb"\g<1>1", packet)
