"""Undo of a move run gives SOURCE back as it was, its folders' modification times included:
taking the photos out of a folder, then putting them back, changes its time twice, and a
backup or sync tool comparing the card with its copy then sees every folder changed."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from test_undo_adversarial import nth_call_on

from conftest import ENV, everything, imgorg, needs_strace, photos_in, run_killed_at

MOVE = ("--mode", "move", "--jobs", "1", "--min-size", "0", "--quiet")


def old_card(card: Path, corpus: Path) -> None:
    """A camera card and a holiday folder as years of use leave them: three photos in nested
    folders, a note no run takes, every folder last changed years ago."""
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", card / "DCIM" / "100CANON" / "IMG_1.jpg")
    shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", card / "DCIM" / "100CANON" / "IMG_2.jpg")
    shutil.copy2(corpus / "phone" / "jolla.jpg", card / "Holiday" / "Day 1" / "beach.jpg")
    (card / "Holiday" / "notes.txt").write_text("what we did\n")
    for year, (folder, _, _) in enumerate(sorted(os.walk(card), reverse=True), 2001):
        os.utime(folder, ns=(0, int(1e9) * 31_536_000 * (year - 1970)))


def make_folders(card: Path) -> None:
    for folder in ("DCIM/100CANON", "Holiday/Day 1"):
        (card / folder).mkdir(parents=True)


def test_undo_of_a_move_run_gives_the_source_folders_their_times_back(
    tmp_path: Path, corpus: Path
) -> None:
    card, dest = tmp_path / "card", tmp_path / "dest"
    make_folders(card)
    old_card(card, corpus)
    before = everything(card)
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert set(photos_in(card)) == {"Holiday/notes.txt"}
    assert everything(card)["DCIM/100CANON"] != before["DCIM/100CANON"]
    assert imgorg("undo", str(dest))[0] == 0
    assert everything(card) == before


def test_undo_of_a_copy_run_leaves_the_source_folders_as_they_are(
    tmp_path: Path, corpus: Path
) -> None:
    """A copy run changes nothing in SOURCE: its undo sets no folder's time (one the user
    changed since keeps the user's)."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    make_folders(card)
    old_card(card, corpus)
    assert imgorg("organize", str(card), str(dest), "--jobs", "1", "--min-size", "0")[0] == 0
    (card / "DCIM" / "100CANON" / "IMG_3.jpg").write_bytes(b"added since")
    since = everything(card)
    assert imgorg("undo", str(dest))[0] == 0
    assert everything(card) == since


@needs_strace
def test_undo_of_a_killed_move_run_and_its_resume_gives_the_first_times_back(
    tmp_path: Path, corpus: Path
) -> None:
    """Killed after moving the first photo out of its folder, the run is resumed and both are
    undone: each folder gets the time it had before the first run, not before the resume."""
    probe_card, probe_dest = tmp_path / "probe" / "card", tmp_path / "probe" / "dest"
    card, dest = tmp_path / "card", tmp_path / "dest"
    for where in (probe_card, card):
        make_folders(where)
        old_card(where, corpus)
    before = everything(card)
    move = [sys.executable, "-m", "engine", "organize", *MOVE]
    first = probe_card / "DCIM" / "100CANON" / "IMG_1.jpg"
    k = nth_call_on(
        [*move[:4], str(probe_card), str(probe_dest), *move[4:]],
        "renameat2",
        first,
        tmp_path / "trace",
    )
    run_killed_at("renameat2", k + 1, [*move[:4], str(card), str(dest), *move[4:]], ENV)
    assert not (card / "DCIM" / "100CANON" / "IMG_1.jpg").exists()
    assert (card / "Holiday" / "Day 1" / "beach.jpg").exists() or (
        card / "DCIM" / "100CANON" / "IMG_2.jpg"
    ).exists()
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert not (card / "DCIM" / "100CANON" / "IMG_2.jpg").exists()
    assert imgorg("undo", str(dest))[0] == 0
    assert everything(card) == before


@needs_strace
def test_undo_after_a_run_killed_before_it_placed_anything_removes_the_folders_it_made(
    tmp_path: Path, corpus: Path
) -> None:
    """Killed at its first rename, the run had made DEST's year folders and placed nothing:
    "nothing to undo", and the empty folders stayed for good. Now undo removes them."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    make_folders(card)
    old_card(card, corpus)
    argv = [sys.executable, "-m", "engine", "organize", str(card), str(dest), "--jobs", "1"]
    run_killed_at("renameat2", 1, [*argv, "--min-size", "0", "--quiet"], ENV)
    made = [rel for rel in everything(dest) if not rel.startswith(".imgorg") and rel != "."]
    assert made and photos_in(dest) == {}
    code, said = imgorg("undo", str(dest))
    assert code == 0 and "nothing to undo" in said and "empty folder" in said
    left = [rel for rel in everything(dest) if rel != "." and not rel.startswith(".imgorg")]
    assert left == []
    assert imgorg("organize", str(card), str(dest), "--jobs", "1", "--min-size", "0")[0] == 0
    assert len(photos_in(dest)) == 3


def test_undo_keeps_an_empty_folder_a_run_that_placed_nothing_found_in_dest(
    tmp_path: Path, corpus: Path
) -> None:
    """Only folders a run made go: an empty folder of the user's, there before, stays."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    make_folders(card)
    old_card(card, corpus)
    (dest / "2008" / "DCIM").mkdir(parents=True)
    (dest / "Kids").mkdir()
    assert imgorg("organize", str(card), str(dest), "--jobs", "1", "--min-size", "0")[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert (dest / "Kids").is_dir() and (dest / "2008" / "DCIM").is_dir()
    assert photos_in(dest) == {}
