"""Review of bug hunt 18: darktable's XMP of a photo's duplicates (``IMG_5_01.CR2.xmp`` beside
``IMG_5.CR2``) against a real photo of that name, built from real camera files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import tree_digest

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

_XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- darktable, DerivedFrom {name} --></x:xmpmeta>'


def _raw(corpus: Path, target: Path, taken: str) -> None:
    """A RAW file (a TIFF, as a CR2 is) taken at ``taken``."""
    assert EXIFTOOL is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(corpus / "formats" / "exiftool_ExifTool.tif", target)
    edits = [f"-AllDates={taken}", f"-ImageDescription={target.name}"]
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *edits, str(target)], check=True)


def _burst(corpus: Path, folder: Path) -> None:
    """``IMG_5.CR2`` shot alone in 2007, and a RAW+JPEG pair of 2008 a renamer numbered
    ``IMG_5_01``: the pair's own darktable XMP is ``IMG_5_01.CR2.xmp``, the name darktable
    would give a version of ``IMG_5.CR2``."""
    _raw(corpus, folder / "IMG_5.CR2", "2007:04:01 10:00:00")
    _raw(corpus, folder / "IMG_5_01.CR2", "2008:05:30 15:56:01")
    shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", folder / "IMG_5_01.JPG")


@needs_exiftool
def test_the_xmp_of_a_raw_named_like_a_darktable_version_stays_with_that_raw(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """``IMG_5_01.CR2.xmp`` beside a real ``IMG_5_01.CR2`` is that RAW's own sidecar: it went
    with ``IMG_5.CR2`` into 2007/, a year away from its RAW, while a version of ``IMG_5.CR2``
    it is only where no file has the name it gives."""
    shoot = tmp_path / "src" / "Shoot"
    _burst(corpus, shoot)
    (shoot / "IMG_5_01.CR2.xmp").write_text(_XMP.format(name="IMG_5_01.CR2"))
    (shoot / "IMG_5_02.CR2.xmp").write_text(_XMP.format(name="IMG_5.CR2"))

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {line["source"]: line for line in report}
    own = rows["Shoot/IMG_5_01.CR2.xmp"]
    assert own["companion_of"] == "Shoot/IMG_5_01.JPG", own
    assert own["dest"] == "2008/Shoot/IMG_5_01.CR2.xmp", own
    assert rows["Shoot/IMG_5_01.CR2"]["dest"] == "2008/Shoot/IMG_5_01.CR2"
    version = rows["Shoot/IMG_5_02.CR2.xmp"]
    assert version["companion_of"] == "Shoot/IMG_5.CR2", version
    assert version["dest"] == "2007/Shoot/IMG_5_02.CR2.xmp", version


@needs_exiftool
def test_a_sidecar_following_a_moved_photo_is_not_given_to_a_raw_of_another_name(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """After a move, the XMP of ``IMG_5_01.CR2`` put back into SOURCE (from a backup) followed
    ``IMG_5.CR2`` an earlier run placed, as if darktable's version of it: the earlier run had
    placed the ``IMG_5_01.CR2`` it names. A version of ``IMG_5.CR2`` still follows it."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    _burst(corpus, src / "Shoot")
    code, _ = organize(src, dest, "--mode", "move")
    assert code == 0
    (src / "Shoot" / "IMG_5_01.CR2.xmp").write_text(_XMP.format(name="IMG_5_01.CR2"))
    (src / "Shoot" / "IMG_5_02.CR2.xmp").write_text(_XMP.format(name="IMG_5.CR2"))

    code, report = organize(src, dest, "--mode", "move")

    assert code == 0
    rows = {line["source"]: line for line in report}
    own = rows["Shoot/IMG_5_01.CR2.xmp"]
    assert own.get("companion_of") != "Shoot/IMG_5.CR2", own
    assert not (dest / "2007" / "Shoot" / "IMG_5_01.CR2.xmp").exists()
    version = rows["Shoot/IMG_5_02.CR2.xmp"]
    assert version["status"] == "placed", version
    assert version["dest"] == "2007/Shoot/IMG_5_02.CR2.xmp", version


# RawTherapee's edit of a photo names no file: photos edited alike (a batch, a profile) have
# byte-identical .pp3 files.
_PP3 = (
    "[Version]\nAppVersion=5.8\nVersion=346\n\n[General]\nRank=0\nColorLabel=0\n"
    "InTrash=false\n\n[Exposure]\nAuto=false\nCompensation=0.7\n"
)


