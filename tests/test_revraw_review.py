"""Review of rawside: RAW files and videos standing alone, with sidecars of their own or none,
that repeat a pair's RAW which cannot be placed."""

from __future__ import annotations

import itertools

import pytest
from test_decide import RAW, MemoryDest, decide, photo
from test_rawside import EDITED, JPEG, NESTED, decide_moving_in_batches

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
        got = decide_moving_in_batches(view, ordered)[0] if moving else decide(view, ordered, folders=NESTED)
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
