"""The file's modification time as its date (opt-in, ``--date-from-mtime``)."""

from __future__ import annotations

import datetime as dt

from engine.dates.parse import make_datetime

_DAY_NS = 86_400 * 10**9
_HOUR_NS = 3_600 * 10**9
# FAT's first moment, 1980-01-01 00:00 in the zone of the computer that read the card (UTC-12 to
# UTC+14), and the hour after it: a memory card's file whose clock was never set, in UTC.
_FAT_EPOCH_NS = 315_532_800 * 10**9
_FAT_UNSET_NS = (_FAT_EPOCH_NS - 14 * _HOUR_NS, _FAT_EPOCH_NS + 13 * _HOUR_NS)


def date_from_mtime(mtime_ns: int) -> dt.datetime | None:
    """The modification time as local time; a time that says none was set (Unix time zero, or
    the first hour of FAT's first day, in whatever zone either is read) is no date."""
    if abs(mtime_ns) < _DAY_NS or _FAT_UNSET_NS[0] <= mtime_ns < _FAT_UNSET_NS[1]:
        return None
    try:
        when = dt.datetime.fromtimestamp(mtime_ns / 1e9)
    except (OverflowError, OSError, ValueError):
        return None
    return make_datetime(*when.timetuple()[:6])
