"""Local capture time with its UTC offset, from the best zone a file gives.

A date found in a file is one of three kinds: a naive ``datetime`` is local time whose zone is
unknown (EXIF ``DateTimeOriginal`` alone); an aware one in any zone but ``UTC_ONLY`` is local time
with its offset (EXIF with ``OffsetTimeOriginal``, Apple's ``creationdate``); one in ``UTC_ONLY``
is an instant the source gives only in UTC (a video's ``creation_time``, Takeout's
``photoTakenTime``, ``PXL_`` file names), to be turned into local time by the best zone known.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from engine.records import DateSource, TzSource

# Its own object (``timezone(timedelta(0))`` alone is the shared ``dt.UTC``), told apart by name.
UTC_ONLY = dt.timezone(dt.timedelta(0), "UTC, zone unknown")
IN_UTC = "date in UTC: no time zone known"  # the note of a date left in UTC
_OFFSET = re.compile(r"^\s*([+-])(\d{1,2}):?(\d{2})\s*$")
_MAX_OFFSET = dt.timedelta(hours=14)
_MIN_OFFSET = dt.timedelta(hours=12)  # the furthest behind UTC a zone is
_HOUR = dt.timedelta(hours=1)
_QUARTER = dt.timedelta(minutes=15)
_GPS_SLACK = dt.timedelta(minutes=5)  # camera clocks drift from GPS time

_OWN_ZONE = {
    DateSource.EXIF: TzSource.EXIF_OFFSET,
    DateSource.EXIFTOOL: TzSource.EXIF_OFFSET,
    DateSource.ORIGINAL: TzSource.EXIF_OFFSET,
    DateSource.XMP: TzSource.EXIF_OFFSET,
    DateSource.XMP_SIDECAR: TzSource.EXIF_OFFSET,
    DateSource.QUICKTIME: TzSource.QUICKTIME,
    DateSource.COMPANION: TzSource.EXIF_OFFSET,  # a RAW's EXIF offset, a video's Apple date
    DateSource.CLOCK_DEFAULT: TzSource.EXIF_OFFSET,
}
_RANK = {source: rank for rank, source in enumerate(TzSource)}
# An XMP date's offset is the file's zone only if the XMP date is the camera's own moment (an
# editor's xmp:CreateDate may carry the zone of where the file was edited or scanned).
_XMP = (DateSource.XMP, DateSource.XMP_SIDECAR)


@dataclass(frozen=True, slots=True)
class Zone:
    source: TzSource
    tz: dt.tzinfo
    guessed: str | None = None  # why an offset only bounded by the evidence was chosen


NAMED_DAY = (
    "time zone guessed: the whole-hour offset nearest UTC that puts its UTC time on the day "
    "its name gives"
)


def is_utc_only(when: dt.datetime) -> bool:
    return when.tzinfo is not None and when.tzname() == UTC_ONLY.tzname(None)


def utc_only(when: dt.datetime | None) -> dt.datetime | None:
    """``when`` (UTC wall-clock time) marked as an instant whose local zone is unknown."""
    return None if when is None else when.replace(tzinfo=UTC_ONLY)


def parse_offset(value: object) -> dt.timedelta | None:
    """EXIF ``OffsetTime`` text (``+09:00``, ``-0500``) as an offset, or None."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    match = _OFFSET.match(value.replace("\x00", ""))
    if not match:
        return None
    sign = 1 if match.group(1) == "+" else -1
    offset = sign * dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    return offset if abs(offset) <= _MAX_OFFSET else None


def with_offset(when: dt.datetime | None, offset: dt.timedelta | None) -> dt.datetime | None:
    if when is None or offset is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=dt.timezone(offset))


