"""--mode hardlink and --mode symlink: a year view of SOURCE made of links, no copies.

Built from corpus photos: an oversized phone JPEG (which copy mode would re-encode), a rotated
one (which copy mode would turn) and a byte-duplicate in a second folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_safety import mount_tmpfs

from conftest import corpus_or_skip, tree_digest
from engine.cli import main

PHONE = "phone/HMD_Nokia_8.3_5G.jpg"
ROTATED = "orientation/Portrait_6.jpg"


def archive(root: Path) -> None:
    corpus = corpus_or_skip()
    (root / "phone").mkdir(parents=True)
    (root / "album").mkdir()
    shutil.copy2(corpus / PHONE, root / "phone" / "big.jpg")
    shutil.copy2(corpus / ROTATED, root / "phone" / "turned.jpg")
    shutil.copy2(corpus / PHONE, root / "album" / "big.jpg")  # a byte-duplicate


def placed(report: list[dict]) -> list[dict]:
    return [line for line in report if line["status"] == "placed"]


@pytest.mark.parametrize("mode", ["hardlink", "symlink"])
def test_a_link_mode_makes_a_year_view_of_links_and_undo_removes_them(
    tmp_path: Path, organize, mode: str
) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    before = tree_digest(src)
    code, report = organize(src, dest, "--mode", mode, "--compress-above", "100KB")
    assert code == 0
    lines = placed(report)
    assert len(lines) == 2 and [x["status"] for x in report].count("duplicate") == 1
    for line in lines:
        path, origin = dest / line["dest"], src / line["source"]
        assert not line["compressed"] and not line["rotated"]  # a link shows the source's bytes
        if mode == "hardlink":
            assert not path.is_symlink() and path.stat().st_ino == origin.stat().st_ino
        else:
            assert path.is_symlink() and os.readlink(path) == str(origin)
    assert tree_digest(src) == before  # SOURCE untouched
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert not [p for p in dest.rglob("*") if p.is_file() and ".imgorg" not in p.parts]
    assert tree_digest(src) == before


def test_undo_of_a_symlink_view_drops_a_link_whose_target_is_gone(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    code, _ = organize(src, dest, "--mode", "symlink")
    assert code == 0
    (src / "phone" / "turned.jpg").unlink()  # the user deleted a photo after the run
    main(["undo", str(dest)])
    assert not [p for p in dest.rglob("*") if p.is_symlink()]
    assert not (src / "phone" / "turned.jpg").exists()  # a dangling link is not "moved back"


def test_undo_of_a_hardlink_view_puts_back_a_photo_whose_source_name_is_gone(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A hard link is the file itself: if SOURCE lost its name, the link is the only copy."""
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    data = (src / "phone" / "turned.jpg").read_bytes()
    code, _ = organize(src, dest, "--mode", "hardlink")
    assert code == 0
    (src / "phone" / "turned.jpg").unlink()
    assert main(["undo", str(dest)]) == 0
    assert (src / "phone" / "turned.jpg").read_bytes() == data


def test_hardlinks_across_filesystems_are_refused_up_front(
    tmp_path: Path, organize, capsys
) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    archive(src)
    other = mount_tmpfs(tmp_path / "fs", "32m")
    try:
        code, report = organize(src, other / "out", "--mode", "hardlink")
        assert code == 2 and not report
        assert "one filesystem" in capsys.readouterr().err
        assert not [p for p in (other / "out").rglob("*.jpg")]
    finally:
        subprocess.run(["umount", "-l", str(other)], check=False)
