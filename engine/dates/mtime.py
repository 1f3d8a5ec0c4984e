"""The file's modification time as its date (opt-in, ``--date-from-mtime``)."""

from __future__ import annotations

import datetime as dt

from engine.dates.parse import make_datetime


def date_from_mtime(mtime_ns: int) -> dt.datetime | None:
    try:
        when = dt.datetime.fromtimestamp(mtime_ns / 1e9)
    except (OverflowError, OSError, ValueError):
        return None
    return make_datetime(*when.timetuple()[:6])