def test_a_duplicates_edit_like_another_photos_goes_beside_the_kept_copy(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """An archive holds ``IMG_1.JPG`` (no edit) and ``IMG_2.JPG`` with its RawTherapee edit.
    A backup moved in later holds a copy of ``IMG_1.JPG`` edited as ``IMG_2.JPG`` was: its
    ``.pp3`` was called a duplicate of ``IMG_2.JPG.pp3`` and moved to Duplicates/, so the kept
    ``IMG_1.JPG`` lost its only edit. A duplicate's sidecar repeats a file of the kept copy's
    family, not any file. The backup's copy of ``IMG_2``'s edit stays a duplicate."""
    from engine.cli import main

    card, backup, dest = tmp_path / "card", tmp_path / "backup", tmp_path / "dest"
    for folder in (card / "Card", backup / "Backup"):
        folder.mkdir(parents=True)
        shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", folder / "IMG_1.JPG")
        shutil.copyfile(corpus / "camera" / "Nikon_D70.jpg", folder / "IMG_2.JPG")
        (folder / "IMG_2.JPG.pp3").write_text(_PP3)
    (backup / "Backup" / "IMG_1.JPG.pp3").write_text(_PP3)
    assert organize(card, dest)[0] == 0
    before = tree_digest(backup)

    code, report = organize(backup, dest, "--mode", "move")

    assert code == 0
    rows = {line["source"]: line for line in report}
    edit = rows["Backup/IMG_1.JPG.pp3"]
    assert edit["status"] == "placed", edit
    assert edit["dest"] == "2008/Card/IMG_1.JPG.pp3", edit
    assert (dest / "2008" / "Card" / "IMG_1.JPG.pp3").read_text() == _PP3
    again = rows["Backup/IMG_2.JPG.pp3"]
    assert again["status"] == "duplicate", again
    assert again["duplicate_of"] == str(card / "Card" / "IMG_2.JPG.pp3"), again
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(backup) == before


def test_a_duplicates_edit_like_another_photos_is_linked_beside_the_kept_link(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """The same in a symlink run, where a duplicate's sidecar is compared with the files an
    earlier run linked: ``Backup/IMG_1.JPG.pp3`` was called a copy of ``Card/IMG_2.JPG.pp3``
    and the link to ``Card/IMG_1.JPG`` stayed without its edit."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    card, backup = src / "Card", src / "Backup"
    card.mkdir(parents=True)
    shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", card / "IMG_1.JPG")
    shutil.copyfile(corpus / "camera" / "Nikon_D70.jpg", card / "IMG_2.JPG")
    (card / "IMG_2.JPG.pp3").write_text(_PP3)
    assert organize(src, dest, "--mode", "symlink")[0] == 0
    backup.mkdir()
    shutil.copyfile(card / "IMG_1.JPG", backup / "IMG_1.JPG")
    shutil.copyfile(card / "IMG_2.JPG", backup / "IMG_2.JPG")
    (backup / "IMG_1.JPG.pp3").write_text(_PP3)
    (backup / "IMG_2.JPG.pp3").write_text(_PP3)

    code, report = organize(src, dest, "--mode", "symlink")

    assert code == 0
    rows = {line["source"]: line for line in report}
    edit = rows["Backup/IMG_1.JPG.pp3"]
    assert edit["status"] == "placed", edit
    assert edit["dest"] == "2008/Card/IMG_1.JPG.pp3", edit
    again = rows["Backup/IMG_2.JPG.pp3"]
    assert again["status"] == "duplicate", again
    assert again["duplicate_of"] == "Card/IMG_2.JPG.pp3", again


_SHOT = "PXL_20181231_233000123"


@needs_exiftool
def test_darktables_version_of_a_pixel_raw_keeps_a_name_darktable_finds(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A Pixel's RAW travels with its cover photo under a name of its own; darktable's XMP of a
    version of it, ``x.RAW-02.ORIGINAL_01.dng.xmp``, went with them as
    ``x.RAW-01.COVER_x.RAW-02.ORIGINAL_01.dng.xmp`` (suffixed or not), a name darktable never
    reads. It takes the RAW's name and suffix: ``x.RAW-02.ORIGINAL_1_01.dng.xmp``."""
    src = tmp_path / "src"
    for phone in ("a", "b"):
        folder = src / phone
        folder.mkdir(parents=True)
        cover, raw = folder / f"{_SHOT}.RAW-01.COVER.jpg", folder / f"{_SHOT}.RAW-02.ORIGINAL.dng"
        shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", cover)
        _raw(corpus, raw, "2019:01:01 00:30:00")
        assert EXIFTOOL is not None
        edits = ["-AllDates=2019:01:01 00:30:00", f"-ImageDescription={phone}"]
        subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *edits, str(cover)], check=True)
        for name in (f"{raw.name}.xmp", f"{_SHOT}.RAW-02.ORIGINAL_01.dng.xmp"):
            (folder / name).write_text(_XMP.format(name=f"{phone} {raw.name}"))

    code, report = organize(src, tmp_path / "dest", "--layout", "flat")

    assert code == 0
    rows = {line["source"]: line for line in report}
    for phone, suffix in (("a", ""), ("b", "_1")):
        raw = rows[f"{phone}/{_SHOT}.RAW-02.ORIGINAL.dng"]
        assert raw["dest"] == f"2019/{_SHOT}.RAW-02.ORIGINAL{suffix}.dng", raw
        version = rows[f"{phone}/{_SHOT}.RAW-02.ORIGINAL_01.dng.xmp"]
        assert version["dest"] == f"2019/{_SHOT}.RAW-02.ORIGINAL{suffix}_01.dng.xmp", version
