"""Hostile file systems and awkward sequences of operations, through the CLI, with real
camera files: none of them may lose or strand a photo, or stop a run with a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_safety import mount_tmpfs
from test_writer_io import _copy_run, _staged

from conftest import imgorg, photos_in, tree_digest
from engine.formats.kinds import DEFAULT_EXTENSIONS
from engine.policy.actions import Action
from engine.records import Status
from engine.stages.analyse import WorkerOptions, analyze_all
from engine.stages.release import MovedFile, Release, release_sources
from engine.stages.walk import plan
from engine.store import fsops
from engine.store.journal import Journal

ROTATED = "phone/Apple iPhone 5.jpg"  # 2.4 MB, EXIF Orientation 3: turned in DEST


@pytest.fixture
def small_dest(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = mount_tmpfs(tmp_path / "dest", "24m")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """A file taking all but ``leave`` bytes of ``folder``'s filesystem."""
    st = os.statvfs(folder)
    filler = folder / "filler.bin"
    with open(filler, "wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def test_a_photo_to_turn_on_a_full_dest_stops_the_run_cleanly_and_resumes(
    corpus: Path, tmp_path: Path, small_dest: Path
) -> None:
    """The worker stages a turned photo's new bytes in DEST: a DEST too full for them makes
    that photo an error saying so (exit 1), never a traceback that stops the run; the re-run
    with room places it turned."""
    source = tmp_path / "card"
    source.mkdir()
    shutil.copy2(corpus / ROTATED, source / "IMG_0001.JPG")
    before = tree_digest(source)
    (small_dest / ".imgorg").mkdir()
    filler = fill(small_dest, 1_000_000)

    code, said = imgorg("organize", str(source), str(small_dest), "--no-space-check", "-j", "1")

    assert code == 1, said
    assert "DEST is full" in (small_dest / "error_log.log").read_text()
    assert tree_digest(source) == before
    filler.unlink()
    code, said = imgorg("organize", str(source), str(small_dest), "-j", "1")
    assert code == 0, said
    placed = [rel for rel in photos_in(small_dest) if rel.endswith("IMG_0001.JPG")]
    assert len(placed) == 1
    assert photos_in(small_dest)[placed[0]][0] != before["IMG_0001.JPG"][0]  # turned
    assert imgorg("verify", str(small_dest))[0] == 0


@pytest.mark.parametrize("own", [".imgorg", ".imgorg/staging", ".imgorg/thumbs"])
def test_a_file_where_dest_keeps_its_own_folders_is_refused_and_left_alone(
    corpus: Path, tmp_path: Path, own: str
) -> None:
    """A file (a sync tool's conflict copy, a user's) where imgorg keeps its journal or its
    work is refused with the path to move aside (exit 2), never a traceback, and kept."""
    source, dest = tmp_path / "card", tmp_path / "dest"
    source.mkdir()
    shutil.copy2(corpus / "camera/Canon_40D.jpg", source / "IMG_0001.JPG")
    blocker = dest / own
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"not imgorg's")

    code, said = imgorg("organize", str(source), str(dest), "-j", "1")

    assert code == 2, said
    assert f"{blocker} is not a folder" in said and "move it aside" in said
    assert blocker.read_bytes() == b"not imgorg's"
    blocker.unlink()
    assert imgorg("organize", str(source), str(dest), "-j", "1")[0] == 0


