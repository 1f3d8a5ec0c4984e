"""Choosing a file's date from every source it has, in one documented precedence:

for an edited copy beside its original, the original's date; EXIF DateTimeOriginal or
DateTimeDigitized in the file (photos, RAW), or the container's creation date (videos); XMP, then
IPTC, inside the file; EXIF's IFD0 DateTime (when the file was last changed); a Google Takeout
JSON sidecar; an XMP sidecar; the file name; what exiftool reads (maker notes, legacy
containers) when nothing above dated the file; the folder name (opt-in); the file's modification
time (opt-in). The first valid date wins, and is then made local time (engine/dates/timezone.py).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Iterable

from engine.dates.filename import date_from_filename
from engine.dates.parse import make_datetime
from engine.dates.timezone import utc_only
from engine.formats.kinds import HEIF_EXTENSIONS, IMAGE_EXTENSIONS, Kind, kind_of
from engine.policy.companions import match_sidecar
from engine.records import DateSource

_YEAR_ONLY = re.compile(r"(?<!\d)((?:18|19|20)\d\d)(?!\d)")
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


def first_date(
    candidates: Iterable[tuple[DateSource, dt.datetime | None]],
) -> tuple[DateSource, dt.datetime] | None:
    for source, when in candidates:
        if when is not None:
            return source, when
    return None


def date_from_folders(rel: str) -> dt.datetime | None:
    """A date in the names of the folders holding ``rel``, nearest folder first: a full date
    (``2001-06-02 Trip``) or a year alone (``2015/Summer``, read as 1 January)."""
    folders = os.path.dirname(rel).split(os.sep)
    for folder in reversed([f for f in folders if f]):
        found = date_from_filename(folder)
        if found is not None:
            return found
        for match in _YEAR_ONLY.finditer(folder):
            year = make_datetime(int(match.group(1)), 1, 1)
            if year is not None:
                return year
    return None


def date_from_mtime(mtime_ns: int) -> dt.datetime | None:
    try:
        when = dt.datetime.fromtimestamp(mtime_ns / 1e9)
    except (OverflowError, OSError, ValueError):
        return None
    return make_datetime(*when.timetuple()[:6])


def filename_date(name: str) -> dt.datetime | None:
    """The date in a file name; Google Pixel's ``PXL_`` names give UTC."""
    when = date_from_filename(name)
    return utc_only(when) if name.upper().startswith("PXL_") else when


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
        names = os.listdir(folder or ".")
    except OSError:
        return None
    wanted = stem.casefold()
    extension = os.path.splitext(name)[1].casefold()
    media = sorted(
        (
            n
            for n in names
            if n != name and kind_of(n, _MEDIA) in (Kind.IMAGE, Kind.RAW, Kind.VIDEO)
        ),
        key=lambda n: (os.path.splitext(n)[1].casefold() != extension, n),
    )
    for candidate in media:
        if unicodedata.normalize("NFC", os.path.splitext(candidate)[0]).casefold() == wanted:
            original = candidate
            break
    else:
        return None
    sidecars = sorted(n for n in names if n.casefold().endswith(".json"))
    owned = [s for s in sidecars if match_sidecar(s, media) == original]
    sidecar = os.path.join(folder, owned[0]) if owned else None
    return os.path.join(folder, original), sidecar


def exif_date_of(path: str) -> dt.datetime | None:
    """The EXIF date of a photo on disk, or None (unreadable, no EXIF)."""
    from PIL import Image

    from engine.dates.exif import image_exif_facts

    try:
        with Image.open(path) as im:
            return image_exif_facts(im).date
    except Exception:  # an unreadable original only means no date from it
        return None
