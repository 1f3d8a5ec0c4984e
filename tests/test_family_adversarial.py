"""An adversarial review of the family work (a RAW or Live Photo video placed alone beside a
corrupt photo, Apple edit sidecars, clock-default dates, cut camcorder videos): real archives
arranged as users keep them, run in the ways users run them."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_a_card_copied_twice_with_its_jpeg_cut_places_its_raw_once(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Both RAW files stand alone beside their cut JPEGs, and each is the other's copy: the run
    used to wait for each to be decided before the other, and stopped with "results were never
    settled". One is placed; the other and the loose third copy are its duplicates."""
    src = tmp_path / "archive"
    dumped_twice(src, corpus)
    before = tree_digest(src)
    dest = tmp_path / "out"
    code, report = organize(src, dest, "--min-size", "0", "--mode", "move")
    lines = by_source(report)
    assert code == 0 and sorted(lines) == sorted(before) and len(report) == len(before)
    raws = [lines[rel] for rel in before if rel.endswith(".CR2")]
    kept = [line for line in raws if line["status"] == "placed"]
    assert len(kept) == 1 and kept[0]["source"] == "Backup/DCIM/100CANON/IMG_0001.CR2", raws
    for line in raws:
        if line is not kept[0]:
            assert (line["status"], line["duplicate_of"]) == ("duplicate", kept[0]["source"])
    from engine.cli import main

    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


def test_a_loose_raw_waiting_for_a_raw_placed_alone_that_is_itself_a_copy_is_settled(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """In a flat layout every IMG_0001 is named together. The loose copy in ``RAW backup``
    repeats the RAW standing alone in ``Backup`` (first in path order), which repeats the RAW
    of the sound pair in ``Zoo``: the loose copy waits for ``Backup``'s RAW, a copy waiting in
    turn, whose outcome used to be never told: the run stopped, "results were never settled"."""
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
    assert lines["Zoo/IMG_0001.CR2"]["dest"] == "2008/IMG_0001.CR2"
    for rel in ("Backup/DCIM/100CANON/IMG_0001.CR2", "RAW backup/IMG_0001.CR2"):
        assert lines[rel]["status"] == "duplicate", lines[rel]
    assert lines["RAW backup/IMG_0001.CR2"]["duplicate_of"] in (
        "Zoo/IMG_0001.CR2",
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