@pytest.fixture
def other_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = mount_tmpfs(tmp_path / "other", "64m")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_year_folders_linked_onto_another_disk_get_their_photos(
    corpus: Path, tmp_path: Path, other_disk: Path, mode: str
) -> None:
    """An archive that outgrew its disk keeps its year folders on another one, linked from
    DEST: the workers' copies and turned photos, staged on DEST's disk, cannot be renamed
    there, and are copied and verified instead (never an error on every run); verify and undo
    hold."""
    source, dest = tmp_path / "card", tmp_path / "dest"
    source.mkdir()
    shutil.copy2(corpus / "camera/Canon_40D.jpg", source / "IMG_0001.JPG")
    shutil.copy2(corpus / ROTATED, source / "IMG_0002.JPG")
    dest.mkdir()
    for year in range(1995, 2031):
        (other_disk / str(year)).mkdir()
        (dest / str(year)).symlink_to(other_disk / str(year))
    before = tree_digest(source)

    code, said = imgorg("organize", str(source), str(dest), "--mode", mode, "-j", "2")

    assert code == 0, said
    on_other = {p.name: p for p in other_disk.rglob("*.JPG")}
    assert sorted(on_other) == ["IMG_0001.JPG", "IMG_0002.JPG"]
    assert on_other["IMG_0001.JPG"].read_bytes() == (corpus / "camera/Canon_40D.jpg").read_bytes()
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert tree_digest(source) == before
    assert not list(other_disk.rglob("*.JPG"))


