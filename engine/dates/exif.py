"""What a photo's EXIF says about when it was taken and which way is up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PIL import Image

from engine.dates.parse import parse_exif_datetime
from engine.dates.timezone import parse_offset, with_offset

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET_TIME_DIGITIZED = 0x9012
_MAKE = 271
_MODEL = 272
_DATE_TIME_ORIGINAL = 36867
_DATE_TIME_DIGITIZED = 36868
_DATE_TIME = 306
_ORIENTATION = 274


@dataclass(slots=True)
class ExifFacts:
    date: dt.datetime | None = None  # when it was taken (DateTimeOriginal, DateTimeDigitized)
    date_tag: str | None = None
    # The next of those tags' dates, where they differ: the evidence left when ``date`` is in
    # the future (a date shift gone wrong rewrites DateTimeOriginal alone)
    others: tuple[dt.datetime, ...] = ()
    modified: dt.datetime | None = None  # IFD0 DateTime: when the file was last changed
    orientation: int | None = None
    problem: str | None = None
    camera: str | None = None  # "Make Model"
    position: tuple[float, float] | None = None  # GPS latitude, longitude
    gps_time: dt.datetime | None = None  # GPS date and time (UTC)


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
    for tag, name, source, offset_tag in (
        (_DATE_TIME_ORIGINAL, "DateTimeOriginal", sub, _OFFSET_TIME_ORIGINAL),
        (_DATE_TIME_DIGITIZED, "DateTimeDigitized", sub, _OFFSET_TIME_DIGITIZED),
        (_DATE_TIME_ORIGINAL, "DateTimeOriginal", ifd0, _OFFSET_TIME_ORIGINAL),
    ):
        value = parse_exif_datetime(source.get(tag))
        if value is not None:
            offset = parse_offset(sub.get(offset_tag))
            if offset is None:  # +00:00 is an offset too
                offset = parse_offset(sub.get(_OFFSET_TIME))
            when = with_offset(value, offset)
            if facts.date is None:
                facts.date, facts.date_tag = when, name
            elif when is not None and when != facts.date and when not in facts.others:
                facts.others += (when,)
    facts.camera = camera_name(ifd0.get(_MAKE), ifd0.get(_MODEL))
    try:
        gps = dict(exif.get_ifd(_GPS_IFD))
    except Exception:
        gps = {}
    facts.position = gps_position(gps)
    facts.gps_time = gps_datetime(gps)
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


def camera_name(make: object, model: object) -> str | None:
    """``Canon`` + ``Canon EOS 40D`` -> ``Canon EOS 40D``; ``NIKON`` + ``D90`` -> ``NIKON D90``."""
    parts = [_text(make), _text(model)]
    maker, name = parts
    if maker and name and name.casefold().startswith(maker.split()[0].casefold()):
        return name
    joined = " ".join(p for p in parts if p)
    return joined or None


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return " ".join(value.replace("\x00", " ").split()) if isinstance(value, str) else ""


def _degrees(value: object, ref: object, negative: str) -> float | None:
    try:
        d, m, s = (float(part) for part in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        degrees = -degrees
    return degrees


def gps_position(gps: dict[int, object]) -> tuple[float, float] | None:
    """Latitude and longitude of an EXIF GPS directory, or None."""
    latitude = _degrees(gps.get(2), gps.get(1), "S")
    longitude = _degrees(gps.get(4), gps.get(3), "W")
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def gps_datetime(gps: dict[int, object]) -> dt.datetime | None:
    """GPSDateStamp + GPSTimeStamp (UTC), or None."""
    day = parse_exif_datetime(gps.get(29))
    try:
        h, m, s = (int(float(part)) for part in gps.get(7))  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):  # an infinite DOUBLE too
        return None
    if day is None or not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 61):
        return None
    return day.replace(hour=h, minute=m, second=min(s, 59))
