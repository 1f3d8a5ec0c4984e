"""Dates in file names: a library of patterns from cameras, phones and messengers.

Each pattern needs a full year, month and day (validated), so camera counters such as
``DSC_2015`` or ``IMG_1234`` never pass for a date.
"""

from __future__ import annotations

import datetime as dt
import re

from engine.dates.parse import make_datetime
from engine.dates.timezone import utc_only

_Y = r"(?P<y>(?:18|19|20)\d\d)"
_M = r"(?P<m>[01]\d)"
_D = r"(?P<d>[0-3]\d)"
_TIME = r"(?P<H>[0-2]\d)(?P<tsep>[-_.:]?)(?P<Mi>[0-5]\d)(?P=tsep)(?P<S>[0-6]\d)"

PATTERNS: tuple[re.Pattern[str], ...] = (
    # 20190102_123456, IMG_20190102_123456, PXL_20210101_120000123, VID_20190102_123456
    re.compile(rf"(?<!\d){_Y}{_M}{_D}[_\-T ]?{_TIME}(?:\d{{1,3}})?(?!\d)"),
    # 2019-01-02 12.34.56, Screenshot_2018-02-03-10-11-12, signal-2018-08-21-100217,
    # WhatsApp Image 2020-01-02 at 10.11.12
    re.compile(rf"(?<!\d){_Y}(?P<sep>[-_.]){_M}(?P=sep){_D}(?:(?: at |[ _\-T])?{_TIME})?(?!\d)"),
    # IMG-20190707-WA0003, 20190102, photo_20190102
    re.compile(rf"(?<!\d){_Y}{_M}{_D}(?!\d)"),
)


def date_from_filename(name: str) -> dt.datetime | None:
    """The first valid date found in ``name`` (a file name, with or without extension)."""
    for pattern in PATTERNS:
        for match in pattern.finditer(name):
            groups = match.groupdict()
            day = make_datetime(int(groups["y"]), int(groups["m"]), int(groups["d"]))
            if day is None:
                continue
            if groups.get("H") is not None:
                with_time = make_datetime(
                    day.year,
                    day.month,
                    day.day,
                    int(groups["H"]),
                    int(groups["Mi"]),
                    int(groups["S"]),
                )
                if with_time is not None:
                    return with_time
            return day
    return None


def filename_date(name: str) -> dt.datetime | None:
    """The date in a file name; Google Pixel's ``PXL_`` names give UTC."""
    when = date_from_filename(name)
    return utc_only(when) if name.upper().startswith("PXL_") else when
