"""Dates a camera writes when its clock was never set, or was reset with its battery: the first
minutes of January 1st of a year its maker chose (``2000:01:01 00:00:00``, ``2005:01:01
00:03:12``: the seconds run from midnight until someone sets the clock).

Such a date is weak, not wrong: a real photo can be taken at midnight on New Year's Day. The
file's date stays the camera's unless a source that does not read that clock (the file name a
phone gave it, a Takeout JSON, an XMP sidecar, the RAW or video travelling with it, the GPS
date stamp, with ``--date-from-folder`` its folder) gives another day; one that gives the same
moment confirms it. With nothing to weigh it against, it is kept and said to be a clock default
(source ``clock-default``). IFD0 DateTime never replaces it: a camera with an unset clock writes
its unset time there too, and a later one is when a program saved the file, not when it was
taken; the note gives that later date as a bound."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from engine.dates.timezone import utc_only
from engine.policy.date_precedence import in_precedence
from engine.records import DateSource

# Years cameras and phones fall back to (1970 and 1980: a zero clock in Unix and DOS time).
RESET_YEARS = frozenset((1970, 1980, 1998, 2000, 2001, 2002, 2004, 2005, 2007))
# Sources that read the camera's own clock: a default date from any of them is weak.
_CAMERA_CLOCK = frozenset(
    (
        DateSource.EXIF,
        DateSource.QUICKTIME,
        DateSource.XMP,
        DateSource.IPTC,
        DateSource.COMPANION,
        DateSource.EXIF_MODIFIED,
        DateSource.EXIFTOOL,
    )
)
# Sources whose date is the camera's clock at the moment of capture.
_CAPTURE_CLOCK = _CAMERA_CLOCK - {DateSource.EXIF_MODIFIED, DateSource.COMPANION}
# Sources that can confirm or replace it, and how the note names them.
_OTHER = {
    DateSource.TAKEOUT: "its Takeout JSON",
    DateSource.XMP_SIDECAR: "its XMP sidecar",
    DateSource.COMPANION: "the RAW or video travelling with it",
    DateSource.GPS: "its GPS date stamp",
    DateSource.FILENAME: "its file name",
    DateSource.FOLDER: "its folder's name",
}
# A GPS date stamp before the day after the GPS epoch is a receiver's own zero (no fix yet).
_FIRST_FIX = dt.datetime(1980, 1, 7)
# Dates this close are one moment (a UTC date against local time; a folder named by the day).
_SAME_DAY = dt.timedelta(days=2)
# The GPS week counter's cycle (10 bits of weeks).
_WEEK_CYCLE = dt.timedelta(weeks=1024)


# Unix time zero as a phone shows it in its own zone, UTC-12 to UTC+14 (1970-01-01 08:00 in
# China, 1969-12-31 19:00 in New York), and the first hour its clock runs from there.
_UNIX_ZERO_LOCALLY = (dt.datetime(1969, 12, 31, 12), dt.datetime(1970, 1, 1, 15))


def is_clock_default(when: dt.datetime) -> bool:
    """Whether ``when`` (as written, whatever its zone) is in the first hour of January 1st of
    a year cameras fall back to, or of Unix time zero in a zone other than UTC."""
    first, last = _UNIX_ZERO_LOCALLY
    if first <= when.replace(tzinfo=None) < last:
        return True
    return when.year in RESET_YEARS and (when.month, when.day, when.hour) == (1, 1, 0)


def _another_year(source: DateSource, date: dt.datetime, default: dt.datetime) -> bool:
    """Whether ``date``, a January 1st at midnight, is a folder named by another year than the
    clock's ``default`` (``Photos/2004``): a person's word for the year, not a clock's zero."""
    return source is DateSource.FOLDER and date.year != default.year


def gps_evidence(
    gps: dt.datetime | None, evidence: Iterable[tuple[DateSource, dt.datetime | None]] = ()
) -> tuple[tuple[DateSource, dt.datetime | None], str | None]:
    """The satellites' date stamp (UTC, its local zone unknown) as evidence, and a note when it
    is passed over: none before the first fix a receiver can give (one without a fix writes its
    epoch), at a clock's default, or a week rollover early (``week_rollover``)."""
    if gps is None or gps.replace(tzinfo=None) < _FIRST_FIX or is_clock_default(gps):
        return (DateSource.GPS, None), None
    rolled = week_rollover(gps, evidence)
    if rolled is not None:
        return (DateSource.GPS, None), rolled
    return (DateSource.GPS, utc_only(gps)), None


