"""Defects of ``imgorg undo`` an adversarial review found: the mode bits of a photo copied
back to SOURCE, a copy run's undo after a move run's undo gave up, a photo put back on the card
after its release, and the memory an undo of a large journal takes."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_release import dest_on

from benchmarks.reports import grow
from conftest import imgorg, photos_in

FLAGS = ("--jobs", "1", "--min-size", "0", "--quiet")
MOVE = ("--mode", "move", *FLAGS)
COMPRESS = ("--compress-above", "50KB")  # rewrites the phone photo (jolla.jpg) smaller
# A card's photos with the permission bits a user gave them: read-only, private, read-only
# to the group; and modification times of their own.
MODES = {"DCIM/Canon_40D.jpg": 0o444, "DCIM/Nikon_D70.jpg": 0o600, "DCIM/jolla.jpg": 0o440}


def a_card(card: Path, corpus: Path) -> None:
    """Two camera photos and a large phone photo (one ``COMPRESS`` rewrites)."""
    (card / "DCIM").mkdir(parents=True)
    for name in ("Canon_40D", "Nikon_D70"):
        shutil.copy2(corpus / "camera" / f"{name}.jpg", card / "DCIM" / f"{name}.jpg")
    shutil.copy2(corpus / "phone" / "jolla.jpg", card / "DCIM" / "jolla.jpg")


def modes_of(root: Path) -> dict[str, int]:
    return {rel: stat.S_IMODE((root / rel).stat().st_mode) for rel in photos_in(root)}


# 1. Undo's copy back keeps the source's mode bits and time -------------------------------


@pytest.mark.parametrize("across", [False, True], ids=["one-filesystem", "across-filesystems"])
@pytest.mark.parametrize("runs", ["copy-then-move", "move"])
def test_a_photo_undo_writes_back_to_source_has_its_mode_and_time(
    tmp_path: Path, corpus: Path, across: bool, runs: str
) -> None:
    """A read-only (0444), a private (0600) and a group-readable (0440) photo leave the card
    (released after a copy run, the phone photo's original kept below DEST; or moved, across
    filesystems copied and verified); undo writes each back as a new file: it came back 0644,
    its mode lost. Now with the mode and time it had."""
    card = tmp_path / "card"
    a_card(card, corpus)
    for rel, mode in MODES.items():
        (card / rel).chmod(mode)
    before, modes = photos_in(card), modes_of(card)
    assert modes == MODES
    with dest_on(tmp_path, across) as dest:
        if runs == "copy-then-move":
            assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
            code, said = imgorg("organize", str(card), str(dest), *MOVE)
        else:
            code, said = imgorg("organize", str(card), str(dest), *MOVE, *COMPRESS)
        assert code == 0 and photos_in(card) == {}, said
        (kept,) = (dest / ".imgorg" / "originals").rglob("jolla.jpg")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o440  # renamed there, or copied across
        code, said = imgorg("undo", str(dest))
        assert code == 0, said
        assert photos_in(card) == before  # bytes and modification times
        assert modes_of(card) == MODES


_PEAK = (
    "import contextlib, re, sys\n"
    "from engine.cli import main\n"
    "with open(sys.argv[2], 'w') as out, contextlib.redirect_stdout(out):\n"
    "    code = main(['undo', *sys.argv[3:], sys.argv[1]])\n"
    "status = open('/proc/self/status').read()\n"
    "print(code, int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
)


def _undo_peak(dest: Path, said: Path, *flags: str) -> tuple[int, int, str]:
    """``imgorg undo FLAGS DEST`` in a child process, what it printed going to the file
    ``said`` (not held in memory): its exit code, its peak memory (VmHWM, not ru_maxrss,
    which a child inherits from pytest) in MiB, and the end of what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(dest), str(said), *flags],
        capture_output=True,
        text=True,
        check=True,
    )
    code, mib = done.stdout.split()
    return int(code), int(mib), said.read_text()[-300:]


