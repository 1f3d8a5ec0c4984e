"""JPEG at the byte level: a structural check that walks every marker to EOI, the metadata
segments it carries, and splicing those segments into a re-encoded file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SOI = b"\xff\xd8"
_EOI = 0xD9
_SOS = 0xDA
_APP0 = 0xE0
_APP1 = 0xE1
_APP2 = 0xE2
_APP14 = 0xEE
_COM = 0xFE
_SOF_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}
_SOF = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}  # frame headers (not DHT, JPG, DAC)
_SOF_BASELINE = 0xC0
_SOF_LOSSLESS = {0xC3, 0xC7, 0xCB, 0xCF}
_SOF_HIERARCHICAL = {0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# Markers that may follow a scan: another scan, tables, restart interval, DNL, APPn, COM, EOI.
_AFTER_SCAN = {0xC4, 0xCC, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xFE, *range(0xE0, 0xF0)}
# In entropy-coded data a marker is 0xFF followed by anything but 0x00 (stuffing),
# RST0-7 or another 0xFF (fill).
# (No ``\xff+``: a quantifier there makes the scan an order of magnitude slower; a fill byte
# before a marker is simply skipped by the search.)
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
MPF_HEADER = b"MPF\x00"
# Trailing bytes a camera may pad with after EOI that are not an embedded image or video.
_PADDING = re.compile(rb"^[\x00\xff\s]*$")


@dataclass(slots=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF byte
    end: int  # offset just past the segment


@dataclass(slots=True)
class JpegStructure:
    problem: str | None = None
    segments: list[Segment] = field(default_factory=list)
    eoi_end: int = 0
    trailing: int = 0  # bytes after EOI that are not padding
    progressive: bool = False
    exif: bytes | None = None  # TIFF data with the Exif header
    xmp: bytes | None = None
    has_mpf: bool = False
    # An APPn segment after the first scan: no reader takes it, but jpegtran and a re-encode
    # would move it before the image data, where every reader would.
    late_metadata: bool = False
    # A sequential JPEG that ends inside the scan holding its last components, with no
    # end-of-image marker: cut short, or written by a program that left the marker out
    # (``rotate.complete_without_eoi`` tells which). A progressive one cannot be told: one
    # cut after any of its scans reads as whole.
    ends_in_last_scan: bool = False
    # Pixels per MCU of the main frame (width, height): a lossless turn moves whole MCUs.
    mcu: tuple[int, int] | None = None
    frame: int | None = None  # the main frame's SOFn marker
    precision: int | None = None  # its bits per sample


def check_jpeg(data: bytes) -> JpegStructure:
    """Walk the markers from SOI through every scan to EOI; report the first structural problem."""
    result = JpegStructure()
    size = len(data)
    if not data.startswith(SOI):
        result.problem = "not a JPEG (no start-of-image marker)"
        return result
    pos = 2
    scanned = False
    components, scanned_components = 0, 0
    while True:
        if pos >= size:
            result.problem = "truncated: the file ends before the end-of-image marker"
            return result
        if data[pos] != 0xFF:
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                result.problem = "truncated: garbage where a marker should be"
                return result
            pos = nxt
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            result.problem = "truncated: the file ends inside a marker"
            return result
        marker = data[pos]
        start = pos - 1
        pos += 1
        if marker == _EOI:
            result.eoi_end = pos
            rest = data[pos:]
            result.trailing = 0 if _PADDING.match(rest) else len(rest)
            if result.segments and not any(s.marker == _SOS for s in result.segments):
                result.problem = "no image data (no scan before end-of-image)"
            return result
        if marker in _STANDALONE:
            continue
        if pos + 2 > size:
            result.problem = "truncated inside a segment header"
            return result
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + length
        if length < 2 or end > size:
            result.problem = "truncated: a segment runs past the end of the file"
            return result
        result.segments.append(Segment(marker, start, end))
        if marker in _SOF and result.frame is None:
            result.frame = marker
            result.problem = _frame_problem(marker, data[pos + 2 : end])
            if result.problem:
                return result
            result.precision = data[pos + 2]
            result.mcu = _mcu_size(data[pos + 2 : end])
            components = data[pos + 7]
        if scanned and _APP0 <= marker <= 0xEF:
            result.late_metadata = True
        if marker in _SOF_PROGRESSIVE:
            result.progressive = True
        elif marker == _APP1 and not scanned:
            # Readers (libjpeg, exiftool, browsers) take metadata only from before the image
            # data: an EXIF block after a scan turns and dates nothing, so it must not here.
            payload = data[pos + 2 : end]
            if payload.startswith(EXIF_HEADER) and result.exif is None:
                result.exif = payload
            elif payload.startswith(XMP_HEADER) and result.xmp is None:
                result.xmp = payload[len(XMP_HEADER) :]
        elif marker == _APP2 and data[pos + 2 : pos + 6] == MPF_HEADER:
            result.has_mpf = True
        pos = end
        if marker == _SOS:
            scanned = True
            scanned_components += data[start + 4] if start + 4 < end else 0
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                result.problem = "truncated: image data ends without an end-of-image marker"
                result.ends_in_last_scan = (
                    not result.progressive and scanned_components == components
                )
                return result
            if found.group()[-1] not in _AFTER_SCAN:
                result.problem = (
                    f"damaged image data (marker 0x{found.group()[-1]:02X} inside a scan)"
                )
                return result
            pos = found.end() - 2


def _frame_problem(marker: int, frame: bytes) -> str | None:
    """What is wrong with a frame header's body, as every decoder refuses it: a length that
    does not fit its component count, no width or no components, or a sample precision its
    coding process does not allow (baseline: 8 bits; other DCT processes: 8 or 12; lossless:
    2 to 16)."""
    count = frame[5] if len(frame) > 5 else 0
    if count == 0 or len(frame) != 6 + 3 * count:
        return "damaged frame header (its length does not fit its components)"
    width, height = int.from_bytes(frame[3:5], "big"), int.from_bytes(frame[1:3], "big")
    if width == 0 or height == 0:
        return f"damaged frame header (a {width}x{height} image)"
    precision = frame[0]
    if marker in _SOF_LOSSLESS:
        allowed = 2 <= precision <= 16
    else:
        allowed = precision == 8 or (precision == 12 and marker != _SOF_BASELINE)
    if not allowed:
        return f"damaged frame header ({precision}-bit samples in a {_process(marker)} JPEG)"
    return None


def _process(marker: int) -> str:
    if marker == _SOF_BASELINE:
        return "baseline"
    return "lossless" if marker in _SOF_LOSSLESS else "DCT"


def undecodable(structure: JpegStructure) -> str | None:
    """What makes a sound JPEG one the imaging library cannot decode, which reads 8-bit DCT
    (baseline, extended, progressive, arithmetic-coded): "12-bit JPEG", "16-bit lossless
    JPEG" and the like; None for the JPEGs it decodes."""
    frame, precision = structure.frame, structure.precision
    if frame is None or precision is None:
        return None
    words = [f"{precision}-bit"] if precision != 8 else []
    if frame in _SOF_HIERARCHICAL:
        words.append("hierarchical")
    if frame in _SOF_LOSSLESS:
        words.append("lossless")
    return " ".join([*words, "JPEG"]) if words else None


