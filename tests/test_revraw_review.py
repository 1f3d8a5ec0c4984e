"""Review of rawside: RAW files and videos standing alone, with sidecars of their own or none,
that repeat a pair's RAW which cannot be placed."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from test_companions import by_source
from test_decide import OTHER_RAW, RAW, MemoryDest, decide, digest, photo
from test_family_review import raw_from
from test_rawside import (
    EDITED,
    JPEG,
    NESTED,
    RATED,
    decide_moving_in_batches,
    outcomes,
    placed_outside_duplicates,
)

from conftest import tree_digest
from engine.records import Analysis, Status

DEEP = "/".join(["d" * 200] * 21)  # too deep a path for any destination below it


def unplaceable_pair_and_backups(view: MemoryDest, sidecars: bool) -> list[Analysis]:
    """A RAW+JPEG pair too deep to be placed, and its RAW in three backup folders (in the
    trash too), each copy (with ``sidecars``) with the user's edits in an XMP beside it."""

    def backup(folder: str) -> Analysis:
        rel = f"{folder}/IMG_0008.CR2"
        return photo(view, rel, RAW, companions=[(f"{rel}.xmp", EDITED)] if sidecars else [])

    return [
        photo(view, f"{DEEP}/IMG_0008.jpg", JPEG, companions=[(f"{DEEP}/IMG_0008.CR2", RAW)]),
        backup(".Trash"),
        backup("b1"),
        backup("b2"),
    ]


