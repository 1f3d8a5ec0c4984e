"""An adversarial review of undo's copy back with the source's mode, the copy run's undo after a
move run's undo gave up, a photo put back on the card and released again, the note a later run
rewrites, and the streamed undo: the defects it found, each in a real situation."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_commands_hunt import read_only_view  # noqa: F401 (a fixture)
from test_release import dest_on
from test_undo_review import COMPRESS, FLAGS, MOVE, a_card, modes_of, report_by_source

from conftest import (
    ENV,
    ROOT,
    everything,
    imgorg,
    needs_strace,
    photos_in,
    run_killed_at,
    tree_digest,
)


def kept_originals(dest: Path) -> list[str]:
    return sorted(rel for rel in tree_digest(dest) if rel.startswith(".imgorg/originals"))


def undo_until_nothing(dest: Path) -> list[str]:
    """``imgorg undo`` again and again until there is nothing to undo: what each said."""
    said = []
    for _ in range(10):
        code, out = imgorg("undo", str(dest))
        said.append(out)
        assert code == 0, out
        if "nothing to undo" in out:
            return said
    raise AssertionError(said)


# A release left standing in the journal once the file it stood on is undone ---------------


@pytest.mark.parametrize("card_back", ["from-a-backup", "as-it-was"])
@pytest.mark.parametrize("first", ["copy", "move"])
def test_a_release_its_undo_gave_up_on_is_undone_with_the_copy_it_stood_on(
    tmp_path: Path, corpus: Path, first: str, card_back: str
) -> None:
    """A run placed the card's photos (a copy run, or a move run after which they were put
    back on the card); a move run released them. Its undo found the card not mounted, twice,
    and gave up; the user put the card's photos back from a backup and undid the first run:
    DEST's copies were removed, but the release rows stayed "done", so verify said 3 missing,
    the next copy run said "3 files were already done" and archived nothing, and the release's
    kept original stayed below DEST. Now the releases are undone with the copies they named.
    With the card back as the release left it (empty), the moved photos go back to it, the
    rewritten one as its original."""
    card, dest, backup = tmp_path / "card", tmp_path / "dest", tmp_path / "backup"
    a_card(card, corpus)
    before = photos_in(card)
    shutil.copytree(card, backup)
    if first == "copy":
        assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    else:
        assert imgorg("organize", str(card), str(dest), *MOVE, *COMPRESS)[0] == 0
        subprocess.run(["cp", "-rp", f"{backup}/.", str(card)], check=True)
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert photos_in(card) == {}
    card.rename(tmp_path / "card-away")
    for _ in range(2):
        code, said = imgorg("undo", str(dest))
        assert code == 1 and "is not there (a drive not mounted?)" in said, said
    assert "nothing more of run 2 could be undone" in said, said
    if card_back == "from-a-backup":
        shutil.rmtree(tmp_path / "card-away")
        shutil.copytree(backup, card)
    else:
        (tmp_path / "card-away").rename(card)
    seen = everything(dest), everything(card)
    code, dry = imgorg("undo", str(dest), "--dry-run")
    assert code == 0 and (everything(dest), everything(card)) == seen, dry
    code, said = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 1" in said and "0 left alone" in said, said
    assert dry.splitlines()[0].replace("would be", "were") == said.splitlines()[0]
    assert photos_in(card) == before
    assert photos_in(dest) == {}
    assert kept_originals(dest) == []
    code, said = imgorg("verify", str(dest))
    assert code == 0 and "0 missing" in said, said
    assert "nothing to undo" in imgorg("undo", str(dest))[1]
    code, said = imgorg("organize", str(card), str(dest), *FLAGS)
    assert code == 0 and "already done" not in said, said
    assert {digest for digest, _ in photos_in(dest).values()} == {
        digest for digest, _ in before.values()
    }


# The note a later run rewrites ('by this run' -> 'by run N') -------------------------------

RUNNER = "DCIM/race photo by this runner.jpg"  # a user's name for a photo


def a_runners_card(card: Path, corpus: Path) -> None:
    (card / "DCIM").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", card / RUNNER)


def test_a_later_run_rewrites_no_path_in_a_note_that_is_not_a_release(
    tmp_path: Path, corpus: Path
) -> None:
    """An edited copy without a date of its own beside the runner's photo, dated by it: its
    note names the photo. The next run found both done and rewrote every 'by this run' of the
    note: its report said "dated by its original race photo by run 1ner.jpg". Now a note only
    says which run did what it says "this run" did."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_runners_card(card, corpus)
    edited = RUNNER.replace(".jpg", "-edited.jpg")
    shutil.copy2(corpus / "no_exif" / "hopper.jpg", card / edited)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert imgorg("organize", str(card), str(dest), *FLAGS, "--report", str(first))[0] == 0
    assert imgorg("organize", str(card), str(dest), *FLAGS, "--report", str(second))[0] == 0
    note = report_by_source(first)[edited]["note"]
    assert note == "edited copy: dated by its original race photo by this runner.jpg", note
    assert report_by_source(second)[edited]["note"] == note


