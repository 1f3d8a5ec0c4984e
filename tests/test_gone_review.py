"""A review of the handling of copies gone from DEST (engine/store/dest_view.lost_copies,
``--restore-missing``) and of undo's folder changes: each test a run sequence that went wrong."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from test_undo_folders import MOVE, make_folders, old_card

from conftest import everything, imgorg, photos_in

PLAIN = ("--jobs", "1", "--min-size", "0")
XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/">{}</x:xmpmeta>'


def report_of(path: Path) -> dict[str, dict]:
    return {line["source"]: line for line in map(json.loads, path.read_text().splitlines())}


def organize(card: Path, dest: Path, report: Path, *flags: str) -> str:
    code, out = imgorg("organize", str(card), str(dest), *PLAIN, *flags, "--report", str(report))
    assert code == 0, out
    return out


def a_card_with_sidecars(card: Path, corpus: Path) -> None:
    (card / "DCIM").mkdir(parents=True)
    for name in ("Canon_40D", "Nikon_D70"):
        shutil.copy2(corpus / "camera" / f"{name}.jpg", card / "DCIM" / f"{name}.jpg")
        (card / "DCIM" / f"{name}.xmp").write_text(XMP.format(name))


def copied_again_without_times(card: Path) -> None:
    """The card's files as a plain ``cp`` of them leaves them: every one with a new time."""
    for folder, _, files in os.walk(card):
        for name in files:
            os.utime(os.path.join(folder, name))


