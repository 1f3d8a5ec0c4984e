"""A photo an earlier run placed, whose copy in DEST is gone since (deleted by mistake, lost
with a disk), is placed again by the same command with ``--restore-missing`` while SOURCE still
holds it unchanged: the journal's done row no longer stands for it. A copy still at its name
(turned by the engine, or edited by the user) stands for it; undo and verify agree with the
re-run. Without the flag a photo deleted from DEST stays deleted (a photo culled from the
archive does not come back with every import of a card that still holds it): the run says how
many such files it left."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import imgorg, photos_in, tree_digest

PLAIN = ("--jobs", "1", "--min-size", "0")
FLAGS = (*PLAIN, "--restore-missing")


def report_of(path: Path) -> dict[str, dict]:
    return {line["source"]: line for line in map(json.loads, path.read_text().splitlines())}


def a_card(card: Path, corpus: Path, *names: str) -> None:
    (card / "DCIM").mkdir(parents=True)
    for name in names:
        shutil.copy2(corpus / "camera" / name, card / "DCIM" / name)


def organize(card: Path, dest: Path, report: Path, *flags: str) -> str:
    code, out = imgorg("organize", str(card), str(dest), *FLAGS, *flags, "--report", str(report))
    assert code == 0, out
    return out


def rows_of(dest: Path, rel: str) -> list[tuple[int, str, str, str, str]]:
    """The journal's rows for ``rel``: (run, state, status, action, dest), oldest first."""
    with sqlite3.connect(dest / ".imgorg" / "journal.sqlite") as db:
        rows = db.execute(
            "SELECT run_id, state, status, action, CAST(dest AS TEXT) FROM files "
            "WHERE CAST(source_rel AS TEXT) = ? ORDER BY run_id",
            (rel,),
        ).fetchall()
    return [tuple(row) for row in rows]


