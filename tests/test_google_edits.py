"""Google Photos writes an edit as ``x-edited.jpg`` (or a localised form) beside ``x.jpg``;
Takeout often strips the edit's EXIF. The edit takes its original's date: the original's EXIF,
else its Takeout JSON. A move run that has taken the original (and its JSON, which travels
with it) out of SOURCE before the edit is read asks DEST's journal for it, so copy and move,
one run or two, date the edit alike. Built from corpus photos laid out as a Takeout export."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from PIL import Image
from test_formats import needs_ffmpeg, video

from conftest import (
    ENV,
    copied_and_moved,
    date_fields,
    imgorg,
    needs_strace,
    photos_in,
    read_report,
    run_killed_at,
)
from engine.dates.original import GOOGLE, OriginalDate, first_ranked, google_original_spellings

ALBUM = "Takeout/Google Photos/Photos from 2015"
# (the edit, its original, the original's Takeout JSON) as Takeout names them: the last edit
# kept an EXIF date of its own (2008-05-30), which yields to its original's (2008-10-22)
EDITS = (
    ("IMG_0601-edited.jpg", "IMG_0601.jpg", "IMG_0601.jpg.json"),
    ("IMG_0602-bearbeitet.jpg", "IMG_0602.jpg", "IMG_0602.jpg.supplemental-metadata.json"),
    ("DSCN0010-edited.jpg", "DSCN0010.jpg", None),
)


def by_name(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(line["source"]).name: line for line in report}


def stripped(photo: Path, size: tuple[int, int] | None = None, quality: int = 85) -> bytes:
    """The photo as Takeout may hand back an edit: new pixels, no EXIF."""
    buffer = io.BytesIO()
    with Image.open(photo) as im:
        rgb = im.convert("RGB")
        (rgb.resize(size) if size else rgb).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def takeout_json(title: str, taken: int, position: tuple[float, float]) -> str:
    return json.dumps(
        {
            "title": title,
            "photoTakenTime": {"timestamp": str(taken)},
            "creationTime": {"timestamp": "1700000000"},
            "geoData": {"latitude": position[0], "longitude": position[1], "altitude": 0.0},
        }
    )


def originals(album: Path, corpus: Path) -> None:
    """``IMG_0601.jpg``: an iPhone's photo (EXIF 2015-04-10, the JSON a day later: EXIF wins);
    ``IMG_0602.jpg``: its EXIF stripped, dated by its JSON alone (2019-06-01 10:00 UTC, in
    Paris). Each larger than anything else, so read and placed first."""
    album.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(corpus / "phone/iphone_hdr_NO.jpg", album / "IMG_0601.jpg")
    (album / "IMG_0601.jpg.json").write_text(
        takeout_json("IMG_0601.jpg", 1428780000, (48.8566, 2.3522))
    )
    (album / "IMG_0602.jpg").write_bytes(stripped(corpus / "phone/iphone_hdr_NO.jpg", quality=90))
    (album / "IMG_0602.jpg.supplemental-metadata.json").write_text(
        takeout_json("IMG_0602.jpg", 1559383200, (48.8566, 2.3522))
    )
    shutil.copyfile(corpus / "camera/DSCN0010.jpg", album / "DSCN0010.jpg")


def edits(album: Path, corpus: Path) -> None:
    """The edits, smaller than anything else (read in the last batch), two without EXIF."""
    for n, (edit, _original, _json) in enumerate(EDITS[:2]):
        size = (64 + 16 * n, 48 + 12 * n)
        (album / edit).write_bytes(stripped(corpus / "phone/iphone_hdr_NO.jpg", size))
    shutil.copyfile(corpus / "camera/Canon_40D.jpg", album / "DSCN0010-edited.jpg")


def others(album: Path, corpus: Path, count: int) -> None:
    """The album's other photos, each its own bytes, between the originals and the edits."""
    taken = (corpus / "camera/Canon_40D.jpg").read_bytes()
    for n in range(count):
        mark = b"%d" % n * (1 + n % 40)
        comment = b"\xff\xfe" + (len(mark) + 2).to_bytes(2, "big") + mark
        (album / f"DSC_{1000 + n}.JPG").write_bytes(taken[:2] + comment + taken[2:])


def dated(report: Path) -> dict[str, tuple[Any, ...]]:
    lines = by_name(read_report(report))
    return {
        edit: (
            lines[edit]["date"],
            lines[edit]["tz_source"],
            lines[edit]["date_source"],
            lines[edit]["dest"],
        )
        for edit, _original, _json in EDITS
        if edit in lines
    }


def organize(src: Path, dest: Path, report: Path, *flags: str) -> dict[str, tuple[Any, ...]]:
    run = ("--min-size", "0", "--quiet", "--report", str(report), *flags)
    assert imgorg("organize", str(src), str(dest), *run)[0] == 0
    return dated(report)


def copied(tmp_path: Path, corpus: Path) -> dict[str, tuple[Any, ...]]:
    """The edits' dates in a copy run, all the files beside each other."""
    src = tmp_path / "copy" / "src"
    originals(src / ALBUM, corpus)
    edits(src / ALBUM, corpus)
    return organize(src, tmp_path / "copy" / "dest", tmp_path / "copy.jsonl")


