"""Dates of videos from their container (QuickTime/MP4 ``creation_time``, Apple's
``com.apple.quicktime.creationdate``), through MediaInfo (pymediainfo)."""

from __future__ import annotations

import datetime as dt
import re
import struct
from dataclasses import dataclass

from engine.dates.parse import make_datetime
from engine.dates.timezone import utc_only
from engine.formats.bmff import file_problem, is_iso_bmff_file, movie_box
from engine.formats.streams import riff_whole

_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


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


_UNIX_EPOCH_DAY = dt.date(1970, 1, 1)


def unset_container_date(when: dt.datetime) -> bool:
    """A container date that says no date was set: QuickTime's epoch (1904-01-01, a zero in
    the movie header) or the first day of Unix time (1970-01-01, a zero clock converted by an
    app or a phone that never set its clock; no MP4 was made then)."""
    return when.year <= 1904 or when.date() == _UNIX_EPOCH_DAY


@dataclass(frozen=True, slots=True)
class VideoFacts:
    date: dt.datetime | None  # aware: local with its offset, or UTC_ONLY
    tag: str | None  # which tag gave it
    recognised: bool  # whether MediaInfo recognised the file as a video
    position: tuple[float, float] | None = None
    truncated: bool = False  # the container says there is more than the file holds
    unset: str | None = None  # a container date that says no date was set, as written


def parse_loci(body: bytes) -> tuple[float, float] | None:
    """A 3GPP ``loci`` box (what phones and ffmpeg write in an MP4's user data): version and
    flags, language, a name ended by a NUL (UTF-8, or UTF-16 with its BOM), the role, then
    longitude, latitude and altitude as 16.16 fixed-point numbers."""
    pos = 6
    if body[pos : pos + 2] in (b"\xfe\xff", b"\xff\xfe"):
        end = next((i for i in range(pos + 2, len(body) - 1, 2) if body[i : i + 2] == b"\0\0"), -1)
        pos = end + 2 if end >= 0 else -1
    else:
        end = body.find(b"\0", pos)
        pos = end + 1 if end >= 0 else -1
    if pos < 0 or pos + 9 > len(body):
        return None
    longitude, latitude = struct.unpack_from(">ii", body, pos + 1)
    latitude_degrees, longitude_degrees = latitude / 65536, longitude / 65536
    if not (-90 <= latitude_degrees <= 90 and -180 <= longitude_degrees <= 180):
        return None
    return latitude_degrees, longitude_degrees


def loci_position(path: str) -> tuple[float, float] | None:
    """The position in a video's moov/udta/loci box, or None."""
    try:
        loci = movie_box(path, (b"moov", b"udta", b"loci"))
    except OSError:  # it was readable a moment ago: no position is all this costs
        return None
    return parse_loci(loci) if loci else None


def parse_iso6709(text: str) -> tuple[float, float] | None:
    """``+35.6895+139.6917+010.000/`` (degrees) -> (latitude, longitude)."""
    match = _ISO6709.match(text.strip())
    if not match:
        return None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _cut_short(path: str) -> bool:
    if is_iso_bmff_file(path):
        return file_problem(path) is not None
    return not riff_whole(path)


def facts_if_readable(path: str) -> VideoFacts | None:
    """``video_facts``, or None where videos cannot be read (no MediaInfo) or this one cannot:
    for a video read only for a date to lend another file, where none is no error."""
    if not available():
        return None
    try:
        return video_facts(path)
    except Exception:
        return None


def video_facts(path: str) -> VideoFacts:
    """The container's date and the GPS position it records.

    Apple's creationdate carries the local time and its offset and wins; ``creation_time``
    (``encoded_date``) is UTC, marked ``UTC_ONLY`` for the caller to turn into local time.
    """
    from pymediainfo import MediaInfo

    info = MediaInfo.parse(path)
    tracks = info.tracks
    general = next((t for t in tracks if t.track_type == "General"), None)
    recognised = any(t.track_type in ("Video", "Audio") for t in tracks)
    if general is None:
        return VideoFacts(None, None, recognised)
    data = general.to_data()
    # MediaInfo also calls a video with a maker's trailer after its boxes truncated, and an
    # AVI with bytes after its RIFF chunks
    if data.get("istruncated") == "Yes" and _cut_short(path):
        return VideoFacts(None, None, recognised, truncated=True)
    position = None
    # Apple's key, the ©xyz atom, a "location" key (ffmpeg's use_metadata_tags)
    for key in ("comapplequicktimelocationiso6709", "xyz", "location"):
        value = data.get(key)
        if isinstance(value, str) and (position := parse_iso6709(value)):
            break
    if position is None:  # 3GPP's loci box, which MediaInfo does not show
        position = loci_position(path)
    apple = data.get("comapplequicktimecreationdate")
    if isinstance(apple, str) and (parsed := parse_stamp(apple)):
        when, offset = parsed
        local = when if offset is None else when.replace(tzinfo=dt.timezone(offset))
        return VideoFacts(local, "com.apple.quicktime.creationdate", recognised, position)
    # The ©day atom (MediaInfo's recorded_date), local time with its offset where a camera or
    # an export writes one, is the moment of recording: it goes before the UTC creation_time.
    recorded = data.get("recorded_date")
    if isinstance(recorded, str) and (parsed := parse_stamp(recorded)):
        when, offset = parsed
        if offset and not unset_container_date(when):
            stamped = when.replace(tzinfo=dt.timezone(offset))
            return VideoFacts(stamped, "recorded_date", recognised, position)
    # An AVI's dates (INFO ICRD, the IDIT chunk of old compacts, which MediaInfo calls
    # mastered_date) are the camera's clock: local time, sometimes the day alone.
    camera_clock = data.get("format") == "AVI"
    unset = None
    for key in ("encoded_date", "tagged_date", "recorded_date", "mastered_date"):
        value = data.get(key)
        if isinstance(value, str) and (parsed := parse_stamp(value)):
            when, offset = parsed
            if unset_container_date(when):
                unset = unset or value
            else:
                if offset:  # a rare container that writes local time with its offset
                    return VideoFacts(
                        when.replace(tzinfo=dt.timezone(offset)), key, recognised, position
                    )
                return VideoFacts(
                    when if camera_clock else utc_only(when), key, recognised, position
                )
        elif camera_clock and isinstance(value, str) and (day := _DAY.fullmatch(value.strip())):
            midnight = make_datetime(*(int(g) for g in day.groups()))
            if midnight is not None:
                return VideoFacts(midnight, key, recognised, position)
    return VideoFacts(None, None, recognised, position, unset=unset)