def test_a_later_run_says_which_run_released_a_photo_without_renaming_its_copy(
    tmp_path: Path, corpus: Path
) -> None:
    """The runner's photo copied, released by a move run, put back on the card; a copy run
    finds it done: its report says "released by run 2" and names DEST's copy as it is."""
    card, dest, backup = tmp_path / "card", tmp_path / "dest", tmp_path / "backup"
    a_runners_card(card, corpus)
    shutil.copytree(card, backup)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    (placed,) = photos_in(dest)
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    subprocess.run(["cp", "-rp", f"{backup}/.", str(card)], check=True)
    again = tmp_path / "again.jsonl"
    assert imgorg("organize", str(card), str(dest), *FLAGS, "--report", str(again))[0] == 0
    note = report_by_source(again)[RUNNER]["note"]
    assert note == f"released by run 2: its copy in DEST is {placed} (placed by run 1)", note


def test_a_later_run_says_which_run_released_a_photo_found_identical_in_dest(
    tmp_path: Path, corpus: Path
) -> None:
    """The runner's photo was already in DEST, at its very name: a move run released it (its
    note ends "released by this run once that file was checked to hold them"); put back, a
    copy run finds it done: its note says run 1 released it, all else as it was."""
    card, dest, backup = tmp_path / "card", tmp_path / "dest", tmp_path / "backup"
    a_runners_card(card, corpus)
    shutil.copytree(card, backup)
    assert imgorg("organize", str(card), str(tmp_path / "elsewhere"), *FLAGS)[0] == 0
    shutil.copytree(tmp_path / "elsewhere", dest, ignore=shutil.ignore_patterns(".imgorg"))
    moved, again = tmp_path / "moved.jsonl", tmp_path / "again.jsonl"
    assert imgorg("organize", str(card), str(dest), *MOVE, "--report", str(moved))[0] == 0
    assert photos_in(card) == {}
    subprocess.run(["cp", "-rp", f"{backup}/.", str(card)], check=True)
    assert imgorg("organize", str(card), str(dest), *FLAGS, "--report", str(again))[0] == 0
    note = report_by_source(moved)[RUNNER]["note"]
    assert note.endswith("; released by this run once that file was checked to hold them")
    said = note.replace("released by this run once", "released by run 1 once")
    assert report_by_source(again)[RUNNER]["note"] == said


# Undo, newest run first, of a photo released again and again -----------------------------


