"""A move run after a copy run: the sources whose copy the copy run placed are released (taken
out of SOURCE) only once that copy is checked to hold their bytes; anything changed on either
side since is placed or reported, never lost; a kill during the release resumes; undo puts them
back. And sidecars that appear beside a photo an earlier run placed follow it into DEST."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import ENV, ROOT, imgorg, needs_strace, photos_in, run_killed_at

FLAGS = ("--jobs", "1", "--min-size", "0", "--quiet")
MOVE = ("--mode", "move", *FLAGS)


def report_of(path: Path) -> dict[str, dict]:
    return {line["source"]: line for line in map(json.loads, path.read_text().splitlines())}


def a_card(card: Path, corpus: Path) -> None:
    """Three camera photos in one DCIM folder, as a card holds them."""
    (card / "DCIM").mkdir(parents=True)
    for name in ("Canon_40D", "Kodak_CX7530", "Nikon_D70"):
        shutil.copy2(corpus / "camera" / f"{name}.jpg", card / "DCIM" / f"{name}.jpg")


def copied_then_moved(
    tmp_path: Path, corpus: Path, between: Callable[[Path, Path], None] | None = None
) -> tuple[Path, Path, dict, int, dict[str, dict]]:
    """Copy a card into DEST, let ``between`` change things, then move the card: the card,
    DEST, the card before the copy run, the move run's exit code and its report by source."""
    card, dest, report = tmp_path / "card", tmp_path / "dest", tmp_path / "move.jsonl"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    if between is not None:
        between(card, dest)
    code = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))[0]
    return card, dest, before, code, report_of(report)


def test_a_photo_edited_on_the_card_since_the_copy_run_is_placed_anew(
    tmp_path: Path, corpus: Path
) -> None:
    """One photo's bytes change on the card after the copy run, its size and mtime kept (an
    in-place edit whose tool reset the time): the copy in DEST is no longer that file's copy.
    The move run places the edited photo anew beside the old copy, which stays; undo gives
    the card the edited photo back."""
    edited = b""

    def edit(card: Path, dest: Path) -> None:
        nonlocal edited
        path = card / "DCIM" / "Canon_40D.jpg"
        st = path.stat()
        data = path.read_bytes()
        edited = data.replace(b"Canon", b"Danon", 1)
        assert edited != data
        path.write_bytes(edited)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    card, dest, before, code, report = copied_then_moved(tmp_path, corpus, edit)
    assert code == 0
    line = report["DCIM/Canon_40D.jpg"]
    assert line["status"] == "placed" and line["dest"] == "2008/DCIM/Canon_40D_1.jpg"
    assert (dest / line["dest"]).read_bytes() == edited
    old_copy = dest / "2008" / "DCIM" / "Canon_40D.jpg"
    assert old_copy.read_bytes() == (corpus / "camera" / "Canon_40D.jpg").read_bytes()
    assert report["DCIM/Nikon_D70.jpg"]["note"].startswith("released by this run")
    assert photos_in(card) == {}
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    restored = photos_in(card)
    assert (card / "DCIM" / "Canon_40D.jpg").read_bytes() == edited
    assert {rel: d for rel, d in restored.items() if "Canon" not in rel} == {
        rel: d for rel, d in before.items() if "Canon" not in rel
    }
    assert old_copy.exists() and not (dest / line["dest"]).exists()


def _deleted(card: Path, dest: Path) -> None:
    (dest / "2008" / "DCIM" / "Canon_40D.jpg").unlink()


def _replaced(card: Path, dest: Path) -> None:
    """The user saved another picture over the copy (another size)."""
    target = dest / "2008" / "DCIM" / "Canon_40D.jpg"
    target.unlink()
    shutil.copyfile(ROOT / ".." / "shared" / "corpus" / "camera" / "Nikon_D70.jpg", target)


def _retouched(card: Path, dest: Path) -> None:
    """The copy's bytes changed, its size and mtime kept: only its bytes tell."""
    target = dest / "2008" / "DCIM" / "Canon_40D.jpg"
    st = target.stat()
    target.write_bytes(target.read_bytes().replace(b"Canon", b"Danon", 1))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_copy_deleted_in_dest_is_placed_there_again(tmp_path: Path, corpus: Path) -> None:
    card, dest, before, code, report = copied_then_moved(tmp_path, corpus, _deleted)
    assert code == 0
    line = report["DCIM/Canon_40D.jpg"]
    assert line["dest"] == "2008/DCIM/Canon_40D.jpg" and "placed there again" in line["note"]
    assert photos_in(card) == {}
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before


