"""A review of hunt10's dates and policy: real archive names and folders it misread, and odd
sidecars that stopped a run, built from corpus files."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS, imgorg, photos_in, tree_digest
from tests.test_hunt10 import by_source, without_app1


def test_a_day_first_date_or_a_counter_before_a_copy_number_is_no_month(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A month is read from ``1985-07 Beach``, but the year that ends a day-first date
    (``15-07-2003_01.jpg``: 15 July, its first copy) or a Kodak counter (``100_2010-01.jpg``:
    folder 100, picture 2010, a copy's number) is not a month's: the scan went to January 2003
    instead of the year its IFD0 date gives, the Kodak picture to January 2010."""
    src = tmp_path / "src" / "Scans"
    src.mkdir(parents=True)
    shutil.copy(CORPUS / "camera/Canon_40D_photoshop_import.jpg", src / "15-07-2003_01.jpg")
    shutil.copy(CORPUS / "no_exif/noexif.jpg", src / "100_2010-01.jpg")
    shutil.copy(CORPUS / "no_exif/hopper.jpg", src / "1985-07 Beach.jpg")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    scan = lines["Scans/15-07-2003_01.jpg"]
    assert (scan["year"], scan["date_source"]) == (2008, "exif-modified")
    kodak = lines["Scans/100_2010-01.jpg"]
    assert (kodak["dest"], kodak["date_source"]) == ("NoDate/Scans/100_2010-01.jpg", "none")
    beach = lines["Scans/1985-07 Beach.jpg"]
    assert (beach["date"], beach["date_source"]) == ("1985-07-01T00:00:00", "filename")