def test_a_photo_deleted_from_dest_is_placed_again_by_the_same_command(
    tmp_path: Path, corpus: Path
) -> None:
    """A card copied, then one photo deleted from DEST: verify says it is missing, and the same
    command places it again (before: 'already done', the card's copy the only one left). The
    re-run after that finds everything done; undo takes back only the copy placed again, then
    the first run; the card is never touched."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "Canon_40D.jpg", "Nikon_D70.jpg", "Kodak_CX7530.jpg")
    on_card = tree_digest(card)
    organize(card, dest, tmp_path / "1.jsonl")
    first = photos_in(dest)
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()
    deleted = photos_in(dest)
    assert "missing: 2008/DCIM/Canon_40D.jpg" in imgorg("verify", str(dest))[1]

    out = organize(card, dest, tmp_path / "2.jsonl")
    assert "1 files an earlier run finished have no copy in DEST any more" in out
    assert "2 files were already done by an earlier run" in out
    line = report_of(tmp_path / "2.jsonl")["DCIM/Canon_40D.jpg"]
    assert line["status"] == "placed" and line["dest"] == "2008/DCIM/Canon_40D.jpg"
    assert (
        line["note"] == "placed again: its earlier copy 2008/DCIM/Canon_40D.jpg is gone from DEST"
    )
    assert photos_in(dest) == {
        rel: (digest, photos_in(dest)[rel][1]) for rel, (digest, _) in first.items()
    }
    assert rows_of(dest, "DCIM/Canon_40D.jpg") == [
        (1, "done", "placed", "copy", "2008/DCIM/Canon_40D.jpg"),
        (2, "done", "placed", "copy", "2008/DCIM/Canon_40D.jpg"),
    ]
    code, out = imgorg("verify", str(dest))
    assert code == 0 and "0 missing, 0 changed" in out, out

    out = organize(card, dest, tmp_path / "3.jsonl")
    assert "3 files were already done" in out and "no copy in DEST" not in out
    again = report_of(tmp_path / "3.jsonl")["DCIM/Canon_40D.jpg"]
    assert again["note"] == line["note"] and again["status"] == "placed"
    assert len(rows_of(dest, "DCIM/Canon_40D.jpg")) == 2

    code, out = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 2: 1 copies were removed" in out, out
    assert photos_in(dest) == deleted
    assert "missing: 2008/DCIM/Canon_40D.jpg" in imgorg("verify", str(dest))[1]
    code, out = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 1: 2 copies were removed" in out, out
    assert photos_in(dest) == {}
    assert tree_digest(card) == on_card


def test_a_turned_copy_stands_for_its_photo_until_it_is_deleted(
    tmp_path: Path, corpus: Path
) -> None:
    """A photo turned upright when placed differs from its source by design: the re-run takes
    it as done. Deleted from DEST, it is placed again, turned again to the same bytes, in its
    year. A copy the user edited in DEST, or renamed in another case, stays the user's: not
    placed again (verify names an edited one changed)."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "canon_hdr_NO.jpg", "Nikon_D70.jpg")
    organize(card, dest, tmp_path / "1.jsonl")
    turned = dest / "2015" / "DCIM" / "canon_hdr_NO.jpg"
    placed = turned.read_bytes()
    assert report_of(tmp_path / "1.jsonl")["DCIM/canon_hdr_NO.jpg"]["rotated"] is True
    assert placed != (card / "DCIM" / "canon_hdr_NO.jpg").read_bytes()

    out = organize(card, dest, tmp_path / "2.jsonl")
    assert "2 files were already done" in out and "no copy in DEST" not in out
    assert len(rows_of(dest, "DCIM/canon_hdr_NO.jpg")) == 1

    turned.unlink()
    organize(card, dest, tmp_path / "3.jsonl")
    line = report_of(tmp_path / "3.jsonl")["DCIM/canon_hdr_NO.jpg"]
    assert line["status"] == "placed" and line["rotated"] is True
    assert line["dest"] == "2015/DCIM/canon_hdr_NO.jpg" and line["note"].startswith("placed again")
    assert turned.read_bytes() == placed
    assert rows_of(dest, "DCIM/canon_hdr_NO.jpg")[-1] == (
        3, "done", "placed", "staged", "2015/DCIM/canon_hdr_NO.jpg"
    )  # fmt: skip
    assert imgorg("verify", str(dest))[0] == 0

    renamed = turned.rename(turned.with_name("CANON_HDR_NO.JPG"))  # a spelling of its name
    out = organize(card, dest, tmp_path / "renamed.jsonl")
    assert "2 files were already done" in out and "no copy in DEST" not in out
    assert sorted(p.name for p in turned.parent.iterdir()) == ["CANON_HDR_NO.JPG"]
    renamed.rename(turned)

    nikon = dest / "2008" / "DCIM" / "Nikon_D70.jpg"
    nikon.write_bytes(nikon.read_bytes() + b"edited")
    out = organize(card, dest, tmp_path / "4.jsonl")
    assert "2 files were already done" in out and "no copy in DEST" not in out
    assert sorted(photos_in(dest)) == ["2008/DCIM/Nikon_D70.jpg", "2015/DCIM/canon_hdr_NO.jpg"]
    code, out = imgorg("verify", str(dest))
    assert code == 1 and "changed: 2008/DCIM/Nikon_D70.jpg" in out

    assert imgorg("undo", str(dest))[0] == 0  # run 3: the turned copy placed again
    assert not turned.exists() and nikon.exists()
    code, out = imgorg("undo", str(dest))  # run 1: the edited copy is the user's, left
    assert code == 1 and "2008/DCIM/Nikon_D70.jpg" in out
    assert sorted(photos_in(dest)) == ["2008/DCIM/Nikon_D70.jpg"]


def test_a_sidecar_deleted_from_dest_goes_back_beside_its_photo(
    tmp_path: Path, corpus: Path
) -> None:
    """A photo with its XMP sidecar: both deleted from DEST come back under their names; a
    sidecar deleted alone comes back beside the photo still there, not an error that its name
    is taken (the journal held it for that very file)."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "Canon_40D.jpg", "Nikon_D70.jpg")
    for name in ("Canon_40D", "Nikon_D70"):
        (card / "DCIM" / f"{name}.xmp").write_text(f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{name}')
    organize(card, dest, tmp_path / "1.jsonl")
    first = photos_in(dest)
    folder = dest / "2008" / "DCIM"
    for name in ("Canon_40D.jpg", "Canon_40D.xmp", "Nikon_D70.xmp"):
        (folder / name).unlink()

    organize(card, dest, tmp_path / "2.jsonl")
    report = report_of(tmp_path / "2.jsonl")
    for rel in ("DCIM/Canon_40D.jpg", "DCIM/Canon_40D.xmp", "DCIM/Nikon_D70.xmp"):
        assert report[rel]["status"] == "placed", report[rel]
        assert report[rel]["note"].startswith("placed again: its earlier copy 2008/DCIM/")
    assert {rel: digest for rel, (digest, _) in photos_in(dest).items()} == {
        rel: digest for rel, (digest, _) in first.items()
    }
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == ["Nikon_D70.jpg"]
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(dest) == {}


def test_a_duplicate_whose_kept_copy_is_gone_from_dest_and_card_is_placed(
    tmp_path: Path, corpus: Path
) -> None:
    """A card holding a photo twice: one placed, the other its duplicate. The placed copy is
    deleted from DEST and its file from the card: the duplicate holds the only copy of those
    bytes and the same command places it (before: still 'a duplicate' of a file that is
    nowhere). Verify says where the gone copy's bytes are now; undo takes the new copy back."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "Canon_40D.jpg", "Nikon_D70.jpg")
    (card / "backup").mkdir()
    shutil.copy2(card / "DCIM" / "Canon_40D.jpg", card / "backup" / "Canon_40D copy.jpg")
    organize(card, dest, tmp_path / "1.jsonl")
    assert report_of(tmp_path / "1.jsonl")["backup/Canon_40D copy.jpg"]["status"] == "duplicate"
    canon = (card / "DCIM" / "Canon_40D.jpg").read_bytes()
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()
    (card / "DCIM" / "Canon_40D.jpg").unlink()

    out = organize(card, dest, tmp_path / "2.jsonl")
    assert "1 files an earlier run finished have no copy in DEST any more" in out
    line = report_of(tmp_path / "2.jsonl")["backup/Canon_40D copy.jpg"]
    assert line["status"] == "placed", line
    assert (dest / line["dest"]).read_bytes() == canon
    assert line["dest"].startswith("2008/")
    code, out = imgorg("verify", str(dest))
    assert code == 0, out
    assert (
        f"gone, placed again: 2008/DCIM/Canon_40D.jpg: run 2 placed its bytes again at {line['dest']}"
        in out
    )

    assert imgorg("undo", str(dest))[0] == 0
    assert sorted(photos_in(dest)) == ["2008/DCIM/Nikon_D70.jpg"]
    assert "missing: 2008/DCIM/Canon_40D.jpg" in imgorg("verify", str(dest))[1]


