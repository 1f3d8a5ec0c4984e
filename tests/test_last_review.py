"""Last review of revlead's and revundo's fixes: the kept copy of a photo placed again, undo's
releases and modes."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.cli import main


def _quiet(*args: str) -> int:
    return main([*args, "--quiet", "--jobs", "1"])


def _placed(dest: Path) -> list[str]:
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts)


def test_a_photo_placed_again_is_kept_when_its_first_name_on_the_card_is_reused(
    tmp_path: Path, corpus: Path
) -> None:
    """A card's photo copied, its copy in DEST deleted and the photo moved to another folder of
    the card: placed again. Its first name on the card then taken by a newer photo: the next run
    finds the photo in DEST by the copy placed again, not a third copy of it."""
    canon, nikon = corpus / "camera" / "Canon_40D.jpg", corpus / "camera" / "Nikon_D70.jpg"
    card, dest = tmp_path / "card", tmp_path / "dest"
    (card / "a").mkdir(parents=True)
    shutil.copy(canon, card / "a" / "IMG_0001.jpg")
    assert _quiet("organize", str(card), str(dest)) == 0
    [first] = _placed(dest)
    (dest / first).unlink()
    (card / "b").mkdir()
    (card / "a" / "IMG_0001.jpg").rename(card / "b" / "IMG_0002.jpg")
    assert _quiet("organize", str(card), str(dest)) == 0
    assert _placed(dest) == ["2008/b/IMG_0002.jpg"]
    shutil.copy(nikon, card / "a" / "IMG_0001.jpg")  # the name reused by a newer photo
    (card / "c").mkdir()
    shutil.copy(canon, card / "c" / "IMG_0003.jpg")  # and the photo copied once more
    assert _quiet("organize", str(card), str(dest)) == 0
    canons = [p for p in _placed(dest) if (dest / p).read_bytes() == canon.read_bytes()]
    assert canons == ["2008/b/IMG_0002.jpg"], _placed(dest)


def test_two_copies_of_a_photo_whose_copy_in_dest_was_edited_are_placed_once(
    tmp_path: Path, corpus: Path
) -> None:
    """A card's photo copied, its copy in DEST edited since (other bytes, same name) and the card
    formatted; a backup holding the photo twice: one copy is placed again, the other is its
    duplicate (not two copies of one photo, each 'the same hash but different bytes')."""
    canon = corpus / "camera" / "Canon_40D.jpg"
    card, backup, dest = tmp_path / "card", tmp_path / "backup", tmp_path / "dest"
    card.mkdir()
    shutil.copy(canon, card / "IMG_0001.jpg")
    assert _quiet("organize", str(card), str(dest)) == 0
    [first] = _placed(dest)
    with open(dest / first, "ab") as edited:
        edited.write(b"edited")
    shutil.rmtree(card)
    for name in ("2008/IMG_0001.jpg", "old laptop/IMG_0001.jpg"):
        (backup / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(canon, backup / name)
    assert _quiet("organize", str(backup), str(dest)) == 0
    canons = [p for p in _placed(dest) if (dest / p).read_bytes() == canon.read_bytes()]
    assert len(canons) == 1, _placed(dest)
