"""The file's modification time as its date (opt-in, ``--date-from-mtime``)."""

from __future__ import annotations

import datetime as dt

from engine.dates.parse import make_datetime

_DAY_NS = 86_400 * 10**9
# The first day FAT can write (local time): a memory card's file whose clock was never set.
_FAT_EPOCH = dt.date(1980, 1, 1)


def date_from_mtime(mtime_ns: int) -> dt.datetime | None:
    """The modification time as local time; a time that says none was set (Unix time zero, in
    whatever zone it is read, or the first hour of FAT's first day) is no date."""
    if abs(mtime_ns) < _DAY_NS:
        return None
    try:
        when = dt.datetime.fromtimestamp(mtime_ns / 1e9)
    except (OverflowError, OSError, ValueError):
        return None
    if when.date() == _FAT_EPOCH and when.hour == 0:
        return None
    return make_datetime(*when.timetuple()[:6])