def test_a_duplicate_of_a_photo_placed_again_from_its_card_stays_a_duplicate(
    tmp_path: Path, corpus: Path
) -> None:
    """The same card, the placed copy deleted from DEST only: the photo is placed again from its
    own path, and its copy on the card stays its duplicate (one copy in DEST, not two)."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "Canon_40D.jpg", "Nikon_D70.jpg")
    (card / "backup").mkdir()
    shutil.copy2(card / "DCIM" / "Canon_40D.jpg", card / "backup" / "Canon_40D copy.jpg")
    organize(card, dest, tmp_path / "1.jsonl")
    first = photos_in(dest)
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()

    organize(card, dest, tmp_path / "2.jsonl")
    report = report_of(tmp_path / "2.jsonl")
    assert report["DCIM/Canon_40D.jpg"]["note"].startswith("placed again")
    assert report["backup/Canon_40D copy.jpg"]["status"] == "duplicate"
    assert report["backup/Canon_40D copy.jpg"]["duplicate_of"] == "DCIM/Canon_40D.jpg"
    assert sorted(photos_in(dest)) == sorted(first)
    assert imgorg("verify", str(dest))[0] == 0


def test_a_move_run_after_a_photo_was_deleted_from_dest_finds_nothing_to_place(
    tmp_path: Path, corpus: Path
) -> None:
    """Move mode: the moved photo deleted from DEST is gone from SOURCE too (verify says DEST
    held its only copy); the same command again places nothing, says nothing is decided
    again and exits 0. (A guard: it passes without the fix too.)"""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "Canon_40D.jpg", "Nikon_D70.jpg")
    assert imgorg("organize", str(card), str(dest), *FLAGS, "--mode", "move")[0] == 0
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()
    code, out = imgorg("organize", str(card), str(dest), *FLAGS, "--mode", "move")
    assert code == 0 and "no copy in DEST" not in out, out
    assert sorted(photos_in(dest)) == ["2008/DCIM/Nikon_D70.jpg"]
    code, out = imgorg("verify", str(dest))
    assert code == 1 and "DEST held its only copy" in out


@pytest.mark.parametrize("mode", ["hardlink", "symlink"])
def test_a_link_deleted_from_a_link_view_is_made_again_at_its_name(
    tmp_path: Path, corpus: Path, mode: str
) -> None:
    """A link view of the card (hard or symbolic links), one link deleted: the same command
    makes it again under its own name (a symbolic link is never the kept copy, so its name was
    held for it alone: before, the new link took a suffix and verify kept the old one missing)."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "Canon_40D.jpg", "Nikon_D70.jpg")
    organize(card, dest, tmp_path / "1.jsonl", "--mode", mode)
    link = dest / "2008" / "DCIM" / "Canon_40D.jpg"
    link.unlink()
    organize(card, dest, tmp_path / "2.jsonl", "--mode", mode)
    line = report_of(tmp_path / "2.jsonl")["DCIM/Canon_40D.jpg"]
    assert line["dest"] == "2008/DCIM/Canon_40D.jpg" and line["note"].startswith("placed again")
    assert link.read_bytes() == (card / "DCIM" / "Canon_40D.jpg").read_bytes()
    assert link.is_symlink() == (mode == "symlink")
    assert sorted(p.name for p in link.parent.iterdir()) == ["Canon_40D.jpg", "Nikon_D70.jpg"]
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert not link.exists() and not link.is_symlink()
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(dest) == {} and sorted(photos_in(card)) == [
        "DCIM/Canon_40D.jpg",
        "DCIM/Nikon_D70.jpg",
    ]