def zone_at(latitude: float, longitude: float) -> dt.tzinfo | None:
    """The time zone in force at a position (tzfpy's offline boundaries), or None."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:  # "no position" written as zeros
        return None
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from tzfpy import get_tz
    except ImportError:
        return None
    name = get_tz(longitude, latitude)
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def offset_from_gps_time(local: dt.datetime, gps_utc: dt.datetime) -> dt.timedelta | None:
    """The offset that local time and GPS time (UTC) of one moment imply, to the quarter hour;
    None when they are too far apart or not near a quarter hour (one of the clocks is wrong)."""
    difference = local.replace(tzinfo=None) - gps_utc.replace(tzinfo=None)
    quarters = round(difference / _QUARTER)
    offset = quarters * _QUARTER
    if abs(offset) > _MAX_OFFSET or abs(difference - offset) > _GPS_SLACK:
        return None
    return offset


def file_zones(
    dates: list[tuple[DateSource, dt.datetime | None]],
    positions: list[tuple[float, float]],
    gps_time: dt.datetime | None,
) -> list[Zone]:
    """Every zone a file and its sidecars give, best first."""
    zones: list[Zone] = []
    local: dt.datetime | None = None
    camera: dt.datetime | None = None
    stated: list[tuple[dt.datetime, Zone]] = []
    for source, when in dates:
        if when is None or is_utc_only(when):
            continue
        if when.tzinfo is not None and source in _OWN_ZONE:
            zone = Zone(_OWN_ZONE[source], when.tzinfo)
            if source in _XMP:
                stated.append((when, zone))
            else:
                zones.append(zone)
        if local is None and source in (DateSource.EXIF, DateSource.EXIF_MODIFIED):
            local = when
        if camera is None and source is DateSource.EXIF:
            camera = when.replace(tzinfo=None)
    zones += [zone for when, zone in stated if camera in (None, when.replace(tzinfo=None))]
    for latitude, longitude in positions:
        tz = zone_at(latitude, longitude)
        if tz is not None:
            zones.append(Zone(TzSource.GPS_POSITION, tz))
            break
    if local is not None and gps_time is not None:
        offset = offset_from_gps_time(local, gps_time)
        if offset is not None:
            zones.append(Zone(TzSource.GPS_TIME, dt.timezone(offset)))
    offset = offset_from_name(dates)
    if offset is not None:
        zones.append(Zone(TzSource.FILENAME, dt.timezone(offset)))
    elif (offset := offset_to_named_day(dates)) is not None:
        zones.append(Zone(TzSource.FILENAME, dt.timezone(offset), NAMED_DAY))
    return sorted(zones, key=lambda z: _RANK[z.source])


def offset_from_name(dates: list[tuple[DateSource, dt.datetime | None]]) -> dt.timedelta | None:
    """The offset between the local time a phone names a file by (``VID_20181231_213000.mp4``)
    and the UTC time the same phone wrote inside it (a video's ``creation_time``), when they
    are one moment: None for a name without a time of day (``IMG-20190101-WA0001``: midnight),
    a UTC name (``PXL_``) or a file made later than its name says (an edit, a re-encode)."""
    named = next((w for s, w in dates if s is DateSource.FILENAME and w is not None), None)
    utc = next((w for s, w in dates if w is not None and is_utc_only(w)), None)
    if named is None or utc is None or named.tzinfo is not None or named.time() == dt.time(0):
        return None
    return offset_from_gps_time(named, utc)


def offset_to_named_day(dates: list[tuple[DateSource, dt.datetime | None]]) -> dt.timedelta | None:
    """For a name that gives a day alone (``VID-20191231-WA0005.mp4``) and a UTC time in the
    file on another day (a messenger's ``creation_time``, 03:10 on New Year's Day: the evening
    before in the Americas), the whole-hour offset nearest UTC that puts the UTC time on the
    name's day; None when it is on that day already, or no offset (-12 to +14 hours) can."""
    named = next((w for s, w in dates if s is DateSource.FILENAME and w is not None), None)
    utc = next((w for s, w in dates if w is not None and is_utc_only(w)), None)
    if named is None or utc is None or named.tzinfo is not None or named.time() != dt.time(0):
        return None
    start = named - utc.replace(tzinfo=None)  # the offset that makes it the day's first moment
    end = start + dt.timedelta(days=1)
    if start <= dt.timedelta(0) < end:
        return None
    if start > dt.timedelta(0):
        hours = math.ceil(start / _HOUR)
    else:
        hours = math.floor(end / _HOUR)
        hours -= 1 if hours * _HOUR == end else 0
    offset = hours * _HOUR
    return offset if -_MIN_OFFSET <= offset <= _MAX_OFFSET else None


def localize(
    source: DateSource, when: dt.datetime, zones: list[Zone]
) -> tuple[dt.datetime, TzSource, str | None]:
    """Local capture time, where its offset came from, and a note when it stays in UTC or its
    zone is a guess (a guessed zone only turns a UTC time: a local time keeps its own)."""
    if is_utc_only(when):
        best = zones[0] if zones else None
        if best is None:
            return when.replace(tzinfo=dt.UTC), TzSource.NONE, IN_UTC
        return when.astimezone(best.tz), best.source, best.guessed
    best = next((zone for zone in zones if zone.guessed is None), None)
    if when.tzinfo is not None:
        own = _OWN_ZONE.get(source)
        if own is not None:
            return when, own, None
        return when, TzSource.NONE, None
    if best is None:
        return when, TzSource.NONE, None
    local = when.replace(tzinfo=best.tz)
    if isinstance(best.tz, dt.timezone):
        return local, best.source, None
    # A zone with summer time: fix the offset in force at that local time.
    offset = local.utcoffset()
    return (
        (local if offset is None else when.replace(tzinfo=dt.timezone(offset))),
        best.source,
        None,
    )