def test_a_copy_run_dates_google_edits_by_their_originals(tmp_path: Path, corpus: Path) -> None:
    """The original's EXIF time (no zone: Google's path reads none for it); the original
    without EXIF, its JSON's UTC time; the original's date, not the edit's own."""
    assert copied(tmp_path, corpus) == {
        "IMG_0601-edited.jpg": (
            "2015-04-10T20:12:23",
            "none",
            "original",
            "2015/Photos from 2015/IMG_0601-edited.jpg",
        ),
        "IMG_0602-bearbeitet.jpg": (
            "2019-06-01T10:00:00+00:00",
            "none",
            "original",
            "2019/Photos from 2015/IMG_0602-bearbeitet.jpg",
        ),
        "DSCN0010-edited.jpg": (
            "2008-10-22T16:28:39",
            "none",
            "original",
            "2008/Photos from 2015/DSCN0010-edited.jpg",
        ),
    }


def test_a_move_run_in_two_goes_dates_google_edits_as_a_copy_run(
    tmp_path: Path, corpus: Path
) -> None:
    """The originals (and their JSON) moved by one run, the edits by the next."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    originals(src / ALBUM, corpus)
    organize(src, dest, tmp_path / "first.jsonl", "--mode", "move")
    assert not (src / ALBUM / "IMG_0601.jpg").exists()
    edits(src / ALBUM, corpus)
    moved = organize(src, dest, tmp_path / "second.jsonl", "--mode", "move")
    assert moved == copied(tmp_path, corpus)


def test_one_move_run_dates_google_edits_read_after_their_originals_left_as_a_copy_run(
    tmp_path: Path, corpus: Path
) -> None:
    """The originals, the largest files, in the first batch, placed (so taken out of SOURCE)
    while the workers read the others; the small edits, in the last batch, found no original
    beside them."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    originals(src / ALBUM, corpus)
    edits(src / ALBUM, corpus)
    others(src / ALBUM, corpus, 3000)
    moved = organize(src, dest, tmp_path / "move.jsonl", "--mode", "move", "--jobs", "2")
    assert moved == copied(tmp_path, corpus)


@needs_strace
def test_a_move_run_killed_after_the_original_still_dates_its_google_edit_on_resume(
    tmp_path: Path, corpus: Path
) -> None:
    """A move run took the original and its JSON out of SOURCE and was killed before the
    edit; the resumed run dates the edit by the original's journaled date, as a copy run."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    originals(src / ALBUM, corpus)
    edits(src / ALBUM, corpus)
    move = ("--mode", "move", "--jobs", "1", "--min-size", "0", "--quiet")
    argv = [sys.executable, "-m", "engine", "organize", str(src), str(dest), *move]
    run_killed_at("renameat2", 3, argv, ENV)  # the edit's, after its original's and JSON's
    assert set(photos_in(dest)) == {
        "2015/Photos from 2015/IMG_0601.jpg",
        "2015/Photos from 2015/IMG_0601.jpg.json",
    }
    assert (src / ALBUM / "IMG_0601-edited.jpg").exists()
    resumed = organize(src, dest, tmp_path / "resumed.jsonl", "--mode", "move")
    assert resumed == copied(tmp_path, corpus)


def test_a_google_originals_journal_look_up_asks_for_a_few_spellings_of_its_name() -> None:
    """The journal is asked once per spelling (an index look-up each): a camera's short
    prefix in either case, a long name as spelt, in lower and in upper case (and in NFD)."""
    assert len(google_original_spellings("PXL_20200101_123456789")) == 8
    assert google_original_spellings("Screenshot_20200101-123456_Chrome") == [
        "SCREENSHOT_20200101-123456_CHROME",
        "Screenshot_20200101-123456_Chrome",
        "screenshot_20200101-123456_chrome",
    ]
    assert len(google_original_spellings("Café à Noël")) == 6


@needs_ffmpeg
def test_a_google_video_edit_takes_its_taken_originals_moment_in_utc_as_beside_it(
    tmp_path: Path,
) -> None:
    """``VID_0001.mp4`` (its container's UTC time, its JSON's the same moment and a position
    in Paris) and a trim ``VID_0001-edited.mp4`` without a date: beside it, Google's path reads
    the original's JSON, so the edit is in UTC, its zone unknown; the original taken out of
    SOURCE by a move run, the journal's local time (zoned by the position) was read as the
    edit's local time without a zone."""

    def originals(album: Path) -> None:
        video(album / "VID_0001.mp4", creation="2019-07-14T19:05:09Z")
        (album / "VID_0001.mp4.json").write_text(
            takeout_json("VID_0001.mp4", 1563131109, (48.8566, 2.3522))
        )

    def edits(album: Path) -> None:
        video(album / "VID_0001-edited.mp4")

    runs = copied_and_moved(tmp_path, "Takeout/Google Photos/Photos from 2019", originals, edits)
    in_utc = ("2019-07-14T19:05:09+00:00", "original", "none")
    assert date_fields(runs, "VID_0001-edited.mp4") == {mode: in_utc for mode in runs}, runs
    assert all("no time zone known" in run["VID_0001-edited.mp4"]["note"] for run in runs.values())


