"""An adversarial review of the family work (a RAW or Live Photo video placed alone beside a
corrupt photo, Apple edit sidecars, clock-default dates, cut camcorder videos): real archives
arranged as users keep them, run in the ways users run them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from test_family_review import by_source, cut, raw_from

from conftest import tree_digest


def dumped_twice(src: Path, corpus: Path) -> None:
    """One Canon card copied into an archive twice (``Backup`` and ``Photos``), its JPEG cut
    short both times, and a ``RAW backup`` folder holding a third copy of its RAW."""
    for folder in ("Backup", "Photos"):
        dcim = src / folder / "DCIM" / "100CANON"
        dcim.mkdir(parents=True)
        (dcim / "IMG_0001.JPG").write_bytes(cut((corpus / "camera/Canon_40D.jpg").read_bytes()))
        (dcim / "IMG_0001.CR2").write_bytes(raw_from(corpus / "camera/Canon_40D.jpg"))
    (src / "RAW backup").mkdir()
    shutil.copyfile(src / "Photos/DCIM/100CANON/IMG_0001.CR2", src / "RAW backup/IMG_0001.CR2")


def outcomes(report: list[dict[str, Any]]) -> dict[str, tuple[str, str, str | None]]:
    return {line["source"]: (line["status"], line["dest"], line["duplicate_of"]) for line in report}


def test_a_card_copied_twice_with_its_jpeg_cut_places_its_raw_files_alike_every_run(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Both RAW files stand alone beside their cut JPEGs, each the other's copy: each waited
    for the other to be decided, and the run stopped with "results were never settled". Like
    the RAW files of two sound photos, each is placed with its folder; the loose third copy is
    the duplicate of the first in path order, whatever the order the workers finish in."""
    src = tmp_path / "archive"
    dumped_twice(src, corpus)
    before = tree_digest(src)
    runs = []
    for n, jobs in enumerate(("1", "2")):
        dest = tmp_path / f"out{n}"
        code, report = organize(src, dest, "--min-size", "0", "--mode", "move", "--jobs", jobs)
        lines = by_source(report)
        assert code == 0 and sorted(lines) == sorted(before) and len(report) == len(before)
        for rel, placed in (
            ("Backup/DCIM/100CANON/IMG_0001.CR2", "2008/100CANON/IMG_0001.CR2"),
            ("Photos/DCIM/100CANON/IMG_0001.CR2", "2008/Photos/DCIM/100CANON/IMG_0001.CR2"),
        ):
            assert (lines[rel]["status"], lines[rel]["dest"]) == ("placed", placed)
        loose = lines["RAW backup/IMG_0001.CR2"]
        assert (loose["status"], loose["duplicate_of"]) == (
            "duplicate",
            "Backup/DCIM/100CANON/IMG_0001.CR2",
        )
        assert loose["reason"].endswith(
            "placed alone (its photo Backup/DCIM/100CANON/IMG_0001.JPG is corrupt)"
        ), loose
        runs.append(outcomes(report))
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
        assert tree_digest(src) == before
    assert runs[0] == runs[1]


