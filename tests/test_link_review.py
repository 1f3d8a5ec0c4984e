"""Review of the link modes, verify, finalize and tidy, as a user and as an attacker would try
them: each test is a situation built from corpus photos in which a promise of the README
(no photo lost, one answer per file, never overwrite, what each mode and command does) was
tried."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from conftest import ENV, ROOT, corpus_or_skip, everything, imgorg, photos_in, tree_digest
from engine.records import Status
from engine.store.journal import Journal

CANON = "camera/Canon_40D.jpg"  # 2008
NIKON = "camera/DSCN0010.jpg"  # 2008
COOLPIX = "camera/Nikon_COOLPIX_P1.jpg"  # 2008


def card(root: Path, *names: tuple[str, str]) -> Path:
    """Corpus photos copied to ``root`` (writable, as a card's files are): (corpus path, path
    below ``root``)."""
    corpus = corpus_or_skip()
    for origin, rel in names:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / origin, target)
        shutil.copystat(corpus / origin, target)
        target.chmod(0o644)
    return root


def regular_files(dest: Path) -> dict[str, bytes]:
    """The photos DEST holds as its own files (no symbolic links), by path below DEST."""
    return {
        str(p.relative_to(dest)): p.read_bytes()
        for p in dest.rglob("*")
        if ".imgorg" not in p.parts and p.is_file() and not p.is_symlink()
    }


# --- a link view, then a run that copies or moves -----------------------------------------


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_run_after_a_symlink_view_of_the_card_keeps_the_photos_bytes_in_dest(
    tmp_path: Path, mode: str
) -> None:
    """The user previews the card as a symlink view, then copies (or moves) its DCIM folder
    into the same archive. DEST must then hold every photo's bytes in the year folders: a link
    to the card is no copy, and the card is formatted next."""
    src = card(tmp_path / "card", (CANON, "DCIM/a.jpg"), (NIKON, "DCIM/b.jpg"))
    dest = tmp_path / "archive"
    photos = {p.name: p.read_bytes() for p in (src / "DCIM").iterdir()}
    code, _ = imgorg("organize", str(src), str(dest), "--mode", "symlink", "--layout", "flat")
    assert code == 0
    code, out = imgorg("organize", str(src / "DCIM"), str(dest), "--mode", mode, "--layout", "flat")
    assert code == 0, out
    held = regular_files(dest)
    in_years = {os.path.basename(p): data for p, data in held.items() if p.startswith("2008/")}
    assert sorted(in_years.values()) == sorted(photos.values()), sorted(held)
    if mode == "copy":  # (a move leaves the view's links dangling: verify names them)
        code, out = imgorg("verify", str(dest))
        assert code == 0, out


def test_a_copy_run_after_a_symlink_view_copies_the_card_mounted_under_another_path(
    tmp_path: Path,
) -> None:
    """A symlink view of the card, then the card comes back at another mount point
    (``/media/CARD`` -> ``/media/CARD1``) and is copied into the same archive. The view's links
    dangle; the photos exist only on the card, so the copy run must copy every one of them."""
    src = card(tmp_path / "CARD", (CANON, "DCIM/a.jpg"), (NIKON, "DCIM/b.jpg"))
    dest = tmp_path / "archive"
    photos = sorted(p.read_bytes() for p in (src / "DCIM").iterdir())
    assert imgorg("organize", str(src), str(dest), "--mode", "symlink")[0] == 0
    remounted = src.rename(tmp_path / "CARD1")
    code, out = imgorg("organize", str(remounted), str(dest))
    assert code == 0, out
    assert sorted(regular_files(dest).values()) == photos


def test_a_symlink_view_made_again_after_source_moved_links_every_photo(tmp_path: Path) -> None:
    """SOURCE moved to a bigger disk after a symlink view was made: the user makes the view
    again from the new place. Every photo must be linked at its new path."""
    src = card(tmp_path / "old", (CANON, "a/x.jpg"), (NIKON, "a/y.jpg"))
    dest = tmp_path / "view"
    assert imgorg("organize", str(src), str(dest), "--mode", "symlink")[0] == 0
    moved = src.rename(tmp_path / "new")
    code, out = imgorg("organize", str(moved), str(dest), "--mode", "symlink")
    assert code == 0, out
    targets = sorted(os.readlink(p) for p in dest.rglob("*.jpg") if p.is_symlink() and p.exists())
    assert targets == [str(moved / "a/x.jpg"), str(moved / "a/y.jpg")], out


def test_a_photo_deleted_from_dest_is_copied_again_from_the_card_under_another_path(
    tmp_path: Path,
) -> None:
    """A copy run, then a photo deleted from DEST by mistake (verify says it is missing); the
    card, mounted at another path, is copied again to get it back. Its bytes are nowhere but on
    the card: it must be placed, not called a duplicate of the file that is gone."""
    src = card(tmp_path / "CARD", (CANON, "DCIM/a.jpg"), (NIKON, "DCIM/b.jpg"))
    dest = tmp_path / "archive"
    photos = sorted(p.read_bytes() for p in (src / "DCIM").iterdir())
    assert imgorg("organize", str(src), str(dest))[0] == 0
    (dest / "2008/DCIM/a.jpg").unlink()
    assert "missing: 2008/DCIM/a.jpg" in imgorg("verify", str(dest))[1]
    remounted = src.rename(tmp_path / "CARD1")
    code, out = imgorg("organize", str(remounted), str(dest))
    assert code == 0, out
    assert sorted(regular_files(dest).values()) == photos


def test_a_photo_deleted_from_dest_and_found_twice_on_the_card_is_placed_once(
    tmp_path: Path,
) -> None:
    """The photo deleted from DEST is on the card twice (DCIM and a backup folder the camera
    app made): one copy is placed again, the other is its duplicate, not a second copy."""
    src = card(tmp_path / "CARD", (CANON, "DCIM/a.jpg"), (NIKON, "DCIM/b.jpg"))
    dest = tmp_path / "archive"
    assert imgorg("organize", str(src), str(dest))[0] == 0
    (dest / "2008/DCIM/a.jpg").unlink()
    remounted = src.rename(tmp_path / "CARD1")
    (remounted / "backup").mkdir()
    shutil.copy2(remounted / "DCIM/a.jpg", remounted / "backup/a copy.jpg")
    code, out = imgorg("organize", str(remounted), str(dest))
    assert code == 0, out
    held = sorted(regular_files(dest).values())
    assert held == sorted(
        {(remounted / "DCIM/a.jpg").read_bytes(), (remounted / "DCIM/b.jpg").read_bytes()}
    )
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        run = journal.last_run()
        assert run is not None
        by_rel = {d.rel: d for d in journal.decisions(run, str(remounted))}
    finally:
        journal.close()
    kept = by_rel["DCIM/a.jpg"] if by_rel["DCIM/a.jpg"].dest else by_rel["backup/a copy.jpg"]
    assert kept.status is Status.PLACED and "no longer in SOURCE or DEST" in (kept.note or "")
    assert by_rel["DCIM/b.jpg"].status is Status.DUPLICATE  # of its copy still in DEST
    assert sorted(d.status.value for d in by_rel.values()) == ["duplicate", "duplicate", "placed"]


def test_a_card_copied_again_elsewhere_is_a_duplicate_of_its_turned_copy_in_dest(
    tmp_path: Path,
) -> None:
    """A copy run turned a phone photo upright into DEST; the card, mounted at another path, is
    copied again: the turned copy stands for the photo (a duplicate, said so); once that copy
    is deleted from DEST, the next run places the photo again."""
    src = card(tmp_path / "CARD", ("phone/Samsung GT-I9000 (Galaxy S).jpg", "DCIM/a.jpg"))
    dest = tmp_path / "archive"
    code, out = imgorg("organize", str(src), str(dest))
    assert code == 0, out
    [(name, turned)] = regular_files(dest).items()
    original = (src / "DCIM/a.jpg").read_bytes()
    assert turned != original
    second = src.rename(tmp_path / "CARD1")
    code, out = imgorg("organize", str(second), str(dest))
    assert code == 0, out
    assert regular_files(dest) == {name: turned}
    (dest / name).unlink()
    third = second.rename(tmp_path / "CARD2")
    code, out = imgorg("organize", str(third), str(dest))
    assert code == 0, out
    assert len(regular_files(dest)) == 1, out


@pytest.mark.parametrize("mode", ["copy", "hardlink"])
def test_a_run_after_a_symlink_view_of_the_same_source_says_dest_holds_only_links(
    tmp_path: Path, mode: str
) -> None:
    """The same SOURCE copied (or hard-linked, to delete the old tree next) after a symlink
    view: its files are done, by links. The run must not let the user believe DEST now holds
    their bytes (the card is formatted next)."""
    src = card(tmp_path / "card", (CANON, "DCIM/a.jpg"), (NIKON, "DCIM/b.jpg"))
    dest = tmp_path / "archive"
    assert imgorg("organize", str(src), str(dest), "--mode", "symlink")[0] == 0
    code, out = imgorg("organize", str(src), str(dest), "--mode", mode, "--plain")
    assert code == 0
    assert "2 of them are in DEST only as symbolic links" in out, out
    assert "`imgorg undo` that run first, then run this command again" in out


@pytest.mark.parametrize("view", ["symlink", "hardlink"])
def test_a_move_run_after_a_link_view_of_the_same_source_leaves_every_source(
    tmp_path: Path, view: str
) -> None:
    """A link view, then a move run of the same SOURCE into it: the links are no copies the
    move could release its sources against (a symbolic one would dangle, a hard one is the
    source itself). Every source stays, the run says why, and the view still verifies."""
    src = card(tmp_path / "card", (CANON, "a/x.jpg"), (NIKON, "a/y.jpg"))
    dest = tmp_path / "view"
    before = tree_digest(src)
    assert imgorg("organize", str(src), str(dest), "--mode", view)[0] == 0
    code, out = imgorg("organize", str(src), str(dest), "--mode", "move", "--plain")
    assert code == 0, out
    assert "2 of them were placed by an earlier run that left their sources" in out, out
    assert tree_digest(src) == before
    assert imgorg("verify", str(dest))[0] == 0


def test_a_symbolic_link_at_a_photos_name_in_dest_is_not_taken_for_its_copy(
    tmp_path: Path,
) -> None:
    """DEST holds, at the names a copy run wants, symbolic links to the very photos (a link
    view whose ``.imgorg`` the user deleted, ``cp -rs``): the copy run must write the bytes,
    not call the links identical files already in place."""
    src = card(tmp_path / "card", (CANON, "DCIM/a.jpg"), (NIKON, "DCIM/b.jpg"))
    dest = tmp_path / "archive"
    assert imgorg("organize", str(src), str(dest), "--mode", "symlink")[0] == 0
    shutil.rmtree(dest / ".imgorg")
    code, out = imgorg("organize", str(src), str(dest))
    assert code == 0, out
    copies = regular_files(dest)
    assert sorted(copies.values()) == sorted(p.read_bytes() for p in (src / "DCIM").iterdir())
    assert all(p.is_symlink() for p in (dest / "2008" / "DCIM").glob("[ab].jpg"))  # untouched
    assert imgorg("verify", str(dest))[0] == 0


# --- verify ---------------------------------------------------------------------------------


def test_verify_names_a_copy_replaced_by_a_symbolic_link_or_a_pipe(tmp_path: Path) -> None:
    """A deduplicator (``rdfind -makesymlinks``) turns DEST's copy into a link to SOURCE's
    file; someone leaves a named pipe at a photo's name. verify must say DEST no longer holds
    those bytes (exit 1), and return rather than wait on the pipe for ever; finalize refuses."""
    src = card(tmp_path / "card", (CANON, "a/x.jpg"), (NIKON, "a/y.jpg"), (COOLPIX, "a/z.jpg"))
    dest = tmp_path / "archive"
    assert imgorg("organize", str(src), str(dest))[0] == 0
    assert imgorg("verify", str(dest))[0] == 0
    (dest / "2008/a/x.jpg").unlink()
    (dest / "2008/a/x.jpg").symlink_to(src / "a/x.jpg")
    (dest / "2008/a/y.jpg").unlink()
    os.mkfifo(dest / "2008/a/y.jpg")
    code, out = imgorg("verify", str(dest))
    assert code == 1, out
    assert f"not a file: 2008/a/x.jpg: a symbolic link to {src / 'a/x.jpg'}" in out, out
    assert "not a file: 2008/a/y.jpg: a pipe, socket or device" in out, out
    assert "2008/a/z.jpg" not in out
    assert imgorg("finalize", str(dest), "--yes")[0] == 1


def test_verify_says_a_folder_it_cannot_read_is_unreadable_not_changed(tmp_path: Path) -> None:
    """A folder of DEST made unreadable (a NAS share's permissions, a restore as another user):
    verify cannot know whether its photos are whole. It must say so (exit 1), never call them
    changed, which reads as damage. Run without the capabilities that let root read anything."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to drop the read-anything capabilities")
    src = card(tmp_path / "card", (CANON, "a/x.jpg"), (NIKON, "b/y.jpg"))
    dest = tmp_path / "archive"
    assert imgorg("organize", str(src), str(dest))[0] == 0
    (dest / "2008/a").chmod(0)
    caps = "-dac_override,-dac_read_search"
    without_caps = [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]
    try:
        done = subprocess.run(
            [*without_caps, sys.executable, "-m", "engine", "verify", str(dest)],
            env=ENV,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        (dest / "2008/a").chmod(0o755)
    assert done.returncode == 1, done
    assert "unreadable: 2008/a/x.jpg: Permission denied" in done.stdout, done.stdout
    assert "changed" not in done.stdout.replace("0 changed", ""), done.stdout
    assert "2008/b/y.jpg" not in done.stdout


@pytest.mark.parametrize("mode", ["hardlink", "symlink"])
def test_verify_of_a_link_view_checks_the_links_targets(tmp_path: Path, mode: str) -> None:
    """In a link view the links are what the run made: verify passes, and names a link whose
    target is gone (symlink) or a photo edited through the view (the one file of both)."""
    src = card(tmp_path / "card", (CANON, "a/x.jpg"), (NIKON, "a/y.jpg"))
    dest = tmp_path / "view"
    assert imgorg("organize", str(src), str(dest), "--mode", mode)[0] == 0
    assert imgorg("verify", str(dest)) == (0, "verified 2 files: 0 missing, 0 changed\n")
    with open(dest / "2008/a/x.jpg", "r+b") as photo:  # an editor writing in place
        photo.seek(200)
        photo.write(b"edited")
    (src / "a/y.jpg").unlink()
    code, out = imgorg("verify", str(dest))
    assert code == 1
    assert "changed: 2008/a/x.jpg" in out
    if mode == "symlink":
        assert f"missing: 2008/a/y.jpg (a symbolic link to {src / 'a/y.jpg'}, which is not" in out
    else:  # the view's name is the photo itself now
        assert "2008/a/y.jpg" not in out


# --- tidy -----------------------------------------------------------------------------------


def test_tidy_never_lifts_a_folder_beside_one_of_the_same_name_in_another_case(
    tmp_path: Path,
) -> None:
    """A phone backup's ``DCIM/Camera/`` (DCIM holds nothing else) beside an old phone's
    ``camera/``: lifting ``Camera`` up would put two folders that are one on macOS, exFAT and
    a Windows share (as imgorg's own names count them) side by side, merged the moment the
    archive is copied there. Likewise ``Café`` in NFC and in NFD."""
    nfd = unicodedata.normalize("NFD", "Café")
    src = card(
        tmp_path / "backup",
        (CANON, "DCIM/Camera/IMG_1.jpg"),
        (NIKON, "camera/IMG_2.jpg"),
        (COOLPIX, f"Trips/Paris/{nfd}/IMG_3.jpg"),
        ("camera/Nikon_D70.jpg", "Trips/Café/IMG_4.jpg"),
    )
    dest = tmp_path / "archive"
    before = tree_digest(src)
    code, out = imgorg("organize", str(src), str(dest), "--min-size", "0")
    assert code == 0, out
    for folder, names, _ in os.walk(dest):
        seen = [unicodedata.normalize("NFC", n).casefold() for n in names]
        assert len(seen) == len(set(seen)), (folder, names)
    assert tree_digest(src) == before
    assert len(photos_in(dest)) == 4


# --- undo of a link view --------------------------------------------------------------------


def test_undo_of_a_hardlink_view_drops_a_photo_edited_through_the_view(tmp_path: Path) -> None:
    """A hardlink view, a photo's metadata then edited in place through it (the one file of
    SOURCE and the view): undo must take the view away whole, SOURCE keeping the edit."""
    src = card(tmp_path / "photos", (CANON, "a/x.jpg"), (NIKON, "a/y.jpg"))
    dest = tmp_path / "view"
    assert imgorg("organize", str(src), str(dest), "--mode", "hardlink")[0] == 0
    with open(dest / "2008/a/x.jpg", "r+b") as photo:  # an editor saving in place
        photo.seek(200)
        photo.write(b"edited")
    edited = tree_digest(src)
    code, out = imgorg("undo", str(dest))
    assert code == 0, out
    assert not [p for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts]
    assert tree_digest(src) == edited


# --- finalize -------------------------------------------------------------------------------


def test_undo_after_finalize_says_which_photos_come_back_as_placed_not_as_they_were(
    tmp_path: Path,
) -> None:
    """A move turns a photo upright; finalize deletes its kept original; undo then returns the
    turned version. Nothing is lost, but SOURCE is not as it was: undo must say which."""
    src = card(
        tmp_path / "card", ("orientation/Portrait_6.jpg", "a/turned.jpg"), (CANON, "a/x.jpg")
    )
    dest = tmp_path / "archive"
    turned_before = (src / "a/turned.jpg").read_bytes()
    assert imgorg("organize", str(src), str(dest), "--mode", "move")[0] == 0
    code, out = imgorg("finalize", str(dest), "--yes")
    assert code == 0 and "deleted 1 kept originals" in out, out
    code, out = imgorg("undo", str(dest))
    assert code == 0, out
    assert (src / "a/turned.jpg").read_bytes() != turned_before  # as finalize warned
    assert (src / "a/x.jpg").read_bytes() == (corpus_or_skip() / CANON).read_bytes()
    assert (
        "1 of them were moved back as placed (turned or re-encoded): `imgorg finalize` deleted "
        "their originals"
    ) in out, out


def test_tidy_and_undo_leave_the_users_own_folders_in_dest_as_they_were(tmp_path: Path) -> None:
    """DEST already holds the user's folders: an empty album, a folder holding one subfolder
    (what tidy flattens in SOURCE), a year folder with a ``.nomedia``, a ``.DS_Store``, and the
    very folder a chain of SOURCE is lifted to. The run moves and removes none of them; undo
    gives DEST back as it was, files and folders alike."""
    src = card(
        tmp_path / "card",
        (CANON, "Trip/x.jpg"),
        (NIKON, "Wrapper/Inner/y.jpg"),  # Wrapper holds only Inner: placed as Inner/
        (COOLPIX, "Backup/old/2008/z.jpg"),
    )
    dest = tmp_path / "archive"
    for folder in ("2008/Trip", "2008/Empty", "2008/Wrapper/Inner", "2008/Inner", "NoDate"):
        (dest / folder).mkdir(parents=True)
    for hidden in (".DS_Store", "2008/Trip/.nomedia", "2008/Inner/.DS_Store"):
        (dest / hidden).write_bytes(b"the user's")
    before = as_left(dest)
    code, out = imgorg("organize", str(src), str(dest))
    assert code == 0, out
    after = everything(dest)
    assert all(rel in after for rel in before), sorted(set(before) - set(after))
    placed = ["2008/2008/z.jpg", "2008/Inner/y.jpg", "2008/Trip/x.jpg"]
    users = [rel for rel, entry in before.items() if entry[0] == "f"]
    assert sorted(photos_in(dest)) == sorted([*placed, *users])
    code, out = imgorg("undo", str(dest))
    assert code == 0, out
    assert as_left(dest) == before


def as_left(dest: Path) -> dict[str, tuple[str, int, int, str]]:
    """``everything`` below DEST but its ``.imgorg``, folders without their modification time
    (placing a file in a folder and removing it changes that)."""
    return {
        rel: entry if entry[0] == "f" else (*entry[:2], 0, "")
        for rel, entry in everything(dest).items()
        if not rel.startswith(".imgorg")
    }


@pytest.mark.parametrize("tidy", [True, False])
def test_tidy_keeps_a_hidden_folder_apart_from_a_visible_sibling_of_its_name(
    tmp_path: Path, tidy: bool
) -> None:
    """``Trip/.Holiday`` (hidden by a phone app) beside ``Trip/Holiday``: no placed path is
    hidden, yet the two source folders must not become one (they were: tidy read both as
    ``Holiday`` and lifted the one folder out of ``Trip``)."""
    src = card(tmp_path / "card", (CANON, "Trip/.Holiday/a.jpg"), (NIKON, "Trip/Holiday/a.jpg"))
    flags = [] if tidy else ["--no-tidy"]
    code, out = imgorg("organize", str(src), str(tmp_path / "archive"), "--plain", *flags)
    assert code == 0, out
    folders = {os.path.dirname(p) for p in photos_in(tmp_path / "archive")}
    assert folders == {"2008/Trip/Holiday", "2008/Trip/Holiday_1"}, folders
