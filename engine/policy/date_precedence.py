"""Which of a file's dates is its date: one explicit precedence over every source.

The worker gathers date evidence, one ``(source, date or None)`` per source it looked at
(``engine/dates/`` has a module per source); ``resolve_date`` picks the date of the source
that comes first in ``PRECEDENCE``, whatever order the evidence is in. The same order ranks the
keeper among identical copies (``DATE_RANK``), orders the README's date table and the HTML
report's legend. A new source is a module in ``engine/dates/``, one entry here and a label in
``engine/report/html.py``.

Why this order:

- ``ORIGINAL`` first: an edited copy beside its original takes the original's date, so the two
  land in the same year whatever the editor wrote into the copy.
- Then the capture time the file itself records (EXIF ``DateTimeOriginal``/``DateTimeDigitized``,
  a video's container, an XMP packet, IPTC), then the capture time its sidecars record (Takeout
  JSON, an XMP sidecar).
- ``COMPANION`` next: a photo with no capture date of its own (a HEIC converted to JPEG without
  its EXIF, a JPEG an editor stripped) takes the one of the RAW or Live Photo video travelling
  with it, the same moment; a camera's undated AVI, the EXIF of the ``.THM`` beside it.
- ``GPS`` next: the satellites' date stamp, where the file holds no capture date of its own
  (stripped by an editor that kept the position), or where the camera's own date is its clock's
  default (``engine/dates/clock.py``, which also decides ``CLOCK_DEFAULT``: such a date with
  nothing else to weigh it by, ranked as weak as exiftool's).
- ``SIMILAR`` (with ``--similar``) next: a near-duplicate's camera date, taken by a copy that has
  none of its own (a messenger copy lands in the year it was shot, not the year it was sent).
- ``FILENAME`` before ``EXIF_MODIFIED``: phones and messengers name a file at the moment it is
  taken or received, and a person who names a scan ``1985-07 Beach.jpg`` means the picture's
  date, while IFD0 ``DateTime`` is rewritten by every program that saves the file (a scan's
  date, a re-save's date).
- ``EXIF_MODIFIED`` before ``EXIFTOOL``: exiftool is the costly last resort, asked (in batches)
  only about files no built-in reader dated, and for a file with nothing better it would give
  that same IFD0 date as ``ModifyDate``.
- ``FOLDER`` and ``MTIME`` last, and only when asked for (``--date-from-folder``,
  ``--date-from-mtime``); but a Google Takeout year folder (``Photos from 2015``) dates a file
  with no Takeout JSON by default (the year Google Photos filed it under).

A date later than the run's start by more than ``FUTURE_MARGIN`` (a camera clock set into the
future, ``2087:03:01``) is no evidence, whatever its source: ``without_future`` passes it over,
with a note, and the next source in precedence decides. The readers check a date is a calendar
date; only here is it weighed against the run's "now", once for every source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from engine.dates.original import edited_stem as edited_stem  # its home before engine/dates/
from engine.records import DateSource

Evidence = Iterable[tuple[DateSource, dt.datetime | None]]

PRECEDENCE: tuple[DateSource, ...] = (
    DateSource.ORIGINAL,
    DateSource.EXIF,
    DateSource.QUICKTIME,
    DateSource.XMP,
    DateSource.IPTC,
    DateSource.TAKEOUT,
    DateSource.XMP_SIDECAR,
    DateSource.COMPANION,
    DateSource.GPS,
    DateSource.SIMILAR,
    DateSource.FILENAME,
    DateSource.EXIF_MODIFIED,
    DateSource.EXIFTOOL,
    DateSource.CLOCK_DEFAULT,
    DateSource.FOLDER,
    DateSource.MTIME,
)
# Sources that record when the picture was taken; every one of them outranks every other.
CAPTURE = frozenset(PRECEDENCE[: PRECEDENCE.index(DateSource.FILENAME)])
# Room for time zones: a date written in local time ahead of the machine's own (up to UTC+14).
FUTURE_MARGIN = dt.timedelta(days=1)
# No clock running this version can rightly read earlier than its release: a NAS or a Raspberry
# Pi whose clock was reset (to 1970, 2000) would otherwise call every photo since "future".
EARLIEST_NOW = dt.datetime(2026, 11, 1)


def run_start(clock: dt.datetime | None = None) -> dt.datetime:
    """The moment a run weighs dates against (``clock``: the machine's local time, read now if
    not given), never before ``EARLIEST_NOW``."""
    return max(clock or dt.datetime.now(), EARLIEST_NOW)


# The keeper's "best-founded date" rank: the precedence, with no date at all last.
DATE_RANK: dict[DateSource, int] = {
    source: rank for rank, source in enumerate((*PRECEDENCE, DateSource.NONE))
}


def in_precedence(evidence: Evidence) -> list[tuple[DateSource, dt.datetime | None]]:
    """The evidence ordered by ``PRECEDENCE`` (one source's entries kept in their order);
    entries of no source (``NONE``) are left out."""
    ranked = [(source, when) for source, when in evidence if source in PRECEDENCE]
    return sorted(ranked, key=lambda item: DATE_RANK[item[0]])


def is_future(when: dt.datetime, now: dt.datetime) -> bool:
    """Whether ``when`` (as written, whatever its zone) is later than ``now`` (naive local time)
    by more than ``FUTURE_MARGIN``: no clock can have recorded it."""
    return when.replace(tzinfo=None) > now.replace(tzinfo=None) + FUTURE_MARGIN


def without_future(
    evidence: Evidence, now: dt.datetime
) -> tuple[list[tuple[DateSource, dt.datetime | None]], list[str]]:
    """``evidence`` in precedence with each date in the future (``is_future``) taken out (its
    source left undated), and a note for each one that would have outranked the date left."""
    kept: list[tuple[DateSource, dt.datetime | None]] = []
    notes: list[str] = []
    dated = False  # whether a date is kept yet (``resolve_date(kept)`` is not None)
    for source, when in in_precedence(evidence):
        if when is not None and is_future(when, now):
            if not dated:
                written = when.replace(tzinfo=None).isoformat(sep=" ")
                notes.append(f"{source.value} date {written} is in the future: not used")
            when = None
        dated = dated or when is not None
        kept.append((source, when))
    return kept, notes


def resolve_date(evidence: Evidence) -> tuple[DateSource, dt.datetime] | None:
    """The date of the first source in ``PRECEDENCE`` that has one, with that source."""
    for source, when in in_precedence(evidence):
        if when is not None:
            return source, when
    return None


def outranks(evidence: Evidence, source: DateSource) -> bool:
    """Whether a source ranked above ``source`` has a date (then asking ``source`` is moot)."""
    chosen = resolve_date(evidence)
    return chosen is not None and DATE_RANK[chosen[0]] < DATE_RANK[source]
