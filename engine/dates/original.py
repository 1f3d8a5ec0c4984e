"""An edited copy's date from its original: Google Photos writes ``x-edited.jpg`` (and its
localised forms) beside ``x.jpg``; the copy takes the original's EXIF date, else the original's
Takeout JSON date: the one the original itself is dated by (EXIF outranks Takeout). An iPhone
writes the rendering of an edit as ``IMG_E1234.*`` beside the original ``IMG_1234.*``, photo or
video; an export of it may carry no date of its own, and then it takes its original's
(``apple_original_date``)."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.dates.takeout import takeout_date, takeout_position
from engine.dates.timezone import utc_only
from engine.formats.kinds import (
    HEIF_EXTENSIONS,
    IMAGE_EXTENSIONS,
    RAW_READ_LIMIT,
    SIDECAR_READ_LIMIT,
    Kind,
    kind_of,
)
from engine.policy.companions import Mains, sidecar_key

if TYPE_CHECKING:
    from engine.dates.exif import ExifFacts

_MEDIA = frozenset(IMAGE_EXTENSIONS + HEIF_EXTENSIONS)
# Google Photos' name for an edited copy, in the languages Takeout writes it in.
EDITED_SUFFIXES = (
    "edited",
    "bearbeitet",
    "modifié",
    "editado",
    "modificato",
    "bewerkt",
    "redigerad",
    "redigeret",
    "redigert",
    "muokattu",
    "edytowane",
    "upraveno",
    "szerkesztett",
    "düzenlendi",
    "изменено",
    "編集済み",
    "편집됨",
    "已编辑",
    "已編輯",
)
_EDITED = re.compile(
    r"^(?P<stem>.+)-(?:" + "|".join(EDITED_SUFFIXES) + r")(?P<n>\(\d+\))?$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class OriginalDate:
    """What an edited copy's original says: its path, its date and where it was taken."""

    original: str
    when: dt.datetime | None
    position: tuple[float, float] | None


def edited_stem(name: str) -> str | None:
    """``IMG_1-edited.jpg`` -> ``IMG_1`` (and ``IMG_1-bearbeitet(1).jpg`` -> ``IMG_1(1)``)."""
    stem = unicodedata.normalize("NFC", os.path.splitext(name)[0])
    match = _EDITED.match(stem)
    return None if match is None else match["stem"] + (match["n"] or "")


def original_of(path: str) -> tuple[str, str | None] | None:
    """An edited copy's original beside it, and the original's Takeout JSON if there is one."""
    folder, name = os.path.split(path)
    stem = edited_stem(name)
    if stem is None:
        return None
    try:
        listing = _listing(folder or ".", os.stat(folder or ".").st_mtime_ns, _extension(name))
    except OSError:
        return None
    originals = [n for n in listing.by_stem.get(stem.casefold(), []) if n != name]
    if not originals:
        return None
    original = originals[0]
    return os.path.join(folder, original), _takeout_of(folder, listing, original, name)


def _takeout_of(folder: str, listing: _Listing, original: str, edit: str) -> str | None:
    """The path of ``original``'s Takeout JSON in ``folder`` (not one of ``edit``'s), if any."""
    folded = unicodedata.normalize("NFC", original).casefold()
    candidates = sorted(
        {s for end in range(len(folded) + 1) for s in listing.sidecars.get(folded[:end], [])}
    )
    owned = [s for s in candidates if listing.mains.owner(s, without=edit) == original]
    return os.path.join(folder, owned[0]) if owned else None


# An iPhone's rendering of an edit (``IMG_E1234``), beside the original ``IMG_1234``.
_APPLE_EDIT = re.compile(r"(?P<pre>IMG_)E(?P<number>\d+)", re.IGNORECASE)
_KIND_RANK = {Kind.IMAGE: 0, Kind.RAW: 1, Kind.VIDEO: 2}


def apple_original_stem(name: str) -> str | None:
    """``IMG_E1234.HEIC`` -> ``IMG_1234`` (any case); None for any other name."""
    stem = unicodedata.normalize("NFC", os.path.splitext(name)[0])
    match = _APPLE_EDIT.fullmatch(stem)
    return None if match is None else match["pre"] + match["number"]


def apple_originals(path: str) -> list[tuple[str, str | None]]:
    """An iPhone edit's originals beside it (``IMG_1234.*`` for ``IMG_E1234.*``, any photo, RAW
    or video extension, any case), each with its Takeout JSON if it has one: one of the edit's
    extension first, then photos, RAW files, videos, each by name."""
    folder, name = os.path.split(path)
    stem = apple_original_stem(name)
    if stem is None:
        return []
    own = _extension(name)
    try:
        listing = _listing(folder or ".", os.stat(folder or ".").st_mtime_ns, own)
    except OSError:
        return []
    found = listing.by_stem.get(stem.casefold(), [])
    ranked = sorted(found, key=functools.partial(_rank, own))
    return [(os.path.join(folder, n), _takeout_of(folder, listing, n, name)) for n in ranked]


