"""Dates of camera RAW files: their EXIF lives in TIFF structures (the whole file for CR2,
NEF, ARW, DNG, ORF, RW2, the last two with a TIFF magic of their own; boxes inside CR3; an
embedded JPEG in RAF)."""

from __future__ import annotations

import datetime as dt
import re

from PIL import Image

from engine.dates.exif import exif_facts
from engine.formats.kinds import RAW_READ_LIMIT

_TIFF_HEADER = re.compile(rb"II\*\x00|MM\x00\*|IIRO|IIRS|MMOR|IIU\x00")
# Olympus ORF (IIRO, IIRS, MMOR) and Panasonic RW2 (IIU) are TIFF with a magic of their own.
_STANDARD = {b"II": b"II*\x00", b"MM": b"MM\x00*"}


def raw_dates(
    data: bytes, search: int = RAW_READ_LIMIT
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the picture was taken (DateTimeOriginal or DateTimeDigitized) and IFD0 DateTime
    (when the file was last changed), each the first valid one of any TIFF structure in the
    first ``search`` bytes: a CR3 keeps IFD0 and the EXIF directory in separate boxes."""
    modified: dt.datetime | None = None
    for match in _TIFF_HEADER.finditer(data, 0, search):
        exif = Image.Exif()
        start = match.start()
        try:
            exif.load(_STANDARD[data[start : start + 2]] + data[start + 4 :])
        except Exception:
            continue
        facts = exif_facts(exif)
        if facts.date is not None:
            return facts.date, modified or facts.modified
        modified = modified or facts.modified
    return None, modified
