"""Move mode, interrupted and resumed runs, re-runs over a SOURCE that changed, and undo and
verify after them: where a photo could be lost or stranded (left in DEST with no record, or
put back over the user's own later file)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ENV, imgorg, needs_strace, photos_in, run_killed_at

MOVE = ("--mode", "move", "--jobs", "1", "--min-size", "0", "--quiet")


def killed_at(syscall: str, k: int, *args: str) -> None:
    """Run ``imgorg ARGS`` under strace, SIGKILLed on entry to its k-th ``syscall``."""
    run_killed_at(syscall, k, [sys.executable, "-m", "engine", *args], ENV)


def two_camera_photos(src: Path, corpus: Path) -> None:
    (src / "a").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", src / "a" / "p1.jpg")  # 2008
    shutil.copy2(corpus / "camera" / "Kodak_CX7530.jpg", src / "a" / "p2.jpg")  # 2005


@needs_strace
def test_a_moved_photo_edited_in_dest_before_the_resume_is_still_journaled(
    tmp_path: Path, corpus: Path
) -> None:
    """Killed after its renames, before the journal said done; the user then edits a placed
    photo in DEST (an editor rotates it). The rename took it out of SOURCE, so DEST holds the
    only copy: the resume must keep its record, verify must call it changed and undo must
    list it as left alone, never report SOURCE whole while the photo sits untracked in DEST."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    two_camera_photos(src, corpus)
    before = photos_in(src)
    killed_at("syncfs", 2, "organize", str(src), str(dest), *MOVE)  # the sync after the renames
    edited = dest / "2008" / "a" / "p1.jpg"
    assert edited.exists() and not (src / "a" / "p1.jpg").exists()
    with open(edited, "ab") as handle:
        handle.write(b"an editor's trailer")
    assert imgorg("organize", str(src), str(dest), *MOVE)[0] == 0
    code, out = imgorg("verify", str(dest))
    assert code == 1 and "2008/a/p1.jpg" in out
    code, out = imgorg("undo", str(dest))
    assert code == 1 and "2008/a/p1.jpg: changed since the run wrote it" in out
    assert photos_in(src) == {"a/p2.jpg": before["a/p2.jpg"]}
    assert edited.exists()


