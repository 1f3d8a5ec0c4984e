"""The records that cross stage boundaries: what a worker found, what the coordinator decided."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from engine.policy.actions import Action


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
    TAKEOUT = "takeout"  # a Google Takeout JSON sidecar
    XMP_SIDECAR = "xmp-sidecar"
    ORIGINAL = "original"  # an edited copy dated by the original it was made from
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
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Companion:
    """A file that travels with a main one: a sidecar, a RAW beside a JPEG, a Live Photo video."""

    rel: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class Candidate:
    """A file the planner hands to the workers, with the files that travel with it."""

    rel: str  # path relative to SOURCE, as os.fsdecode gives it
    size: int
    mtime_ns: int
    kind: str = "image"  # image, raw, video (engine.formats.kinds.Kind)
    companions: tuple[Companion, ...] = ()


@dataclass(slots=True)
class CompanionResult:
    rel: str
    size: int
    mtime_ns: int
    hash: str | None = None
    error: str | None = None
    ino: int = 0  # identity when it was read: a file replaced or rewritten since differs here
    ctime_ns: int = 0


@dataclass(slots=True)
class Finding:
    """What the planner decided without a worker (ignored, skipped, unreadable folder)."""

    rel: str
    status: Status
    reason: str
    size: int = 0


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
    companions: list[CompanionResult] = field(default_factory=list)
    ino: int = 0  # identity when it was read: a file replaced or rewritten since differs here
    ctime_ns: int = 0


@dataclass(slots=True)
class Decision:
    """The coordinator's verdict on one file: what the journal stores and the report prints."""

    rel: str
    status: Status
    size: int = 0
    mtime_ns: int = 0
    reason: str | None = None
    note: str | None = None
    dest: str | None = None  # relative to DEST
    year: int | None = None
    date: str | None = None
    date_source: DateSource = DateSource.NONE
    tz_source: TzSource = TzSource.NONE
    camera: str | None = None
    hash: str | None = None
    duplicate_of: str | None = None
    bytes_out: int = 0
    compressed: bool = False
    rotated: bool = False
    quality: int | None = None
    original_quality: int | None = None
    encodes: int = 0
    out_hash: str | None = None
    action: Action = Action.NONE
    staged: str | None = None
    companion_of: str | None = None  # the main file this one travels with
    ino: int = 0  # identity when it was analysed (0: unknown, as in a row read back)
    ctime_ns: int = 0

    @classmethod
    def from_analysis(cls, analysis: Analysis, status: Status) -> Decision:
        return cls(
            rel=analysis.rel,
            status=status,
            size=analysis.size,
            mtime_ns=analysis.mtime_ns,
            reason=analysis.reason,
            note=analysis.note,
            year=analysis.year,
            date=analysis.date,
            date_source=analysis.date_source,
            tz_source=analysis.tz_source,
            camera=analysis.camera,
            hash=analysis.hash,
            compressed=analysis.compressed,
            rotated=analysis.rotated,
            quality=analysis.quality,
            original_quality=analysis.original_quality,
            encodes=analysis.encodes,
            bytes_out=analysis.bytes_out if analysis.bytes_out is not None else analysis.size,
            out_hash=analysis.out_hash or analysis.hash,
            staged=analysis.staged,
            ino=analysis.ino,
            ctime_ns=analysis.ctime_ns,
        )

    def __post_init__(self) -> None:
        if self.status is not Status.PLACED:
            self.compressed, self.rotated, self.quality, self.staged = False, False, None, None
            # Anything not placed travels (if at all) as its own bytes, never as a re-encode.
            if self.hash is not None:  # only a placed photo takes new bytes; the rest go as is
                self.out_hash, self.bytes_out = self.hash, self.size
