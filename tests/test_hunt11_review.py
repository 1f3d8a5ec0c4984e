"""A review of hunt11 (renumbered inodes, exFAT cards, year folders on another mount) for data
loss: with real camera files, on the filesystems those sequences need."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from test_hunt11 import exfat  # noqa: F401  (a fixture)
from test_safety import bind_mount  # noqa: F401  (a fixture)

from conftest import imgorg, tree_digest
from engine.policy.actions import Action
from engine.stages import release
from engine.stages.release import MovedFile, Release, release_sources
from engine.store import fsops


def a_card_photo_and_its_copy(
    corpus: Path, tmp_path: Path, card_disk: Path, action: Action
) -> tuple[Path, Path, os.stat_result, MovedFile]:
    """A photo on a FUSE exFAT card, its verified copy in DEST, and the moved file a placer is
    told of (``action``): the card, the photo, how it was seen, what the placer gets."""
    card, dest = card_disk / "DCIM", tmp_path / "dest"
    card.mkdir()
    source = card / "IMG_0001.JPG"
    shutil.copy2(corpus / "camera/Canon_40D.jpg", source)
    st, digest = source.stat(), fsops.hash_file(str(source))
    (dest / "2008").mkdir(parents=True)
    shutil.copy2(source, dest / "2008/IMG_0001.JPG")
    moved = MovedFile(
        "IMG_0001.JPG", "2008/IMG_0001.JPG", action, st.st_size, st.st_mtime_ns,
        st.st_ino, st.st_ctime_ns, digest, digest,
    )  # fmt: skip
    return card, source, st, moved


def test_a_card_photo_edited_in_place_keeping_size_and_mtime_is_never_unlinked(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
) -> None:
    """A move off an exFAT card (FUSE): a photo whose date is fixed in place while the run
    copies it (``exiftool -P -overwrite_original_in_place``: the same size, the mtime put back)
    keeps its inode number and, FUSE reporting the mtime as ctime, its ctime too. Its copy in
    DEST holds the bytes before the edit: the source, the only edited copy, stays."""
    card, source, st, moved = a_card_photo_and_its_copy(corpus, tmp_path, exfat, Action.MOVE_COPY)
    dest = tmp_path / "dest"
    with open(source, "r+b") as handle:  # the date fixed: as many bytes as before
        handle.seek(st.st_size - 64)
        handle.write(b"2009:01:01 12:00:00\0")
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    edited = source.read_bytes()
    again = source.stat()
    assert (again.st_ino, again.st_size, again.st_mtime_ns, again.st_ctime_ns) == (
        st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
    )  # fmt: skip

    done = release_sources(Release(str(card), str(dest), 1, False, [moved]))

    assert done.removed == [] and [index for index, _ in done.kept] == [0]
    assert source.read_bytes() == edited


def test_year_folders_bind_mounted_from_the_same_disk_get_their_photos(
    corpus: Path,
    tmp_path: Path,
    bind_mount,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    """A year folder of DEST mounted from another folder of DEST's own disk (a bind mount: one
    filesystem, yet no rename between the mounts): the workers' copies and turned photos
    staged in DEST are copied there and verified, never an error on every run."""
    source, dest, elsewhere = tmp_path / "card", tmp_path / "dest", tmp_path / "elsewhere"
    source.mkdir()
    shutil.copy2(corpus / "camera/Canon_40D.jpg", source / "IMG_0001.JPG")
    shutil.copy2(corpus / "phone/Apple iPhone 5.jpg", source / "IMG_0002.JPG")  # turned
    for year in range(1995, 2031):
        (elsewhere / str(year)).mkdir(parents=True)
        bind_mount(elsewhere / str(year), dest / str(year))
    before = tree_digest(source)

    code, said = imgorg("organize", str(source), str(dest), "-j", "2")

    assert code == 0, said
    placed = {p.name: p for p in elsewhere.rglob("*.JPG")}
    assert sorted(placed) == ["IMG_0001.JPG", "IMG_0002.JPG"]
    assert placed["IMG_0001.JPG"].read_bytes() == (corpus / "camera/Canon_40D.jpg").read_bytes()
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert tree_digest(source) == before
    assert not list(elsewhere.rglob("*.JPG"))


def test_a_card_photo_edited_while_its_copy_in_dest_is_read_is_never_released(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """A move after a copy run releases a card photo whose copy is already in DEST. Its date is
    fixed in place (the same size, the mtime put back) while the run reads DEST's copy to see
    it stands apart: on FUSE nothing in the stat shows it, so the source is read again before
    it goes. It stays, the only edited copy."""
    card, source, st, moved = a_card_photo_and_its_copy(corpus, tmp_path, exfat, Action.RELEASE)
    dest = tmp_path / "dest"
    reading = release.copy_stands_apart

    def edited_meanwhile(final: str, out_hash: str | None, path: str) -> str | None:
        with open(source, "r+b") as handle:  # the date fixed: as many bytes as before
            handle.seek(st.st_size - 64)
            handle.write(b"2009:01:01 12:00:00\0")
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
        return reading(final, out_hash, path)

    monkeypatch.setattr(release, "copy_stands_apart", edited_meanwhile)
    done = release_sources(Release(str(card), str(dest), 1, False, [moved]))
    edited = source.read_bytes()

    assert done.removed == [] and [index for index, _ in done.kept] == [0]
    assert edited != (corpus / "camera/Canon_40D.jpg").read_bytes()