def test_undo_of_a_large_run_reads_its_journal_a_row_at_a_time(
    tmp_path: Path, corpus: Path
) -> None:
    """``imgorg undo`` (and ``--dry-run``) of a run of 100,000 files: its rows are undone one at
    a time as read and the files left in DEST said as found, not all held first (361,000 rows
    took 287 MiB for a dry run, 318 MiB for the undo: benchmarks/undo_memory.py)."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    for photo in sorted((corpus / "camera").glob("*.jpg"))[:20]:
        shutil.copy2(photo, src / photo.name)
    code, _ = imgorg("organize", str(src), str(dest), "--quiet", "--min-size", "0")
    assert code == 0
    grow(str(dest / ".imgorg" / "journal.sqlite"), 100_000)  # rows of files not in DEST
    code, mib, said = _undo_peak(dest, tmp_path / "dry-run.txt", "--dry-run")
    assert mib < 45, f"undo --dry-run's peak memory: {mib} MiB"
    assert code == 1 and "20 copies would be removed" in said, said
    code, mib, said = _undo_peak(dest, tmp_path / "undo.txt")
    assert mib < 75, f"undo's peak memory: {mib} MiB"  # SQLite's page cache is 32 MiB of it
    assert code == 1 and "20 copies were removed" in said, said
    assert "99980 left alone" in said, said
    assert photos_in(dest) == {}


# 2. The copy run's undo after the move run's undo gave up ----------------------------------


def test_the_copy_runs_undo_after_the_move_runs_undo_gave_up_returns_the_original(
    tmp_path: Path, corpus: Path
) -> None:
    """A copy run rewrote the phone photo smaller; a move run released the card (its original
    kept below DEST). Undo of the move run found the card not mounted, twice: it gave up, the
    card's photos left in DEST. With the card back, the next undo (of the copy run) renamed the
    rewritten file onto the card as if it were the photo, its original orphaned below DEST.
    Now the original comes back, and DEST keeps nothing of either run."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    card.rename(tmp_path / "card-away")  # the card taken out
    code, said = imgorg("undo", str(dest))
    assert code == 1 and "is not there (a drive not mounted?)" in said, said
    code, said = imgorg("undo", str(dest))
    assert code == 1 and "nothing more of run 2 could be undone" in said, said
    (tmp_path / "card-away").rename(card)  # and put back
    code, said = imgorg("undo", str(dest), "--dry-run")
    assert code == 0 and "3 files would be moved back, 0 left alone" in said, said
    code, said = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 1: 0 copies were removed, 3 files were moved back" in said
    assert photos_in(card) == before
    assert photos_in(dest) == {}
    assert not (dest / ".imgorg" / "originals").exists()
    assert imgorg("verify", str(dest))[0] == 0


def test_the_copy_runs_undo_after_the_move_runs_undo_found_the_path_taken_returns_the_original(
    tmp_path: Path, corpus: Path
) -> None:
    """The same runs; the user wrote another file at the phone photo's path on the card, so
    the move run's undo left the photo in DEST ("holds other bytes now") and the run undone.
    With that file gone, the copy run's undo put the rewritten file there. Now the original."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    shutil.copy2(corpus / "camera" / "Kodak_CX7530.jpg", card / "DCIM" / "jolla.jpg")
    code, said = imgorg("undo", str(dest))
    assert code == 1 and "its source path holds other bytes now" in said, said
    (card / "DCIM" / "jolla.jpg").unlink()
    code, said = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 1: 2 copies were removed, 1 files were moved back" in said
    assert photos_in(card) == before
    assert photos_in(dest) == {}
    assert not (dest / ".imgorg" / "originals").exists()


def test_the_copy_runs_undo_never_puts_a_rewritten_photo_in_source_for_a_damaged_original(
    tmp_path: Path, corpus: Path
) -> None:
    """The same card, released by a move run; its phone photo's kept original then damaged in
    DEST. Undo of the move run leaves the photo in DEST (the original is not its bytes), and
    the copy run's undo put the rewritten file onto the card in its place, dated as the photo.
    Now it leaves it in DEST, and says why."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    rewritten = {rel for rel in photos_in(dest) if "jolla" in rel}
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    (kept,) = (dest / ".imgorg" / "originals").rglob("jolla.jpg")
    with open(kept, "r+b") as handle:  # a bad sector
        handle.seek(4096)
        handle.write(bytes(512))
    code, said = imgorg("undo", str(dest))
    assert code == 1 and f"its kept original {kept.relative_to(dest)} is missing" in said, said
    code, said = imgorg("undo", str(dest))
    assert code == 1 and "undo of run 1" in said, said
    assert "a rewritten version of its source (turned or re-encoded), left in DEST" in said, said
    assert "DCIM/jolla.jpg" not in photos_in(card)
    assert photos_in(card) == {r: d for r, d in before.items() if r != "DCIM/jolla.jpg"}
    assert set(photos_in(dest)) == rewritten