def test_a_copy_replaced_in_dest_is_left_to_the_user_and_the_photo_placed_anew(
    tmp_path: Path, corpus: Path
) -> None:
    card, dest, before, code, report = copied_then_moved(tmp_path, corpus, _replaced)
    assert code == 0
    line = report["DCIM/Canon_40D.jpg"]
    assert line["dest"] == "2008/DCIM/Canon_40D_1.jpg" and "placed anew" in line["note"]
    theirs = dest / "2008" / "DCIM" / "Canon_40D.jpg"
    assert theirs.read_bytes() == (corpus / "camera" / "Nikon_D70.jpg").read_bytes()
    assert photos_in(card) == {}
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before
    assert theirs.exists()  # the user's file, whatever the journal says was there


def test_a_copy_retouched_in_dest_keeps_its_source_and_says_why(
    tmp_path: Path, corpus: Path
) -> None:
    """Same size and mtime: the coordinator cannot tell, the placer's re-hash of DEST's copy
    can. The source stays, the run says so (exit 1), and the next move run does the same."""
    card, dest, before, code, report = copied_then_moved(tmp_path, corpus, _retouched)
    assert code == 1
    line = report["DCIM/Canon_40D.jpg"]
    assert line["status"] == "placed" and line["note"].startswith("not released")
    assert "no longer holds the bytes placed" in line["note"]
    assert photos_in(card) == {"DCIM/Canon_40D.jpg": before["DCIM/Canon_40D.jpg"]}
    assert "its source stays in SOURCE" in (dest / "error_log.log").read_text()
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 1
    assert (card / "DCIM" / "Canon_40D.jpg").exists()
    assert imgorg("undo", str(dest))[0] == 0  # the run before: the two released photos
    assert photos_in(card) == before


@needs_strace
@pytest.mark.parametrize("k", [2, 3, 4])  # the first unlink is DEST's write probe
def test_a_move_killed_while_releasing_resumes_and_undoes(
    tmp_path: Path, corpus: Path, k: int
) -> None:
    """Killed on entry to the k-th unlink of the move run (of the sources it releases): every
    photo is still on the card or in DEST; the same command resumes and empties the card;
    verify passes; undo brings the card back byte for byte, mtimes kept; undoing the copy
    run after that leaves DEST without the photos and the card whole."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    argv = [sys.executable, "-m", "engine", "organize", str(card), str(dest), *MOVE]
    run_killed_at("unlink", k, argv, ENV)
    left = photos_in(card)
    assert len(left) == 5 - k
    for digest in before.values():  # each photo's bytes still in DEST, whatever happened
        assert digest[0] in {d[0] for d in photos_in(dest).values()}
    code, out = imgorg("organize", str(card), str(dest), *MOVE)
    assert code == 0, out
    assert photos_in(card) == {}
    assert imgorg("verify", str(dest))[0] == 0
    code, out = imgorg("undo", str(dest))
    assert code == 0, out
    assert photos_in(card) == before
    assert len(photos_in(dest)) == 3  # the copy run's copies stay
    code, out = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 1" in out, out
    assert photos_in(card) == before and photos_in(dest) == {}


def phone_card(card: Path, corpus: Path) -> None:
    card.mkdir()
    shutil.copy2(corpus / "phone" / "jolla.jpg", card / "jolla.jpg")


@contextlib.contextmanager
def dest_on(tmp_path: Path, across: bool) -> Iterator[Path]:
    """DEST beside SOURCE, or on a filesystem of its own (a small tmpfs)."""
    if not across:
        yield tmp_path / "dest"
        return
    from test_safety import mount_tmpfs

    other = mount_tmpfs(tmp_path / "other", "64m")
    try:
        yield other / "dest"
    finally:
        subprocess.run(["umount", "-l", str(other)], check=False)


@pytest.mark.parametrize("across", [False, True], ids=["one-filesystem", "across-filesystems"])
def test_a_compressed_copy_is_released_only_for_the_bytes_it_was_made_from(
    tmp_path: Path, corpus: Path, across: bool
) -> None:
    """The copy run rewrote a JPEG smaller (``--compress-above``): DEST's file is not the
    source's bytes, but the journal ties it to them, so the move run (without the flag)
    releases the source, keeping its bytes below DEST for undo (renamed there, or across
    filesystems copied and verified); verify checks both; undo puts the original back byte
    for byte and leaves the copy run's file."""
    with dest_on(tmp_path, across) as dest:
        _compressed_copy_then_move(tmp_path, dest, corpus)


