"""The records that cross stage boundaries: what a worker found, what the coordinator decided."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from engine.policy.actions import Action

if TYPE_CHECKING:
    from engine.similar.signature import Signature

T = TypeVar("T")
R = TypeVar("R")


def pickled_by_fields(cls: type[R]) -> type[R]:
    """Pickle a record as its class and its fields in order, rebuilt by its ``__init__``:
    a third of the time and two thirds of the bytes of a slotted dataclass's default, whose
    ``__setstate__`` sets each field from Python. Every worker result crosses a pipe this way
    and the writer unpickles them all."""
    values = attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: R) -> tuple[type[R], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


def noted(note: str | None, more: str | None) -> str | None:
    """``note`` with ``more`` after it (a file's notes are one line, joined by "; ")."""
    if not more:
        return note
    return f"{note}; {more}" if note else more


def unnoted(note: str | None, gone: str) -> str | None:
    """``note`` without the note ``gone`` (one that no longer holds)."""
    if not note:
        return note
    return "; ".join(part for part in note.split("; ") if part != gone) or None


class Status(enum.StrEnum):
    PLACED = "placed"
    DUPLICATE = "duplicate"
    CORRUPT = "corrupt"
    SKIPPED = "skipped"
    IGNORED = "ignored"
    ERROR = "error"


class DateSource(enum.StrEnum):
    """Where a date came from. Their precedence is ``PRECEDENCE`` in
    engine/policy/date_precedence.py, not the order here."""

    EXIF = "exif"  # EXIF DateTimeOriginal/DateTimeDigitized in the file (photos and RAW)
    EXIF_MODIFIED = "exif-modified"  # EXIF IFD0 DateTime: when the file was last changed
    QUICKTIME = "quicktime"  # a video's container
    XMP = "xmp"  # an XMP packet inside the file
    IPTC = "iptc"
    EXIFTOOL = "exiftool"  # maker notes and legacy containers only exiftool reads
    CLOCK_DEFAULT = "clock-default"  # a camera clock's default date, nothing else to weigh it by
    TAKEOUT = "takeout"  # a Google Takeout JSON sidecar
    XMP_SIDECAR = "xmp-sidecar"
    COMPANION = "companion"  # the RAW or Live Photo video travelling with an undated photo
    GPS = "gps"  # the GPS date stamp, in place of a camera clock's default (engine/dates/clock.py)
    ORIGINAL = "original"  # an edited copy dated by the original it was made from
    SIMILAR = "similar"  # --similar: the camera date of a near-duplicate (engine.similar)
    FILENAME = "filename"
    FOLDER = "folder"  # opt-in: --date-from-folder
    MTIME = "mtime"  # opt-in: --date-from-mtime
    NONE = "none"


class TzSource(enum.StrEnum):
    """Where the UTC offset of a date came from, best first (see the README)."""

    EXIF_OFFSET = "exif-offset"  # EXIF OffsetTimeOriginal / OffsetTime
    QUICKTIME = "quicktime"  # Apple's com.apple.quicktime.creationdate
    GPS_POSITION = "gps-position"  # the time zone at the GPS position (or Takeout geoData)
    GPS_TIME = "gps-time"  # GPS time (UTC) against the local time in the same file
    FILENAME = "filename"  # the local time in the file name against a UTC date in the file
    NONE = "none"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Companion:
    """A file that travels with a main one: a sidecar, a RAW beside a JPEG, a Live Photo video."""

    rel: str
    size: int
    mtime_ns: int


@pickled_by_fields
@dataclass(slots=True)
class Candidate:
    """A file the planner hands to the workers, with the files that travel with it."""

    rel: str  # path relative to SOURCE, as os.fsdecode gives it
    size: int
    mtime_ns: int
    kind: str = "image"  # image, raw, video (engine.formats.kinds.Kind)
    companions: tuple[Companion, ...] = ()


@pickled_by_fields
@dataclass(slots=True)
class CompanionResult:
    rel: str
    size: int
    mtime_ns: int
    hash: str | None = None
    error: str | None = None
    ino: int = 0  # identity when it was read: a file replaced or rewritten since differs here
    ctime_ns: int = 0
    copied: str | None = None  # its own bytes, written by the worker into the staging folder
    twin_of: str | None = None  # proven identical by its worker to this companion of its batch
    same_as_placed: str | None = None  # ... or to the file an earlier run placed at this name
    # A sound RAW or video beside a corrupt photo: analysed as a file of its own, placed alone.
    alone: Analysis | None = None


@dataclass(slots=True)
class Finding:
    """What the planner decided without a worker (ignored, skipped, unreadable folder)."""

    rel: str
    status: Status
    reason: str
    size: int = 0


def unread_companions(candidate: Candidate) -> list[CompanionResult]:
    """The files travelling with ``candidate``, not read: they share its fate (an error)."""
    return [CompanionResult(c.rel, c.size, c.mtime_ns) for c in candidate.companions]


@pickled_by_fields
@dataclass(slots=True)
class Analysis:
    """What a worker learnt about one file. Small: it crosses the process boundary."""

    rel: str
    size: int
    mtime_ns: int
    status: Status = Status.PLACED  # PLACED here means "sound image, to be placed"
    reason: str | None = None
    note: str | None = None
    hash: str | None = None
    format: str | None = None
    year: int | None = None
    date: str | None = None
    date_source: DateSource = DateSource.NONE
    tz_source: TzSource = TzSource.NONE
    similar_to: str | None = None  # date_source "similar": the photo dated from (SOURCE path)
    camera: str | None = None  # make and model, for layout templates
    position: tuple[float, float] | None = None  # GPS latitude, longitude
    gps_time: dt.datetime | None = None  # GPS date and time stamp (UTC)
    exiftool_missed: bool = False  # undated, and exiftool (not installed) was not asked
    orientation: int | None = None
    compressed: bool = False
    rotated: bool = False
    quality: int | None = None
    original_quality: int | None = None
    encodes: int = 0
    bytes_out: int | None = None
    out_hash: str | None = None
    staged: str | None = None  # file name of the compressed output in the staging folder
    copied: str | None = None  # file name of its own bytes, written by the worker, in staging
    cloned: bool = False  # that copy is a reflink clone of the source (no bytes written)
    companions: list[CompanionResult] = field(default_factory=list)
    ino: int = 0  # identity when it was read: a file replaced or rewritten since differs here
    ctime_ns: int = 0
    similar: Signature | None = None  # with --similar: the perceptual signature
    twin_of: str | None = None  # proven identical by its worker to this file of its batch
    # Proven identical by its worker to the file an earlier run placed at this name of DEST.
    same_as_placed: str | None = None


class _Found(Generic[T]):
    """Declares an attribute a decision keeps in its ``found`` Analysis, read and written
    through. It puts a property in its own place whose getter is ``operator.attrgetter``, which
    reads in C: a decision is read a few dozen times per file."""

    def __set_name__(self, owner: type, name: str) -> None:
        def write(decision: Decision, value: object) -> None:
            setattr(decision.found, name, value)

        setattr(owner, name, property(attrgetter(f"found.{name}"), write))

    if TYPE_CHECKING:  # what the type checker sees; the property is what runs

        @overload
        def __get__(self, decision: None, owner: type) -> _Found[T]: ...
        @overload
        def __get__(self, decision: Decision, owner: type) -> T: ...
        def __get__(self, decision: Decision | None, owner: type) -> T | _Found[T]: ...
        def __set__(self, decision: Decision, value: T) -> None: ...


@dataclass(slots=True, init=False)
class Decision:
    """The coordinator's verdict on one file: what the journal stores and the report prints.

    What is known of the file itself is ``found``, the worker's Analysis (or one made from a
    journal row or a companion's facts); the decision owns it, and its attributes below are
    read and written through to it. The verdict is the decision's own fields."""

    found: Analysis
    status: Status
    dest: str | None = None  # relative to DEST
    duplicate_of: str | None = None
    action: Action = Action.NONE
    companion_of: str | None = None  # the main file this one travels with

    rel = _Found[str]()
    size = _Found[int]()
    mtime_ns = _Found[int]()
    reason = _Found[str | None]()
    note = _Found[str | None]()
    year = _Found[int | None]()
    date = _Found[str | None]()
    date_source = _Found[DateSource]()
    tz_source = _Found[TzSource]()
    similar_to = _Found[str | None]()
    camera = _Found[str | None]()
    hash = _Found[str | None]()
    compressed = _Found[bool]()
    rotated = _Found[bool]()
    quality = _Found[int | None]()
    original_quality = _Found[int | None]()
    encodes = _Found[int]()
    out_hash = _Found[str | None]()
    bytes_out = _Found[int]()  # never None in a decision: settled when it is made
    staged = _Found[str | None]()
    copied = _Found[str | None]()
    cloned = _Found[bool]()
    ino = _Found[int]()  # identity when it was analysed (0: unknown, as in a row read back)
    ctime_ns = _Found[int]()

    def __init__(
        self,
        found: Analysis | str,
        status: Status,
        *,
        dest: str | None = None,
        duplicate_of: str | None = None,
        action: Action = Action.NONE,
        companion_of: str | None = None,
        **facts: Any,
    ) -> None:
        """``found`` is what a worker found, or the path of a file known only by ``facts``
        (Analysis fields by name: a journal row, a companion, a made-up file in a test)."""
        if isinstance(found, str):
            known = {"size": 0, "mtime_ns": 0, "bytes_out": 0, **facts}
            found = Analysis(rel=found, status=status, **known)
        elif facts:
            raise TypeError(f"a decision on an Analysis takes no facts: {sorted(facts)}")
        else:
            found.bytes_out = found.size if found.bytes_out is None else found.bytes_out
            found.out_hash = found.out_hash or found.hash
        if status is not Status.PLACED:
            found.compressed, found.rotated, found.quality, found.staged = False, False, None, None
            # Anything not placed travels (if at all) as its own bytes, never as a re-encode.
            if found.hash is not None:
                found.out_hash, found.bytes_out = found.hash, found.size
        self.found, self.status, self.dest = found, status, dest
        self.duplicate_of, self.action, self.companion_of = duplicate_of, action, companion_of

    @classmethod
    def from_analysis(cls, analysis: Analysis, status: Status) -> Decision:
        return cls(analysis, status)