@needs_strace
def test_undo_of_a_resumed_run_gives_source_the_users_edit_not_an_older_placed_version(
    tmp_path: Path, corpus: Path
) -> None:
    """A photo turned upright is placed, and the run is killed before its original is kept
    below DEST. The user then edits that photo in SOURCE; the resume places the edit beside
    the first (``p_1.jpg``) and keeps its original. Undo of both runs must give SOURCE the
    user's edit, as it was before the resume, and leave the older placed version in DEST,
    named: undoing the earlier run first put that older version (turned, re-encoded) in the
    source's place and stranded the user's edit in DEST/.imgorg/originals."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "a").mkdir(parents=True)
    photo = src / "a" / "p.jpg"
    shutil.copy2(corpus / "phone" / "Samsung GT-I9000 (Galaxy S).jpg", photo)  # Orientation 6
    # the second no-replace rename keeps the original below DEST: killed on entry to it
    killed_at("renameat2", 2, "organize", str(src), str(dest), *MOVE)
    assert (dest / "2011" / "a" / "p.jpg").exists() and photo.exists()
    with open(photo, "ab") as handle:
        handle.write(b"the user's edit")
    edited = photos_in(src)
    assert imgorg("organize", str(src), str(dest), *MOVE)[0] == 0
    assert (dest / "2011" / "a" / "p_1.jpg").exists() and not photo.exists()
    assert imgorg("verify", str(dest))[0] == 0
    code, out = imgorg("undo", str(dest))
    assert code == 1 and "2011/a/p.jpg: its source path holds other bytes now" in out
    assert photos_in(src) == edited
    assert set(photos_in(dest)) == {"2011/a/p.jpg"}


def twelve_camera_photos(src: Path, corpus: Path) -> None:
    photos = sorted(p for p in (corpus / "camera").iterdir() if p.suffix == ".jpg")[:12]
    for i, photo in enumerate(photos):
        (src / f"roll{i % 3}").mkdir(parents=True, exist_ok=True)
        shutil.copy2(photo, src / f"roll{i % 3}" / photo.name)


@needs_strace
def test_a_move_killed_through_a_symlink_and_resumed_by_the_real_path_is_undone_whole(
    tmp_path: Path, corpus: Path
) -> None:
    """The card is mounted at a path reached through a symbolic link (``/mnt/card`` ->
    ``/media/user/CARD``); a move started with one spelling is killed after three renames and
    resumed with the other. Both runs are one SOURCE: the resume takes the killed run's files
    as done, and undo puts back every photo, not only those the resume moved."""
    card, link, dest = tmp_path / "CARD", tmp_path / "card-link", tmp_path / "dest"
    twelve_camera_photos(card, corpus)
    link.symlink_to(card)
    before = photos_in(card)
    killed_at("renameat2", 4, "organize", str(link), str(dest), *MOVE)
    assert len(photos_in(card)) == 9
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert photos_in(card) == {}
    assert imgorg("verify", str(dest))[0] == 0
    code, out = imgorg("undo", str(dest))
    assert code == 0, out
    assert photos_in(card) == before
    assert photos_in(dest) == {}


def test_move_after_a_copy_run_takes_the_copied_files_out_of_source(
    tmp_path: Path, organize, corpus: Path
) -> None:  # type: ignore[no-untyped-def]
    """A user copies a card first, looks at DEST, then runs the same command with --mode move
    to empty the card: the move run said every file was placed and exited 0, yet left every
    one on the card."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    twelve_camera_photos(card, corpus)
    before = photos_in(card)
    assert organize(card, dest, "--min-size", "0")[0] == 0
    code, report = organize(card, dest, "--mode", "move", "--min-size", "0")
    assert code == 0 and {line["status"] for line in report} == {"placed"}
    assert photos_in(card) == {}
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before


def test_a_sidecar_written_after_its_photo_was_moved_follows_it(
    tmp_path: Path, organize, corpus: Path
) -> None:  # type: ignore[no-untyped-def]
    """Lightroom writes IMG_4001.xmp beside a photo after a move run took the photo into DEST;
    the next move run left the XMP in SOURCE as 'sidecar without its photo', exit 0."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "2008").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", src / "2008" / "IMG_4001.JPG")
    assert organize(src, dest, "--mode", "move")[0] == 0
    (src / "2008" / "IMG_4001.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    assert organize(src, dest, "--mode", "move")[0] == 0
    assert photos_in(src) == {}
    assert (dest / "2008" / "2008" / "IMG_4001.xmp").exists()


def two_cards_moved_into_one_dest(
    tmp_path: Path, corpus: Path
) -> tuple[Path, Path, Path, dict, dict]:
    card1, card2, dest = tmp_path / "CARD1", tmp_path / "CARD2", tmp_path / "dest"
    for card, names in ((card1, ["Canon_40D", "Kodak_CX7530"]), (card2, ["Nikon_D70"])):
        (card / "DCIM").mkdir(parents=True)
        for name in names:
            shutil.copy2(corpus / "camera" / f"{name}.jpg", card / "DCIM" / f"{name}.jpg")
    before1, before2 = photos_in(card1), photos_in(card2)
    for card in (card1, card2):
        assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    return card1, card2, dest, before1, before2


def test_undo_with_its_source_unmounted_leaves_it_and_the_next_undo_finishes_that_run(
    tmp_path: Path, corpus: Path
) -> None:
    """Two cards moved into one DEST; undo is run while the second card is not mounted. It
    must not make the card's folder again on the host's disk, and once the card is back the
    next undo must finish that run: it used to mark the run undone with its photos still in
    DEST, and the next undo reversed the first card's run instead, stranding the second's."""
    card1, card2, dest, before1, before2 = two_cards_moved_into_one_dest(tmp_path, corpus)
    unplugged = tmp_path / "unplugged"
    card2.rename(unplugged)
    code, out = imgorg("undo", str(dest))
    assert code == 1 and "2008/DCIM/Nikon_D70.jpg: its SOURCE" in out and "not there" in out
    assert not card2.exists()
    unplugged.rename(card2)
    code, out = imgorg("undo", str(dest))
    assert code == 0 and out.startswith("undo of run 2:"), out
    assert photos_in(card2) == before2 and photos_in(card1) == {}
    code, out = imgorg("undo", str(dest))
    assert code == 0 and out.startswith("undo of run 1:"), out
    assert photos_in(card1) == before1 and photos_in(dest) == {}


def test_an_undo_retried_without_progress_gives_up_and_the_next_takes_the_run_before(
    tmp_path: Path, corpus: Path
) -> None:
    """The second card never comes back: the retry says it gives up on that run, its photo
    stays in DEST (verify still finds it), and the undo after it reverses the first card's."""
    card1, card2, dest, before1, _ = two_cards_moved_into_one_dest(tmp_path, corpus)
    card2.rename(tmp_path / "lost")
    assert imgorg("undo", str(dest))[0] == 1
    code, out = imgorg("undo", str(dest))
    assert code == 1 and "nothing more of run 2 could be undone" in out
    assert imgorg("verify", str(dest))[0] == 0
    code, out = imgorg("undo", str(dest))
    assert code == 0 and out.startswith("undo of run 1:"), out
    assert photos_in(card1) == before1
    assert set(photos_in(dest)) == {"2008/DCIM/Nikon_D70.jpg"}