def _compressed_copy_then_move(tmp_path: Path, dest: Path, corpus: Path) -> None:
    card, report = tmp_path / "card", tmp_path / "move.jsonl"
    phone_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS, "--compress-above", "50KB")[0] == 0
    (placed,) = photos_in(dest)
    assert photos_in(dest)[placed][0] != before["jolla.jpg"][0]  # rewritten smaller
    code, out = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    line = report_of(report)["jolla.jpg"]
    assert line["dest"] == placed and line["note"].startswith("released by this run")
    assert photos_in(card) == {}
    kept = list((dest / ".imgorg" / "originals").rglob("jolla.jpg"))
    assert len(kept) == 1 and kept[0].read_bytes() == (corpus / "phone" / "jolla.jpg").read_bytes()
    code, out = imgorg("verify", str(dest))
    assert code == 0 and "0 missing, 0 changed" in out, out
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before
    assert list(photos_in(dest)) == [placed]


def test_a_compressed_copy_of_other_bytes_does_not_release_the_source(
    tmp_path: Path, corpus: Path
) -> None:
    """The card's file was changed after the compressed copy run (an edit that kept size and
    time): the journal ties DEST's rewritten file to the old bytes, so nothing is released
    as if copied; the edited file is placed anew."""
    card, dest, report = tmp_path / "card", tmp_path / "dest", tmp_path / "move.jsonl"
    phone_card(card, corpus)
    assert imgorg("organize", str(card), str(dest), *FLAGS, "--compress-above", "50KB")[0] == 0
    (placed,) = photos_in(dest)
    source = card / "jolla.jpg"
    st = source.stat()
    data = source.read_bytes()
    at = data.index(b"\xff\xd9") - 100  # a byte of the picture itself
    edited = data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
    source.write_bytes(edited)
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, out = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    line = report_of(report)["jolla.jpg"]
    assert line["dest"] != placed and "released" not in (line["note"] or "")
    assert not (dest / ".imgorg" / "originals").exists()
    assert photos_in(card) == {}
    assert imgorg("undo", str(dest))[0] == 0
    assert source.read_bytes() == edited


def lightroom_photo(src: Path, corpus: Path) -> Path:
    (src / "2008").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", src / "2008" / "IMG_4001.JPG")
    return src / "2008" / "IMG_4001.xmp"


XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def test_a_sidecar_that_follows_its_moved_photo_is_undone_with_its_run(
    tmp_path: Path, corpus: Path
) -> None:
    src, dest, report = tmp_path / "src", tmp_path / "dest", tmp_path / "r.jsonl"
    sidecar = lightroom_photo(src, corpus)
    assert imgorg("organize", str(src), str(dest), *MOVE)[0] == 0
    sidecar.write_text(XMP)
    before = photos_in(src)
    code, out = imgorg("organize", str(src), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    line = report_of(report)["2008/IMG_4001.xmp"]
    assert line["status"] == "placed" and line["companion_of"] == "2008/IMG_4001.JPG"
    assert line["dest"] == "2008/2008/IMG_4001.xmp" and "follows it" in line["note"]
    assert photos_in(src) == {}
    assert imgorg("verify", str(dest))[0] == 0
    code, out = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 2" in out, out
    assert photos_in(src) == before
    assert (dest / "2008" / "2008" / "IMG_4001.JPG").exists()


def test_a_sidecar_follows_its_photo_in_copy_mode_never_over_a_file_of_that_name(
    tmp_path: Path, corpus: Path
) -> None:
    """Copy mode too; where DEST already holds a file of the sidecar's name (the user's own),
    the sidecar takes a suffix, as any name does."""
    src, dest, report = tmp_path / "src", tmp_path / "dest", tmp_path / "r.jsonl"
    sidecar = lightroom_photo(src, corpus)
    assert imgorg("organize", str(src), str(dest), *MOVE)[0] == 0
    sidecar.write_text(XMP)
    theirs = dest / "2008" / "2008" / "IMG_4001.xmp"
    theirs.write_text("the user's own notes")
    code, out = imgorg("organize", str(src), str(dest), *FLAGS, "--report", str(report))
    assert code == 0, out
    line = report_of(report)["2008/IMG_4001.xmp"]
    assert line["dest"] == "2008/2008/IMG_4001_1.xmp"
    assert (dest / line["dest"]).read_text() == XMP and sidecar.read_text() == XMP
    assert theirs.read_text() == "the user's own notes"
    code, out = imgorg("organize", str(src), str(dest), *FLAGS)  # done: nothing more
    assert code == 0 and not (dest / "2008" / "2008" / "IMG_4001_2.xmp").exists()


def test_a_sidecar_placed_by_a_copy_run_is_released_by_the_move_run(
    tmp_path: Path, corpus: Path
) -> None:
    """A sidecar that followed its photo in a copy run is released like any copied file."""
    src, dest, report = tmp_path / "src", tmp_path / "dest", tmp_path / "r.jsonl"
    sidecar = lightroom_photo(src, corpus)
    assert imgorg("organize", str(src), str(dest), *MOVE)[0] == 0
    sidecar.write_text(XMP)
    before = photos_in(src)
    assert imgorg("organize", str(src), str(dest), *FLAGS)[0] == 0
    code, out = imgorg("organize", str(src), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    assert report_of(report)["2008/IMG_4001.xmp"]["note"].startswith("released by this run")
    assert photos_in(src) == {}
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(src) == before


@pytest.mark.parametrize("across", [False, True], ids=["one-filesystem", "across-filesystems"])
def test_a_copy_runs_duplicate_is_set_aside_by_the_move_run_and_dest_counts_each_photo_once(
    tmp_path: Path, corpus: Path, across: bool
) -> None:
    """The copy run found a second copy of a photo on the card and wrote nothing for it; the
    move run that empties the card sets it aside in Duplicates/ as a move run does. What DEST
    holds (the journal's standing files, which the HTML report counts) names each released
    photo once: by the copy run's file."""
    with dest_on(tmp_path, across) as dest:
        _duplicate_set_aside(tmp_path, dest, corpus)


def _duplicate_set_aside(tmp_path: Path, dest: Path, corpus: Path) -> None:
    from engine.store.journal import Journal

    card, report = tmp_path / "card", tmp_path / "r.jsonl"
    a_card(card, corpus)
    shutil.copy2(card / "DCIM" / "Nikon_D70.jpg", card / "DCIM" / "Nikon_D70 (1).jpg")
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    code, out = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    line = report_of(report)["DCIM/Nikon_D70 (1).jpg"]
    assert line["status"] == "duplicate" and line["dest"] == "Duplicates/DCIM/Nikon_D70 (1).jpg"
    assert photos_in(card) == {}
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        standing = [(d.rel, d.dest) for d in journal.standing()]
    finally:
        journal.close()
    assert len(standing) == len(set(standing)) == 4, standing
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before


@pytest.mark.parametrize("photo_copy_deleted", [False, True], ids=["as-copied", "photo-deleted"])
def test_a_family_the_copy_run_placed_leaves_the_card_together(
    tmp_path: Path, corpus: Path, photo_copy_deleted: bool
) -> None:
    """A photo and its XMP, copied together: the move run releases both; with the photo's copy
    deleted from DEST it places the photo there again and still releases the XMP beside it,
    never leaving the sidecar on the card without its photo."""
    card, dest, report = tmp_path / "card", tmp_path / "dest", tmp_path / "r.jsonl"
    sidecar = lightroom_photo(card, corpus)
    sidecar.write_text(XMP)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    photo_copy = dest / "2008" / "2008" / "IMG_4001.JPG"
    if photo_copy_deleted:
        photo_copy.unlink()
    code, out = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    lines = report_of(report)
    assert lines["2008/IMG_4001.xmp"]["note"].startswith("released by this run")
    photo_note = lines["2008/IMG_4001.JPG"]["note"]
    assert ("placed there again" in photo_note) == photo_copy_deleted
    assert photos_in(card) == {}
    assert photo_copy.read_bytes() == (corpus / "camera" / "Canon_40D.jpg").read_bytes()
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before


def test_a_move_run_empties_a_card_whose_photos_dest_already_holds_under_their_names(
    tmp_path: Path, corpus: Path
) -> None:
    """DEST already holds the card's photos under the very names the move run gives them (the
    user copied them there by hand, no journal knows them): the move run left every photo on
    the card ("an identical file was already at its destination"), and only a second move run
    took them out. One run empties the card now, each photo once DEST's file is checked to
    hold its bytes; undo puts the card back and leaves DEST's files."""
    card, dest, scratch = tmp_path / "card", tmp_path / "dest", tmp_path / "scratch"
    a_card(card, corpus)
    assert imgorg("organize", str(card), str(scratch), *FLAGS)[0] == 0
    for rel in photos_in(scratch):  # by hand: the files alone, where imgorg puts them
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(scratch / rel, dest / rel)
    by_hand = photos_in(dest)
    before, report = photos_in(card), tmp_path / "move.jsonl"
    code, out = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    lines = report_of(report)
    assert {line["status"] for line in lines.values()} == {"placed"}, lines
    assert all("released by this run" in line["note"] for line in lines.values()), lines
    assert photos_in(card) == {} and photos_in(dest) == by_hand
    assert imgorg("verify", str(dest))[0] == 0
    code, out = imgorg("undo", str(dest))
    assert code == 0, out
    assert photos_in(card) == before and photos_in(dest) == by_hand
