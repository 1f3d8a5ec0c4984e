"""Dates written inside files (EXIF ``YYYY:MM:DD HH:MM:SS`` and its common variants), validated."""

from __future__ import annotations

import datetime as dt
import re

EARLIEST_YEAR = 1826  # the first surviving photograph
# A reader checks that a date is on the calendar; whether it is in the future is weighed against
# the run's start, for every source at once (engine/policy/date_precedence.py ``without_future``).
LATEST_YEAR = dt.MAXYEAR

_EXIF_DATE = re.compile(
    r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2})[:.](\d{1,2})(?:[:.](\d{1,2}))?)?"
)


def make_datetime(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime | None:
    """A real calendar date and time from ``EARLIEST_YEAR`` on, or None.

    Hour 24 (written by some cameras for midnight) is read as 00 of the next day.
    """
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    next_day = hour == 24 and minute == 0 and second == 0
    if next_day:
        hour = 0
    if second == 60:
        second = 59
    try:
        value = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if next_day:
        try:
            value += dt.timedelta(days=1)
        except OverflowError:
            return None
    return value


def parse_exif_datetime(value: object) -> dt.datetime | None:
    """Parse an EXIF date value (str or bytes); placeholders such as ``0000:00:00`` give None."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, tuple | list) and value:
        value = value[0]
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", " ").strip()
    match = _EXIF_DATE.match(text)
    if not match:
        return None
    year, month, day, *clock = (int(p) if p is not None else 0 for p in match.groups())
    if year and month == 0 and day == 0 and not any(clock):
        month = day = 1  # "1985:00:00 00:00:00": a scan whose year alone is known
    elif year and day == 0 and not any(clock):
        day = 1  # "1985:07:00 00:00:00": its month
    return make_datetime(year, month, day, *clock)
