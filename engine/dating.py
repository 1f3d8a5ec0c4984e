"""Choosing a file's date from every source it has, in one documented precedence:

EXIF DateTimeOriginal or DateTimeDigitized in the file (photos, RAW), or the container's
creation date (videos); XMP, then IPTC, inside the file; EXIF's IFD0 DateTime (when the file was
last changed); a Google Takeout JSON sidecar; an XMP sidecar; the file name; the folder name
(opt-in); the file's modification time (opt-in). The first valid date wins.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable

from engine.dates import make_datetime
from engine.filename_dates import date_from_filename
from engine.records import DateSource

_YEAR_ONLY = re.compile(r"(?<!\d)((?:18|19|20)\d\d)(?!\d)")


def first_date(
    candidates: Iterable[tuple[DateSource, dt.datetime | None]],
) -> tuple[DateSource, dt.datetime] | None:
    for source, when in candidates:
        if when is not None:
            return source, when
    return None


def date_from_folders(rel: str) -> dt.datetime | None:
    """A date in the names of the folders holding ``rel``, nearest folder first: a full date
    (``2001-06-02 Trip``) or a year alone (``2015/Summer``, read as 1 January)."""
    folders = os.path.dirname(rel).split(os.sep)
    for folder in reversed([f for f in folders if f]):
        found = date_from_filename(folder)
        if found is not None:
            return found
        for match in _YEAR_ONLY.finditer(folder):
            year = make_datetime(int(match.group(1)), 1, 1)
            if year is not None:
                return year
    return None


def date_from_mtime(mtime_ns: int) -> dt.datetime | None:
    try:
        when = dt.datetime.fromtimestamp(mtime_ns / 1e9)
    except (OverflowError, OSError, ValueError):
        return None
    return make_datetime(*when.timetuple()[:6])
