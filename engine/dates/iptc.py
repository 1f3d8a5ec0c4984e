"""Dates in IPTC records (IIM DateCreated and TimeCreated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from engine.dates.parse import make_datetime


def iptc_date(info: Mapping[tuple[int, int], object] | None) -> dt.datetime | None:
    """IPTC 2:55 DateCreated (``YYYYMMDD``) with 2:60 TimeCreated (``HHMMSS±HHMM``). A month
    or day the IIM standard writes as ``00``, unknown (a scan of 1985: ``19850000``), is read
    as the first."""
    if not info:
        return None
    day = info.get((2, 55))
    if isinstance(day, list):
        day = day[0]
    if not isinstance(day, bytes) or len(day) < 8 or not day[:8].isdigit():
        return None
    time_of_day = info.get((2, 60))
    if isinstance(time_of_day, list):
        time_of_day = time_of_day[0]
    hms = (0, 0, 0)
    if isinstance(time_of_day, bytes) and len(time_of_day) >= 6 and time_of_day[:6].isdigit():
        hms = (int(time_of_day[0:2]), int(time_of_day[2:4]), int(time_of_day[4:6]))
    year, month, day_of_month = int(day[:4]), int(day[4:6]), int(day[6:8])
    if month == 0 and day_of_month != 0:
        return None
    return make_datetime(year, month or 1, day_of_month or 1, *hms)