def _rank(own: str, name: str) -> tuple[bool, int, str]:
    """Where an original named ``name`` ranks for an edit of extension ``own``: one of the
    edit's own extension first, then photos, RAW files, videos, each by name."""
    return _extension(name) != own, _KIND_RANK[_kind(name)], name


def first_ranked(
    edit: str,
    beside: OriginalDate | None,
    taken: OriginalDate | None,
    naming: EditNaming | None = None,
) -> OriginalDate | None:
    """Of an edit's original still beside it (``beside``) and its first one a run took out of
    SOURCE (``taken``, not beside it), the one its maker's ``naming`` ranks first: the date the
    edit has with all its originals beside it, whichever left first. An iPhone edit's is the
    first dated one (``beside`` its first dated); a Google edit's the first, dated or not."""
    naming = naming or APPLE
    if taken is None or (taken.when is None and naming.first_dated):
        return beside
    if beside is None or (beside.when is None and naming.first_dated):
        return taken
    own = _extension(edit)
    # ``taken`` first: of one name, ``beside`` was read as the run took it (gone, undated)
    return min(taken, beside, key=lambda found: naming.rank(own, os.path.basename(found.original)))


def _kind(name: str) -> Kind:
    return kind_of(name, _MEDIA)


def apple_original_date(path: str, now: dt.datetime | None = None) -> OriginalDate | None:
    """For an iPhone edit (``IMG_E1234.*``) beside its original, the date of the first of its
    originals (``apple_originals``) that has one, as that original is dated (its capture date:
    EXIF or a video's container; else its Takeout JSON's; else its GPS date stamp), with the
    position its JSON gives; the first original, undated, when none has a date; None when no
    original is beside it."""
    first: OriginalDate | None = None
    for original, sidecar in apple_originals(path):
        taken, satellites, position = _capture_of(original)
        found = _original_dated(original, sidecar, (taken, satellites), now)
        if found.position is None and position is not None:
            found = OriginalDate(found.original, found.when, position)
        if found.when is not None:
            return found
        first = first or found
    return first


def apple_original_spellings(stem: str) -> list[str]:
    """The names an original's stem may have on a case-insensitive match of ``stem``
    (``IMG_1234``: ``img_1234``, ``Img_1234``, ...): each letter in either case."""
    spellings = [""]
    for char in stem:
        cases = dict.fromkeys((char, char.upper(), char.lower()))
        spellings = [start + case for start in spellings for case in cases]
    return spellings


@dataclass(frozen=True, slots=True)
class Taken:
    """A file a run took out of an edit's folder, as DEST's journal holds it: its path below
    SOURCE, date, whether its own capture time dated it, whether its zone was known, and
    whether from its GPS position; its path in DEST; and whether its EXIF dated it."""

    rel: str
    when: str | None
    captured: bool
    zoned: bool
    by_position: bool = False
    placed_at: str | None = None
    by_exif: bool = True  # its EXIF's (a camera clock's) date, not a JSON's, video's or GPS's


def placed_original(
    edit: str, placed: list[Taken], naming: EditNaming | None = None
) -> OriginalDate | None:
    """For an edit (its path below SOURCE) whose original is no longer beside it (a move run
    placed it: earlier, or before it was stopped), the date of the first of its originals
    among ``placed`` (the files runs took out of its folder, newest run first) ranked as its
    maker's ``naming`` ranks them, that its own capture time dated (a Google edit's first, dated
    or not: Google's path reads no other), in the form it had on disk:
    a date in UTC whose zone was unknown is that again, and one whose zone a run worked out
    from the original's position is the local time (an iPhone's, zoned by that position again)
    or, for a Google edit, as Google's path reads it (``_as_google_reads``)."""
    naming = naming or APPLE
    folder, name = os.path.split(edit)
    stem = naming.stem_of(name)
    if stem is None:
        return None
    own = _extension(name)
    newest: dict[str, Taken] = {}
    for taken in placed:
        other = os.path.basename(taken.rel)
        key = unicodedata.normalize("NFC", os.path.splitext(other)[0]).casefold()
        if key == stem.casefold() and _kind(other) in _KIND_RANK:
            newest.setdefault(other, taken)
    ranked = sorted(newest, key=functools.partial(naming.rank, own))
    for other in ranked:
        taken = newest[other]
        video = not naming.zoned_by_position and _kind(other) is Kind.VIDEO
        date = _google_video_date(taken, name) if video else _journaled(taken)
        if date is None and naming.first_dated:
            continue
        if date is None:  # a Google edit's first original, undated: as beside the edit
            return OriginalDate(os.path.join(folder, other), None, None)
        position = _position_in_dest(taken) if naming.zoned_by_position else None
        if position is not None:  # its local time, zoned by that position as beside the edit
            date = date.replace(tzinfo=None)
        elif not naming.zoned_by_position:
            date = _as_google_reads(date, taken)
        return OriginalDate(os.path.join(folder, other), date, position)
    return None


