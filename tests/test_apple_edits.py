"""An iPhone writes the rendering of an edit as ``IMG_E1234.*`` beside the original
``IMG_1234.*``; some exports of it carry no date at all. Such an edit takes its original's
date, as an edited copy is dated (``date_source: "original"``), built from corpus photos laid
out as an iPhone's DCIM dump."""

from __future__ import annotations

import io
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
from engine.dates.original import apple_original_spellings
from engine.store.journal import Journal

DCIM = "DCIM/100APPLE"


def by_name(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(line["source"]).name: line for line in report}


def undated_render(original: Path, quality: int = 88) -> bytes:
    """The photo as an export writes the edit: new pixels, no EXIF (nor any other metadata)."""
    buffer = io.BytesIO()
    with Image.open(original) as im:
        im.convert("RGB").rotate(180).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def phone_dump(tmp_path: Path, corpus: Path) -> Path:
    """An iPhone's DCIM folder copied off the phone: originals with their dates, the edits'
    renders without theirs."""
    phone = tmp_path / "src" / "iPhone" / DCIM
    phone.mkdir(parents=True)
    # edited on the phone: the original JPEG (2016) and the render
    shutil.copyfile(corpus / "camera/exiftool_Apple.jpg", phone / "IMG_0601.JPG")
    (phone / "IMG_E0601.JPG").write_bytes(undated_render(corpus / "camera/exiftool_Apple.jpg"))
    # a HEIC original (2020), its render a JPEG, the names in another case
    shutil.copyfile(corpus / "formats/IMG_2927.HEIC", phone / "IMG_2927.HEIC")
    (phone / "img_e2927.jpg").write_bytes(undated_render(corpus / "phone/iphone_hdr_NO.jpg"))
    # a render that kept its own date (2012) beside an original of another (2015): its own
    shutil.copyfile(corpus / "phone/iphone_hdr_NO.jpg", phone / "IMG_0602.JPG")
    shutil.copyfile(corpus / "phone/Apple iPhone 5.jpg", phone / "IMG_E0602.JPG")
    # the original deleted on the phone; an original with no date either
    (phone / "IMG_E0700.JPG").write_bytes(undated_render(corpus / "camera/Canon_40D.jpg"))
    (phone / "IMG_0800.JPG").write_bytes(undated_render(corpus / "camera/DSCN0010.jpg", 90))
    (phone / "IMG_E0800.JPG").write_bytes(undated_render(corpus / "camera/DSCN0010.jpg", 70))
    # two originals of one number: the JPEG of the edit's own type undated, the HEIC (2022)
    # dated: the dated one gives the date
    (phone / "IMG_0900.JPG").write_bytes(undated_render(corpus / "camera/Canon_40D.jpg", 90))
    shutil.copyfile(corpus / "formats/iphone_13_pro_max.heic", phone / "IMG_0900.HEIC")
    (phone / "IMG_E0900.JPG").write_bytes(undated_render(corpus / "camera/Canon_40D.jpg", 70))
    return tmp_path / "src"