def test_an_original_read_as_a_move_took_it_yields_to_its_journaled_date() -> None:
    """A worker listed the folder while the move took the original: read there, gone, it had
    no date; its row in the journal, of the same name, dates the edit (in a move of 2,500
    originals and their edits in one folder, one edit went to its folder's year)."""
    edit = "Photos from 2008/PXL_0001-edited.jpg"
    gone = OriginalDate("Photos from 2008/PXL_0001.jpg", None, None)
    taken = OriginalDate("Photos from 2008/PXL_0001.jpg", dt.datetime(2008, 5, 30), None)
    assert first_ranked(edit, gone, taken, GOOGLE) is taken


@needs_ffmpeg
def test_a_google_video_edit_takes_its_taken_originals_json_not_its_container_as_beside_it(
    tmp_path: Path,
) -> None:
    """Beside its edit, Google's path reads a video original's JSON, never its container:
    ``VID_0002.mp4`` (container 2019-07-14, its JSON 2018-03-03) dates its trim by the JSON,
    and ``VID_0003.mp4`` (no JSON) leaves its trim to its folder's year. Taken out of SOURCE by
    a move run, the journal's container date dated both trims (2019-07-14)."""

    def originals(album: Path) -> None:
        video(album / "VID_0002.mp4", creation="2019-07-14T19:05:09Z")
        (album / "VID_0002.mp4.json").write_text(
            takeout_json("VID_0002.mp4", 1520078400, (48.8566, 2.3522))
        )
        video(album / "VID_0003.mp4", creation="2019-07-14T19:05:10Z")

    def edits(album: Path) -> None:
        video(album / "VID_0002-edited.mp4")
        video(album / "VID_0003-edited.mp4", codec="mpeg4")

    runs = copied_and_moved(tmp_path, "Takeout/Google Photos/Photos from 2020", originals, edits)
    lines = {
        mode: {
            name: (found[name]["date"], found[name]["date_source"], found[name]["tz_source"])
            for name in ("VID_0002-edited.mp4", "VID_0003-edited.mp4")
        }
        for mode, found in runs.items()
    }
    assert lines["copy"] == {
        "VID_0002-edited.mp4": ("2018-03-03T12:00:00+00:00", "original", "none"),
        "VID_0003-edited.mp4": ("2020-01-01T00:00:00", "folder", "none"),
    }, lines
    assert lines["move"] == lines["copy"]


@needs_ffmpeg
def test_a_google_edit_takes_no_date_its_taken_original_had_from_a_file_travelling_with_it(
    tmp_path: Path, corpus: Path
) -> None:
    """``IMG_7000.jpg`` (no EXIF, no JSON) is dated by its Live Photo video ``IMG_7000.mov``;
    beside its edit, Google's path reads only the original's EXIF and JSON, so the edit goes to
    its folder's year. Taken out of SOURCE by a move run, the journal's companion date dated
    the edit (2019-07-14)."""

    def originals(album: Path) -> None:
        (album / "IMG_7000.jpg").write_bytes(stripped(corpus / "camera/DSCN0010.jpg", (400, 300)))
        video(album / "IMG_7000.mov", creation="2019-07-14T19:05:09Z")

    def edits(album: Path) -> None:
        (album / "IMG_7000-edited.jpg").write_bytes(
            stripped(corpus / "camera/Canon_40D.jpg", (300, 200))
        )

    runs = copied_and_moved(tmp_path, "Takeout/Google Photos/Photos from 2020", originals, edits)
    lines = date_fields(runs, "IMG_7000-edited.jpg")
    assert lines == {mode: ("2020-01-01T00:00:00", "folder", "none") for mode in lines}, lines


def test_a_google_edit_of_a_taken_undated_original_is_undated_as_beside_it(
    tmp_path: Path, corpus: Path
) -> None:
    """``IMG_8000.jpg`` (no EXIF, no JSON) and ``IMG_8000.png`` (EXIF 2003-12-14) beside
    ``IMG_8000-edited.jpg``: Google's path takes the original of the edit's extension, undated,
    so the edit goes to its folder's year. Both taken out of SOURCE by a move run, the journal
    held only the dated PNG, which dated the edit."""

    def originals(album: Path) -> None:
        (album / "IMG_8000.jpg").write_bytes(stripped(corpus / "camera/DSCN0010.jpg", (400, 300)))
        shutil.copyfile(corpus / "formats/png_with_exif_and_gps.png", album / "IMG_8000.png")

    def edits(album: Path) -> None:
        (album / "IMG_8000-edited.jpg").write_bytes(
            stripped(corpus / "camera/Canon_40D.jpg", (300, 200))
        )

    runs = copied_and_moved(tmp_path, "Takeout/Google Photos/Photos from 2020", originals, edits)
    lines = date_fields(runs, "IMG_8000-edited.jpg")
    assert lines == {mode: ("2020-01-01T00:00:00", "folder", "none") for mode in lines}, lines