def _as_google_reads(date: dt.datetime, taken: Taken) -> dt.datetime:
    """A taken original's journaled date as ``original_date`` reads the original on disk: its
    EXIF's local time (without the zone a run worked out from its GPS position or stamp), else
    its Takeout JSON's or GPS stamp's UTC time (a video's is its JSON's: ``_google_video_date``)."""
    if taken.by_exif:
        return date.replace(tzinfo=None) if taken.by_position else date
    if date.utcoffset() is None:
        return date
    return utc_only(date.astimezone(dt.UTC).replace(tzinfo=None)) or date


def _google_video_date(taken: Taken, edit: str) -> dt.datetime | None:
    """A taken video original's date as Google's path reads it beside its edit: its Takeout
    JSON's (read from its copy in DEST, where the JSON travelled with it), not its container's
    the journal holds; None without a JSON."""
    if taken.placed_at is None:
        return None
    folder, placed = os.path.split(taken.placed_at)
    try:
        listing = _listing(folder, os.stat(folder).st_mtime_ns, _extension(placed))
    except OSError:
        return None
    sidecar = _takeout_of(folder, listing, placed, edit)
    if sidecar is None:
        return None
    return _original_dated(taken.placed_at, sidecar, (None, None), None).when


def _position_in_dest(taken: Taken) -> tuple[float, float] | None:
    """The GPS position of a taken original whose zone came from it, read from its copy in
    DEST (the journal keeps no position); None if that copy is gone or holds none."""
    if not taken.by_position or taken.placed_at is None or not os.path.isfile(taken.placed_at):
        return None
    return _capture_of(taken.placed_at)[2]


def _journaled(taken: Taken) -> dt.datetime | None:
    try:
        date = dt.datetime.fromisoformat(taken.when) if taken.captured and taken.when else None
    except ValueError:
        return None
    if date is not None and not taken.zoned and date.utcoffset() == dt.timedelta(0):
        return utc_only(date)
    return date


Capture = tuple[dt.datetime | None, dt.datetime | None, tuple[float, float] | None]


def _capture_of(path: str) -> Capture:
    """A photo's, RAW file's or video's own capture date, GPS date stamp and GPS position, as
    read on disk (the position gives an edit without one its original's time zone)."""
    kind = _kind(os.path.basename(path))
    if kind is Kind.VIDEO:
        return _video_capture(path)
    if kind is Kind.RAW:
        from engine.dates.raw import raw_dates

        try:
            with open(path, "rb") as handle:
                return raw_dates(handle.read(RAW_READ_LIMIT))[0], None, None
        except OSError:
            return None, None, None
    facts = exif_facts_of(path)
    return (facts.date, facts.gps_time, facts.position) if facts is not None else (None,) * 3


def _video_capture(path: str) -> Capture:
    from engine.dates import video

    facts = video.facts_if_readable(path)
    return (facts.date, None, facts.position) if facts is not None else (None, None, None)


def _google_rank(own: str, name: str) -> tuple[bool, str]:
    """Where an original named ``name`` ranks for a Google edit of extension ``own``, as
    ``original_of`` picks it: one of the edit's own extension first, then by name."""
    return _extension(name) != own, name


def google_original_spellings(stem: str) -> list[str]:
    """The names a Google edit's original may have for its stem ``stem`` (NFC, as
    ``edited_stem`` gives it): Google names the edit after it, so as spelt, in NFC and NFD,
    and, for a camera's short prefix (``IMG_``, ``DSC_``: three letters at most), each letter
    in either case; else all lower or upper case alone (a few look-ups, however long the
    name)."""
    forms = {unicodedata.normalize(form, stem) for form in ("NFC", "NFD")}
    if sum(char.upper() != char.lower() for char in stem) <= 3:
        return sorted({s for form in forms for s in apple_original_spellings(form)})
    return sorted({s for form in forms for s in (form, form.lower(), form.upper())})


@dataclass(frozen=True, slots=True)
class EditNaming:
    """How a maker names an edit's originals: the original's stem for an edit's name, the
    order its originals rank in for an edit's extension, the spellings the journal is asked
    for, whether the first dated original dates the edit (else the first), and whether the
    original's position zones the edit."""

    stem_of: Callable[[str], str | None]
    rank: Callable[[str, str], tuple[object, ...]]
    spellings: Callable[[str], list[str]]
    first_dated: bool
    zoned_by_position: bool