@pytest.mark.parametrize("sidecars", [True, False])
@pytest.mark.parametrize("moving", [False, True])
def test_copies_of_a_raw_the_pair_cannot_place_are_placed_once(
    sidecars: bool, moving: bool
) -> None:
    """The pair's RAW is not placed: DEST gets its bytes once, from the first backup in keeper
    order (not the trash), its edits beside it; the other backups and their edits are its
    duplicates; whatever order the workers finish in."""
    reference = None
    for order in itertools.permutations(range(4)):
        view = MemoryDest()
        analyses = unplaceable_pair_and_backups(view, sidecars)
        ordered = [analyses[i] for i in order]
        got = (
            decide_moving_in_batches(view, ordered)[0]
            if moving
            else decide(view, ordered, folders=NESTED)
        )
        kept = got["b1/IMG_0008.CR2"]
        assert kept.status is Status.PLACED, order
        for folder in (".Trash", "b2"):
            copy = got[f"{folder}/IMG_0008.CR2"]
            assert (copy.status, copy.duplicate_of) == (Status.DUPLICATE, kept.rel), order
            if sidecars:
                edits = got[f"{folder}/IMG_0008.CR2.xmp"]
                assert (edits.status, edits.duplicate_of) == (
                    Status.DUPLICATE,
                    "b1/IMG_0008.CR2.xmp",
                ), order
        placed = [d for d in got.values() if d.status is Status.PLACED]
        assert [d.rel for d in placed].count("b1/IMG_0008.CR2") == 1
        assert len(placed) == (2 if sidecars else 1), [d.rel for d in placed]
        outcome = {r: (d.status, d.dest, d.duplicate_of) for r, d in got.items()}
        assert reference is None or outcome == reference, order
        reference = outcome
        if moving:
            left = [path for path in view.files if path.startswith("/src/")]
            assert all(path.startswith(f"/src/{DEEP}/") for path in left), left


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_backups_of_a_raw_the_pair_cannot_place_reach_dest_once(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """A Canon RAW+JPEG pair so deep in SOURCE that below DEST its names would be too long, and
    its RAW in two backup folders, each with the XMP of the user's edits: DEST gets the RAW
    once and the edits once, beside it; the other backup is its duplicate, the same with one
    worker or two; verified and undone byte for byte."""
    from engine.cli import main

    pristine = tmp_path / "pristine"
    room = 4060 - len(os.fsencode(tmp_path / "Pictures1"))
    card = pristine.joinpath(*["d" * 200] * (room // 201), "d" * (room % 201 - 1))
    card.mkdir(parents=True)
    shutil.copyfile(corpus / "camera/Canon_40D.jpg", card / "IMG_0001.JPG")
    raw = raw_from(corpus / "camera/Canon_40D.jpg")
    (card / "IMG_0001.CR2").write_bytes(raw)
    for folder in ("RAW backup", "RAW backup/old"):
        (pristine / folder).mkdir(parents=True, exist_ok=True)
        (pristine / folder / "IMG_0001.CR2").write_bytes(raw)
        (pristine / folder / "IMG_0001.CR2.xmp").write_bytes(EDITED)
    before = tree_digest(pristine)
    runs = []
    for jobs in ("1", "2"):
        src = tmp_path / f"Pictures{jobs}"
        dest = tmp_path / f"Archive of the family's pictures {jobs} {'o' * 150}"
        shutil.copytree(pristine, src)
        _code, report = organize(
            src, dest, "--min-size", "0", "--mode", mode, "--jobs", jobs, "--no-tidy"
        )
        lines = by_source(report)
        kept, copy = lines["RAW backup/IMG_0001.CR2"], lines["RAW backup/old/IMG_0001.CR2"]
        assert kept["status"] == "placed", kept
        assert (copy["status"], copy["duplicate_of"]) == ("duplicate", kept["source"]), copy
        edits = lines["RAW backup/old/IMG_0001.CR2.xmp"]
        assert (edits["status"], edits["duplicate_of"]) == (
            "duplicate",
            "RAW backup/IMG_0001.CR2.xmp",
        ), edits
        placed = list(placed_outside_duplicates(dest).values())
        assert placed.count(before["RAW backup/IMG_0001.CR2"][0]) == 1, placed
        assert placed.count(before["RAW backup/IMG_0001.CR2.xmp"][0]) == 1, placed
        assert (dest / kept["dest"]).read_bytes() == raw
        runs.append(outcomes(report))
        if mode == "move":
            assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert tree_digest(src) == before
    assert runs[0] == runs[1]


def pair_copied_too_deep(view: MemoryDest, sidecars: bool) -> list[Analysis]:
    """A RAW+JPEG pair too deep to be placed, the same pair again in the trash (a duplicate of
    it, its RAW and XMP with it), and its RAW in a backup folder (with ``sidecars``, the XMP of
    the user's edits beside it)."""
    backup = [("RAW backup/IMG_0009.CR2.xmp", EDITED)] if sidecars else []
    return [
        photo(
            view,
            f"{DEEP}/IMG_0009.jpg",
            JPEG,
            companions=[(f"{DEEP}/IMG_0009.CR2", RAW), (f"{DEEP}/IMG_0009.xmp", RATED)],
        ),
        photo(
            view,
            ".Trash/IMG_0009.jpg",
            JPEG,
            companions=[(".Trash/IMG_0009.CR2", RAW), (".Trash/IMG_0009.xmp", RATED)],
        ),
        photo(view, "RAW backup/IMG_0009.CR2", RAW, companions=backup),
    ]


@pytest.mark.parametrize("sidecars", [True, False])
@pytest.mark.parametrize("moving", [False, True])
def test_a_raw_backup_is_no_duplicate_of_a_pairs_raw_whose_kept_copy_is_not_placed(
    sidecars: bool, moving: bool
) -> None:
    """The pair in the trash repeats the pair DEST cannot take, so its RAW is a duplicate of a
    RAW not placed: the backup's RAW, a copy of it, names a file DEST holds or is placed, and
    DEST gets the RAW's bytes (and the edits), whatever order the workers finish in."""
    reference = None
    for order in itertools.permutations(range(3)):
        view = MemoryDest()
        analyses = pair_copied_too_deep(view, sidecars)
        ordered = [analyses[i] for i in order]
        got = (
            decide_moving_in_batches(view, ordered)[0]
            if moving
            else decide(view, ordered, folders=NESTED)
        )
        placed = [d for d in got.values() if d.status is Status.PLACED]
        assert [d.hash for d in placed].count(digest(RAW)) == 1, order
        if sidecars:
            assert [d.hash for d in placed].count(digest(EDITED)) == 1, order
        for name in ("RAW backup/IMG_0009.CR2", "RAW backup/IMG_0009.CR2.xmp"):
            copy = got.get(name)
            if copy is not None and copy.status is Status.DUPLICATE:
                kept = got[copy.duplicate_of or ""]
                assert kept.status is Status.PLACED, (order, name, kept.rel, kept.status)
        outcome = {r: (d.status, d.dest, d.duplicate_of) for r, d in got.items()}
        assert reference is None or outcome == reference, order
        reference = outcome


@pytest.mark.parametrize("sidecars", [True, False])
@pytest.mark.parametrize("moving", [False, True])
def test_a_raw_backup_repeats_the_pair_placed_when_the_first_pair_is_not(
    sidecars: bool, moving: bool
) -> None:
    """Two photos with the same RAW beside them (one JPEG re-saved), the first in source-path
    order too deep to be placed: the backup's RAW is a duplicate of the other pair's, which DEST
    holds, not a second copy of it; its edits go beside that RAW; in any order."""
    reference = None
    for order in itertools.permutations(range(3)):
        view = MemoryDest()
        backup = [("RAW backup/IMG_0010.CR2.xmp", EDITED)] if sidecars else []
        analyses = [
            photo(view, f"{DEEP}/IMG_0010.jpg", JPEG, companions=[(f"{DEEP}/IMG_0010.CR2", RAW)]),
            photo(view, "zz/IMG_0010.jpg", b"K" * 150, companions=[("zz/IMG_0010.CR2", RAW)]),
            photo(view, "RAW backup/IMG_0010.CR2", RAW, companions=backup),
        ]
        ordered = [analyses[i] for i in order]
        got = (
            decide_moving_in_batches(view, ordered)[0]
            if moving
            else decide(view, ordered, folders=NESTED)
        )
        copy = got["RAW backup/IMG_0010.CR2"]
        assert (copy.status, copy.duplicate_of) == (Status.DUPLICATE, "zz/IMG_0010.CR2"), order
        if sidecars:
            edits = got["RAW backup/IMG_0010.CR2.xmp"]
            assert (edits.status, edits.dest, edits.companion_of) == (
                Status.PLACED,
                "2015/zz/IMG_0010.CR2.xmp",
                "zz/IMG_0010.CR2",
            ), order
        outcome = {r: (d.status, d.dest, d.duplicate_of) for r, d in got.items()}
        assert reference is None or outcome == reference, order
        reference = outcome


@pytest.mark.parametrize("moving", [False, True])
def test_a_backups_sidecar_is_no_duplicate_of_a_sidecar_dest_did_not_take(moving: bool) -> None:
    """A pair in the trash repeats a photo and XMP DEST cannot take (too deep), with a RAW of
    its own, placed; a backup of that RAW carries the same XMP: the RAW is the placed one's
    duplicate, and its XMP, whose bytes DEST does not hold, is placed beside it."""
    reference = None
    for order in itertools.permutations(range(3)):
        view = MemoryDest()
        analyses = [
            photo(
                view,
                f"{DEEP}/IMG_0011.jpg",
                JPEG,
                companions=[(f"{DEEP}/IMG_0011.CR2", OTHER_RAW), (f"{DEEP}/IMG_0011.xmp", RATED)],
            ),
            photo(
                view,
                ".Trash/IMG_0011.jpg",
                JPEG,
                companions=[(".Trash/IMG_0011.CR2", RAW), (".Trash/IMG_0011.xmp", RATED)],
            ),
            photo(
                view,
                "RAW backup/IMG_0011.CR2",
                RAW,
                companions=[("RAW backup/IMG_0011.xmp", RATED)],
            ),
        ]
        ordered = [analyses[i] for i in order]
        got = (
            decide_moving_in_batches(view, ordered)[0]
            if moving
            else decide(view, ordered, folders=NESTED)
        )
        copy = got["RAW backup/IMG_0011.CR2"]
        assert (copy.status, copy.duplicate_of) == (Status.DUPLICATE, ".Trash/IMG_0011.CR2")
        assert got[".Trash/IMG_0011.CR2"].status is Status.PLACED
        rated = got["RAW backup/IMG_0011.xmp"]
        assert rated.status is Status.PLACED, (order, rated.duplicate_of)
        outcome = {r: (d.status, d.dest, d.duplicate_of) for r, d in got.items()}
        assert reference is None or outcome == reference, order
        reference = outcome
