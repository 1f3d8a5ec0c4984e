"""The GPS date stamp dating a photo with no capture date of its own (rev of 1bd2ec3): photos
built from a corpus file with exiftool, arranged as a phone's folder, run through
``imgorg organize``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import CORPUS, ROOT

EXIFTOOL = shutil.which("exiftool") or "exiftool"
CANON = CORPUS / "camera/Canon_40D.jpg"  # DTO 2008:05:30 15:56:01, ModifyDate 2008:07:31 10:38:11


def by_name(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(line["source"]).name: line for line in report if "source" in line}


def stripped(path: Path, *tags: str) -> None:
    """Canon 40D's photo at ``path`` with its camera dates stripped and ``tags`` written."""
    shutil.copy2(CANON, path)
    subprocess.run(
        [EXIFTOOL, "-q", "-overwrite_original", "-AllDates=", *tags, str(path)], check=True
    )


def test_a_gps_stamp_a_week_rollover_early_does_not_date_a_photo_19_years_back(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A receiver that missed the GPS week counter's rollover (an iPhone 5 not updated in 2019)
    stamps its fixes 1024 weeks early: a photo taken 2019-06-12 says 1999-10-27. With its
    capture dates stripped, the stamp outranked its file name and its IFD0 DateTime, which say
    2019, and the photo was filed under 1999; now the stamp is passed over, with a note."""
    phone = tmp_path / "src" / "Phone"
    phone.mkdir(parents=True)
    stamp = ("-GPSDateStamp=1999:10:27", "-GPSTimeStamp=13:30:00")
    stripped(phone / "20190612_153000.jpg", *stamp)
    stripped(phone / "edited.jpg", "-ModifyDate=2019:06:12 15:31:00", *stamp)
    stripped(phone / "walk.jpg", "-GPSDateStamp=2015:07:04", "-GPSTimeStamp=18:00:00")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")

    lines = by_name(report)
    assert code == 0
    named = lines["20190612_153000.jpg"]
    assert (named["dest"], named["date_source"]) == (
        "2019/Phone/20190612_153000.jpg",
        "filename",
    ), named
    assert "week rollover" in named["note"], named
    edited = lines["edited.jpg"]
    assert (edited["dest"], edited["date_source"]) == ("2019/Phone/edited.jpg", "exif-modified")
    walk = lines["walk.jpg"]
    assert (walk["dest"], walk["date_source"]) == ("2015/Phone/walk.jpg", "gps"), walk


def test_a_gps_stamp_past_midnight_utc_on_new_years_eve_keeps_the_old_year_its_name_gives(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A phone in New York names a photo by its local time, 23:30 on 31 December 2018; its GPS
    stamp says 04:30 UTC on 1 January 2019. With no position to give the zone, the stamp (UTC)
    outranked the name and the photo went to 2019 (the name alone had filed it under 2018):
    the name's local time against the stamp gives the offset, as it does against a video's UTC
    date, and the stamp is read in it."""
    phone = tmp_path / "src" / "Phone"
    phone.mkdir(parents=True)
    name = "20181231_233000.jpg"
    stripped(phone / name, "-GPSDateStamp=2019:01:01", "-GPSTimeStamp=04:30:00")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")

    line = by_name(report)[name]
    assert code == 0
    assert line["dest"] == f"2018/Phone/{name}", line
    assert (line["date"], line["tz_source"]) == ("2018-12-31T23:30:00-05:00", "filename"), line


def test_a_small_photo_dated_by_its_gps_stamp_is_not_skipped_as_a_thumbnail(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """``--min-size`` (50 kB by default) leaves behind small images with no camera date, and
    never a photo whose own metadata says when it was taken. A small photo whose camera dates
    were stripped but whose GPS stamp now dates it was still left in SOURCE as a thumbnail; one
    with no stamp still is."""
    phone = tmp_path / "src" / "Phone"
    phone.mkdir(parents=True)
    stripped(phone / "walk.jpg", "-GPSDateStamp=2015:07:04", "-GPSTimeStamp=18:00:00")
    stripped(phone / "web.jpg", "-gps:all=")

    code, report = organize(tmp_path / "src", tmp_path / "out")

    lines = by_name(report)
    assert code == 0
    walk = lines["walk.jpg"]
    assert (walk["status"], walk["dest"], walk["date_source"]) == (
        "placed",
        "2015/Phone/walk.jpg",
        "gps",
    ), walk
    assert lines["web.jpg"]["status"] == "skipped", lines["web.jpg"]


def test_an_edited_copy_lands_in_the_year_of_its_original_dated_by_its_gps_stamp(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An edited copy beside its original takes the original's date, so the two land in the
    same year. An original whose camera dates were stripped is dated by its GPS stamp (2015),
    but its copy, saved by an editor in 2020 without the GPS block, was dated by its own IFD0
    DateTime and went to 2020, apart from its original."""
    phone = tmp_path / "src" / "Phone"
    phone.mkdir(parents=True)
    stripped(phone / "walk.jpg", "-GPSDateStamp=2015:07:04", "-GPSTimeStamp=18:00:00")
    stripped(phone / "walk-edited.jpg", "-gps:all=", "-ModifyDate=2020:03:03 10:00:00")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")

    lines = by_name(report)
    assert code == 0
    assert lines["walk.jpg"]["dest"] == "2015/Phone/walk.jpg", lines["walk.jpg"]
    copy = lines["walk-edited.jpg"]
    assert (copy["dest"], copy["date_source"]) == ("2015/Phone/walk-edited.jpg", "original"), copy


def test_a_photo_whose_only_date_is_a_gps_stamp_in_the_future_says_why_it_has_none(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A camera date in the future is passed over with a note; a GPS stamp in the future (a
    receiver's garbage, 2099) was passed over in silence, its photo in NoDate with no word."""
    phone = tmp_path / "src" / "Phone"
    phone.mkdir(parents=True)
    stripped(phone / "later.jpg", "-GPSDateStamp=2099:01:01", "-GPSTimeStamp=12:00:00")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")

    line = by_name(report)["later.jpg"]
    assert code == 0
    assert line["dest"] == "NoDate/Phone/later.jpg", line
    assert "GPS date stamp 2099-01-01 12:00:00 is in the future" in (line["note"] or ""), line


def test_a_photo_dated_by_its_gps_stamp_is_not_counted_as_one_exiftool_could_date(
    tmp_path: Path,
) -> None:
    """exiftool, the costly last resort, is asked only about files no built-in reader dates,
    and where it is not installed the run's last lines count them. A photo dated by its GPS
    stamp (ranked above anything exiftool could give) was still asked about, and counted as
    'no date that imgorg reads' on a machine without exiftool."""
    src = tmp_path / "src" / "Edited"
    src.mkdir(parents=True)
    stripped(src / "walk.jpg", "-GPSDateStamp=2015:07:04", "-GPSTimeStamp=18:00:00")
    empty = tmp_path / "bin"  # a PATH without exiftool
    empty.mkdir()

    done = subprocess.run(
        [sys.executable, "-m", "engine", "organize", str(tmp_path / "src"),
         str(tmp_path / "out"), "--min-size", "0"],
        cwd=ROOT, env={**os.environ, "PATH": str(empty)}, capture_output=True, text=True,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out/2015/Edited/walk.jpg").is_file()
    assert "exiftool" not in done.stdout + done.stderr
