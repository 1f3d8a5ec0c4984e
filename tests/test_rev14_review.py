"""The review of two merged changes (wfast: the writer's decisions cost less; hunt14: photo
libraries' thumbnails ignored, a library's package extension dropped in DEST), each finding a
test built from the shared corpus's camera files arranged as a real archive."""

from __future__ import annotations

import os
from pathlib import Path

from tests.test_photo_apps import copy_from_corpus

PHOTO, OTHER = "camera/Canon_40D.jpg", "camera/Nikon_D70.jpg"


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
        copy_from_corpus(corpus, photo, path)
    library = source / "iPhoto-Mediathek" / "2008" / "05" / "30"
    copy_from_corpus(corpus, PHOTO, library / "IMG_0001.JPG")
    copy_from_corpus(corpus, "camera/exiftool_Pentax.jpg", library / "Data" / "1.jpg")

    code, report = organize(source, dest, "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    for path in mine:
        line = rows[os.path.relpath(path, source)]
        assert line["status"] == "placed", line
    line = rows["iPhoto-Mediathek/2008/05/30/Data/1.jpg"]
    assert line["status"] == "ignored" and "photo library" in line["reason"], line


def test_a_photo_added_to_a_library_an_older_release_placed_joins_no_other_album(
    corpus: Path, tmp_path: Path, organize, monkeypatch
) -> None:
    """An archive an older release made, which placed ``Lib.photoslibrary/originals/A/``
    under its package name (``2008/Lib.photoslibrary/A/``), beside a user's own ``Lib/``
    (``2008/Lib/A/``). A photo added to the library's album since goes where this release
    places that album (``Lib_1/A/``): the earlier place, pinned but made visible again by the
    layout, was ``Lib/A/``, the other album's folder, where it took a suffix beside an
    unrelated ``IMG_3.jpg``."""
    import engine.policy.naming as naming

    source, dest = tmp_path / "Mac", tmp_path / "Archive"
    copy_from_corpus(corpus, PHOTO, source / "Lib.photoslibrary" / "originals" / "A" / "IMG_1.jpg")
    copy_from_corpus(corpus, "camera/exiftool_Pentax.jpg", source / "Lib.photoslibrary" / "top.jpg")
    copy_from_corpus(corpus, OTHER, source / "Lib" / "originals" / "A" / "IMG_3.jpg")
    copy_from_corpus(corpus, "camera/exiftool_Sony.jpg", source / "Lib" / "top.jpg")
    with monkeypatch.context() as older:  # the release before 312e1df: no package names
        older.setattr(naming, "_PACKAGE", naming.re.compile("(?!)"))
        code, first = organize(source, dest)
    assert code == 0
    assert {row["dest"] for row in first} >= {"2008/Lib.photoslibrary/A/IMG_1.jpg"}
    copy_from_corpus(
        corpus, "camera/Panasonic_DMC-FZ30.jpg", source / "Lib.photoslibrary/originals/A/IMG_3.jpg"
    )

    code, rows = organize(source, dest)

    assert code == 0
    placed = {row["source"]: row["dest"] for row in rows}
    assert placed["Lib/originals/A/IMG_3.jpg"] == "2008/Lib/A/IMG_3.jpg"
    assert placed["Lib.photoslibrary/originals/A/IMG_3.jpg"] == "2008/Lib_1/A/IMG_3.jpg"
    assert not (dest / "2008/Lib/A/IMG_3_1.jpg").exists()