# 3. A photo put back on the card after its release -----------------------------------------


def report_by_source(path: Path) -> dict[str, dict]:
    return {line["source"]: line for line in map(json.loads, path.read_text().splitlines())}


def released_then_put_back(tmp_path: Path, corpus: Path, first: str) -> tuple[Path, Path, dict]:
    """The card organized by ``first`` ("copy-then-move": a copy run rewriting the phone photo,
    then a move run releasing the card; "move": one move run), then every photo put back from
    a backup with ``cp -p`` (same path, bytes, size and time): the card, DEST, the card as it
    was."""
    card, dest, backup = tmp_path / "card", tmp_path / "dest", tmp_path / "backup"
    a_card(card, corpus)
    before = photos_in(card)
    shutil.copytree(card, backup)
    if first == "copy-then-move":
        assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
        assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    else:
        assert imgorg("organize", str(card), str(dest), *MOVE, *COMPRESS)[0] == 0
    assert photos_in(card) == {}
    subprocess.run(["cp", "-rp", f"{backup}/.", str(card)], check=True)
    assert photos_in(card) == before
    return card, dest, before


@pytest.mark.parametrize("first", ["copy-then-move", "move"])
def test_a_photo_put_back_after_its_release_is_released_again_by_a_move_run(
    tmp_path: Path, corpus: Path, first: str
) -> None:
    """The move run after the put-back said "3 files were already done" and left them on the
    card, its report repeating the earlier run's "released by this run". Now it takes them out
    again (DEST's copies re-hashed first), says so, and undo of every run gives the card back."""
    card, dest, before = released_then_put_back(tmp_path, corpus, first)
    in_dest = photos_in(dest)
    report = tmp_path / "again.jsonl"
    code, said = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, said
    assert photos_in(card) == {}
    assert photos_in(dest) == in_dest  # nothing written again
    lines = report_by_source(report)
    assert set(lines) == set(before)
    for line in lines.values():
        assert line["status"] == "placed" and "released by this run" in line["note"], line
    assert imgorg("verify", str(dest))[0] == 0
    while True:
        code, said = imgorg("undo", str(dest))
        assert code == 0, said
        if "nothing to undo" in said:
            break
    assert photos_in(card) == before
    assert photos_in(dest) == {}
    assert not any((dest / ".imgorg" / "originals").rglob("*.jpg"))


def test_a_photo_put_back_after_its_release_is_already_archived_for_a_copy_run(
    tmp_path: Path, corpus: Path
) -> None:
    """A copy run finds the put-back photos already in DEST: done by an earlier run, left on
    the card, and its report says which run released them (not "this run")."""
    card, dest, before = released_then_put_back(tmp_path, corpus, "copy-then-move")
    report = tmp_path / "again.jsonl"
    code, said = imgorg("organize", str(card), str(dest), *FLAGS, "--report", str(report))
    assert code == 0, said
    assert photos_in(card) == before
    lines = report_by_source(report)
    assert set(lines) == set(before)
    for line in lines.values():
        assert "this run" not in line["note"], line
        assert line["note"].startswith("released by run 2: its copy in DEST is"), line
