"""Review of the lead's changes: the one-run HTML page, permissions of files written into DEST,
duplicates of bytes no longer held, the next-step line for clock-default dates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine.cli import main
from engine.report.queries import Rows, aggregate_rows
from engine.store.journal import Journal


def _quiet(*args: str, jobs: str = "1") -> int:
    return main([*args, "--quiet", "--jobs", jobs])


def _last_run_files(page: Path) -> int:
    found = re.findall(r'<section id="last-run" data-files="(\d+)"', page.read_text())
    assert len(found) == 1
    return int(found[0])


def test_the_last_run_of_a_one_run_page_counts_every_file_it_looked_at(
    tmp_path: Path, corpus: Path
) -> None:
    """A move run into a DEST that already holds copies of its photos (their sources released,
    not placed), the journal's only run; then undone: the page's "Last run" counts the files
    that run looked at, as it does when the journal holds other runs (not only what DEST holds
    now: 6 of 59, then 0)."""
    src, dest, first = tmp_path / "src", tmp_path / "dest", tmp_path / "first"
    shutil.copytree(corpus / "camera", src / "camera")
    shutil.copytree(corpus / "duplicates", src / "dups")
    assert _quiet("organize", str(src), str(first)) == 0
    shutil.copytree(first, dest, ignore=shutil.ignore_patterns(".imgorg"))
    assert _quiet("organize", str(src), str(dest), "--mode", "move") == 0
    page = dest / ".imgorg" / "report.html"

    def looked_at() -> int:
        journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
        try:
            run_id = journal.last_run()
            assert run_id is not None and journal.only_run(run_id)
            return aggregate_rows(journal, Rows.of_run(run_id, str(src)), counts_only=True).files
        finally:
            journal.close()

    files = looked_at()
    assert files == 59
    assert _last_run_files(page) == files
    assert main(["undo", str(dest)]) == 0
    assert main(["report", str(dest)]) == 0
    assert _last_run_files(page) == looked_at() == files


def test_a_photo_placed_again_is_the_kept_copy_for_later_runs(tmp_path: Path, corpus: Path) -> None:
    """A photo copied from an old card (its copy in DEST and the card both gone since) is found
    again on a backup disk and placed again; a third disk holding it too finds it in DEST, by
    the copy the backup's run placed: a duplicate, not a third copy."""
    photo = corpus / "camera" / "Canon_40D.jpg"
    card, backup, third, dest = (tmp_path / n for n in ("a_card", "b_backup", "c_third", "dest"))
    for folder in (card, backup, third):
        folder.mkdir()
        shutil.copy(photo, folder / f"IMG_{folder.name}.jpg")
    assert _quiet("organize", str(card), str(dest)) == 0
    [first] = [p for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts]
    first.unlink()
    shutil.rmtree(card)
    assert _quiet("organize", str(backup), str(dest)) == 0
    assert _quiet("organize", str(third), str(dest)) == 0
    placed = [p.name for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts]
    assert placed == ["IMG_b_backup.jpg"]
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        [last] = journal.decisions(3, str(third))
    finally:
        journal.close()
    assert last.status.value == "duplicate" and last.duplicate_of is not None
    assert "b_backup" in last.duplicate_of, last.duplicate_of
    # the page's kept copy of that duplicate is the one in DEST, not the lost one's name
    page = (dest / ".imgorg" / "report.html").read_text()
    [kept] = re.findall(r'<div class="kept">.*?href="([^"]*)"', page)
    assert kept == "../2008/IMG_b_backup.jpg", kept


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_two_copies_of_a_photo_whose_earlier_copy_is_lost_are_placed_once(
    tmp_path: Path, corpus: Path, jobs: str
) -> None:
    """A card's photo copied once, its copy in DEST deleted since and its name on the card
    taken by a newer photo; a backup holding that photo twice, moved: one copy is placed again,
    the other is its duplicate, set aside (not two copies of one photo in DEST's years)."""
    card, backup, dest = tmp_path / "card", tmp_path / "backup", tmp_path / "dest"
    card.mkdir()
    shutil.copy(corpus / "camera" / "Canon_40D.jpg", card / "IMG_0001.jpg")
    assert _quiet("organize", str(card), str(dest)) == 0
    for placed in dest.rglob("IMG_0001.jpg"):
        placed.unlink()
    shutil.copy(corpus / "camera" / "Nikon_D70.jpg", card / "IMG_0001.jpg")  # the name reused
    for name in ("2008/IMG_0001.jpg", "old laptop/IMG_0001.jpg"):
        (backup / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / "camera" / "Canon_40D.jpg", backup / name)
    assert _quiet("organize", str(backup), str(dest), "--mode", "move", jobs=jobs) == 0
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        statuses = sorted(d.status.value for d in journal.decisions(2, str(backup)))
    finally:
        journal.close()
    assert statuses == ["duplicate", "placed"]
    placed = [p.relative_to(dest) for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts]
    assert len([p for p in placed if "Duplicates" not in p.parts]) == 1, placed
    assert len(placed) == 2 and not list(backup.rglob("*.jpg"))  # the other set aside


def test_a_sidecar_placed_again_is_the_kept_copy_for_later_runs(
    tmp_path: Path, corpus: Path
) -> None:
    """As above, with each photo's XMP sidecar (the same bytes on every disk): the third disk's
    photo and its sidecar are both duplicates of what the backup's run placed again."""
    photo = corpus / "camera" / "Canon_40D.jpg"
    xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rating>5</rating></x:xmpmeta>'
    card, backup, third, dest = (tmp_path / n for n in ("a_card", "b_backup", "c_third", "dest"))
    for folder in (card, backup, third):
        folder.mkdir()
        shutil.copy(photo, folder / "IMG_0001.jpg")
        (folder / "IMG_0001.xmp").write_text(xmp)
    assert _quiet("organize", str(card), str(dest)) == 0
    for placed in [p for p in dest.rglob("IMG_0001.*") if ".imgorg" not in p.parts]:
        placed.unlink()
    shutil.rmtree(card)
    assert _quiet("organize", str(backup), str(dest)) == 0
    assert _quiet("organize", str(third), str(dest)) == 0
    kept = sorted(p.name for p in dest.rglob("*") if p.is_file() and ".imgorg" not in p.parts)
    assert kept == ["IMG_0001_1.jpg", "IMG_0001_1.xmp"]  # the lost copy's name stays its own


def test_the_clock_default_step_of_a_dry_run_points_at_a_report_that_exists(
    tmp_path: Path, corpus: Path
) -> None:
    """A dry run writes no report unless --report is given: its next step for a photo dated
    only by an unset camera clock says how to get the list, not "the report names it"."""
    from conftest import imgorg

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(corpus / "odd_dates" / "Sony_DSLR-A200.jpg", src / "DSC00001.JPG")
    dest = str(tmp_path / "dest")
    code, out = imgorg("organize", str(src), dest, "--jobs", "1", "--dry-run")
    assert code == 0, out
    [step] = [line for line in out.splitlines() if "camera clock" in line]
    assert "the report" not in step and "--report FILE names it" in step, step
    report = str(tmp_path / "plan.jsonl")
    code, out = imgorg("organize", str(src), dest, "--jobs", "1", "--dry-run", "--report", report)
    assert code == 0, out
    [step] = [line for line in out.splitlines() if "camera clock" in line]
    assert "the report names it" in step, step
