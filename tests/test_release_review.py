"""An adversarial review of the release (a move run taking out of SOURCE the files an earlier
copy run placed in DEST): DEST's copy turned into something that is not a copy (a link to the
source, a folder of DEST that is SOURCE's own folder), a kill at each file-system call of the
release, verify and undo after it. Every case ends with each photo's bytes somewhere, and undo
restoring SOURCE byte for byte."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from test_release import dest_on

from conftest import ENV, ROOT, imgorg, needs_strace, photos_in, run_killed_at, tree_digest

FLAGS = ("--jobs", "1", "--min-size", "0", "--quiet")
MOVE = ("--mode", "move", *FLAGS)
COMPRESS = ("--compress-above", "50KB")


def bytes_anywhere(root: Path) -> set[str]:
    """The sha256 of every file below ``root``, DEST's kept originals included."""
    return {digest for digest, _ in tree_digest(root).values()}


def a_card(card: Path, corpus: Path) -> None:
    """Two camera photos and a large phone photo (one a copy run with ``COMPRESS`` rewrites)."""
    (card / "DCIM").mkdir(parents=True)
    for name in ("Canon_40D", "Nikon_D70"):
        shutil.copy2(corpus / "camera" / f"{name}.jpg", card / "DCIM" / f"{name}.jpg")
    shutil.copy2(corpus / "phone" / "jolla.jpg", card / "DCIM" / "jolla.jpg")


# A kill at each file-system call of a move run after a copy run ----------------------------

WALKED = ("unlink", "rename", "renameat2", "mkdir", "syncfs", "fsync", "fdatasync")


def move_argv(card: Path, dest: Path, jobs: int) -> list[str]:
    command = ["organize", str(card), str(dest), "--mode", "move", "--jobs", str(jobs)]
    return [sys.executable, "-m", "engine", *command, "--min-size", "0", "--quiet"]


