"""Dates in file names: a library of patterns from cameras, phones and messengers.

Each pattern needs a full year, month and day (validated), but for a month alone as a person
names a scan (``1985-07 Beach``), so camera counters such as ``DSC_2015`` or ``IMG_1234`` never
pass for a date.
"""

from __future__ import annotations

import datetime as dt
import re

from engine.dates.parse import make_datetime
from engine.dates.timezone import utc_only
from engine.policy.naming import ANDROID_PREFIX

_Y = r"(?P<y>(?:18|19|20)\d\d)"
_M = r"(?P<m>[01]\d)"
_D = r"(?P<d>[0-3]\d)"
_TIME = r"(?P<H>[0-2]\d)(?P<tsep>[-_.:]?)(?P<Mi>[0-5]\d)(?P=tsep)(?P<S>[0-6]\d)"
# A Mac's screenshots and screen recordings and WhatsApp's exports on an iPhone join the date to
# the time with a word of the system's language (at, um, à, om, kl., às, a las, alle, o; a
# 12-hour clock's half of the day in Chinese, Japanese and Korean: 下午9.41.23, 午後9.41.23,
# 오후 9.41.23) and, on a 12-hour clock, write the hour without its leading zero: "at 9.41.23 PM"
# (so does a Mac in Japanese on a 24-hour clock: "スクリーンショット 2020-03-21 8.50.12")
_AT = r"(?: [^\d\s]{1,5}(?: [^\d\s]{1,5})? ?(?=\d\d?[.:]\d\d[.:]\d\d)|[ _\-T])"
_CLOCK = _TIME.replace(
    r"(?P<H>[0-2]\d)", r"(?P<H>[0-2]\d|(?<=[^\d\s] |\d |[上下]午|午[前後])\d(?=[.:]))"
)

PATTERNS: tuple[re.Pattern[str], ...] = (
    # Telegram Desktop's chat export, day first: photos/photo_1@01-08-2020_22-03-20.jpg (not the
    # _thumb.jpg it writes beside a video or file: a preview, left to --min-size)
    re.compile(rf"@{_D}-{_M}-{_Y}(?:_{_TIME})?(?!\d)(?!.*_thumb)", re.IGNORECASE),
    # 20190102_123456, IMG_20190102_123456, PXL_20210101_120000123, VID_20190102_123456
    re.compile(rf"(?<!\d){_Y}{_M}{_D}[_\-T ]?{_TIME}(?:\d{{1,3}})?(?!\d)"),
    # 2019-01-02 12.34.56, Screenshot_2018-02-03-10-11-12, signal-2018-08-21-100217,
    # WhatsApp Image 2020-01-02 at 10.11.12, Screen Recording 2019-12-31 at 9.30.00 PM,
    # Bildschirmfoto 2019-05-12 um 10.10.10
    re.compile(rf"(?<!\d){_Y}(?P<sep>[-_.]){_M}(?P=sep){_D}(?:{_AT}?{_CLOCK})?(?!\d)"),
    # IMG-20190707-WA0003, 20190102, photo_20190102
    re.compile(rf"(?<!\d){_Y}{_M}{_D}(?!\d)"),
    # Foto 12.04.2019, 12.04.2019 Urlaub, IMG 24.12.2018 19.30: dots between day, month and
    # year mean day first in every locale that writes them so (German, Dutch, Nordic, Slavic);
    # two digits each, not after a digit and a dot or a "v" (3.12.04.2019, v12.04.2019: a
    # version) nor before a dot and a digit (12.04.2019.2: a counter)
    re.compile(
        rf"(?<![\dvV])(?<!\d\.){_D}\.{_M}\.{_Y}"
        r"(?:[ _\-](?P<H>[0-2]\d)[.:](?P<Mi>[0-5]\d)(?:[.:](?P<S>[0-5]\d))?)?(?!\.?\d)"
    ),
    # 1985-07 Beach, Scan 1985.07: a month, read as its first day; never after a letter
    # or a letter and a dash (DSCF2010-01, IMG_2010-01, DSC-2010-01: a counter and a copy's number),
    # nor after a number and a dash (15-07-2003_01, 100_2010-01: a day-first date's year, a counter)
    re.compile(rf"(?<![^\W\d_])(?<![^\W\d_][-_])(?<!\d[-_.])(?<!\d){_Y}[-_.]{_M}(?![-_.]?\d)"),
)