def lightroom_pair(src: Path, corpus: Path) -> None:
    """A Lightroom folder: a JPEG, its RAW and its XMP sidecar."""
    folder = src / "Lightroom"
    folder.mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", folder / "IMG_4001.JPG")  # 2008
    (folder / "IMG_4001.CR2").write_bytes(b"II*\x00\x10\x00\x00\x00CR\x02\x00" + bytes(3000))
    (folder / "IMG_4001.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')


@needs_strace
@pytest.mark.parametrize("across", [False, True], ids=["one-filesystem", "across-filesystems"])
@pytest.mark.parametrize("renames_done", [1, 2])
def test_a_move_killed_between_a_photo_and_its_companions_keeps_the_family_together(
    tmp_path: Path, corpus: Path, renames_done: int, across: bool
) -> None:
    """A move puts a photo in place, then its RAW, then its XMP (renamed on one filesystem;
    across two, copies renamed in, the sources removed once journaled). Killed after the photo
    (or the photo and the RAW), the resume found the rest of the family in SOURCE without its
    photo: the XMP was left there as 'sidecar without its photo' (exit 0, SOURCE not empty),
    or the RAW went to NoDate/ on its own. The resume places the rest where the killed run
    planned: every file beside the photo, SOURCE empty, and undo gives it all back."""
    from test_safety import mount_tmpfs

    src = tmp_path / "src"
    dest = mount_tmpfs(tmp_path / "other", "16m") / "dest" if across else tmp_path / "dest"
    try:
        lightroom_pair(src, corpus)
        before = photos_in(src)
        killed_at("renameat2", renames_done + 1, "organize", str(src), str(dest), *MOVE)
        placed = [rel for rel in photos_in(dest) if ".imgorg-tmp" not in rel]
        assert len(placed) == renames_done
        assert imgorg("organize", str(src), str(dest), *MOVE)[0] == 0
        assert photos_in(src) == {}
        assert set(photos_in(dest)) == {
            "2008/Lightroom/IMG_4001.JPG",
            "2008/Lightroom/IMG_4001.CR2",
            "2008/Lightroom/IMG_4001.xmp",
        }
        assert imgorg("verify", str(dest))[0] == 0
        assert imgorg("undo", str(dest))[0] == 0
        assert photos_in(src) == before
    finally:
        if across:
            subprocess.run(["umount", "-l", str(tmp_path / "other")], check=False)


@needs_strace
def test_a_similar_run_killed_after_the_original_still_dates_its_copy_on_resume(
    tmp_path: Path, corpus: Path
) -> None:
    """``organize --similar --mode move``: the camera original is placed at once, its WhatsApp
    copy (a file-name date, 2019) is held until the run knows every photo's date. Killed in
    between, the resume found the original done but not its signature (kept only at the end
    of a run), so the copy went to 2019 instead of its original's 2008. The signatures go to
    the journal with the files they belong to."""
    pytest.importorskip("faiss")
    from PIL import Image

    from conftest import read_report

    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "WhatsApp").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "DSCN0010.jpg", src / "DSCN0010.jpg")  # 2008
    with Image.open(corpus / "camera" / "DSCN0010.jpg") as im:
        im.convert("RGB").resize((400, 300)).save(src / "WhatsApp/IMG-20190707-WA0003.jpg")
    similar = (*MOVE, "--similar")
    killed_at("renameat2", 2, "organize", str(src), str(dest), *similar)  # the copy's rename
    assert set(photos_in(dest)) == {"2008/DSCN0010.jpg"}
    report = tmp_path / "resume.jsonl"
    assert imgorg("organize", str(src), str(dest), *similar, "--report", str(report))[0] == 0
    copy = {line["source"]: line for line in read_report(report)}[
        "WhatsApp/IMG-20190707-WA0003.jpg"
    ]
    assert copy["dest"] == "2008/WhatsApp/IMG-20190707-WA0003.jpg", copy
    assert copy["date_source"] == "similar" and copy["similar_to"] == "DSCN0010.jpg"


