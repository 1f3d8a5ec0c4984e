"""Commands that only look: ``undo --dry-run`` and ``verify`` change nothing (not the journal,
not its folder's time, not DEST, not SOURCE), and still tell what the real commands would find
after a killed run. What verify and the resume say of a photo a killed run had placed and the
user then deleted from DEST; and the undo that retries an incomplete one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (
    ENV,
    ROOT,
    everything,
    imgorg,
    needs_strace,
    photos_in,
    run_killed_at,
)

FLAGS = ("--jobs", "1", "--min-size", "0", "--quiet")


def two_camera_photos(src: Path, corpus: Path) -> None:
    (src / "a").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", src / "a" / "p1.jpg")  # 2008
    shutil.copy2(corpus / "camera" / "Kodak_CX7530.jpg", src / "a" / "p2.jpg")  # 2005


def killed_after_the_renames(src: Path, dest: Path, mode: str) -> None:
    """``organize`` SIGKILLed at the sync after its batch's renames: both photos in DEST, their
    rows still ``planned`` (the journal's last commit only in its write-ahead log)."""
    argv = [sys.executable, "-m", "engine", "organize", str(src), str(dest), "--mode", mode]
    run_killed_at("syncfs", 2, [*argv, *FLAGS], ENV)
    assert {"2008/a/p1.jpg", "2005/a/p2.jpg"} <= set(photos_in(dest))


@needs_strace
@pytest.mark.parametrize("mode", ["copy", "move"])
def test_undo_dry_run_after_a_killed_run_changes_nothing_and_says_what_undo_does(
    tmp_path: Path, corpus: Path, mode: str
) -> None:
    """The dry run read DEST's journal read-write and ran the killed run's recovery for real
    (rows marked done, the log checkpointed into the journal) before saying what it would do.
    Now it changes no byte nor time in DEST or SOURCE, and says what the real undo then does."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    two_camera_photos(src, corpus)
    killed_after_the_renames(src, dest, mode)
    assert (dest / ".imgorg" / "journal.sqlite-wal").exists()
    before_dest, before_src = everything(dest), everything(src)
    code, said = imgorg("undo", str(dest), "--dry-run")
    assert code == 0, said
    assert everything(dest) == before_dest
    assert everything(src) == before_src
    code, done = imgorg("undo", str(dest))
    assert code == 0, done
    assert said.splitlines()[0].replace("would be", "were") == done.splitlines()[0], (said, done)
    verb = "2 copies were removed" if mode == "copy" else "2 files were moved back"
    assert (
        verb in done and photos_in(dest) == {} and set(photos_in(src)) == {"a/p1.jpg", "a/p2.jpg"}
    )


@needs_strace
def test_verify_after_a_killed_run_changes_nothing_and_checks_what_it_placed(
    tmp_path: Path, corpus: Path
) -> None:
    """verify ran the recovery for real too: it rewrote the journal, and on a killed move it
    could rename SOURCE files into DEST. It reads a private copy now, settled as the recovery
    would settle it: it checks the two photos the killed run placed and leaves every byte and
    time as it was."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    two_camera_photos(src, corpus)
    killed_after_the_renames(src, dest, "move")
    before_dest, before_src = everything(dest), everything(src)
    code, said = imgorg("verify", str(dest))
    assert code == 0 and said.startswith("verified 2 files: 0 missing, 0 changed"), said
    assert everything(dest) == before_dest and everything(src) == before_src


@needs_strace
@pytest.mark.parametrize("mode", ["copy", "move", "move-across"])
def test_a_photo_a_killed_run_placed_then_deleted_from_dest_is_named_and_never_lost(
    tmp_path: Path, corpus: Path, mode: str
) -> None:
    """Killed between the renames and 'done'; the user deletes one placed photo from DEST. The
    recovery forgot its row as if never placed, so verify said nothing. In copy mode its source
    is still in SOURCE: verify names it as not in DEST and the resume places it again. A move on
    one filesystem renamed the source itself into DEST (the rename is its removal), so DEST held
    the only copy: its row is kept, and verify and undo name it missing, in neither place. A
    move across filesystems removes a source only once its copy is journaled done: as copy."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    if mode == "move-across":
        from test_safety import mount_tmpfs

        dest = mount_tmpfs(tmp_path / "other", "16m") / "dest"
    try:
        _placed_then_deleted(src, dest, corpus, mode.removesuffix("-across"))
    finally:
        if mode == "move-across":
            subprocess.run(["umount", "-l", str(tmp_path / "other")], check=False)


def _placed_then_deleted(src: Path, dest: Path, corpus: Path, mode: str) -> None:
    two_camera_photos(src, corpus)
    killed_after_the_renames(src, dest, mode)
    across = os.stat(src).st_dev != os.stat(dest).st_dev
    (dest / "2008" / "a" / "p1.jpg").unlink()
    code, said = imgorg("verify", str(dest))
    assert code == 1 and "2008/a/p1.jpg" in said, said
    if mode == "copy" or across:
        assert f"its source {src / 'a' / 'p1.jpg'} is still in SOURCE" in said, said
    else:
        moved = f"missing: 2008/a/p1.jpg (moved here from {src / 'a' / 'p1.jpg'}: DEST held"
        assert moved in said, said
    code, _ = imgorg("organize", str(src), str(dest), "--mode", mode, *FLAGS)
    assert code == 0
    code, said = imgorg("verify", str(dest))
    if mode == "copy" or across:
        assert code == 0 and (dest / "2008" / "a" / "p1.jpg").exists(), said
        assert set(photos_in(src)) == ({"a/p1.jpg", "a/p2.jpg"} if mode == "copy" else set())
    else:
        assert code == 1 and "missing: 2008/a/p1.jpg" in said, said
        code, said = imgorg("undo", str(dest))
        assert code == 1 and "2008/a/p1.jpg: missing from DEST and not in SOURCE" in said, said
        assert set(photos_in(src)) == {"a/p2.jpg"}


def test_an_incomplete_undo_is_finished_alone_after_the_later_run_is_undone(
    tmp_path: Path, corpus: Path
) -> None:
    """Run 2 moves a card into DEST (run 1 moved an older card); its undo cannot put a photo
    back (its SOURCE folder is read-only) and ends incomplete. A later run of the same card
    (run 3) moves a new photo. The next undo took runs 3 and 2 together, and, the folder still
    read-only, gave up on run 2 as a retry without progress. It undoes run 3 alone, the
    latest, and says run 2's undo is still incomplete. Once the folder is writable, the undo
    after finishes run 2's undo, says so, and stops there: run 1 stays."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("needs setpriv to drop root's power over permissions")
    old, card, dest = tmp_path / "old", tmp_path / "card", tmp_path / "dest"
    (old / "DCIM").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", old / "DCIM" / "n.jpg")
    assert imgorg("organize", str(old), str(dest), "--mode", "move", *FLAGS)[0] == 0
    (card / "DCIM").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", card / "DCIM" / "p1.jpg")
    assert imgorg("organize", str(card), str(dest), "--mode", "move", *FLAGS)[0] == 0
    (card / "DCIM").chmod(0o555)
    code, said = as_user("undo", str(dest))
    assert code == 1 and "run 2 is not undone yet" in said, said
    (card / "new").mkdir()
    shutil.copy2(corpus / "camera" / "Kodak_CX7530.jpg", card / "new" / "p2.jpg")
    assert imgorg("organize", str(card), str(dest), "--mode", "move", *FLAGS)[0] == 0
    code, said = as_user("undo", str(dest))
    assert code == 0 and said.startswith("undo of run 3:"), said
    assert "the undo of run 2 is still incomplete" in said, said
    assert set(photos_in(card)) == {"new/p2.jpg"} and "2008/DCIM/p1.jpg" in photos_in(dest)
    (card / "DCIM").chmod(0o755)
    code, said = imgorg("undo", str(dest))
    assert code == 0 and said.startswith("undo of run 2:"), said
    assert "finishing the undo of run 2" in said, said
    assert set(photos_in(card)) == {"new/p2.jpg", "DCIM/p1.jpg"}
    assert set(photos_in(dest)) == {"2008/DCIM/n.jpg"}
    assert photos_in(old) == {}


def as_user(*args: str) -> tuple[int, str]:
    """The CLI as root minus the powers that bypass file permissions (a read-only folder
    stops it, as it stops a user)."""
    if os.geteuid() != 0:
        return imgorg(*args)
    bounding = "--bounding-set=-dac_override,-dac_read_search,-fowner"
    command = ["setpriv", bounding, sys.executable, "-m", "engine", *args]
    done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@needs_strace
def test_the_dry_run_and_verify_count_the_companions_recovery_would_place(
    tmp_path: Path, corpus: Path
) -> None:
    """A move killed after renaming a photo, before its RAW and XMP: recovery renames them into
    DEST beside it before an undo (which then moves all three back). The dry run moves none
    of them and says the same three; verify names the two still in SOURCE as not in DEST yet."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    folder = src / "Lightroom"
    folder.mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", folder / "IMG_4001.JPG")  # 2008
    (folder / "IMG_4001.CR2").write_bytes(b"II*\x00\x10\x00\x00\x00CR\x02\x00" + bytes(3000))
    (folder / "IMG_4001.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    argv = [sys.executable, "-m", "engine", "organize", str(src), str(dest), "--mode", "move"]
    run_killed_at("renameat2", 2, [*argv, *FLAGS], ENV)  # the RAW's rename
    assert set(photos_in(dest)) == {"2008/Lightroom/IMG_4001.JPG"}
    before_dest, before_src = everything(dest), everything(src)
    code, checked = imgorg("verify", str(dest))
    assert code == 1 and checked.count("not in DEST yet: 2008/Lightroom/IMG_4001.") == 2, checked
    code, said = imgorg("undo", str(dest), "--dry-run")
    assert code == 0 and "3 files would be moved back" in said, said
    assert everything(dest) == before_dest and everything(src) == before_src
    code, done = imgorg("undo", str(dest))
    assert said.splitlines()[0].replace("would be", "were") == done.splitlines()[0], done
    assert {p.name for p in folder.iterdir()} == {"IMG_4001.JPG", "IMG_4001.CR2", "IMG_4001.xmp"}


def test_the_dry_run_finds_files_where_an_unfinished_tidy_step_left_them(tmp_path: Path) -> None:
    """An earlier release's tidy step, killed with the folder 2012/a/b renamed aside: the
    journal already names 2012/b/p.jpg. The undo's recovery finishes the step first; the dry
    run finds p.jpg where it is and says it would move it back, and moves no folder."""
    import datetime as dt
    import sqlite3

    from conftest import write_photo

    src, dest = tmp_path / "src", tmp_path / "out"
    write_photo(src / "a" / "b" / "p.jpg", dt.datetime(2012, 5, 5), seed=1)
    flags = ("--min-size", "0", "--no-tidy", "--no-compress", "--fix-orientation", "none")
    assert imgorg("organize", str(src), str(dest), "--mode", "move", *flags, "--quiet")[0] == 0
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite", isolation_level=None)
    db.execute(
        "INSERT INTO tidy VALUES (1, CAST('2012/a/b' AS BLOB), CAST('2012/b' AS BLOB), 'planned')"
    )
    db.close()
    os.rename(dest / "2012" / "a" / "b", dest / "2012" / ".imgorg-tidy-tmp")
    (dest / "2012" / "a").rmdir()
    before = everything(dest)
    code, said = imgorg("undo", str(dest), "--dry-run")
    assert code == 0 and "1 files would be moved back, 0 left alone" in said, said
    assert everything(dest) == before
    code, done = imgorg("undo", str(dest))
    assert code == 0 and said.splitlines()[0].replace("would be", "were") == done.splitlines()[0]
    assert set(photos_in(src)) == {"a/b/p.jpg"}


@needs_strace
def test_a_dry_run_after_a_killed_run_says_what_the_resume_does(
    tmp_path: Path, corpus: Path
) -> None:
    """The dry run read the killed run's rows as it found them (planned) and said it would
    analyse and place both photos again; the resume finds them complete. It reads the journal
    settled as the recovery would settle it now, and leaves DEST as it was."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    two_camera_photos(src, corpus)
    killed_after_the_renames(src, dest, "copy")
    before = everything(dest)
    code, said = imgorg("organize", str(src), str(dest), "--dry-run", "--jobs", "1")
    assert code == 0, said
    assert "2 files were already done by an earlier run" in said
    assert everything(dest) == before
    code, done = imgorg("organize", str(src), str(dest), "--jobs", "1")
    assert code == 0 and "2 files were already done by an earlier run" in done, done
