"""The review of two merged changes (wfast: the writer's decisions cost less; hunt14: photo
libraries' thumbnails ignored, a library's package extension dropped in DEST), each finding a
test built from the shared corpus's camera files arranged as a real archive."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PHOTO, OTHER = "camera/Canon_40D.jpg", "camera/Nikon_D70.jpg"


def _copy(corpus: Path, photo: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(corpus / photo, path)


def test_a_folder_whose_name_only_holds_the_letters_iphoto_is_no_photo_library(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A user's own folders ``Multiphoto/Data/`` and ``DigiPhoto/Thumbnails/`` hold photos: they
    are placed, not ignored as an iPhoto library's thumbnails (``"iphoto" in name`` matched the
    letters inside the words); ``iPhoto-Mediathek``'s ``Data/`` (a German Mac's library) still
    is."""
    source, dest = tmp_path / "Pictures", tmp_path / "Archive"
    mine = [source / "Multiphoto" / "Data" / "IMG_0001.JPG"]
    mine.append(source / "DigiPhoto" / "Thumbnails" / "IMG_0002.JPG")
    for path, photo in zip(mine, (PHOTO, OTHER), strict=True):
        _copy(corpus, photo, path)
    library = source / "iPhoto-Mediathek" / "2008" / "05" / "30"
    _copy(corpus, PHOTO, library / "IMG_0001.JPG")
    _copy(corpus, "camera/exiftool_Pentax.jpg", library / "Data" / "1.jpg")

    code, report = organize(source, dest, "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    for path in mine:
        line = rows[os.path.relpath(path, source)]
        assert line["status"] == "placed", line
    line = rows["iPhoto-Mediathek/2008/05/30/Data/1.jpg"]
    assert line["status"] == "ignored" and "photo library" in line["reason"], line