def test_a_source_still_locked_on_the_rerun_is_reported_again(tmp_path: Path, corpus: Path) -> None:
    """A move across filesystems places a photo from a locked folder but cannot remove its
    source: the run says so (exit 1). The same command again, the folder still locked, tried
    again in silence and exited 0, as if SOURCE were empty now; it must say so again."""
    from test_safety import mount_tmpfs

    src = tmp_path / "src"
    dest = mount_tmpfs(tmp_path / "other", "16m") / "dest"
    locked = src / "locked"
    locked.mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", locked / "a.jpg")
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(tmp_path / "other")], check=False)
        pytest.skip("chattr +i is not available here")
    try:
        code, out = imgorg("organize", str(src), str(dest), *MOVE[:-1])
        assert code == 1 and "1 moved files are still in SOURCE" in out
        code, out = imgorg("organize", str(src), str(dest), *MOVE[:-1])
        assert code == 1 and "1 moved files are still in SOURCE" in out, out
        assert (dest / "error_log.log").read_text().count("\t'locked/a.jpg'\t") == 2
        subprocess.run(["chattr", "-i", str(locked)], check=True)
        assert imgorg("organize", str(src), str(dest), *MOVE)[0] == 0
        assert photos_in(src) == {}
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=False)
        subprocess.run(["umount", "-l", str(tmp_path / "other")], check=False)


def test_a_move_run_after_a_copy_run_says_it_took_the_copied_files_out_of_source(
    tmp_path: Path, corpus: Path
) -> None:
    """The move run after a copy run says what it did with the files the copy run placed: taken
    out of SOURCE once their copies were checked, each report line naming its copy; a
    re-run then finds them done."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    twelve_camera_photos(card, corpus)
    report = tmp_path / "move.jsonl"
    assert imgorg("organize", str(card), str(dest), "--min-size", "0", "--quiet")[0] == 0
    code, out = imgorg(
        "organize", str(card), str(dest), "--min-size", "0", "--mode", "move",
        "--report", str(report),
    )  # fmt: skip
    assert code == 0, out
    assert "12 files already in DEST (copied there by an earlier run" in out
    assert "were taken out of SOURCE" in out
    assert "left their sources" not in out
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(lines) == 12 and {line["status"] for line in lines} == {"placed"}
    for line in lines:
        assert line["note"] == (
            f"released by this run: its copy in DEST is {line['dest']} (placed by run 1)"
        )
        assert (dest / line["dest"]).is_file()
    assert photos_in(card) == {}
    code, out = imgorg("organize", str(card), str(dest), "--min-size", "0", "--mode", "move")
    assert code == 0 and "taken out of SOURCE" not in out and "left their sources" not in out