def test_undo_one_run_at_a_time_of_a_card_released_put_back_and_released_again(
    tmp_path: Path, corpus: Path
) -> None:
    """A copy run rewrites the phone photo smaller; three move runs release the card, each
    time put back from a backup (each release keeping the phone photo's original below DEST).
    Undo, one run at a time, newest first: after each the card is whole (byte for byte, times
    and modes), verify passes, and only the undone run's kept original is gone; the last undo
    leaves DEST empty. A dry run before each changes nothing and says what the undo does."""
    card, dest, backup = tmp_path / "card", tmp_path / "dest", tmp_path / "backup"
    a_card(card, corpus)
    (card / "DCIM" / "Canon_40D.jpg").chmod(0o1751)  # sticky: kept; set-id bits are not
    (card / "DCIM" / "jolla.jpg").chmod(0o440)
    before, modes = photos_in(card), modes_of(card)
    shutil.copytree(card, backup)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    for run in (2, 3, 4):
        if run > 2:
            subprocess.run(["cp", "-rp", f"{backup}/.", str(card)], check=True)
        code, said = imgorg("organize", str(card), str(dest), *MOVE)
        assert code == 0 and photos_in(card) == {}, said
    originals = [f".imgorg/originals/{run}/DCIM/jolla.jpg" for run in (2, 3, 4)]
    assert kept_originals(dest) == originals
    for run in (4, 3, 2, 1):
        seen = everything(dest), everything(card)
        code, dry = imgorg("undo", str(dest), "--dry-run")
        assert code == 0 and (everything(dest), everything(card)) == seen, dry
        code, said = imgorg("undo", str(dest))
        assert code == 0 and f"undo of run {run}:" in said, said
        assert dry.splitlines()[0].replace("would be", "were") == said.splitlines()[0]
        assert photos_in(card) == before and modes_of(card) == modes
        assert kept_originals(dest) == originals[: max(0, run - 2)]
        assert imgorg("verify", str(dest))[0] == 0
    assert photos_in(dest) == {}
    assert "nothing to undo" in imgorg("undo", str(dest))[1]


# A kill in undo between dropping a file and its spare kept original ------------------------


def nth_call_on(argv: list[str], syscall: str, path: Path, trace: Path) -> int:
    """Which call of ``syscall`` (counting every process's) a clean run of ``argv`` makes on
    ``path``: a point to kill it at, where it is about to act on that very file."""
    subprocess.run(
        ["strace", "-f", "-qq", "-o", str(trace), f"--trace={syscall}", *argv],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        check=True,
    )
    calls = [line for line in trace.read_text().splitlines() if f" {syscall}(" in f" {line}"]
    (k,) = [i for i, line in enumerate(calls, 1) if f'"{path}"' in line]
    return k


def moved_put_back_released(where: Path, corpus: Path) -> tuple[Path, Path, Path]:
    """A move run rewrote the phone photo smaller (its original kept below DEST), the card was
    put back from a backup and released by a second move run (another original kept), whose
    undo gave up with the card away; the card is then written again from the backup."""
    card, dest, backup = where / "card", where / "dest", where / "backup"
    a_card(card, corpus)
    shutil.copytree(card, backup)
    assert imgorg("organize", str(card), str(dest), *MOVE, *COMPRESS)[0] == 0
    subprocess.run(["cp", "-rp", f"{backup}/.", str(card)], check=True)
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    card.rename(where / "away")
    for _ in range(2):
        assert imgorg("undo", str(dest))[0] == 1
    shutil.rmtree(where / "away")
    shutil.copytree(backup, card)
    return card, dest, backup


@needs_strace
def test_undo_killed_after_removing_a_rewritten_photo_drops_its_spare_original_on_resume(
    tmp_path: Path, corpus: Path
) -> None:
    """Undo of the first move run, the card whole again: DEST's rewritten phone photo is
    removed, then its kept original (SOURCE holds those bytes). Killed between the two, the
    next undo found the photo gone from DEST, counted it done and left the original below
    DEST for good, no row accounting for it. Now the resumed undo drops it too."""
    card, dest, backup = moved_put_back_released(tmp_path / "clean", corpus)
    (rewritten,) = [rel for rel in photos_in(dest) if "jolla" in rel]
    undo = [sys.executable, "-m", "engine", "undo"]
    k = nth_call_on([*undo, str(dest)], "unlink", dest / rewritten, tmp_path / "trace")
    card, dest, backup = moved_put_back_released(tmp_path / "killed", corpus)
    run_killed_at("unlink", k + 1, [*undo, str(dest)], ENV)
    assert not (dest / rewritten).exists()
    assert kept_originals(dest)
    undo_until_nothing(dest)
    assert photos_in(card) == photos_in(backup)
    assert photos_in(dest) == {}
    assert kept_originals(dest) == []
    assert imgorg("verify", str(dest))[0] == 0