@pytest.fixture
def exfat(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 64 MB exFAT disk (a camera card, a USB disk) mounted through FUSE: no hard links, no
    RENAME_NOREPLACE, names that differ only in case are one, and no : ? * in a name."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a loop device")
    for tool in ("mkfs.exfat", "mount.exfat-fuse", "losetup"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (exfatprogs, exfat-fuse: scripts/setup --dev)")
    image, mount = tmp_path / "exfat.img", tmp_path / "exfat"
    mount.mkdir()
    with open(image, "wb") as handle:
        handle.truncate(64 << 20)
    subprocess.run(["mkfs.exfat", str(image)], check=True, capture_output=True)
    loop = subprocess.run(
        ["losetup", "-f", "--show", str(image)], capture_output=True, text=True
    ).stdout.strip()
    if not loop:
        pytest.skip("no loop device can be set up here")
    done = subprocess.run(["mount.exfat-fuse", loop, str(mount)], capture_output=True)
    if done.returncode != 0:
        subprocess.run(["losetup", "-d", loop], check=False)
        pytest.skip(f"cannot mount exFAT here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)
    subprocess.run(["losetup", "-d", loop], check=False)


def test_an_exfat_card_moved_onto_an_exfat_disk_and_back(
    corpus: Path, tmp_path: Path, exfat: Path
) -> None:
    """SOURCE and DEST on one exFAT disk: placed by rename without RENAME_NOREPLACE or hard
    links; a name the disk refuses (a ':' from a Linux tree) is placed adapted (``12_30.jpg``),
    its row saying why; a name that differs from another only in case takes a suffix; verify
    and undo hold."""
    source, dest = exfat / "DCIM", exfat / "Photos"
    (source / "100CANON").mkdir(parents=True)
    shutil.copy2(corpus / "camera/Canon_40D.jpg", source / "100CANON/IMG_0001.JPG")
    shutil.copy2(corpus / ROTATED, source / "100CANON/IMG_0002.JPG")
    (dest / "2008").mkdir(parents=True)
    shutil.copy2(corpus / "camera/DSCN0010.jpg", dest / "2008/img_0001.jpg")  # another photo
    before = tree_digest(source)
    linux = tmp_path / "linux-tree"  # ':' is no exFAT name: this tree is not on the disk
    linux.mkdir()
    shutil.copy2(corpus / "camera/Kodak_CX7530.jpg", linux / "12:30.jpg")

    code, said = imgorg("organize", str(linux), str(dest), "--min-size", "0", "-j", "1")
    assert code == 0, said
    assert (dest / "2005/12_30.jpg").read_bytes() == (linux / "12:30.jpg").read_bytes()

    code, said = imgorg("organize", str(source), str(dest), "--mode", "move", "-j", "2")
    assert code == 0, said
    assert not list(source.rglob("*.JPG"))
    names = sorted(p.name.lower() for p in (dest / "2008").iterdir())
    assert len(names) == 2 and "img_0001.jpg" in names  # the card's IMG_0001 took a suffix
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert tree_digest(source) == before
    assert [p.name for p in (dest / "2008").iterdir()] == ["img_0001.jpg"]


def renumber(path: Path, data: bytes) -> None:
    """``path`` holding ``data`` under a new inode number, with the size and mtime it had."""
    st = path.stat()
    fresh = path.with_name(".sync-tmp")
    fresh.write_bytes(data)
    os.utime(fresh, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(fresh, path)
    assert path.stat().st_ino != st.st_ino


def test_a_worker_copy_is_placed_while_its_source_holds_those_bytes_under_a_new_inode(
    corpus: Path, tmp_path: Path
) -> None:
    """A FUSE filesystem (an exFAT card, a phone over MTP) numbers a file anew once the kernel
    lets it go, and a sync tool rewrites a file whole: the same size, mtime and bytes under
    another inode number still place the worker's copy; other bytes of the same size and
    mtime do not."""
    src, dest = tmp_path / "card", tmp_path / "dest"
    src.mkdir()
    for name in ("Canon_40D.jpg", "DSCN0010.jpg"):
        shutil.copy2(corpus / "camera" / name, src / name)
    stage_dir = dest / ".imgorg" / "staging"
    stage_dir.mkdir(parents=True)
    candidates = plan(str(src), DEFAULT_EXTENSIONS, exclude=[str(dest)]).candidates
    analyses = analyze_all(
        str(src), candidates, WorkerOptions(stage_dir=str(stage_dir), copy_to_stage=True)
    )
    assert all(a.copied for a in analyses)
    renumbered, rewritten = src / "Canon_40D.jpg", src / "DSCN0010.jpg"
    renumber(renumbered, renumbered.read_bytes())
    renumber(rewritten, rewritten.read_bytes()[:-10] + b"edited....")
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    try:
        run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
        coordinator, placer = _copy_run(src, dest, journal, run_id, candidates, stage_dir)
        placer.add([d for a in analyses for d in coordinator.accept(a)])
        placer.flush()
        rows = {d.rel: d for d in journal.decisions(run_id, str(src))}
    finally:
        journal.close()
    assert rows["Canon_40D.jpg"].status is Status.PLACED
    assert rows["DSCN0010.jpg"].status is Status.ERROR
    assert "changed" in (rows["DSCN0010.jpg"].reason or "")
    [placed] = dest.rglob("Canon_40D.jpg")
    assert placed.read_bytes() == (corpus / "camera/Canon_40D.jpg").read_bytes()
    assert not list(dest.rglob("DSCN0010.jpg"))
    assert _staged(stage_dir) == []


@pytest.mark.parametrize("action", [Action.MOVE_COPY, Action.MOVE_STAGED])
def test_a_moved_source_under_a_new_inode_number_leaves_once_its_bytes_are_checked(
    corpus: Path, tmp_path: Path, action: Action
) -> None:
    """A move off a FUSE card: each source seen again under a new inode number, with the size
    and mtime analysed, leaves SOURCE (unlinked, or a turned photo's original kept below DEST)
    once its bytes are the ones analysed and its copy in DEST verifies, never left behind for
    a second run; one holding other bytes stays."""
    src, dest = tmp_path / "card", tmp_path / "dest"
    src.mkdir()
    names = ("Canon_40D.jpg", "DSCN0010.jpg")
    files = []
    for name in names:
        path = src / name
        shutil.copy2(corpus / "camera" / name, path)
        (dest / "2008").mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / "2008" / name)  # its placed copy
        st, digest = path.stat(), fsops.hash_file(str(path))
        moved = MovedFile(
            name, f"2008/{name}", action, st.st_size, st.st_mtime_ns, st.st_ino,
            st.st_ctime_ns, digest, digest,
        )  # fmt: skip
        files.append(moved)
    renumber(src / names[0], (src / names[0]).read_bytes())
    renumber(src / names[1], (src / names[1]).read_bytes()[:-10] + b"edited....")

    done = release_sources(Release(str(src), str(dest), 1, False, files))

    assert done.removed == [0] and [index for index, _ in done.kept] == [1]
    assert not (src / names[0]).exists() and (src / names[1]).exists()
    assert (dest / "2008" / names[0]).read_bytes() == (corpus / "camera" / names[0]).read_bytes()
    if action is Action.MOVE_STAGED:
        kept = dest / done.originals[0]
        assert kept.read_bytes() == (corpus / "camera" / names[0]).read_bytes()


def test_a_move_on_one_disk_renames_a_source_seen_under_a_new_inode_number(
    corpus: Path, tmp_path: Path
) -> None:
    """A move within one FUSE filesystem (an exFAT disk holding the card's copy and the
    archive): a source seen again under a new inode number with the size, mtime and bytes
    analysed is renamed into DEST (its duplicate into Duplicates/), never an error on every
    run; one with other bytes is an error and stays."""
    from engine.policy.naming import Layout
    from engine.stages.analyse import analyze
    from engine.stages.decide import Coordinator, Folders
    from engine.stages.place import Placer
    from engine.store.dest_view import JournalView

    src, dest = tmp_path / "card", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    for name in ("Canon_40D.jpg", "DSCN0010.jpg"):
        shutil.copy2(corpus / "camera" / name, src / name)
    shutil.copy2(corpus / "camera/Canon_40D.jpg", src / "copy of Canon_40D.jpg")
    candidates = plan(str(src), DEFAULT_EXTENSIONS).candidates
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    try:
        run_id = journal.begin_run(str(src), str(dest), "move", False, {})
        view = JournalView(journal, str(src), str(dest), run_id)
        folders = Folders(Layout.NESTED, "C", "N", "Duplicates")
        coordinator = Coordinator(str(src), str(dest), view, candidates, folders, move=True)
        decisions = [
            d for c in candidates for d in coordinator.accept(analyze(str(src), c, WorkerOptions()))
        ]
        for path in src.iterdir():
            data = path.read_bytes()
            renumber(path, data[:-10] + b"edited...." if path.name == "DSCN0010.jpg" else data)
        placer = Placer(str(src), str(dest), journal, run_id, sync=False)
        placer.add(decisions)
        placer.flush()
        rows = {d.rel: d.status for d in journal.decisions(run_id, str(src))}
    finally:
        journal.close()
    assert rows == {
        "Canon_40D.jpg": Status.PLACED,
        "copy of Canon_40D.jpg": Status.DUPLICATE,
        "DSCN0010.jpg": Status.ERROR,
    }
    assert sorted(p.name for p in src.iterdir()) == ["DSCN0010.jpg"]
    assert len(list(dest.rglob("*Canon_40D.jpg"))) == 2


@pytest.mark.parametrize("disk", ["same", "other"])
def test_a_photo_still_being_written_into_source_is_never_moved_away_from_its_writer(
    corpus: Path, tmp_path: Path, disk: str
) -> None:
    """A camera import still copying into SOURCE: its photo, half there, is analysed as cut
    short and its copy set aside, but the source stays while a program has it open for
    writing (unlinked, the rest of its bytes would go nowhere); once written whole, the next
    move run places it."""
    src = tmp_path / "Import"
    dest = mount_tmpfs(tmp_path / "dest", "64m") if disk == "other" else tmp_path / "dest"
    src.mkdir()
    whole = (corpus / "camera/DSCN0010.jpg").read_bytes()
    try:
        with open(src / "DSCN0010.jpg", "wb") as writer:
            writer.write(whole[: len(whole) // 2])
            writer.flush()

            code, said = imgorg("organize", str(src), str(dest), "--mode", "move", "-j", "1")

            assert code == 1, said
            assert "open for writing" in (dest / "error_log.log").read_text()
            assert (src / "DSCN0010.jpg").exists()
            writer.write(whole[len(whole) // 2 :])
        code, said = imgorg("organize", str(src), str(dest), "--mode", "move", "-j", "1")
        assert code == 0, said
        assert not (src / "DSCN0010.jpg").exists()
        [placed] = [p for p in dest.rglob("DSCN0010.jpg") if "Corrupted" not in p.parts]
        assert placed.read_bytes() == whole
    finally:
        if disk == "other":
            subprocess.run(["umount", "-l", str(dest)], check=False)