def week_rollover(
    gps: dt.datetime, evidence: Iterable[tuple[DateSource, dt.datetime | None]]
) -> str | None:
    """Why ``gps`` is no date when it falls whole cycles of the GPS week counter before a date
    another source gives, to within two days: a receiver that missed a rollover (1999-08-22,
    2019-04-07) stamps its fixes 1024 weeks (19.6 years) early."""
    stamp = gps.replace(tzinfo=None)
    for source, date in evidence:
        if source is DateSource.GPS or date is None:
            continue
        for cycles in (1, 2):
            if abs(stamp + cycles * _WEEK_CYCLE - date.replace(tzinfo=None)) <= _SAME_DAY:
                written = stamp.isoformat(sep=" ")
                return (
                    f"GPS date stamp {written} is {1024 * cycles} weeks before its "
                    f"{source.value} date: a receiver's week rollover, not used"
                )
    return None


def weigh_clock_default(
    chosen: tuple[DateSource, dt.datetime],
    evidence: Iterable[tuple[DateSource, dt.datetime | None]],
) -> tuple[tuple[DateSource, dt.datetime], str | None]:
    """The date to take instead of ``chosen`` (``resolve_date``'s pick from ``evidence``) and
    why, when ``chosen`` is a camera clock's default: the first other source in precedence with
    a date that is not a default itself (bar a folder of another year), unless it says the
    same day (then ``chosen`` stands, confirmed); with none, ``chosen`` as ``clock-default``."""
    source, when = chosen
    if source not in _CAMERA_CLOCK or not is_clock_default(when):
        return chosen, None
    written = when.replace(tzinfo=None).isoformat(sep=" ")
    for other, date in in_precedence(evidence):
        if other not in _OTHER or other is source or date is None:
            continue
        if is_clock_default(date) and not _another_year(other, date, when):
            continue
        if other is DateSource.GPS and date.replace(tzinfo=None) < _FIRST_FIX:
            continue
        if abs(date.replace(tzinfo=None) - when.replace(tzinfo=None)) <= _SAME_DAY:
            return chosen, None
        said = f"{source.value} date {written} is a camera clock's default (never set, or reset)"
        return (other, date), f"{said}: dated by {_OTHER[other]}"
    said = f"{source.value} date {written} may be a camera clock's default (never set, or reset)"
    saved = _saved_later(when, evidence)
    if saved is None:
        return (DateSource.CLOCK_DEFAULT, when), f"{said}: nothing else dates it"
    bound = saved.replace(tzinfo=None).isoformat(sep=" ")
    return (DateSource.CLOCK_DEFAULT, when), (
        f"{said}: kept, as no capture date replaces it; its {DateSource.EXIF_MODIFIED.value} "
        f"date {bound}, when a program last saved it, says it was taken by then"
    )


def _saved_later(
    default: dt.datetime, evidence: Iterable[tuple[DateSource, dt.datetime | None]]
) -> dt.datetime | None:
    """IFD0 DateTime where a program other than the camera wrote it: not a clock's default
    itself and days after ``default`` (a camera whose clock was never set writes its own unset
    time there too). When the photo was saved, not taken: a bound, never its date (a re-save
    years later would file it under the year of the re-save)."""
    for source, date in evidence:
        if source is not DateSource.EXIF_MODIFIED or date is None or is_clock_default(date):
            continue
        if date.replace(tzinfo=None) - default.replace(tzinfo=None) > _SAME_DAY:
            return date
    return None


def saved_before(
    chosen: tuple[DateSource, dt.datetime],
    evidence: Iterable[tuple[DateSource, dt.datetime | None]],
) -> str | None:
    """A note when ``chosen``, a capture date the camera's clock wrote, is days after the file's
    own IFD0 DateTime (not a clock's default): a program saved the file before the camera says
    it was taken, so one of the two clocks was wrong. The capture date stands (a person who
    corrected a wrong camera date with a tool that leaves IFD0 alone would lose the correction
    otherwise); the note lets someone check."""
    source, when = chosen
    if source not in _CAPTURE_CLOCK:
        return None
    saved = _saved_later(_SAVED_FLOOR, evidence)
    if saved is None or when.replace(tzinfo=None) - saved.replace(tzinfo=None) <= _SAME_DAY:
        return None
    written = when.replace(tzinfo=None).isoformat(sep=" ")
    bound = saved.replace(tzinfo=None).isoformat(sep=" ")
    return (
        f"{source.value} date {written} is after its {DateSource.EXIF_MODIFIED.value} date "
        f"{bound}, when a program last saved it: the camera's clock may have been wrong"
    )


_SAVED_FLOOR = dt.datetime(1, 1, 1)  # any IFD0 DateTime that is not a clock's default