def a_culled_archive(tmp_path: Path, corpus: Path) -> tuple[Path, Path, dict]:
    """A card of two photos copied into DEST (report ``1.jsonl``), then one of them (its
    ``DCIM/Canon_40D.jpg``) deleted from DEST: the card, DEST, and what DEST holds then."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus, "Canon_40D.jpg", "Nikon_D70.jpg")
    report = str(tmp_path / "1.jsonl")
    assert imgorg("organize", str(card), str(dest), *PLAIN, "--report", report)[0] == 0
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()
    return card, dest, photos_in(dest)


def test_a_photo_culled_from_dest_stays_out_without_restore_missing(
    tmp_path: Path, corpus: Path
) -> None:
    """A periodic import of a card that keeps everything, its archive culled in between: the
    photo deleted from DEST is not placed again by the next import, which says so and how to
    get it back; with ``--restore-missing`` it comes back."""
    card, dest, culled = a_culled_archive(tmp_path, corpus)
    plain = (*PLAIN, "--report")
    shutil.copy2(corpus / "camera" / "Pentax_K10D.jpg", card / "DCIM" / "Pentax_K10D.jpg")
    code, out = imgorg("organize", str(card), str(dest), *plain, str(tmp_path / "2.jsonl"))
    assert code == 0
    assert "1 files an earlier run finished have no copy where it placed them" in out
    assert "left as done; --restore-missing places them again" in out
    assert not (dest / "2008" / "DCIM" / "Canon_40D.jpg").exists()
    assert set(photos_in(dest)) - set(culled) == {
        rel for rel in photos_in(dest) if rel.endswith("Pentax_K10D.jpg")
    }
    line = report_of(tmp_path / "2.jsonl")["DCIM/Canon_40D.jpg"]
    assert line["status"] == "placed"  # done by the first run, reported again as it was
    organize(card, dest, tmp_path / "3.jsonl")
    assert (dest / "2008" / "DCIM" / "Canon_40D.jpg").exists()
    assert imgorg("verify", str(dest))[0] == 0


def test_a_culled_photo_whose_card_copy_was_touched_stays_out_without_restore_missing(
    tmp_path: Path, corpus: Path
) -> None:
    """The card's files copied again without their times (a backup made with plain ``cp``):
    every photo is decided again, by its bytes. The one culled from DEST stays out without
    ``--restore-missing``, its report line saying why; with it, it goes back at its name."""
    card, dest, culled = a_culled_archive(tmp_path, corpus)
    plain = (*PLAIN, "--report")
    for photo in (card / "DCIM").iterdir():
        os.utime(photo)
    code, out = imgorg("organize", str(card), str(dest), *plain, str(tmp_path / "2.jsonl"))
    assert code == 0, out
    assert photos_in(dest) == culled
    line = report_of(tmp_path / "2.jsonl")["DCIM/Canon_40D.jpg"]
    assert "gone from DEST since: left out (--restore-missing places it again)" in line["note"]
    organize(card, dest, tmp_path / "3.jsonl")
    assert (dest / "2008" / "DCIM" / "Canon_40D.jpg").exists()
    assert imgorg("verify", str(dest))[0] == 0


def test_a_move_run_after_a_copy_run_moves_a_photo_culled_from_dest_in_again(
    tmp_path: Path, corpus: Path
) -> None:
    """A move run empties its SOURCE into DEST: a photo whose copy (from a copy run) is gone
    from DEST is moved in again, never left behind on a card about to be wiped as if placed."""
    card, dest, _ = a_culled_archive(tmp_path, corpus)
    photos = {
        name: (card / "DCIM" / name).read_bytes() for name in ("Canon_40D.jpg", "Nikon_D70.jpg")
    }
    code, out = imgorg(
        "organize", str(card), str(dest), "--jobs", "1", "--min-size", "0", "--mode", "move"
    )
    assert code == 0, out
    assert list((card / "DCIM").iterdir()) == []
    for name, data in photos.items():
        assert (dest / "2008" / "DCIM" / name).read_bytes() == data
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert {p.name: p.read_bytes() for p in (card / "DCIM").iterdir()} == photos
