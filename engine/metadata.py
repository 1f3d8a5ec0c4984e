"""What a photo's EXIF says about when it was taken and which way is up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PIL import Image

from engine.dates import parse_exif_datetime

_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 36867
_DATE_TIME_DIGITIZED = 36868
_DATE_TIME = 306
_ORIENTATION = 274


@dataclass(slots=True)
class ExifFacts:
    date: dt.datetime | None = None  # when it was taken (DateTimeOriginal, DateTimeDigitized)
    date_tag: str | None = None
    modified: dt.datetime | None = None  # IFD0 DateTime: when the file was last changed
    orientation: int | None = None
    problem: str | None = None


def parse_exif(blob: bytes | None) -> Image.Exif | None:
    if not blob:
        return None
    exif = Image.Exif()
    exif.load(blob)
    return exif


def exif_facts(exif: Image.Exif | None) -> ExifFacts:
    """Dates (DateTimeOriginal or DateTimeDigitized; IFD0 DateTime apart) and Orientation.

    Garbage in one part of the block does not hide what the other parts say.
    """
    facts = ExifFacts()
    if exif is None:
        return facts
    sub: dict[int, object] = {}
    try:
        sub = dict(exif.get_ifd(_EXIF_IFD))
    except Exception as exc:  # a broken sub-IFD pointer, wrong types, loops
        facts.problem = f"EXIF sub-directory unreadable ({type(exc).__name__})"
    try:
        ifd0 = dict(exif)
    except Exception as exc:
        ifd0 = {}
        facts.problem = f"EXIF unreadable ({type(exc).__name__})"
    for tag, name, source in (
        (_DATE_TIME_ORIGINAL, "DateTimeOriginal", sub),
        (_DATE_TIME_DIGITIZED, "DateTimeDigitized", sub),
        (_DATE_TIME_ORIGINAL, "DateTimeOriginal", ifd0),
    ):
        value = parse_exif_datetime(source.get(tag))
        if value is not None:
            facts.date, facts.date_tag = value, name
            break
    facts.modified = parse_exif_datetime(ifd0.get(_DATE_TIME))
    orientation = ifd0.get(_ORIENTATION)
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        facts.orientation = orientation
    return facts


def read_exif_facts(blob: bytes | None) -> ExifFacts:
    try:
        exif = parse_exif(blob)
    except Exception as exc:
        return ExifFacts(problem=f"EXIF unreadable ({type(exc).__name__}: {exc})"[:200])
    return exif_facts(exif)


def image_exif_facts(im: Image.Image) -> ExifFacts:
    """EXIF facts of an image Pillow has opened (TIFF, WebP, GIF, ...)."""
    try:
        exif = im.getexif()
    except Exception as exc:
        return ExifFacts(problem=f"EXIF unreadable ({type(exc).__name__}: {exc})"[:200])
    return exif_facts(exif)
