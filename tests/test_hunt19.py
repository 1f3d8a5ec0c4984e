"""Bug hunt 19: a user migrating in phases into one DEST (card dumps copied and moved, DEST
edited between runs, runs undone), built from real camera files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import read_report

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

TURNED = "phone/Samsung GT-I9000 (Galaxy S).jpg"  # Orientation 6: turned upright in DEST


def _exiftool(target: Path, *edits: str) -> None:
    assert EXIFTOOL is not None
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *edits, str(target)], check=True)


def _card(root: Path, corpus: Path, *files: tuple[str, str]) -> Path:
    """A card at ``root`` holding corpus files (corpus name, path on the card), writable."""
    for name, rel in files:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / name, target)
    return root


def _rows(report: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(line["source"]): line for line in report}


@needs_exiftool
def test_a_turned_copy_the_user_edited_in_dest_stands_for_no_other_cards_copy(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Card A's phone photo was turned upright into DEST; the user then tagged that copy in
    DEST (exiftool) and wiped card A. Card B holds the photo as the phone wrote it: DEST holds
    neither those bytes nor the ones the run wrote, so B's copy is the last of the photo as
    taken and is placed again, as it is beside a copy edited in DEST that was never turned.
    It was called a duplicate of the turned copy ("its re-encoded or turned copy ... is"),
    and the user would wipe card B next."""
    card_a = _card(tmp_path / "A", corpus, (TURNED, "DCIM/IMG_0001.JPG"))
    dest = tmp_path / "dest"
    code, first = organize(card_a, dest)
    assert code == 0 and first[0]["rotated"], first
    placed = dest / str(first[0]["dest"])
    _exiftool(placed, "-Artist=Me")
    shutil.rmtree(card_a)
    card_b = _card(tmp_path / "B", corpus, (TURNED, "DCIM/IMG_0100.JPG"))

    code, second = organize(card_b, dest)

    assert code == 0
    row = _rows(second)["DCIM/IMG_0100.JPG"]
    assert row["status"] == "placed", row
    assert "placed again" in str(row["note"]), row
    assert (dest / str(row["dest"])).exists()
