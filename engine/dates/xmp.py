"""Dates in XMP packets (inside a file or in a sidecar), with the zone they state: an offset
(``+02:00``) makes local time with its offset, ``Z`` a UTC time (``UTC_ONLY``)."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from engine.dates.parse import make_datetime
from engine.dates.timezone import parse_offset, utc_only, with_offset

# Property names in precedence order; XMP writes them as attributes or as elements.
XMP_DATE_PROPERTIES = ("exif:DateTimeOriginal", "xmp:CreateDate", "photoshop:DateCreated")
_ISO = re.compile(
    r"^\s*(\d{4})(?:[-:](\d{2})(?:[-:](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d++)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?)?)?"
)
# The packet is untrusted: every quantifier over it is possessive (``*+``) and the value has a
# bounded shape, so a scan never backtracks and stays linear in the packet's length. (The old
# ``>\s*([^<]+)<`` took minutes on a property followed by a long run of spaces.)
_GAP = r"[ \t\r\n]*+"
_DATE_SHAPE = (
    r"(\d{4}(?:[-:]\d{2}(?:[-:]\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?)?)?)"
)
# Photoshop 7 to CS2 and the software of that time named the xmp namespace (the same URI)
# ``xap:``, so their packets say ``xap:CreateDate``.
_SPELLINGS = {"xmp:CreateDate": r"(?:xmp|xap):CreateDate"}


def _pattern(name: str) -> re.Pattern[str]:
    spelled = _SPELLINGS.get(name, re.escape(name))
    return re.compile(spelled + _GAP + "(?:>|=" + _GAP + "[\"'])" + _GAP + _DATE_SHAPE)


_PATTERNS = {name: _pattern(name) for name in XMP_DATE_PROPERTIES}
_MOST_VALUES = 32  # a real packet has one or two of each; a crafted one may have millions


def parse_xmp_date(text: str) -> dt.datetime | None:
    """An XMP date (ISO 8601, possibly only a year or year-month), validated."""
    match = _ISO.match(text)
    if not match:
        return None
    *parts, zone = match.groups()
    year, month, day, hour, minute, second = (int(g) if g else None for g in parts)
    assert year is not None
    when = make_datetime(year, month or 1, day or 1, hour or 0, minute or 0, second or 0)
    if zone == "Z":
        return utc_only(when)
    return with_offset(when, parse_offset(zone))


def xmp_date(packet: bytes | str) -> tuple[dt.datetime, str] | None:
    """The first valid date of the properties above, and which property gave it."""
    text = packet.decode("utf-8", "replace") if isinstance(packet, bytes) else packet
    for name, pattern in _PATTERNS.items():
        for match in itertools.islice(pattern.finditer(text), _MOST_VALUES):
            value = parse_xmp_date(match.group(1))
            if value is not None:
                return value, name
    return None