def test_an_undated_iphone_edit_lands_in_its_originals_year(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The renders ``IMG_E0601.JPG`` and ``img_e2927.jpg`` went to NoDate beside originals
    dated 2016 and 2020; they take those dates now, and their notes say from where. A render
    with a date of its own keeps it; one whose original is gone, or undated, stays undated;
    of two originals of one number, the one with a date dates the render."""
    src = phone_dump(tmp_path, corpus)

    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--layout", "flat")
    lines = by_name(report)
    assert code == 0
    for edit, original, year in (
        ("IMG_E0601.JPG", "IMG_0601.JPG", 2016),
        ("img_e2927.jpg", "IMG_2927.HEIC", 2020),
        ("IMG_E0900.JPG", "IMG_0900.HEIC", 2022),
    ):
        line = lines[edit]
        assert (line["status"], line["year"], line["date_source"]) == (
            "placed",
            year,
            "original",
        ), line
        assert line["dest"] == f"{year}/{edit}"
        assert line["date"] == lines[original]["date"]  # its zone too
        assert f"dated by its original {original}" in line["note"]
    own = lines["IMG_E0602.JPG"]
    assert (own["year"], own["date_source"]) == (2012, "exif"), own
    for alone in ("IMG_E0700.JPG", "IMG_E0800.JPG"):
        line = lines[alone]
        assert (line["year"], line["date_source"], line["dest"]) == (
            None,
            "none",
            f"NoDate/{alone}",
        ), line


@needs_ffmpeg
def test_an_undated_iphone_video_edit_takes_its_original_videos_date(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A video trimmed on the phone: ``IMG_E1000.MOV`` without a creation date beside
    ``IMG_1000.MOV`` with Apple's (local time, 2019): the edit goes to 2019 at that moment."""
    phone = tmp_path / "src" / DCIM
    video(phone / "IMG_1000.MOV", apple="2019-07-14T21:05:09+0200")
    video(phone / "IMG_E1000.MOV")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_name(report)
    assert code == 0
    original, edit = lines["IMG_1000.MOV"], lines["IMG_E1000.MOV"]
    assert original["date"] == "2019-07-14T21:05:09+02:00", original
    assert (edit["date"], edit["date_source"], edit["year"]) == (
        original["date"],
        "original",
        2019,
    ), edit
    assert "dated by its original IMG_1000.MOV" in edit["note"]


def test_an_iphone_edit_is_dated_alike_whatever_the_jobs(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """One worker or several, the batches in any order: the renders get the same dates."""
    src = phone_dump(tmp_path, corpus)
    dates = []
    for jobs in ("1", "2"):
        report = tmp_path / f"report-{jobs}.jsonl"
        out = tmp_path / f"out-{jobs}"
        code, _ = imgorg(
            "organize",
            str(src),
            str(out),
            "--min-size",
            "0",
            "--jobs",
            jobs,
            "--report",
            str(report),
            "--quiet",
        )
        assert code == 0
        lines = by_name(read_report(report))
        dates.append({n: (line["date"], line["dest"]) for n, line in lines.items()})
    assert dates[0] == dates[1]
    assert dates[0]["IMG_E0601.JPG"][1] == "2016/100APPLE/IMG_E0601.JPG"


def test_an_iphone_edit_whose_original_a_move_run_took_out_of_source_takes_its_date(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """A move run took the original ``IMG_0601.JPG`` (2016) out of SOURCE (as it does before
    it reaches a render of another batch, or before it was stopped); the render's run, the
    original no longer beside it, dates it by the original's row in DEST's journal."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    phone = src / DCIM
    phone.mkdir(parents=True)
    shutil.copyfile(corpus / "camera/exiftool_Apple.jpg", phone / "IMG_0601.JPG")
    move = ("--mode", "move", "--min-size", "0", "--quiet")
    assert imgorg("organize", str(src), str(dest), *move)[0] == 0
    assert not (phone / "IMG_0601.JPG").exists()
    (phone / "IMG_E0601.JPG").write_bytes(undated_render(corpus / "camera/exiftool_Apple.jpg"))
    report = tmp_path / "report.jsonl"
    assert imgorg("organize", str(src), str(dest), *move, "--report", str(report))[0] == 0
    line = by_name(read_report(report))["IMG_E0601.JPG"]
    assert (line["year"], line["date_source"]) == (2016, "original"), line
    assert line["dest"] == "2016/100APPLE/IMG_E0601.JPG"
    assert "dated by its original IMG_0601.JPG" in line["note"]


@needs_strace
def test_a_move_run_killed_after_the_original_still_dates_its_edit_on_resume(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """A move run took the original ``IMG_0601.JPG`` (2015; its batch first, the larger) out
    of SOURCE and was killed before the render; the resumed run dated the render by nothing
    left beside it (NoDate). It takes the date the journal holds for its original."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    phone = src / DCIM
    phone.mkdir(parents=True)
    shutil.copyfile(corpus / "phone/iphone_hdr_NO.jpg", phone / "IMG_0601.JPG")
    (phone / "IMG_E0601.JPG").write_bytes(undated_render(corpus / "phone/iphone_hdr_NO.jpg", 80))
    move = ("--mode", "move", "--jobs", "1", "--min-size", "0", "--quiet")
    argv = [sys.executable, "-m", "engine", "organize", str(src), str(dest), *move]
    run_killed_at("renameat2", 2, argv, ENV)  # the render's rename, after its original's
    assert set(photos_in(dest)) == {"2015/100APPLE/IMG_0601.JPG"}
    assert (phone / "IMG_E0601.JPG").exists()
    report = tmp_path / "report.jsonl"
    assert imgorg("organize", str(src), str(dest), *move, "--report", str(report))[0] == 0
    line = by_name(read_report(report))["IMG_E0601.JPG"]
    assert (line["year"], line["date_source"]) == (2015, "original"), line
    assert line["dest"] == "2015/100APPLE/IMG_E0601.JPG"


def test_an_iphone_edit_read_after_a_move_took_its_original_out_of_source_takes_its_date(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """One move run, not stopped: the original (the largest file, the first batch) was placed,
    so taken out of SOURCE, while the workers were still on the other batches; the small
    render, in the last batch, found nothing beside it and went to NoDate."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    phone = src / DCIM
    phone.mkdir(parents=True)
    shutil.copyfile(corpus / "phone/iphone_hdr_NO.jpg", phone / "IMG_0601.JPG")
    with Image.open(corpus / "phone/iphone_hdr_NO.jpg") as im:
        im.convert("RGB").resize((160, 120)).save(phone / "IMG_E0601.JPG", quality=80)
    taken = (corpus / "camera/Canon_40D.jpg").read_bytes()
    for n in range(1500):  # the phone's other photos, each its own bytes
        mark = b"%d" % n * (1 + n % 40)
        comment = b"\xff\xfe" + (len(mark) + 2).to_bytes(2, "big") + mark
        (phone / f"IMG_{1000 + n}.JPG").write_bytes(taken[:2] + comment + taken[2:])
    move = ("--mode", "move", "--jobs", "2", "--min-size", "0", "--quiet")
    report = tmp_path / "report.jsonl"
    assert imgorg("organize", str(src), str(dest), *move, "--report", str(report))[0] == 0
    line = by_name(read_report(report))["IMG_E0601.JPG"]
    assert (line["year"], line["date_source"]) == (2015, "original"), line
    assert line["dest"] == "2015/100APPLE/IMG_E0601.JPG"


def test_the_journal_look_up_of_an_edits_original_reads_the_rows_of_its_number_alone(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """An iPhone library exported into one folder: each undated render whose original the
    move run had taken out read every row of its folder from the journal, so a move of 5,000
    photos and their 5,000 renders took 142 s, not 9 s. The look-up reads the rows of its
    number's names alone: no more work in a folder of 400 photos than in a folder of one."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    taken = (corpus / "camera/Canon_40D.jpg").read_bytes()
    for folder, count in (("Export", 400), ("DCIM/100APPLE", 1)):
        (src / folder).mkdir(parents=True)
        for n in range(count):
            mark = b"%s %d" % (folder.encode(), n)
            comment = b"\xff\xfe" + (len(mark) + 2).to_bytes(2, "big") + mark
            (src / folder / f"IMG_{1000 + n}.JPG").write_bytes(taken[:2] + comment + taken[2:])
    run = ("--mode", "move", "--jobs", "1", "--min-size", "0", "--quiet")
    assert imgorg("organize", str(src), str(dest), *run)[0] == 0
    journal = Journal.reader(str(dest / ".imgorg" / "journal.sqlite"))
    steps = []
    for folder in ("Export", "DCIM/100APPLE"):
        counted = [0]

        def step(counted: list[int] = counted) -> int:
            counted[0] += 1
            return 0

        journal.db.set_progress_handler(step, 1)
        found = journal.taken_dates_of(
            str(src.resolve()), folder, apple_original_spellings("IMG_1000")
        )
        journal.db.set_progress_handler(None, 1)
        assert [(rel, when) for rel, when, *_ in found] == [
            (f"{folder}/IMG_1000.JPG", "2008-05-30T15:56:01")
        ]
        steps.append(counted[0])
    journal.db.close()
    assert steps[0] < 2 * steps[1], steps


def test_an_iphone_edit_whose_original_a_move_run_set_aside_takes_its_date(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """The phone dumped again: its ``IMG_0601.JPG`` was a duplicate of a photo placed before,
    its ``IMG_0602.HEIC`` damaged (EXIF 2019, no image); the move run set both aside. Beside
    them a render took their dates (a copy run, or a batch read before theirs was placed); read
    after they had left SOURCE it went to NoDate, the journal consulted for placed files only."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    move = ("--mode", "move", "--min-size", "0", "--quiet")
    (src / "Backup").mkdir(parents=True)
    shutil.copyfile(corpus / "camera/exiftool_Apple.jpg", src / "Backup/DSC_0001.JPG")
    assert imgorg("organize", str(src), str(dest), *move)[0] == 0
    phone = src / DCIM
    phone.mkdir(parents=True)
    shutil.copyfile(corpus / "camera/exiftool_Apple.jpg", phone / "IMG_0601.JPG")
    shutil.copyfile(corpus / "corrupt/elodie_photo.heic", phone / "IMG_0602.HEIC")
    report = tmp_path / "set-aside.jsonl"
    assert imgorg("organize", str(src), str(dest), *move, "--report", str(report))[0] == 0
    set_aside = by_name(read_report(report))
    assert (set_aside["IMG_0601.JPG"]["status"], set_aside["IMG_0602.HEIC"]["status"]) == (
        "duplicate",
        "corrupt",
    )
    assert not any(phone.iterdir())
    (phone / "IMG_E0601.JPG").write_bytes(undated_render(corpus / "camera/exiftool_Apple.jpg"))
    (phone / "IMG_E0602.JPG").write_bytes(undated_render(corpus / "camera/Canon_40D.jpg"))
    report = tmp_path / "report.jsonl"
    assert imgorg("organize", str(src), str(dest), *move, "--report", str(report))[0] == 0
    lines = by_name(read_report(report))
    for edit, original, year in (
        ("IMG_E0601.JPG", "IMG_0601.JPG", 2016),
        ("IMG_E0602.JPG", "IMG_0602.HEIC", 2019),
    ):
        line = lines[edit]
        assert (line["year"], line["date_source"]) == (year, "original"), line
        assert line["date"] == set_aside[original]["date"]
        assert line["dest"] == f"{year}/100APPLE/{edit}"
        assert f"dated by its original {original}" in line["note"]


@needs_ffmpeg
def test_an_edit_dated_by_a_taken_original_in_utc_says_its_zone_is_unknown(
    tmp_path: Path,
) -> None:
    """A trimmed video ``IMG_E1000.MOV`` (no date) beside ``IMG_1000.MOV`` whose container
    holds its UTC time alone: beside it, the edit is dated in UTC, no time zone known, and says
    so; its original taken out of SOURCE by a move run, the journal's UTC date was read as an
    offset the original stated (``tz_source: exif-offset``) and the note was lost."""

    def originals(phone: Path) -> None:
        video(phone / "IMG_1000.MOV", creation="2019-07-14T19:05:09Z")

    def edits(phone: Path) -> None:
        video(phone / "IMG_E1000.MOV", creation="1904-01-01T00:00:00Z")

    runs = copied_and_moved(tmp_path, DCIM, originals, edits)
    in_utc = ("2019-07-14T19:05:09+00:00", "original", "none")
    assert date_fields(runs, "IMG_E1000.MOV") == {mode: in_utc for mode in runs}, runs
    assert all("no time zone known" in run["IMG_E1000.MOV"]["note"] for run in runs.values())


def test_of_two_originals_the_first_ranked_dates_the_edit_though_a_move_took_it_first(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """``IMG_E0900.JPG`` (no date) beside two originals of its number: ``IMG_0900.JPG`` (2008),
    of its own type, and ``IMG_0900.HEIC`` (2022). Beside both, the JPEG dates it (2008); a
    move run that had taken the JPEG out of SOURCE first (its batch placed before the edit's
    was read; a run before) dated it by the HEIC still there (2022): the journal was asked only
    when no original on disk had a date."""

    def originals(phone: Path) -> None:
        shutil.copyfile(corpus / "camera/Canon_40D.jpg", phone / "IMG_0900.JPG")

    def edits(phone: Path) -> None:
        shutil.copyfile(corpus / "formats/iphone_13_pro_max.heic", phone / "IMG_0900.HEIC")
        (phone / "IMG_E0900.JPG").write_bytes(undated_render(corpus / "camera/Canon_40D.jpg"))

    runs = copied_and_moved(tmp_path, DCIM, originals, edits)
    lines = {mode: found["IMG_E0900.JPG"] for mode, found in runs.items()}
    for line in lines.values():
        assert (line["year"], line["date_source"], line["dest"]) == (
            2008,
            "original",
            "2008/100APPLE/IMG_E0900.JPG",
        ), line
        assert "dated by its original IMG_0900.JPG" in line["note"]


def test_an_edit_dated_by_a_taken_original_takes_its_zone_from_the_originals_position(
    tmp_path: Path,
    corpus: Path,
) -> None:
    """``IMG_0601.JPG`` (an iPhone 7's, its local time in EXIF, its zone from its GPS
    position): beside it, its render takes its time and its position's zone
    (``tz_source: gps-position``); taken out of SOURCE by a move run, the journal's date was
    read as an offset the original stated (``exif-offset``): in one move run, two thirds of
    such renders said one, a third the other. The position is read from its copy in DEST."""

    def originals(phone: Path) -> None:
        shutil.copyfile(corpus / "camera/exiftool_Apple.jpg", phone / "IMG_0601.JPG")

    def edits(phone: Path) -> None:
        (phone / "IMG_E0601.JPG").write_bytes(undated_render(corpus / "camera/Canon_40D.jpg"))

    runs = copied_and_moved(tmp_path, DCIM, originals, edits)
    lines = {mode: found["IMG_E0601.JPG"] for mode, found in runs.items()}
    for line in lines.values():
        assert (line["date"], line["date_source"], line["tz_source"], line["dest"]) == (
            "2016-09-28T18:18:05+01:00",
            "original",
            "gps-position",
            "2016/100APPLE/IMG_E0601.JPG",
        ), line
