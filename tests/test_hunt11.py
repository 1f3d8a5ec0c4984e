"""Hostile file systems and awkward sequences of operations, through the CLI, with real
camera files: none of them may lose or strand a photo, or stop a run with a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_safety import mount_tmpfs

from conftest import imgorg, photos_in, tree_digest

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
    links; a name the disk refuses (a ':' from a Linux tree) is an error saying so, its photo
    kept; a name that differs from another only in case takes a suffix; verify and undo hold."""
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
    assert code == 1, said
    log = (dest / "error_log.log").read_text()
    assert "12:30.jpg" in log and "DEST's filesystem refuses this name" in log
    assert (linux / "12:30.jpg").exists()

    code, said = imgorg("organize", str(source), str(dest), "--mode", "move", "-j", "2")
    assert code == 0, said
    assert not list(source.rglob("*.JPG"))
    names = sorted(p.name.lower() for p in (dest / "2008").iterdir())
    assert len(names) == 2 and "img_0001.jpg" in names  # the card's IMG_0001 took a suffix
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert tree_digest(source) == before
    assert [p.name for p in (dest / "2008").iterdir()] == ["img_0001.jpg"]