# macOS before Mojave on a 12-hour clock: "Screen Shot 2019-01-01 at 11.30.00 PM.png", in
# Spanish "Captura de pantalla 2019-01-01 a la(s) 11.30.00 p. m..png"
_HALF_DAY = re.compile(r"^\s?(?P<half>[AP])\.?\s?M\b", re.IGNORECASE)
# ... and in Chinese, Japanese and Korean, before the time: "截屏2021-03-04 下午9.41.23",
# "スクリーンショット 2021-03-04 午後9.41.23", "오후 9.41.23"
_HALF_DAY_BEFORE = re.compile(r"(?:(?P<A>上午|午前|오전)|下午|午後|오후)\s?$")
# Facebook's saved photos, FB_IMG_1546300801000.jpg, and WeChat's, mmexport1546300801000.jpg
# and wx_camera_1546300801000.jpg: the moment saved, in milliseconds (UTC)
_SAVED_AT = re.compile(r"^(?:FB_IMG_|mmexport|wx_camera_)(?P<ms>\d{13})(?!\d)", re.IGNORECASE)
# A photo or video downloaded from Facebook or Instagram is named by the ids of its upload and a
# size letter, 20110105_10153123456789012_1234567890123456789_n.jpg: numbers that can read as a
# date (the first id, from 18000000 to 20999999, one time in 27), never the day it was taken
_CDN_IDS = re.compile(
    r"^(?=[\d_]*\d{10})\d+(?:_\d+)+_[a-z](?: ?\(\d+\))?(?:\.[^.]*)?$", re.IGNORECASE
)


def date_from_filename(name: str) -> dt.datetime | None:
    """The first valid date found in ``name`` (a file name, with or without extension)."""
    if _CDN_IDS.match(name):
        return None
    for pattern in PATTERNS:
        for match in pattern.finditer(name):
            groups = match.groupdict()
            day = make_datetime(int(groups["y"]), int(groups["m"]), int(groups.get("d") or 1))
            if day is None:
                continue
            if groups.get("H") is not None:
                before, after = name[match.start() : match.start("H")], name[match.end() :]
                hour = _24_hour(int(groups["H"]), before, after)
                minute, second = int(groups["Mi"]), int(groups["S"] or 0)
                with_time = make_datetime(day.year, day.month, day.day, hour, minute, second)
                if with_time is not None:
                    return with_time
            return day
    return None


def _24_hour(hour: int, before: str, after: str) -> int:
    """``hour`` on a 24-hour clock, given what precedes the time (``下午``, ``오후``, ...) and
    what follows it (`` PM``, ``AM``, ...)."""
    if not 1 <= hour <= 12:
        return hour
    ahead = _HALF_DAY_BEFORE.search(before)
    if ahead is not None:
        return hour % 12 + (0 if ahead["A"] else 12)
    half = _HALF_DAY.match(after)
    if half is None:
        return hour
    return hour % 12 + (12 if half["half"].upper() == "P" else 0)


def filename_date(name: str) -> dt.datetime | None:
    """The date in a file name; Google Pixel's ``PXL_`` names, Facebook's ``FB_IMG_`` and
    WeChat's ``mmexport`` and ``wx_camera_`` (milliseconds since 1970) give UTC, in Android's
    trash too (``.trashed-1700000000-FB_IMG_1546300801000.jpg``)."""
    name = ANDROID_PREFIX.sub("", name)
    saved = _SAVED_AT.match(name)
    if saved is not None:
        instant = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(saved["ms"]))
        return utc_only(make_datetime(*instant.timetuple()[:6]))
    when = date_from_filename(name)
    return utc_only(when) if name.upper().startswith("PXL_") else when
