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
- ``GPS`` next: the satellites' date stamp, taken only where the camera's own date is its
  clock's default (``engine/dates/clock.py``, which also decides ``CLOCK_DEFAULT``: such a date
  with nothing else to weigh it by, ranked as weak as exiftool's).
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
  ``--date-from-mtime``).
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
# The keeper's "best-founded date" rank: the precedence, with no date at all last.
DATE_RANK: dict[DateSource, int] = {
    source: rank for rank, source in enumerate((*PRECEDENCE, DateSource.NONE))
}


def in_precedence(evidence: Evidence) -> list[tuple[DateSource, dt.datetime | None]]:
    """The evidence ordered by ``PRECEDENCE`` (one source's entries kept in their order);
    entries of no source (``NONE``) are left out."""
    ranked = [(source, when) for source, when in evidence if source in PRECEDENCE]
    return sorted(ranked, key=lambda item: DATE_RANK[item[0]])


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