def test_a_culled_photos_sidecar_stays_out_with_it_when_the_card_is_copied_again(
    tmp_path: Path, corpus: Path
) -> None:
    """A photo and its XMP culled from DEST, the card's files then touched (a backup made
    with plain ``cp``): every photo is decided again by its bytes. The culled photo was left
    out, but its sidecar went back alone at its name (``_own_name_free`` reclaimed it whatever
    ``--restore-missing`` said): DEST gained an orphan XMP of a photo the user deleted. A
    sidecar culled alone stays out too. With ``--restore-missing`` both come back."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    organize(card, dest, tmp_path / "1.jsonl")
    folder = dest / "2008" / "DCIM"
    for name in ("Canon_40D.jpg", "Canon_40D.xmp", "Nikon_D70.xmp"):
        (folder / name).unlink()
    culled = photos_in(dest)
    copied_again_without_times(card)

    out = organize(card, dest, tmp_path / "2.jsonl")
    assert photos_in(dest) == culled
    assert "3 files decided again (changed in SOURCE since, by their time)" in out, out
    report = report_of(tmp_path / "2.jsonl")
    for rel in ("DCIM/Canon_40D.jpg", "DCIM/Canon_40D.xmp", "DCIM/Nikon_D70.xmp"):
        assert report[rel]["status"] == "placed", report[rel]
        assert "left out (--restore-missing places it again)" in report[rel]["note"], report[rel]
    assert "missing: 2008/DCIM/Canon_40D.xmp" in imgorg("verify", str(dest))[1]

    organize(card, dest, tmp_path / "3.jsonl", "--restore-missing")
    assert sorted(p.name for p in folder.iterdir()) == [
        "Canon_40D.jpg",
        "Canon_40D.xmp",
        "Nikon_D70.jpg",
        "Nikon_D70.xmp",
    ]
    assert imgorg("verify", str(dest))[0] == 0


def test_a_copy_the_user_moved_within_dest_is_not_placed_again_beside_it(
    tmp_path: Path, corpus: Path
) -> None:
    """The user sorted DEST by hand: a photo and its XMP moved from 2008/DCIM to 2008/Holiday
    (the photo's name in another case on the way). ``--restore-missing`` placed both again at
    their old names: two copies in DEST. Now a copy is looked for by its name and size in the
    rest of DEST (only when one is missing) and confirmed by its bytes: found, it stands for
    its file, also when the card's files are decided again. A photo deleted from DEST comes
    back, and so does one moved and edited since (other bytes: not its copy)."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    shutil.copy2(corpus / "camera" / "Pentax_K10D.jpg", card / "DCIM" / "Pentax_K10D.jpg")
    organize(card, dest, tmp_path / "1.jsonl")
    placed = report_of(tmp_path / "1.jsonl")
    old, holiday = dest / "2008" / "DCIM", dest / "2008" / "Holiday"
    holiday.mkdir()
    (old / "Canon_40D.jpg").rename(holiday / "canon_40d.JPG")
    (old / "Canon_40D.xmp").rename(holiday / "Canon_40D.xmp")
    (old / "Nikon_D70.jpg").unlink()
    pentax = dest / placed["DCIM/Pentax_K10D.jpg"]["dest"]
    edited = holiday / pentax.name
    edited.write_bytes(pentax.read_bytes() + b"edited")
    pentax.unlink()
    sorted_by_hand = photos_in(dest)

    out = organize(card, dest, tmp_path / "2.jsonl", "--restore-missing")
    assert "2 copies an earlier run placed were found moved to another folder of DEST" in out
    assert "2 files an earlier run finished have no copy in DEST any more: decided again" in out
    assert set(photos_in(dest)) - set(sorted_by_hand) == {
        "2008/DCIM/Nikon_D70.jpg",
        placed["DCIM/Pentax_K10D.jpg"]["dest"],
    }
    assert not (old / "Canon_40D.jpg").exists() and not (old / "Canon_40D.xmp").exists()
    assert pentax.read_bytes() == (card / "DCIM" / "Pentax_K10D.jpg").read_bytes()

    copied_again_without_times(card)
    organize(card, dest, tmp_path / "3.jsonl", "--restore-missing")
    assert not (old / "Canon_40D.jpg").exists() and not (old / "Canon_40D.xmp").exists()
    report = report_of(tmp_path / "3.jsonl")
    assert report["DCIM/Canon_40D.jpg"]["note"] == (
        "already placed by an earlier run; its copy 2008/DCIM/Canon_40D.jpg is at "
        "2008/Holiday/canon_40d.JPG in DEST now (moved there)"
    )
    assert "is at 2008/Holiday/Canon_40D.xmp in DEST now" in report["DCIM/Canon_40D.xmp"]["note"]
    assert imgorg("undo", str(dest))[0] == 0  # run 2's copies, none of the user's files
    assert photos_in(dest) == sorted_by_hand


def test_undo_gives_no_old_time_to_a_source_folder_whose_file_stays_in_dest(
    tmp_path: Path, corpus: Path
) -> None:
    """Undo of a move run leaves in DEST a copy edited since (the user's now): the card folder
    it came from no longer holds what it held before the run. Undo gave it its time from before
    the run all the same, so a backup or sync tool trusting folder times saw it unchanged,
    photo and all. Now only the folders that got every file back get their old times."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    make_folders(card)
    old_card(card, corpus)
    before = everything(card)
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    moved_out = everything(card)["DCIM/100CANON"]
    report = photos_in(dest)
    edited = dest / next(rel for rel in report if rel.endswith("IMG_1.jpg"))
    edited.write_bytes(edited.read_bytes() + b"edited")
    code, out = imgorg("undo", str(dest))
    assert code == 1 and "changed since the run wrote it" in out, out
    after = everything(card)
    assert "DCIM/100CANON/IMG_1.jpg" not in after and "DCIM/100CANON/IMG_2.jpg" in after
    assert after["DCIM/100CANON"][2] != before["DCIM/100CANON"][2]
    assert after["DCIM/100CANON"][2] >= moved_out[2]
    for folder in (".", "DCIM", "Holiday", "Holiday/Day 1"):
        assert after[folder] == before[folder], folder


def test_a_move_run_says_how_many_photos_culled_from_dest_it_placed_again(
    tmp_path: Path, corpus: Path
) -> None:
    """A card copied, a photo culled from DEST, then the card moved into DEST: the move run
    takes every file out of SOURCE, so the culled photo goes back at its name (before and now);
    the run said nothing of it, only its report line did, while a copy run says how many culled
    photos it left out. Now it says how many it placed again, and how to get them back."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    organize(card, dest, tmp_path / "1.jsonl")
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()
    out = organize(card, dest, tmp_path / "2.jsonl", "--mode", "move")
    assert (
        "1 files an earlier run copied to DEST, whose copy is gone from DEST since (deleted or "
        "lost there), were placed there again" in out
    ), out
    assert photos_in(card) == {}
    assert (dest / "2008" / "DCIM" / "Canon_40D.jpg").exists()
    assert imgorg("undo", str(dest))[0] == 0
    assert sorted(photos_in(card)) == [
        "DCIM/Canon_40D.jpg",
        "DCIM/Canon_40D.xmp",
        "DCIM/Nikon_D70.jpg",
        "DCIM/Nikon_D70.xmp",
    ]
    assert not (dest / "2008" / "DCIM" / "Canon_40D.jpg").exists()


def test_a_card_imported_again_after_undo_is_placed_again(tmp_path: Path, corpus: Path) -> None:
    """Copy, cull a photo, import the card again after a plain ``cp`` of it (its photos decided
    again: "already placed by an earlier run", the culled one left out), then undo: undo takes
    back the first run (the second changed nothing) and DEST is empty. Importing the card once
    more placed nothing: the second run's rows still said "already placed", for copies undo had
    removed ("2 files were already done by an earlier run"). Now undo marks undone the verdicts
    of the runs it passes over that stood on the copies it removes: the import places both."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    organize(card, dest, tmp_path / "1.jsonl")
    first = photos_in(dest)
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()
    copied_again_without_times(card)
    organize(card, dest, tmp_path / "2.jsonl")
    code, out = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 1:" in out, out
    assert photos_in(dest) == {}

    out = organize(card, dest, tmp_path / "3.jsonl")
    assert "already done" not in out and "no copy in DEST" not in out, out
    assert {rel: d for rel, (d, _) in photos_in(dest).items()} == {
        rel: d for rel, (d, _) in first.items()
    }
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(dest) == {}


def test_a_backup_of_the_card_imported_after_the_cards_undo_is_placed(
    tmp_path: Path, corpus: Path
) -> None:
    """A card and its backup folder imported one after the other (the backup's photos all
    duplicates of the card's copies), then the card's import undone. Importing the backup again
    placed nothing ("already done": duplicates of copies undo had removed), DEST left empty."""
    card, backup, dest = tmp_path / "card", tmp_path / "backup", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    shutil.copytree(card, backup)
    organize(card, dest, tmp_path / "1.jsonl")
    organize(backup, dest, tmp_path / "2.jsonl")
    assert {line["status"] for line in report_of(tmp_path / "2.jsonl").values()} == {"duplicate"}
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(dest) == {}

    organize(backup, dest, tmp_path / "3.jsonl")
    assert sorted(photos_in(dest)) == [
        "2008/DCIM/Canon_40D.jpg",
        "2008/DCIM/Canon_40D.xmp",
        "2008/DCIM/Nikon_D70.jpg",
        "2008/DCIM/Nikon_D70.xmp",
    ]
    assert imgorg("verify", str(dest))[0] == 0


def test_a_folder_renamed_in_dest_in_another_case_still_holds_its_copies(
    tmp_path: Path, corpus: Path
) -> None:
    """The user renamed ``2008/DCIM`` to ``2008/dcim`` (the same folder to a Mac or a Windows
    share). Every copy in it counted as gone: the next import said so of each ("no copy in DEST
    any more"), and with ``--restore-missing`` a card decided again (copied without its times)
    placed the whole folder again as ``2008/DCIM`` beside it. The copies are there."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    organize(card, dest, tmp_path / "1.jsonl")
    (dest / "2008" / "DCIM").rename(dest / "2008" / "dcim")
    renamed = photos_in(dest)

    out = organize(card, dest, tmp_path / "2.jsonl")
    assert "no copy in DEST" not in out and "4 files were already done" in out, out
    copied_again_without_times(card)
    out = organize(card, dest, tmp_path / "3.jsonl", "--restore-missing")
    assert "no copy in DEST" not in out, out
    assert photos_in(dest) == renamed
    notes = {line["note"] for line in report_of(tmp_path / "3.jsonl").values()}
    assert notes == {"already placed by an earlier run"}, notes


def test_a_sidecar_edited_in_dest_is_its_copy_when_the_card_is_decided_again(
    tmp_path: Path, corpus: Path
) -> None:
    """Lightroom wrote a rating into a placed XMP in DEST; the card's files were then copied
    without their times, so the next import decided them again. The photo was "already placed",
    but its sidecar ended in error ("its name ... is taken", exit 1): the name the journal holds
    for that very file holds the user's edit of it. It is that file's copy."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    organize(card, dest, tmp_path / "1.jsonl")
    xmp = dest / "2008" / "DCIM" / "Canon_40D.xmp"
    xmp.write_text(xmp.read_text() + "<!-- xmp:Rating 5 -->")
    edited = photos_in(dest)
    copied_again_without_times(card)

    organize(card, dest, tmp_path / "2.jsonl")
    line = report_of(tmp_path / "2.jsonl")["DCIM/Canon_40D.xmp"]
    assert line["status"] == "placed" and line["note"] == "already placed by an earlier run", line
    assert line["dest"] == "2008/DCIM/Canon_40D.xmp"
    assert photos_in(dest) == edited
