"""Google Takeout JSON sidecars: ``photoTakenTime`` (UTC seconds since the epoch) and
``geoData`` (where the photo was taken, which gives its time zone)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from engine.dates.parse import make_datetime
from engine.dates.timezone import utc_only


def _document(data: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[..." nested
        return None
    return document if isinstance(document, dict) else None


def takeout_date(data: bytes) -> dt.datetime | None:
    """When the photo was taken, in UTC (marked ``UTC_ONLY``: Takeout gives no zone). Only
    ``photoTakenTime``: ``creationTime`` is when the photo was uploaded, which would file a scan
    of 1965 or a camera's photo sent years later under the year of its upload."""
    document = _document(data)
    entry = document.get("photoTakenTime") if document is not None else None
    if not isinstance(entry, dict):
        return None
    try:
        seconds = int(entry.get("timestamp", ""))
    except (TypeError, ValueError, OverflowError):  # JSON's Infinity is a float too
        return None
    if seconds == 0:  # unset; a photo dated before 1970 has a negative timestamp
        return None
    try:
        when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    except OverflowError:
        return None
    return utc_only(make_datetime(*when.timetuple()[:6]))


def takeout_position(data: bytes) -> tuple[float, float] | None:
    """``geoData`` (or ``geoDataExif``) latitude and longitude; Takeout writes 0, 0 for none."""
    document = _document(data)
    if document is None:
        return None
    for key in ("geoData", "geoDataExif"):
        entry = document.get(key)
        if not isinstance(entry, dict):
            continue
        try:
            latitude, longitude = float(entry["latitude"]), float(entry["longitude"])
        except (KeyError, TypeError, ValueError):
            continue
        if (latitude, longitude) != (0.0, 0.0) and abs(latitude) <= 90 and abs(longitude) <= 180:
            return latitude, longitude
    return None
