"""Google Takeout JSON sidecars: ``photoTakenTime`` (UTC seconds since the epoch)."""

from __future__ import annotations

import datetime as dt
import json

from engine.dates import make_datetime


def takeout_date(data: bytes, offset: dt.timedelta | None = None) -> dt.datetime | None:
    """When the photo was taken, in local time when ``offset`` is known, else in UTC."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    for key in ("photoTakenTime", "creationTime"):
        entry = document.get(key)
        if isinstance(entry, dict):
            try:
                seconds = int(entry.get("timestamp", ""))
            except (TypeError, ValueError):
                continue
            if seconds <= 0:
                continue
            try:
                when = dt.datetime.fromtimestamp(seconds, dt.UTC) + (offset or dt.timedelta())
            except (OverflowError, OSError, ValueError):
                continue
            return make_datetime(*when.timetuple()[:6])
    return None