# A SOURCE or DEST that refuses a file's mode ----------------------------------------------


def refusing_chmod(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``argv`` run with every chmod answered ENOSYS, as a phone mounted over MTP (jmtpfs,
    simple-mtpfs) or another FUSE filesystem without modes answers it (strace's fault
    injection: no such filesystem can be mounted here)."""
    return subprocess.run(
        ["strace", "-f", "-qq", "-o", "/dev/null", "--inject=chmod:error=ENOSYS", *argv],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )


@needs_strace
def test_undo_puts_a_photo_back_on_a_source_that_refuses_its_mode(
    tmp_path: Path, corpus: Path
) -> None:
    """The card copied, then released by a move run; its filesystem keeps no modes (chmod
    fails). Undo copied each photo back, then failed to give it its mode and threw the copy
    away: "could not be copied back: Function not implemented", the card left empty, every
    undo after the same. A mode is a nicety next to the photo: it goes back without it."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert photos_in(card) == {}
    done = refusing_chmod([sys.executable, "-m", "engine", "undo", str(dest)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 files were moved back, 0 left alone" in done.stdout, done.stdout
    assert photos_in(card) == before


@needs_strace
def test_a_move_run_releases_a_rewritten_photo_into_a_dest_that_refuses_its_mode(
    tmp_path: Path, corpus: Path
) -> None:
    """A move run rewrites the phone photo smaller into DEST on another filesystem, one that
    keeps no modes: the photo's original, copied below DEST, failed to take its mode, so the
    release gave up and left it on the card. Now it is kept below DEST without it, and undo
    gives the card back."""
    card = tmp_path / "card"
    a_card(card, corpus)
    before = photos_in(card)
    with dest_on(tmp_path, True) as dest:
        argv = ["organize", str(card), str(dest), *MOVE, *COMPRESS]
        done = refusing_chmod([sys.executable, "-m", "engine", *argv])
        assert done.returncode == 0, done.stdout + done.stderr
        assert photos_in(card) == {}
        assert kept_originals(dest) == [".imgorg/originals/1/DCIM/jolla.jpg"]
        assert imgorg("undo", str(dest))[0] == 0
        assert photos_in(card) == before


# A journal older than source_mode ----------------------------------------------------------


def test_a_journal_from_before_source_mode_is_read_on_a_read_only_dest_and_undone(
    tmp_path: Path,
    corpus: Path,
    read_only_view: Callable[[Path], Path],  # noqa: F811  (the fixture imported above)
) -> None:
    """A copy run and a move run journaled by an imgorg that kept no source modes (the columns
    dropped: its schema). On a read-only DEST, verify and undo --dry-run read it as it is (no
    column added: the file is not written); on DEST itself undo gives the card back and the
    journal takes the columns, which the next move run fills."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    journal = dest / ".imgorg" / "journal.sqlite"
    with contextlib.closing(sqlite3.connect(journal)) as db:
        for column in ("source_mode", "source_uid", "source_gid"):
            db.execute(f"ALTER TABLE files DROP COLUMN {column}")
    seen = everything(dest)
    view = read_only_view(dest)
    code, said = imgorg("verify", str(view))
    assert code == 0 and "0 missing, 0 changed" in said, said
    code, said = imgorg("undo", str(view), "--dry-run")
    assert code == 0 and "3 files would be moved back, 0 left alone" in said, said
    assert everything(dest) == seen
    code, said = imgorg("undo", str(dest))
    assert code == 0 and "3 files were moved back, 0 left alone" in said, said
    assert {rel: digest for rel, (digest, _) in photos_in(card).items()} == {
        rel: digest for rel, (digest, _) in before.items()
    }
    (card / "DCIM" / "Canon_40D.jpg").chmod(0o640)
    modes = modes_of(card)
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    with contextlib.closing(sqlite3.connect(journal)) as db:
        journaled = db.execute("SELECT source_rel, source_mode FROM files WHERE run_id = 3")
        assert {rel.decode(): mode for rel, mode in journaled} == modes


# A set-id file written back by root --------------------------------------------------------

SET_ID = stat.S_ISUID | stat.S_ISGID


@pytest.mark.parametrize("how", ["released", "moved-across", "after-give-up"])
def test_undo_never_writes_back_a_users_set_id_file_as_roots(
    tmp_path: Path, corpus: Path, how: str
) -> None:
    """A user's files on the card, mode 6755 (setuid and setgid, owner uid 1000), taken out
    by root's move run: undo (as root) wrote them back as new files, owned by root, with the
    journaled mode: setuid-root programs made of whatever bytes the user left there (and a
    release across filesystems kept the rewritten photo's original so below DEST). A file
    written anew takes a set-id bit only once it is the source's owner's (never root's, as
    ``cp`` drops them); the user's own inode, renamed back, keeps its bits and owner."""
    if os.geteuid() != 0:
        pytest.skip("needs root to own a file as another user")
    card = tmp_path / "card"
    a_card(card, corpus)
    users = [card / "DCIM" / "Canon_40D.jpg", card / "DCIM" / "jolla.jpg"]
    for photo in users:
        os.chown(photo, 1000, 1000)
        photo.chmod(0o6755)
    before = photos_in(card)
    with dest_on(tmp_path, how == "moved-across") as dest:
        if how == "moved-across":
            assert imgorg("organize", str(card), str(dest), *MOVE, *COMPRESS)[0] == 0
        else:
            assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
            assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
        assert photos_in(card) == {}
        for rel in kept_originals(dest):
            now = (dest / rel).stat()
            assert now.st_uid == 1000 or not now.st_mode & SET_ID, (rel, oct(now.st_mode))
        if how == "after-give-up":
            card.rename(tmp_path / "away")
            for _ in range(2):
                assert imgorg("undo", str(dest))[0] == 1
            (tmp_path / "away").rename(card)
        code, said = imgorg("undo", str(dest))
        assert code == 0, said
        assert photos_in(card) == before
        for photo in users:
            now = photo.stat()
            assert stat.S_IMODE(now.st_mode) & 0o777 == 0o755
            assert now.st_uid == 1000 or not now.st_mode & SET_ID, (photo, oct(now.st_mode))


@pytest.mark.parametrize("how", ["released", "moved-across", "after-give-up"])
def test_undo_as_root_gives_a_users_private_photo_back_to_the_user(
    tmp_path: Path, corpus: Path, how: str
) -> None:
    """A user's private photo (0600, uid 1000) taken out of SOURCE by root's move run: undo
    wrote it back as a new file, root's, with the journaled mode 0600: a photo its owner could
    no longer open (before modes were journaled it came back 0644, still readable). Now it is
    the user's again, 0600; a set-id file of theirs keeps its bits, being theirs."""
    if os.geteuid() != 0:
        pytest.skip("needs root to own a file as another user")
    card = tmp_path / "card"
    a_card(card, corpus)
    private, set_id = card / "DCIM" / "Nikon_D70.jpg", card / "DCIM" / "jolla.jpg"
    for photo, mode in ((private, 0o600), (set_id, 0o6755)):
        os.chown(photo, 1000, 1001)
        photo.chmod(mode)
    before = photos_in(card)
    with dest_on(tmp_path, how == "moved-across") as dest:
        if how == "moved-across":
            assert imgorg("organize", str(card), str(dest), *MOVE, *COMPRESS)[0] == 0
        else:
            assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
            assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
        if how == "after-give-up":
            card.rename(tmp_path / "away")
            for _ in range(2):
                assert imgorg("undo", str(dest))[0] == 1
            (tmp_path / "away").rename(card)
        code, said = imgorg("undo", str(dest))
        assert code == 0, said
    assert photos_in(card) == before
    for photo, mode in ((private, 0o600), (set_id, 0o6755)):
        now = photo.stat()
        assert (now.st_uid, now.st_gid, oct(stat.S_IMODE(now.st_mode))) == (1000, 1001, oct(mode))