def test_a_takeout_json_nested_beyond_reason_does_not_stop_the_run(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A damaged Takeout JSON that opens ten thousand arrays raised RecursionError out of the
    worker: with one job the run stopped with a traceback, with several the whole batch beside
    it ended in error. It is a JSON that says nothing."""
    album = tmp_path / "src" / "Takeout" / "Google Photos" / "Trip"
    album.mkdir(parents=True)
    shutil.copy(CORPUS / "camera/Canon_40D.jpg", album / "IMG_1.jpg")
    shutil.copy(CORPUS / "camera/Nikon_D70.jpg", album / "IMG_2.jpg")
    (album / "IMG_1.jpg.json").write_text("[" * 100_000)

    code, report = organize(tmp_path / "src", tmp_path / "out", "--jobs", "1")
    lines = by_source(report)
    assert code == 0
    folder = "Takeout/Google Photos/Trip/"
    assert {lines[folder + n]["status"] for n in ("IMG_1.jpg", "IMG_2.jpg")} == {"placed"}
    assert (lines[folder + "IMG_1.jpg"]["year"], lines[folder + "IMG_1.jpg"]["date_source"]) == (
        2008,
        "exif",
    )
    assert lines[folder + "IMG_1.jpg.json"]["companion_of"] == folder + "IMG_1.jpg"


def test_a_nas_snapshot_is_not_the_date_of_the_photos_in_it(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A NAS shows its snapshots inside the share, each in a folder named by the moment it was
    taken (``@Recently-Snapshot/GMT+08_2022-05-01_0900/``; ZFS: ``.zfs/snapshot/auto-...``). With ``--date-from-folder`` a photo
    found only in a snapshot was dated by that moment, the snapshot's day, and filed under its
    year; a dated folder of the photos' own below it still dates them."""
    src = tmp_path / "src"
    old = src / "@Recently-Snapshot" / "GMT+08_2022-05-01_0900" / "Photos" / "Old"
    holiday = src / "#snapshot" / "GMT+01_2023-03-01_1200" / "Photos" / "2003-07 Holiday"
    zfs = src / ".zfs" / "snapshot" / "auto-2024-02-01_00-00" / "Photos" / "Older"
    for folder in (old, holiday, zfs):
        folder.mkdir(parents=True)
    shutil.copy(CORPUS / "no_exif/noexif.jpg", old / "scan.jpg")
    shutil.copy(CORPUS / "no_exif/hopper.jpg", holiday / "beach.jpg")
    shutil.copy(CORPUS / "no_exif/elodie_no-exif.jpg", zfs / "print.jpg")

    code, report = organize(src, tmp_path / "out", "--date-from-folder", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    scan = lines["@Recently-Snapshot/GMT+08_2022-05-01_0900/Photos/Old/scan.jpg"]
    assert (scan["date"], scan["date_source"]) == (None, "none")
    assert scan["dest"].startswith("NoDate/")
    zfs_copy = lines[".zfs/snapshot/auto-2024-02-01_00-00/Photos/Older/print.jpg"]
    assert (zfs_copy["date"], zfs_copy["date_source"]) == (None, "none")
    beach = lines["#snapshot/GMT+01_2023-03-01_1200/Photos/2003-07 Holiday/beach.jpg"]
    assert (beach["date"], beach["date_source"]) == ("2003-07-01T00:00:00", "folder")


def test_a_cut_takeout_json_name_ending_in_a_number_of_the_photos_own_name_finds_it(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A photo whose own long name holds ``(1)`` where Takeout cuts its JSON's name
    (``...cousins (1)``) was taken for Takeout's numbered copy of a name and matched nothing:
    its JSON ignored, the photo (EXIF stripped) in NoDate."""
    album = tmp_path / "src" / "Takeout" / "Google Photos" / "Photos from 2012"
    album.mkdir(parents=True)
    stem = "Grandma's birthday dinner with the cousins (1) from Anna"
    cut = f"{stem}.jpg"[:46]
    assert cut.endswith(" (1)")
    photo = f"{stem}.jpg"
    (album / photo).write_bytes(without_app1((CORPUS / "camera/Nikon_D70.jpg").read_bytes()))
    taken = {"title": photo, "photoTakenTime": {"timestamp": "1339000000"}}  # 2012
    (album / f"{cut}.json").write_text(json.dumps(taken))

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    folder = "Takeout/Google Photos/Photos from 2012/"
    assert (lines[folder + photo]["year"], lines[folder + photo]["date_source"]) == (
        2012,
        "takeout",
    )
    assert lines[folder + f"{cut}.json"]["companion_of"] == folder + photo


FFMPEG = shutil.which("ffmpeg")


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_of_a_video_and_its_copy_saved_under_an_image_name_the_video_name_is_kept(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A clip a phone recorded (``Camera/clip.mp4``) and the same bytes a messenger handed out
    as a "GIF" (``Downloads/funny.gif``), now placed as the video it is: the keeper kept the
    ``.gif`` (its album folder is named, the camera's is not), which no image viewer opens,
    and in move mode set the ``.mp4`` aside in Duplicates. Undo brings both back."""
    assert FFMPEG is not None
    src = tmp_path / "src"
    (src / "Camera").mkdir(parents=True)
    (src / "Downloads").mkdir()
    clip = src / "Camera" / "clip.mp4"
    made = [FFMPEG, "-v", "error", "-y", "-loop", "1", "-i", str(CORPUS / "camera/Canon_40D.jpg")]
    made += ["-t", "0.4", "-metadata", "creation_time=2020-05-04T22:39:15Z", "-c:v", "mjpeg"]
    subprocess.run([*made, str(clip)], check=True)
    shutil.copy(clip, src / "Downloads" / "funny.gif")
    before = tree_digest(src)

    out = tmp_path / "out"
    code, report = organize(src, out, "--mode", "move", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    kept, copy = lines["Camera/clip.mp4"], lines["Downloads/funny.gif"]
    assert (kept["status"], kept["dest"]) == ("placed", "2020/Camera/clip.mp4")
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", "Camera/clip.mp4")
    assert copy["reason"].endswith(
        "because it is named as what it is (a video as a video, a photo as an image)"
    )
    placed = {rel: digest for rel, (digest, _) in photos_in(out).items()}
    assert placed == {
        "2020/Camera/clip.mp4": before["Camera/clip.mp4"][0],
        "Duplicates/Downloads/funny.gif": before["Downloads/funny.gif"][0],
    }
    assert imgorg("verify", str(out))[0] == 0
    assert imgorg("undo", str(out))[0] == 0
    assert tree_digest(src) == before


def test_an_edited_copy_lands_beside_its_original_dated_by_gps_for_a_reset_clock(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A Nikon whose clock battery ran out wrote 2000:01:01 00:00:00 into every photo; its GPS
    date stamp still says 23 October 2008, and dates the original. Its edited copy took the
    original's EXIF date, the clock's default, and went to 2000, away from its original."""
    src = tmp_path / "src" / "Trip"
    src.mkdir(parents=True)
    data = (CORPUS / "camera/DSCN0010.jpg").read_bytes()
    for written in (b"2008:10:22 16:28:39", b"2008:11:01 21:15:07"):
        data = data.replace(written, b"2000:01:01 00:00:00")
    assert b"2008:10:22" not in data
    (src / "DSCN0010.jpg").write_bytes(data)
    edited = data[:2] + b"\xff\xfe\x00\x08edited" + data[2:]  # a comment: bytes of its own
    (src / "DSCN0010-edited.jpg").write_bytes(edited)

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    original, copy = lines["Trip/DSCN0010.jpg"], lines["Trip/DSCN0010-edited.jpg"]
    assert (original["dest"], original["date_source"]) == ("2008/Trip/DSCN0010.jpg", "gps")
    assert (copy["dest"], copy["date_source"]) == ("2008/Trip/DSCN0010-edited.jpg", "original")
    assert copy["date"] == original["date"]


def test_a_card_whose_clock_was_never_set_is_no_date_in_another_time_zone(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """FAT writes local time: a camera whose clock was never set gives its files 1980-01-01
    00:xx in the zone of the computer that reads the card (Berlin, UTC+1). With
    ``--date-from-mtime`` on a NAS that runs in UTC the file read 1979-12-31 23:10 and went to
    1979: only the first hour of FAT's first day in the NAS's own zone was no date."""
    src = tmp_path / "src" / "DCIM"
    src.mkdir(parents=True)
    berlin = dt.timezone(dt.timedelta(hours=1))
    unset = int(dt.datetime(1980, 1, 1, 0, 10, tzinfo=berlin).timestamp()) * 10**9
    saved = int(dt.datetime(2015, 6, 7, 12, 0, tzinfo=berlin).timestamp()) * 10**9
    for name, corpus_file, mtime_ns in (
        ("card.jpg", "no_exif/hopper.jpg", unset),
        ("saved.jpg", "no_exif/noexif.jpg", saved),
    ):
        shutil.copy(CORPUS / corpus_file, src / name)
        os.utime(src / name, ns=(mtime_ns, mtime_ns))

    zone = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        code, report = organize(
            tmp_path / "src", tmp_path / "out", "--date-from-mtime", "--min-size", "0", "-j", "1"
        )
    finally:
        if zone is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = zone
        time.tzset()
    lines = by_source(report)
    assert code == 0
    assert (lines["DCIM/card.jpg"]["dest"], lines["DCIM/card.jpg"]["date"]) == (
        "NoDate/DCIM/card.jpg",
        None,
    )
    assert (lines["DCIM/saved.jpg"]["year"], lines["DCIM/saved.jpg"]["date_source"]) == (
        2015,
        "mtime",
    )