def test_a_raw_placed_alone_is_not_the_copy_of_a_raw_travelling_with_a_sound_photo(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """In a flat layout every IMG_0001 is named together. The RAW standing alone in ``Backup``
    repeats the RAW of the sound pair in ``Zoo``, and the loose copy in ``RAW backup`` repeats
    both: it waited for ``Backup``'s RAW, itself waiting for ``Zoo``'s, whose outcome it was
    never told: the run stopped, "results were never settled"."""
    src = tmp_path / "archive"
    dumped_twice(src, corpus)
    shutil.rmtree(src / "Photos")
    zoo = src / "Zoo"
    zoo.mkdir()
    shutil.copyfile(corpus / "camera/Canon_40D.jpg", zoo / "IMG_0001.JPG")
    shutil.copyfile(src / "RAW backup/IMG_0001.CR2", zoo / "IMG_0001.CR2")
    before = tree_digest(src)
    dest = tmp_path / "out"
    code, report = organize(src, dest, "--min-size", "0", "--mode", "move", "--layout", "flat")
    lines = by_source(report)
    assert code == 0 and sorted(lines) == sorted(before) and len(report) == len(before)
    alone, carried = lines["Backup/DCIM/100CANON/IMG_0001.CR2"], lines["Zoo/IMG_0001.CR2"]
    assert (carried["status"], carried["dest"]) == ("placed", "2008/IMG_0001.CR2")
    assert (alone["status"], alone["dest"]) == ("placed", "2008/IMG_0001_1.CR2")
    loose = lines["RAW backup/IMG_0001.CR2"]
    assert (loose["status"], loose["duplicate_of"]) == (
        "duplicate",
        "Backup/DCIM/100CANON/IMG_0001.CR2",
    )
    from engine.cli import main

    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_move_killed_while_placing_a_raw_alone_resumes_and_undoes(tmp_path: Path) -> None:
    """A move run over the card copied twice (its RAW files placed alone, one the other's
    duplicate), SIGKILLed before its renames and unlinks; the same command resumes it, verify
    passes, undo gives SOURCE back byte for byte. (Every call of the kind held when tried.)"""
    import test_crash_points as points

    pristine = tmp_path / "pristine"
    dumped_twice(pristine, points.corpus_or_skip())
    broken = {}
    for syscall, k in (("renameat2", 2), ("unlink", 3), ("rename", 4)):
        why = points.check_point(pristine, tmp_path / "point", "move", syscall, k)
        if why is not None:
            broken[f"{syscall}#{k}"] = why
    assert not broken, broken


def test_a_gps_without_a_fix_does_not_date_a_photo_whose_clock_was_never_set(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A GPS receiver with no fix writes its own zero date: the GPS epoch (1980-01-06), or 1970
    from a zeroed clock. It took the place of the camera's clock default as if the satellites
    had said when the photo was taken (the photo went to 1980). A garbled date stamp is no date
    at all. A true fix, on another day, still wins; the same day confirms the camera."""
    src = tmp_path / "src"
    src.mkdir()
    nikon = (corpus / "camera/DSCN0010.jpg").read_bytes()  # GPS date stamp 2008:10:23
    reset = nikon.replace(b"2008:10:22 16:28:39", b"2001:01:01 00:00:30")
    stamps = {
        "epoch": b"1980:01:06",
        "zero": b"1970:01:01",
        "garbled": b"20\x0008:1023",
        "fix": b"2008:10:23",
        "new_year": b"2001:01:01",
    }
    for name, stamp in stamps.items():
        (src / f"{name}.jpg").write_bytes(reset.replace(b"2008:10:23", stamp))
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0 and len(report) == len(stamps)
    for name in ("epoch", "zero", "garbled"):
        line = lines[f"{name}.jpg"]
        assert (line["date"], line["date_source"]) == (
            "2001-01-01T00:00:30+01:00",
            "clock-default",
        ), line
        assert line["dest"] == f"2001/{name}.jpg"
    assert lines["fix.jpg"]["date_source"] == "gps" and lines["fix.jpg"]["year"] == 2008
    assert lines["new_year.jpg"]["date_source"] == "exif"


def test_a_year_folder_dates_a_photo_whose_clock_was_never_set_whatever_the_year(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """With --date-from-folder, a folder named by its year says the photo's year. A folder
    "2003" replaced a camera's clock default, but a folder "2004" did not: read as 2004-01-01
    00:00, it looked like a clock default itself (2004 is one of those years). A folder of the
    clock's own year neither confirms nor replaces it; without the flag no folder is read."""
    src = tmp_path / "src"
    for year, photo, taken in (
        ("2003", "Canon_40D.jpg", b"2008:05:30 15:56:01"),
        ("2004", "Pentax_K10D.jpg", b"2008:05:04 16:47:24"),
        ("2000", "Nikon_COOLPIX_P1.jpg", b"2008:03:07 09:55:46"),
    ):
        (src / "Photos" / year).mkdir(parents=True)
        data = (corpus / "camera" / photo).read_bytes()
        assert taken in data
        reset = data.replace(taken, b"2000:01:01 00:00:04")
        (src / "Photos" / year / "IMG_0001.JPG").write_bytes(reset)
    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--date-from-folder")
    lines = by_source(report)
    assert code == 0
    for year in ("2003", "2004"):
        line = lines[f"Photos/{year}/IMG_0001.JPG"]
        assert (line["year"], line["date_source"]) == (int(year), "folder"), line
        assert "dated by its folder's name" in line["note"]
    same = lines["Photos/2000/IMG_0001.JPG"]
    assert (same["date"], same["date_source"]) == ("2000-01-01T00:00:04", "clock-default"), same
    code, report = organize(src, tmp_path / "without", "--min-size", "0")
    assert {line["date_source"] for line in report} == {"clock-default"}
