"""Dates in folder names (opt-in, ``--date-from-folder``): a full date, a month or a year alone;
and, by default, the year of a Google Takeout year folder (``Photos from 2015``)."""

from __future__ import annotations

import datetime as dt
import os
import re

from engine.dates.filename import date_from_filename
from engine.dates.parse import make_datetime
from engine.policy.keeper import SNAPSHOT_FOLDERS

# NetApp shows its snapshots as ``~snapshot`` to Windows and ``.snapshot`` over NFS; ZFS (TrueNAS)
# as ``.zfs/snapshot/auto-2023-03-01_00-00``.
_SNAPSHOTS = SNAPSHOT_FOLDERS | {".snapshot"}
_YEAR_ONLY = re.compile(r"(?<!\d)((?:18|19|20)\d\d)(?!\d)")
# Takeout's year folders, the whole name: English, German, French, Spanish and Portuguese.
_TAKEOUT_YEAR = re.compile(r"^(?:Photos from|Fotos von|Photos de|Fotos de) ((?:18|19|20)\d\d)$")


def folder_dates(rel: str) -> list[dt.datetime]:
    """The dates in the names of the folders holding ``rel``, nearest folder first: a full date
    (``2001-06-02 Trip``), a month (``2003-07 Holiday``, read as its first day) or a year alone
    (``2015/Summer``, read as 1 January). The first is the file's; the next where it is in the
    future (``1987/Agenda 2030 Workshop``). A NAS snapshot's own folder, named by the moment the
    snapshot was taken (``#snapshot/GMT+08_2023-03-01_1200/``), is not the photos' date."""
    folders = [f for f in os.path.dirname(rel).split(os.sep) if f]
    found: list[dt.datetime] = []
    for folder in reversed(_photo_folders(folders)):
        named = date_from_filename(folder)
        years = (make_datetime(int(match.group(1)), 1, 1) for match in _YEAR_ONLY.finditer(folder))
        found += [when for when in (named, *years) if when is not None]
    return found


def _photo_folders(folders: list[str]) -> list[str]:
    """``folders`` without a NAS's snapshot folder and the one below it, which names a snapshot
    by when it was taken (Synology's ``#snapshot/GMT+08_2023-03-01_1200``, QNAP's
    ``@Recently-Snapshot/...``, ZFS's ``.zfs/snapshot/auto-2023-03-01_00-00``)."""
    folded = [f.casefold() for f in folders]
    for i, name in enumerate(folded):
        if name in _SNAPSHOTS:
            return folders[:i] + _photo_folders(folders[i + 2 :])
        if folded[i : i + 2] == [".zfs", "snapshot"]:
            return folders[:i] + _photo_folders(folders[i + 3 :])
    return folders


def takeout_year(rel: str) -> tuple[str, dt.datetime] | None:
    """The Google Takeout year folder holding ``rel`` (``Takeout/Google Photos/Photos from
    2015/IMG_1234.jpg``) and its year, read as 1 January; None for any other folder."""
    folder = os.path.basename(os.path.dirname(rel))
    match = _TAKEOUT_YEAR.match(folder)
    year = make_datetime(int(match.group(1)), 1, 1) if match else None
    return (folder, year) if year is not None else None
