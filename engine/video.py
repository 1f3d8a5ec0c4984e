"""Dates of videos from their container (QuickTime/MP4 ``creation_time``, Apple's
``com.apple.quicktime.creationdate``), through MediaInfo (pymediainfo)."""

from __future__ import annotations

import datetime as dt
import re

from engine.dates import make_datetime

_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)


def available() -> bool:
    try:
        from pymediainfo import MediaInfo
    except ImportError:
        return False
    return bool(MediaInfo.can_parse())


def parse_stamp(text: str) -> tuple[dt.datetime, dt.timedelta | None] | None:
    """A container date and its UTC offset (None when the text gives none)."""
    match = _STAMP.search(text)
    if not match:
        return None
    when = make_datetime(*(int(g) for g in match.groups()[:6]))
    if when is None:
        return None
    zone = match.group(7)
    if zone is None:
        return when, None
    if zone in ("Z", "UTC"):
        return when, dt.timedelta()
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    return when, sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def video_facts(path: str) -> tuple[dt.datetime | None, str | None, bool]:
    """(local date, which tag gave it, whether MediaInfo recognised the file as a video).

    Apple's creationdate carries the local time (and its offset) and wins; ``creation_time``
    (``encoded_date``) is UTC and is kept in UTC, as the container says nothing of the zone.
    """
    from pymediainfo import MediaInfo

    info = MediaInfo.parse(path)
    tracks = info.tracks
    general = next((t for t in tracks if t.track_type == "General"), None)
    recognised = any(t.track_type in ("Video", "Audio") for t in tracks)
    if general is None:
        return None, None, recognised
    data = general.to_data()
    apple = data.get("comapplequicktimecreationdate")
    if isinstance(apple, str) and (parsed := parse_stamp(apple)):
        return parsed[0], "com.apple.quicktime.creationdate", recognised
    for key in ("encoded_date", "tagged_date", "recorded_date"):
        value = data.get(key)
        if isinstance(value, str) and (parsed := parse_stamp(value)):
            when = parsed[0]
            if when.year > 1904:  # QuickTime's epoch: an unset date reads as 1904-01-01
                return when, key, recognised
    return None, None, recognised
