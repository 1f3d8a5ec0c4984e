"""A file name is shown on the terminal as it reads, on one line: the control characters and
text-reordering marks a name may hold (a newline, an escape sequence, a right-to-left override)
are escaped, never acted on by the terminal or able to forge a line of the listing."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import imgorg

EVIL = (
    "beach\x1b]0;owned\x07\x1b[2J.jpg",  # sets the window title, clears the screen
    "line\n  missing: forged.jpg",  # a second, forged line of the listing
    "gnp.\u202eevil.jpg",  # shows as "gnp.gpj.live": the right-to-left override
)


def a_card_of_evil_names(card: Path, corpus: Path) -> None:
    card.mkdir()
    for name, photo in zip(EVIL, ("Canon_40D", "Nikon_D70", "Pentax_K10D"), strict=True):
        shutil.copy2(corpus / "camera" / f"{photo}.jpg", card / name)


def test_the_plan_of_a_dry_run_shows_every_name_escaped_on_its_own_line(
    tmp_path: Path, corpus: Path
) -> None:
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_of_evil_names(card, corpus)
    code, said = imgorg("organize", str(card), str(dest), "--dry-run", "--jobs", "1")
    assert code == 0
    assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said
    assert "beach\\x1b]0;owned\\x07\\x1b[2J.jpg" in said
    assert "line\\n  missing: forged.jpg" in said
    assert "gnp.\\u202eevil.jpg" in said
    assert not any(line.startswith("  missing:") for line in said.splitlines())


def test_verify_and_undo_list_every_name_escaped_on_its_own_line(
    tmp_path: Path, corpus: Path
) -> None:
    """verify lists a copy deleted from DEST, undo one edited there: each named on one line."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_of_evil_names(card, corpus)
    assert imgorg("organize", str(card), str(dest), "--jobs", "1", "--min-size", "0")[0] == 0
    placed = {p.name: p for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts}
    assert set(placed) == set(EVIL)
    placed[EVIL[0]].unlink()
    placed[EVIL[1]].write_bytes(b"edited since")
    code, said = imgorg("verify", str(dest))
    assert code == 1
    code, undone = imgorg("undo", str(dest))
    assert code == 1
    for text in (said, undone):
        assert "\x1b" not in text and "\x07" not in text
        assert not any(line.startswith("  missing: forged") for line in text.splitlines())
    assert "beach\\x1b]0;owned\\x07\\x1b[2J.jpg" in said
    assert "line\\n  missing: forged.jpg" in said and "line\\n  missing: forged.jpg" in undone