APPLE = EditNaming(apple_original_stem, _rank, apple_original_spellings, True, True)
GOOGLE = EditNaming(edited_stem, _google_rank, google_original_spellings, False, False)


@dataclass(frozen=True, slots=True)
class _Listing:
    """One folder's names as ``original_of`` looks them up: media files by their folded stem
    (those with the edited copy's extension first), and Takeout JSON by ``sidecar_key``."""

    by_stem: dict[str, list[str]]
    mains: Mains
    sidecars: dict[str, list[str]]


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].casefold()


@functools.lru_cache(maxsize=4)
def _listing(folder: str, mtime_ns: int, extension: str) -> _Listing:
    """A folder's ``_Listing``, made once for all its edited copies (``mtime_ns``: the folder's,
    so that a folder that changed is listed again); a few kept, however big the folder."""
    names = os.listdir(folder)
    media = sorted(
        (n for n in names if kind_of(n, _MEDIA) in (Kind.IMAGE, Kind.RAW, Kind.VIDEO)),
        key=lambda n: (_extension(n) != extension, n),
    )
    by_stem: dict[str, list[str]] = {}
    for n in media:
        key = unicodedata.normalize("NFC", os.path.splitext(n)[0]).casefold()
        by_stem.setdefault(key, []).append(n)
    sidecars: dict[str, list[str]] = {}
    for n in names:
        if n.casefold().endswith(".json"):
            sidecars.setdefault(sidecar_key(n), []).append(n)
    return _Listing(by_stem, Mains(media), sidecars)


def original_date(path: str, now: dt.datetime | None = None) -> OriginalDate | None:
    """For an edited copy beside its original, the original's date (its EXIF's, else its
    Takeout JSON's; neither in the future of ``now``, the run's start) and the position its
    JSON gives; None for any other file."""
    found = original_of(path)
    if found is None:
        return None
    original, sidecar = found
    facts = exif_facts_of(original)
    own = (facts.date, facts.gps_time) if facts is not None else (None, None)
    return _original_dated(original, sidecar, own, now)


def _original_dated(
    original: str,
    sidecar: str | None,
    own: tuple[dt.datetime | None, dt.datetime | None],
    now: dt.datetime | None,
) -> OriginalDate:
    """``original``'s date from its own capture date and GPS date stamp (``own``) and its
    Takeout JSON (``sidecar``), with the position that JSON gives."""
    taken, satellites = own
    sent: dt.datetime | None = None
    position: tuple[float, float] | None = None
    if sidecar is not None:
        try:
            with open(sidecar, "rb") as handle:
                data = handle.read(SIDECAR_READ_LIMIT)
        except OSError:
            data = b""
        sent = takeout_date(data)
        position = takeout_position(data)
    when = _dated_as_original(original, taken, sent, satellites, now)
    return OriginalDate(original, when, position)


def _dated_as_original(
    original: str,
    taken: dt.datetime | None,
    sent: dt.datetime | None,
    satellites: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> dt.datetime | None:
    """The date the original itself is dated by: its EXIF date (``taken``), else its Takeout
    JSON's (``sent``), else its GPS date stamp (``satellites``, UTC); an EXIF date that is a
    camera clock's default yields, as the original's does, to the JSON, the GPS date stamp or
    the original's file name where they give another day."""
    from engine.dates.clock import gps_evidence, weigh_clock_default
    from engine.dates.filename import filename_date
    from engine.policy.date_precedence import run_start, without_future
    from engine.records import DateSource

    named = (DateSource.FILENAME, filename_date(os.path.basename(original)))
    evidence, _ = without_future(
        [
            (DateSource.EXIF, taken),
            (DateSource.TAKEOUT, sent),
            gps_evidence(satellites, [named])[0],
            named,
        ],
        run_start(now),
    )
    # an original with no capture date of its own is dated by its GPS stamp, as analyse dates it
    own = (DateSource.EXIF, DateSource.TAKEOUT, DateSource.GPS)
    chosen = next(((s, when) for s, when in evidence if s in own and when is not None), None)
    if chosen is None:
        return None
    (_source, when), _why = weigh_clock_default(chosen, evidence)
    return when


def exif_date_of(path: str) -> dt.datetime | None:
    """The EXIF date of a photo on disk, or None (unreadable, no EXIF)."""
    facts = exif_facts_of(path)
    return facts.date if facts is not None else None


def exif_facts_of(path: str) -> ExifFacts | None:
    """What the EXIF of a photo on disk says, or None (unreadable)."""
    from PIL import Image

    from engine.dates.exif import image_exif_facts
    from engine.formats.imaging import large_png_metadata

    try:
        with large_png_metadata(), Image.open(path) as im:  # as the original itself is read
            return image_exif_facts(im)
    except Exception:  # an unreadable original only means no date from it
        return None
