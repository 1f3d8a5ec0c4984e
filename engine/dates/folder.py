"""Dates in folder names (opt-in, ``--date-from-folder``): a full date, a month or a year alone."""

from __future__ import annotations

import datetime as dt
import os
import re

from engine.dates.filename import date_from_filename
from engine.dates.parse import make_datetime

_YEAR_ONLY = re.compile(r"(?<!\d)((?:18|19|20)\d\d)(?!\d)")


def date_from_folders(rel: str) -> dt.datetime | None:
    """A date in the names of the folders holding ``rel``, nearest folder first: a full date
    (``2001-06-02 Trip``), a month (``2003-07 Holiday``, read as its first day) or a year alone
    (``2015/Summer``, read as 1 January)."""
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
