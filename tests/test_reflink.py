"""Copy mode clones where the filesystem can (as ``cp --reflink=auto``): tested on a real XFS
loop image, with SOURCE and DEST on it; elsewhere the copy is an ordinary one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import xxhash

from conftest import corpus_or_skip, tree_digest
from engine.cli import main
from engine.store import fsops


@pytest.fixture
def xfs(tmp_path: Path) -> Iterator[Path]:
    """A 300 MB XFS filesystem (reflink on, as mkfs.xfs makes it by default) on a loop device."""
    mkfs = shutil.which("mkfs.xfs")
    if mkfs is None:
        pytest.skip("mkfs.xfs is not installed (Debian xfsprogs; scripts/setup --dev installs it)")
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a loop device")
    image, mount = tmp_path / "xfs.img", tmp_path / "xfs"
    with open(image, "wb") as handle:
        handle.truncate(300 * 1024 * 1024)
    subprocess.run([mkfs, "-q", "-m", "reflink=1", str(image)], check=True)
    mount.mkdir()
    done = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a loop device here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def used_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def test_copies_are_reflink_clones_where_the_filesystem_can(xfs: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src, dest = xfs / "src", xfs / "dest"
    shutil.copytree(corpus_or_skip() / "camera", src)
    photos = sum(p.stat().st_size for p in src.iterdir())
    before, used = tree_digest(src), used_bytes(xfs)
    code = main(
        ["organize", str(src), str(dest), "--no-compress", "--min-size", "0", "--plain", "-j", "1"]
    )
    assert code == 0
    assert "copies are reflink clones" in capsys.readouterr().err
    placed = [p for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts]
    assert len(placed) > 20
    # a clone shares the source's blocks: the photos' bytes were not written a second time
    assert used_bytes(xfs) - used < photos // 4
    assert tree_digest(src) == before
    assert main(["verify", str(dest)]) == 0
    copy = placed[0]
    (src / copy.name).write_bytes(b"changed")  # the source edited after the run
    assert copy.read_bytes() != b"changed" and not copy.is_symlink()  # an independent file


def test_where_the_filesystem_cannot_clone_the_one_new_file_is_filled_instead(
    tmp_path: Path,
) -> None:
    """ext4 or tmpfs (the test machine's own disk): no clone; the file created for the clone is
    the copy (created once: no second creation after a failed clone), with the given bytes, or
    the source's passed through the hasher; a copy that fails leaves nothing behind."""
    source = tmp_path / "a.jpg"
    payload = b"\xff\xd8" + os.urandom(5000)
    source.write_bytes(payload)
    if fsops.clone_or_copy(str(source), str(tmp_path / "probe.jpg")):
        pytest.skip("this filesystem makes reflink clones")
    assert (tmp_path / "probe.jpg").read_bytes() == payload

    given = b"the very buffer that was hashed"
    assert not fsops.clone_or_copy(str(source), str(tmp_path / "b.jpg"), given, None, 10**18)
    assert (tmp_path / "b.jpg").read_bytes() == given
    assert (tmp_path / "b.jpg").stat().st_mtime_ns == 10**18

    hasher = xxhash.xxh3_128()
    assert not fsops.clone_or_copy(str(source), str(tmp_path / "c.jpg"), hasher=hasher)
    assert hasher.hexdigest() == xxhash.xxh3_128_hexdigest(payload)

    with pytest.raises(FileExistsError):
        fsops.clone_or_copy(str(source), str(tmp_path / "c.jpg"))  # never over a file
    assert (tmp_path / "c.jpg").read_bytes() == payload

    class Refuses:
        def update(self, chunk: bytes) -> None:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        fsops.clone_or_copy(str(source), str(tmp_path / "d.jpg"), hasher=Refuses())  # type: ignore[arg-type]
    assert not (tmp_path / "d.jpg").exists()


def test_a_staged_copy_is_created_once_not_created_removed_and_created_again(
    tmp_path: Path,
) -> None:
    """The worker's staged copy on a disk without reflinks: one file creation, no unlink (file
    creation is the dearest step on such a disk; a failed clone used to cost a second)."""
    source = tmp_path / "a.jpg"
    source.write_bytes(b"\xff\xd8" + os.urandom(5000))
    if fsops.clone_or_copy(str(source), str(tmp_path / "probe.jpg")):
        pytest.skip("this filesystem makes reflink clones")
    trace = shutil.which("strace")
    if trace is None:
        pytest.skip("strace is not installed")
    script = (
        "import sys; from engine.store import fsops; "
        "fsops.clone_or_copy(sys.argv[1], sys.argv[2], b'x' * 100, None, 1)"
    )
    log = tmp_path / "trace"
    subprocess.run(
        [
            trace,
            "-f",
            "-e",
            "trace=openat,unlink,unlinkat",
            "-o",
            str(log),
            sys.executable,
            "-c",
            script,
            str(source),
            str(tmp_path / "copy.jpg"),
        ],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    calls = [line for line in log.read_text().splitlines() if "copy.jpg" in line]
    assert len([c for c in calls if "O_CREAT" in c]) == 1, calls
    assert not [c for c in calls if "unlink" in c], calls