def _mcu_size(frame: bytes) -> tuple[int, int] | None:
    """An MCU's pixel size from a frame header's body: 8x8 for one component, else 8 times
    the largest sampling factors (as libjpeg's lossless transforms count it)."""
    count = frame[5] if len(frame) > 5 else 0
    if count == 0 or len(frame) < 6 + 3 * count:
        return None
    if count == 1:
        return 8, 8
    factors = frame[7 : 6 + 3 * count : 3]
    horizontal = max(f >> 4 for f in factors)
    vertical = max(f & 0x0F for f in factors)
    return (8 * horizontal, 8 * vertical) if horizontal and vertical else None


def carried_segments(data: bytes, structure: JpegStructure) -> list[bytes]:
    """Metadata segments to carry into a re-encoded file: APP1..APP13, APP15 and comments.

    APP0 (JFIF) and APP14 (Adobe colour transform) describe the encoding, so the new encoder's
    own are kept; MPF describes secondary images that a re-encode does not carry.
    """
    kept = []
    for seg in structure.segments:
        if seg.marker == _COM or (_APP1 <= seg.marker <= 0xEF and seg.marker != _APP14):
            if seg.marker == _APP2 and data[seg.start + 4 : seg.start + 8] == MPF_HEADER:
                continue
            kept.append(data[seg.start : seg.end])
    return kept


def replace_metadata(encoded: bytes, segments: list[bytes]) -> bytes:
    """Put ``segments`` into ``encoded`` (a fresh JPEG) in place of its own APPn/COM segments,
    after its JFIF APP0 (if any)."""
    structure = check_jpeg(encoded)
    if structure.problem:
        raise ValueError(f"encoder output is not a valid JPEG: {structure.problem}")
    head = [SOI]
    body_start = 2
    for seg in structure.segments:
        if seg.marker == _APP0 and body_start == seg.start:
            head.append(encoded[seg.start : seg.end])
            body_start = seg.end
        elif seg.marker == _COM or (_APP1 <= seg.marker <= 0xEF and seg.marker != _APP14):
            if seg.start == body_start:
                body_start = seg.end
        else:
            break
    return b"".join([*head, *segments, encoded[body_start:]])


def metadata_size(segments: list[bytes]) -> int:
    return sum(len(s) for s in segments)
