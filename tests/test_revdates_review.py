"""Review of the dates11 merge (future dates, Takeout year folders, trailing spaces, day-first
dotted dates): gaps found, each in a real archive's arrangement, built from corpus files and run
through ``imgorg organize``."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS

# DateTimeOriginal = CreateDate 2008:05:30 15:56:01, ModifyDate 2008:07:31 10:38:11
CANON = CORPUS / "camera/Canon_40D.jpg"
NO_EXIF = CORPUS / "no_exif/noexif.jpg"


def by_name(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(line["source"]).name: line for line in report}


def exiftool(path: Path, *tags: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *tags, str(path)], check=True)


@pytest.mark.skipif(subprocess.run(["which", "exiftool"]).returncode, reason="needs exiftool")
def test_a_future_date_time_original_leaves_the_photo_to_its_date_time_digitized(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A date shift gone wrong (2008 made 2087) rewrites DateTimeOriginal and leaves the
    camera's DateTimeDigitized (CreateDate) as it was. Once 2087 was dropped by the reader (a
    year after this one), DateTimeDigitized dated the photo; since the future is weighed after
    the readers, the reader kept 2087 and never looked further: the program's save date
    (ModifyDate, 2011) filed the photo under 2011, or, with none, under NoDate."""
    card = tmp_path / "src/DCIM/100CANON"
    card.mkdir(parents=True)
    saved = card / "IMG_0001.JPG"
    saved.write_bytes(CANON.read_bytes())
    exiftool(saved, "-DateTimeOriginal=2087:05:30 15:56:01", "-ModifyDate=2011:06:05 09:00:00")
    bare = card / "IMG_0002.JPG"
    bare.write_bytes(CANON.read_bytes() + b"\0")
    exiftool(bare, "-DateTimeOriginal=2087:05:30 15:56:01", "-ModifyDate=")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_name(report)
    assert code == 0
    for name in ("IMG_0001.JPG", "IMG_0002.JPG"):
        line = lines[name]
        assert (line["dest"], line["date_source"]) == (f"2008/100CANON/{name}", "exif"), line
        assert line["date"].startswith("2008-05-30T15:56:01"), line
        assert "exif date 2087-05-30 15:56:01 is in the future: not used" in line["note"]


def test_a_future_year_in_a_folder_name_leaves_the_scan_to_the_next_date_in_its_path(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """With --date-from-folder, a year to come in the nearest folder's name (``Agenda 2030``,
    ``Expo 2035``) is no date; the next one in the path is. Once the folder reader passed such
    a year over itself; since the future is weighed after the readers, the reader gave 2030
    alone and the scans went to NoDate."""
    slides = tmp_path / "src/Dias/1987/Agenda 2030 Workshop"
    slides.mkdir(parents=True)
    (slides / "scan001.jpg").write_bytes(NO_EXIF.read_bytes())
    drafts = tmp_path / "src/Scans/Expo 2035 Entwurf 1994"
    drafts.mkdir(parents=True)
    (drafts / "scan002.jpg").write_bytes(NO_EXIF.read_bytes() + b"\0")

    code, report = organize(
        tmp_path / "src", tmp_path / "out", "--min-size", "0", "--date-from-folder"
    )
    lines = by_name(report)
    assert code == 0
    for name, year, future in (("scan001.jpg", 1987, 2030), ("scan002.jpg", 1994, 2035)):
        line = lines[name]
        assert (line["year"], line["date_source"]) == (year, "folder"), line
        assert f"folder date {future}-01-01 00:00:00 is in the future: not used" in line["note"]
