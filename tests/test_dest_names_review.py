"""Review of names DEST's filesystem refuses, in move mode: a photo turned or re-encoded in
DEST keeps its own bytes below DEST/.imgorg/originals, under its source path; a path an exFAT
disk refuses there must not keep the source in SOURCE run after run, and a run killed after
keeping it (or one an older imgorg kept under the source path as it is) must still recover."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from test_hunt11 import exfat  # noqa: F401  (a fixture)

from conftest import ENV, imgorg, needs_strace, photos_in, run_killed_at, tree_digest
from engine.policy.naming import portable
from engine.store.journal import ORIGINALS

TURNED = "phone/Samsung GT-I9000 (Galaxy S).jpg"  # 2011, EXIF Orientation 6: turned in DEST
TURNED_TOO = "camera/exiftool_Pentax.jpg"  # 2008, Orientation 8
PLAIN = "camera/Canon_40D.jpg"  # 2008, upright

# source name -> corpus file: names an exFAT disk refuses, a device name, a '%'
MOVED = {
    "Trip: Rome./12:30.jpg": TURNED,
    "CON.jpg": TURNED_TOO,
    "100%/x?y.jpg": "orientation/Landscape_3.jpg",  # Orientation 3, no date
    "plain.jpg": PLAIN,
}


def a_linux_tree(corpus: Path, root: Path) -> Path:
    for name, original in MOVED.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / original, root / name)
    return root


def forget_the_kept_originals(dest: Path) -> None:
    """The journal as a run killed after keeping each original, before journaling it."""
    db = sqlite3.connect(dest / ".imgorg/journal.sqlite")
    with db:
        db.execute("UPDATE files SET source_removed = 0, original = NULL")
    db.close()


def test_a_move_onto_an_exfat_dest_keeps_the_originals_of_turned_photos_named_as_it_refuses(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """The photos turned in DEST leave SOURCE (their own bytes kept below DEST/.imgorg), as
    the upright one does; verify is clean; a second run has nothing left to do; undo gives
    SOURCE back byte for byte."""
    source = a_linux_tree(corpus, tmp_path / "linux-tree")
    before = tree_digest(source)
    dest = exfat / "Archive"

    code, rows = organize(source, dest, "--mode", "move", "--min-size", "0", "-j", "1")

    assert code == 0, rows
    assert tree_digest(source) == {}, "a turned photo's source was kept in SOURCE"
    kept = {sha for sha, _ in tree_digest(dest / ORIGINALS).values()}
    assert kept == {before["Trip: Rome./12:30.jpg"][0]}  # the one turned
    assert imgorg("verify", str(dest))[0] == 0
    assert organize(source, dest, "--mode", "move", "--min-size", "0")[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert tree_digest(source) == before
    assert photos_in(dest) == {}


def test_a_move_killed_after_keeping_originals_on_an_exfat_dest_is_undone_byte_for_byte(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """Killed after the sources went below DEST/.imgorg/originals, before the journal said so:
    undo's recovery finds each kept original under the name the disk took, and puts the
    original bytes back, not the turned ones."""
    source = a_linux_tree(corpus, tmp_path / "linux-tree")
    before = tree_digest(source)
    dest = exfat / "Archive"
    assert organize(source, dest, "--mode", "move", "--min-size", "0", "-j", "1")[0] == 0
    forget_the_kept_originals(dest)

    assert imgorg("undo", str(dest))[0] == 0

    assert tree_digest(source) == before
    assert photos_in(dest) == {}
    assert tree_digest(dest / ORIGINALS) == {}


def test_an_original_an_older_run_kept_under_its_source_path_still_recovers(
    corpus: Path, tmp_path: Path, organize: Any
) -> None:
    """On a Linux DEST an older imgorg kept ``Trip: Rome./12:30.jpg``'s original under that
    very path, and was killed before journaling it: undo finds it there and puts it back."""
    source = a_linux_tree(corpus, tmp_path / "linux-tree")
    before = tree_digest(source)
    dest = tmp_path / "dest"
    assert organize(source, dest, "--mode", "move", "--min-size", "0", "-j", "1")[0] == 0
    run = dest / ORIGINALS / "1"
    kept_at = {digest: rel for rel, digest in tree_digest(run).items()}
    for rel, digest in before.items():
        if digest in kept_at and rel != kept_at[digest]:
            (run / rel).parent.mkdir(parents=True, exist_ok=True)
            (run / kept_at[digest]).rename(run / rel)  # where an older imgorg kept it
    forget_the_kept_originals(dest)

    assert imgorg("undo", str(dest))[0] == 0

    assert tree_digest(source) == before
    assert photos_in(dest) == {}


@pytest.mark.parametrize(
    ("rel", "kept"),
    [
        ("Trip/IMG_1.jpg", "Trip/IMG_1.jpg"),
        ("Trip: Rome./12:30.jpg", "Trip%3A Rome%2E/12%3A30.jpg"),
        ("100%/x?y.jpg", "100%25/x%3Fy.jpg"),
        ("Beach /con.jpg", "Beach%20/%63on.jpg"),
        ("Caf\udce9/a\tb.jpg", "Caf%E9/a%09b.jpg"),  # a Latin-1 byte, a tab
    ],
)
def test_a_kept_original_s_path_is_one_any_disk_takes_and_no_other_source_s(
    rel: str, kept: str
) -> None:
    assert portable(rel) == kept
    assert portable(kept) != kept or kept == rel  # '%' is escaped too: two paths stay two


@needs_strace
@pytest.mark.parametrize("k", [7, 8])
def test_a_move_onto_an_exfat_dest_killed_around_keeping_an_original_is_undone_whole(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    k: int,
) -> None:
    """Killed on entry to the k-th unlink of the move (7: the turned photo's source, its bytes
    already kept below DEST; 8: the next source, the first one gone and not yet journaled):
    undo finds the kept original under the name the disk took and gives SOURCE back whole."""
    source = tmp_path / "linux-tree"
    (source / "Trip: Rome.").mkdir(parents=True)
    shutil.copy2(corpus / TURNED, source / "Trip: Rome./12:30.jpg")
    shutil.copy2(corpus / PLAIN, source / "Trip: Rome./plain.jpg")
    before = tree_digest(source)
    dest = exfat / "Archive"
    argv = ["organize", str(source), str(dest), "--mode", "move", "-j", "1", "--quiet"]
    run_killed_at("unlink", k, [sys.executable, "-m", "engine", *argv], ENV)
    assert len(tree_digest(source)) == 9 - k  # killed while taking the sources out

    assert imgorg("undo", str(dest))[0] == 0

    assert tree_digest(source) == before
    assert photos_in(dest) == {}
    spares = {sha for sha, _ in tree_digest(dest / ORIGINALS).values()}
    assert spares <= {sha for sha, _ in before.values()}  # 7: a copy SOURCE holds too


def test_latin1_names_from_an_old_linux_tree_are_adapted_on_an_exfat_dest_not_errors(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """A name whose bytes are no UTF-8 (``caf\\xe9.jpg``, written by an old Latin-1 Linux
    box) cannot be written to a disk that keeps names in UTF-16: each such byte is ``_``, noted,
    as the dry run foretells, instead of an error on every run; moved, a turned one's original
    is kept too; undo gives the very names back."""
    source = tmp_path / "linux-tree"
    album = source / os.fsdecode(b"R\xe9union")
    album.mkdir(parents=True)
    shutil.copy2(corpus / PLAIN, album / os.fsdecode(b"caf\xe9.jpg"))
    shutil.copy2(corpus / TURNED, source / os.fsdecode(b"\xe9t\xe9.jpg"))
    before = tree_digest(source)
    dest = exfat / "Archive"
    flags = ("--mode", "move", "-j", "1")

    code, planned = organize(source, dest, "--dry-run", *flags)
    code, rows = organize(source, dest, *flags)

    assert code == 0, rows
    placed = {row["source"]: row["dest"] for row in rows}
    assert placed == {row["source"]: row["dest"] for row in planned}
    assert placed[os.fsdecode(b"\xe9t\xe9.jpg")] == "2011/_t_.jpg"
    assert all(row["status"] == "placed" for row in rows)
    assert all("is not UTF-8 (byte 0xE9)" in row["note"] for row in rows), rows
    assert tree_digest(source) == {}
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert tree_digest(source) == before
    assert photos_in(dest) == {}


@needs_strace
def test_a_run_killed_while_probing_an_exfat_dest_leaves_no_probe_file_after_the_next(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
) -> None:
    """Killed on entry to the unlink of the probe's first file in DEST/.imgorg: the next run
    removes it, and places the photos under the adapted names."""
    source = tmp_path / "linux-tree"
    source.mkdir()
    shutil.copy2(corpus / PLAIN, source / "12:30.jpg")
    dest = exfat / "Archive"
    argv = ["organize", str(source), str(dest), "-j", "1", "--quiet"]
    # unlink 1: DEST's write test, 2: the new journal's rollback file, 3: the first probe file
    run_killed_at("unlink", 3, [sys.executable, "-m", "engine", *argv], ENV)
    assert [p.name for p in (dest / ".imgorg").glob(".imgorg-tmp-*")]

    assert imgorg(*argv)[0] == 0

    assert list((dest / ".imgorg").glob(".imgorg-tmp-*")) == []
    assert list(photos_in(dest)) == ["2008/12_30.jpg"]