def calls_of(argv: list[str], trace: Path) -> Counter[str]:
    """How many times a clean run of ``argv`` makes each walked call (all processes)."""
    done = subprocess.run(
        ["strace", "-f", "-qq", "-o", str(trace), f"--trace={','.join(WALKED)}", *argv],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    calls: Counter[str] = Counter()
    for line in trace.read_text().splitlines():
        name = line.split(None, 1)[1].split("(", 1)[0] if " " in line else ""
        if name in WALKED:
            calls[name] += 1
    return calls


def copied(pristine: Path, base: Path, dest: Path) -> tuple[Path, Path]:
    """The card copied into DEST by a copy run that rewrote its large photo smaller."""
    card = base / "card"
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(pristine, card)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    return card, dest


def killed_release_holds(
    pristine: Path, base: Path, dest: Path, call: str, k: int, jobs: int, resume: bool = True
) -> str | None:
    """None when a move run killed at the ``k``-th ``call`` lost nothing, resumed (if
    ``resume``), verified and undid to the card as it was (then the copy run too); else what
    broke."""
    card, dest = copied(pristine, base, dest)
    before = photos_in(pristine)
    argv = move_argv(card, dest, jobs)
    run_killed_at(call, k, argv, ENV)
    where = bytes_anywhere(card) | bytes_anywhere(dest)
    lost = [rel for rel, (digest, _) in before.items() if digest not in where]
    if lost:
        return f"after the kill, bytes found nowhere: {lost}"
    if resume:
        code, out = imgorg(*argv[3:])
        if code != 0:
            return f"resume exit {code}: {out[-300:]}"
        if photos_in(card):
            return f"resume left on the card: {sorted(photos_in(card))}"
    code, out = imgorg("verify", str(dest))
    if code != 0:
        return f"verify exit {code}: {out[-300:]}"
    code, out = imgorg("undo", str(dest))
    if code != 0 or photos_in(card) != before:
        return f"undo of the move exit {code}, card {sorted(photos_in(card))}: {out[-300:]}"
    code, out = imgorg("undo", str(dest))
    if code != 0 or photos_in(card) != before or photos_in(dest):
        return f"undo of the copy exit {code}, DEST {sorted(photos_in(dest))}: {out[-300:]}"
    left = [rel for rel in tree_digest(dest) if rel.startswith(".imgorg/originals")]
    if left:
        return f"kept originals no run accounts for: {left}"
    if set(tree_digest(card)) != set(before):
        return f"files left in SOURCE: {sorted(set(tree_digest(card)) - set(before))}"
    return None


@needs_strace
@pytest.mark.parametrize(
    ("jobs", "resume", "across", "walked"),
    [
        (1, True, False, ("unlink", "renameat2", "syncfs")),
        # With a pool a placer process releases (the rename into DEST/.imgorg/originals);
        # the other processes' first unlinks are the pool's own semaphores.
        (2, True, False, ("renameat2",)),
        (1, False, False, ("unlink",)),
        (1, True, True, ("unlink", "renameat2")),
    ],
    ids=["resumed", "pool", "undone", "across-filesystems"],
)
def test_a_move_run_killed_at_each_call_of_its_release_resumes_verifies_and_undoes(
    tmp_path: Path, corpus: Path, jobs: int, resume: bool, across: bool, walked: tuple[str, ...]
) -> None:
    """Killed at each call that takes a source out (unlink, or rename into
    DEST/.imgorg/originals) or syncs, in the writer (--jobs 1) or a placer process: every
    photo's bytes are still somewhere; the same command resumes and empties the card (or,
    without it, undo settles the killed run first); verify passes; undo gives the card back
    byte for byte, mtimes kept, and the undo after it the copy run's DEST; no kept original
    is left below DEST that no run accounts for. Across filesystems (DEST a small tmpfs) the
    rewritten photo's original is copied below DEST, verified, then unlinked from the card.
    IMGORG_RELEASE_WALK=all walks every file-system call (with --jobs 1)."""
    if os.environ.get("IMGORG_RELEASE_WALK") == "all" and jobs == 1:
        walked = WALKED
    with dest_on(tmp_path, across) as dest:
        _walk_the_release(tmp_path, dest, corpus, jobs, resume, walked)


def _walk_the_release(
    tmp_path: Path, dest: Path, corpus: Path, jobs: int, resume: bool, walked: tuple[str, ...]
) -> None:
    pristine = tmp_path / "pristine"
    a_card(pristine, corpus)
    card, dest = copied(pristine, tmp_path / "clean", dest)
    per_call = calls_of(move_argv(card, dest, jobs), tmp_path / "trace")
    points = [(call, k) for call in walked for k in range(1, per_call[call] + 1)]
    broken = {}
    for call, k in points:
        why = killed_release_holds(pristine, tmp_path / "point", dest, call, k, jobs, resume)
        if why is not None:
            broken[f"{call}#{k}"] = why
    assert not broken, "\n".join(f"{point}: {why}" for point, why in broken.items())


# DEST's copy that is the source itself ------------------------------------------------------


def test_a_dest_folder_linked_to_the_cards_own_folder_releases_nothing(
    tmp_path: Path, corpus: Path
) -> None:
    """After the copy run the user replaced DEST's folder by a symbolic link to the card's
    folder (to browse the card from the archive, say): each "copy" in DEST is then the card's
    file itself, its name a regular file holding the very bytes. Unlinking the source would
    take the photo's only copy: the move run leaves the card as it is and says why."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    (card / "DCIM" / "jolla.jpg").unlink()  # of another year: the two left share a folder
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    year_folder = next(p for p in dest.iterdir() if p.name != ".imgorg")
    shutil.rmtree(year_folder / "DCIM")
    (year_folder / "DCIM").symlink_to(card / "DCIM")
    code, out = imgorg("organize", str(card), str(dest), *MOVE)
    assert photos_in(card) == before
    assert code == 1 and "the source file itself" in (dest / "error_log.log").read_text(), out


def test_a_copy_hard_linked_to_its_source_is_released_and_keeps_the_bytes(
    tmp_path: Path, corpus: Path
) -> None:
    """A deduplicating tool made DEST's copy a hard link of the card's file (one inode, two
    names): releasing the card's name leaves the bytes under DEST's; undo copies them back."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    (card / "DCIM" / "jolla.jpg").unlink()
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    copy = next(dest / rel for rel in photos_in(dest) if "Canon" in rel)
    copy.unlink()
    os.link(card / "DCIM" / "Canon_40D.jpg", copy)
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert photos_in(card) == {}
    assert copy.read_bytes() == (corpus / "camera" / "Canon_40D.jpg").read_bytes()
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before


def test_undo_of_the_copy_run_never_deletes_the_card_through_a_dest_folder_linked_to_it(
    tmp_path: Path, corpus: Path
) -> None:
    """The same linked folder, then undo of the copy run: each of its files in DEST "holds the
    source's bytes while the source is in SOURCE", but it is the source itself: undo leaves it
    and says so."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    (card / "DCIM" / "jolla.jpg").unlink()
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    year_folder = next(p for p in dest.iterdir() if p.name != ".imgorg")
    shutil.rmtree(year_folder / "DCIM")
    (year_folder / "DCIM").symlink_to(card / "DCIM")
    code, out = imgorg("undo", str(dest))
    assert photos_in(card) == before
    assert code == 1 and "the source file itself" in out, out


def test_a_copy_turned_into_a_link_to_its_source_after_the_check_is_not_released(
    tmp_path: Path, corpus: Path
) -> None:
    """The coordinator found DEST's copy a regular file of the placed size; before the
    placer re-hashed it, it became a symbolic link to the source (or the name of a folder
    linked to SOURCE's). The re-hash must not follow it: the source stays."""
    from engine.policy.actions import Action
    from engine.stages.release import MovedFile, Release, release_sources
    from engine.store.journal import Journal

    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        (row,) = [w for w in journal.written() if w.rel == "DCIM/Canon_40D.jpg"]
    finally:
        journal.close()
    source = card / row.rel
    st = source.stat()
    (dest / row.dest).unlink()
    (dest / row.dest).symlink_to(source)
    moved = MovedFile(
        row.rel, row.dest, Action.RELEASE, st.st_size, st.st_mtime_ns, st.st_ino,
        st.st_ctime_ns, row.hash, row.out_hash,
    )  # fmt: skip
    released = release_sources(Release(str(card), str(dest), 2, False, [moved]))
    assert released.removed == [] and len(released.kept) == 1
    assert source.read_bytes() == (corpus / "camera" / "Canon_40D.jpg").read_bytes()


# verify after a release -----------------------------------------------------------------------


def test_verify_after_a_release_counts_and_names_each_file_once(
    tmp_path: Path, corpus: Path
) -> None:
    """The copy run's row and the release's name the same file in DEST: verify checks it
    once; deleted from DEST, it is named missing once, as the only copy of a photo the move
    run took out of SOURCE."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert photos_in(card) == {}
    code, out = imgorg("verify", str(dest))
    assert code == 0 and "verified 3 files and 1 kept originals" in out, out
    gone = next(rel for rel in photos_in(dest) if "Canon" in rel)
    (dest / gone).unlink()
    code, out = imgorg("verify", str(dest))
    assert code == 1 and "verified 3 files" in out and "2 missing" not in out, out
    (line,) = [line for line in out.splitlines() if "missing:" in line]
    assert "DEST held its only copy" in line, out


# what a killed release looks like to undo --dry-run ----------------------------------------


@needs_strace
def test_undo_dry_run_after_a_release_killed_before_its_journal_names_the_move_run(
    tmp_path: Path, corpus: Path
) -> None:
    """Killed after unlinking one released source and before journaling it: undo settles the
    killed run (the disk says that source went) and undoes it; the dry run, which settles a
    private copy of the journal the same way, says the same, not the copy run before it."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    (card / "DCIM").mkdir(parents=True)
    for name in ("Canon_40D", "Nikon_D70"):
        shutil.copy2(corpus / "camera" / f"{name}.jpg", card / "DCIM" / f"{name}.jpg")
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    # unlink 1 is DEST's write probe, 2 the first source released: killed on entry to the 3rd
    run_killed_at("unlink", 3, move_argv(card, dest, 1), ENV)
    assert len(photos_in(card)) == 1
    code, dry = imgorg("undo", "--dry-run", str(dest))
    code, out = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 2" in out and "1 files were moved back" in out, out
    assert photos_in(card) == before
    assert "undo of run 2" in dry and "1 files would be moved back" in dry, dry


def test_a_release_refused_counts_the_changed_copy_once(tmp_path: Path, corpus: Path) -> None:
    """DEST's copy retouched with its size and mtime kept: the move run does not release its
    source, and journals that (a row naming the same file); verify names it changed once, and
    what DEST holds (the journal's standing files, the HTML report's count) names it once."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    copy = next(dest / rel for rel in photos_in(dest) if "Canon" in rel)
    st = copy.stat()
    copy.write_bytes(copy.read_bytes().replace(b"Canon", b"Danon", 1))
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 1
    assert list(photos_in(card)) == ["DCIM/Canon_40D.jpg"]
    code, out = imgorg("verify", str(dest))
    assert code == 1 and "verified 3 files: 0 missing, 1 changed" in out, out
    from engine.store.journal import Journal

    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        standing = [d.dest for d in journal.standing()]  # what the HTML report counts
    finally:
        journal.close()
    assert sorted(standing) == sorted(p for p in photos_in(dest) if p.endswith(".jpg"))


# undo after finalize -------------------------------------------------------------------------


def test_undo_after_finalize_of_a_released_rewritten_photo_leaves_one_copy(
    tmp_path: Path, corpus: Path
) -> None:
    """finalize deleted the original a release kept: undo of the move run puts the copy run's
    rewritten file back in SOURCE (as finalize warns); undo of the copy run then finds SOURCE
    holding the very bytes of DEST's file, which is redundant: removed, not left as a second
    copy with "its source path holds other bytes now"."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card(card, corpus)
    before = photos_in(card)
    assert imgorg("organize", str(card), str(dest), *FLAGS, *COMPRESS)[0] == 0
    rewritten = {rel: digest for rel, (digest, _) in photos_in(dest).items() if "jolla" in rel}
    assert imgorg("organize", str(card), str(dest), *MOVE)[0] == 0
    assert imgorg("finalize", "--yes", str(dest))[0] == 0
    code, out = imgorg("undo", str(dest))
    assert code == 0, out
    assert photos_in(card)["DCIM/jolla.jpg"][0] in rewritten.values()
    code, out = imgorg("undo", str(dest))
    assert code == 0 and "undo of run 1" in out, out
    assert photos_in(dest) == {}
    assert {rel: d for rel, d in photos_in(card).items() if "jolla" not in rel} == {
        rel: d for rel, d in before.items() if "jolla" not in rel
    }


# a family the copy run placed, one member changed since ------------------------------------

XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def test_a_sidecar_edited_since_the_copy_run_leaves_the_card_with_its_released_photo(
    tmp_path: Path, corpus: Path
) -> None:
    """A photo and its XMP were copied; the XMP was edited on the card since (new keywords).
    The move run releases the photo, whose name in DEST is fixed, and the edited XMP's name
    beside it holds the old XMP: the edited one takes a suffix and leaves the card with its
    photo, never stranded there in error until a later run; undo brings it back."""
    card, dest, report = tmp_path / "card", tmp_path / "dest", tmp_path / "r.jsonl"
    (card / "2008").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", card / "2008" / "IMG_4001.JPG")
    sidecar = card / "2008" / "IMG_4001.xmp"
    sidecar.write_text(XMP)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    sidecar.write_text(XMP.replace("<rdf:RDF/>", "<rdf:RDF>edited</rdf:RDF>"))
    before = photos_in(card)
    code, out = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    lines = {line["source"]: line for line in map(json.loads, report.read_text().splitlines())}
    assert lines["2008/IMG_4001.JPG"]["note"].startswith("released by this run")
    assert lines["2008/IMG_4001.xmp"]["dest"] == "2008/2008/IMG_4001_1.xmp"
    assert photos_in(card) == {}
    assert (dest / "2008" / "2008" / "IMG_4001.xmp").read_text() == XMP
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before


# a source written to while DEST's copy is read ------------------------------------------------


def _opened_by_any_process(path: Path) -> bool:
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == str(path):
                        return True
    return False


@needs_strace
def test_a_source_written_to_while_its_copy_is_checked_is_not_released(
    tmp_path: Path, corpus: Path
) -> None:
    """The source was hashed, then DEST's copy is being read (held open here for three
    seconds: strace delays its open) when the card's file is written to in place: it is no
    longer the file whose bytes DEST holds, and is not unlinked."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    (card / "DCIM").mkdir(parents=True)
    source = card / "DCIM" / "Canon_40D.jpg"
    shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", source)
    assert imgorg("organize", str(card), str(dest), *FLAGS)[0] == 0
    (copy,) = (dest / rel for rel in photos_in(dest))
    delay = ["strace", "-f", "-qq", "-o", "/dev/null", "-P", str(copy)]
    delay.append("--inject=openat:delay_exit=3000000")
    run = subprocess.Popen([*delay, *move_argv(card, dest, 1)], cwd=ROOT, env=ENV)
    try:
        for _ in range(1000):
            if _opened_by_any_process(copy) or run.poll() is not None:
                break
            time.sleep(0.01)
        with open(source, "r+b") as handle:
            handle.seek(200)
            handle.write(b"EDITED")
    finally:
        run.wait(timeout=60)
    assert source.exists() and b"EDITED" in source.read_bytes()
