"""The libraries and caches photo applications leave on people's old disks: the photos in them
are placed once, the applications' own thumbnails of those photos are not taken for more
photos. Each test builds its disk from the shared corpus's camera files, the thumbnails made
from them as the applications make them (scaled down, EXIF kept or not), and runs the real
command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PIL import Image, ImageEnhance

PHOTO = "camera/DSCN0010.jpg"  # 640x480, EXIF 2008-10-22
OTHER = "phone/Samsung GT-I9000 (Galaxy S).jpg"  # 640x480, EXIF 2011-04-02
IXUS, KODAK, OLYMPUS = "camera/canon-ixus.jpg", "camera/kodak-dc240.jpg", "camera/olympus-c960.jpg"


def _scaled(
    corpus: Path, photo: str, path: Path, size: int, exif: bool, edit: bool = False
) -> None:
    """A smaller JPEG of ``photo`` at ``path``, its EXIF copied in or not, its contrast raised
    for an edit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(corpus / photo) as im:
        metadata = im.info.get("exif", b"")
        small = im.convert("RGB")
    small.thumbnail((size, size))
    if edit:
        small = ImageEnhance.Contrast(small).enhance(1.4)
    small.save(path, "JPEG", quality=90, exif=metadata if exif else b"")


def copy_from_corpus(corpus: Path, photo: str, path: Path) -> None:
    """The corpus file ``photo`` at ``path``, its folders made, its times kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(corpus / photo, path)


def test_the_thumbnails_of_iphoto_and_aperture_libraries_are_not_taken_for_photos(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """An old Mac's Pictures folder: an iPhoto 9 library (``Masters/`` the photos, ``Previews/``
    the edits, ``Thumbnails/`` 1024-pixel JPEGs of every photo, some with its EXIF), an iPhoto
    6-8 library (``Originals/``, ``Modified/`` the edits, ``Data/`` the thumbnails), an iPhoto
    5 one (each day's ``Thumbs/`` and ``Data/``; named in the Mac's language), an Aperture library and a Photos library
    upgraded from iPhoto (both with ``Thumbnails/``; Photos 1-4 keeps
    its face crops in ``resources/media/face/``). The photos and edits are placed, each
    once; the thumbnails are ignored with the reason (before, those with EXIF were placed as
    more photos in their year, the others in NoDate or skipped for their size)."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    pictures = source / "Pictures"
    day = "2008/10/22/20081022-162839"
    libraries = {
        "iPhoto Library": ("Masters", "Previews", ["Thumbnails", "Data"]),
        "Old iPhoto Library.photolibrary": ("Originals/2008/Roll 3", "Modified/2008/Roll 3", []),
        "Aperture Library.aplibrary": ("Masters", "Previews", ["Thumbnails"]),
        "Photos Library.photoslibrary": ("Masters", "Previews", ["Thumbnails"]),
    }
    placed, ignored = [], []
    for library, (masters, edits, thumbnails) in libraries.items():
        root = pictures / library
        photo = root / masters / day / "DSCN0010.JPG"
        copy_from_corpus(corpus, OTHER if "Old" in library else PHOTO, photo)
        edit = root / edits / day / "DSCN0010.JPG"
        _scaled(corpus, OTHER if "Old" in library else PHOTO, edit, 640, exif=True, edit=True)
        placed += [photo, edit]
        for folder in thumbnails:
            thumb = root / folder / day / "thumb_DSCN0010_1024.jpg"
            _scaled(corpus, PHOTO, thumb, 400, exif=folder == "Thumbnails")
            ignored.append(thumb)
    old = pictures / "Old iPhoto Library.photolibrary" / "Data" / "2008" / "Roll 3"
    for name, exif in (("DSCN0010.jpg", True), ("DSCN0011.jpg", False)):
        _scaled(corpus, OTHER, old / name, 360, exif=exif)
        ignored.append(old / name)
    face = pictures / "Photos Library.photoslibrary" / "resources/media/face/00/00/facetile_1b.jpeg"
    _scaled(corpus, PHOTO, face, 300, exif=True)  # Photos 1-4: the face crops of its people
    ilife = source / "iPhoto-Mediathek"  # iPhoto 5 on a German Mac: a folder for each day
    copy_from_corpus(corpus, OTHER, ilife / "2011" / "04" / "02" / "IMG_0001.JPG")
    placed.append(ilife / "2011" / "04" / "02" / "IMG_0001.JPG")
    for folder in ("Thumbs", "Data"):
        _scaled(corpus, OTHER, ilife / "2011" / "04" / "02" / folder / "1.jpg", 240, exif=True)
        ignored.append(ilife / "2011" / "04" / "02" / folder / "1.jpg")

    for top in (source, pictures / "Aperture Library.aplibrary"):  # a disk, or a library
        code, report = organize(top, dest / top.name, "--min-size", "0")

        assert code == 0
        rows = {line["source"]: line for line in report}
        for path in placed:
            if path.is_relative_to(top):
                line = rows[os.path.relpath(path, top)]
                assert line["status"] in ("placed", "duplicate"), line
        for path in ignored:
            if path.is_relative_to(top):
                line = rows[os.path.relpath(path, top)]
                assert line["status"] == "ignored", line
                assert "photo library" in line["reason"] and "thumbnails" in line["reason"]
        if face.is_relative_to(top):
            line = rows[os.path.relpath(face, top)]
            assert line["status"] == "ignored" and "Photos library" in line["reason"], line
        taken = {line["source"] for line in report if line["status"] in ("placed", "duplicate")}
        assert taken == {os.path.relpath(p, top) for p in placed if p.is_relative_to(top)}


def test_the_desktops_thumbnail_cache_in_a_home_folder_is_not_taken_for_photos(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A Linux home folder's backup: ``.cache/thumbnails/`` holds the desktop's PNG of every
    picture opened (``x-large`` ones well above ``--min-size``, with no date: they landed in
    NoDate), ``.cache/shotwell/thumbs/`` Shotwell's JPEGs. They are ignored as a cache; the
    photo they were made from is placed."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    home = source / "home" / "me"
    copy_from_corpus(corpus, PHOTO, home / "Pictures" / "DSCN0010.jpg")
    cache = home / ".cache"
    thumbnails = []
    for size, folder in ((256, "large"), (512, "x-large"), (1024, "xx-large")):
        png = cache / "thumbnails" / folder / "5d41402abc4b2a76b9719d911017c592.png"
        png.parent.mkdir(parents=True)
        with Image.open(corpus / PHOTO) as im:
            im.resize((size, size * 3 // 4)).save(png, "PNG")
        thumbnails.append(png)
    shotwell = cache / "shotwell" / "thumbs" / "thumbs360" / "thumb000000000000002a.jpg"
    _scaled(corpus, PHOTO, shotwell, 360, exif=False)
    thumbnails.append(shotwell)

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    assert rows["home/me/Pictures/DSCN0010.jpg"]["status"] == "placed"
    for path in thumbnails:
        line = rows[os.path.relpath(path, source)]
        assert line["status"] == "ignored" and "cache" in line["reason"], line
    assert not (dest / "NoDate").exists()


def test_the_previews_of_a_photos_librarys_shared_albums_and_shared_library_are_not_photos(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Photos keeps the previews of a shared album's photos in
    ``resources/cloudsharing/resources/derivatives/`` (Photos 5 to 7; ``scopes/cloudsharing/``
    since Photos 8) and of an iCloud Shared Library's in
    ``scopes/momentshared/resources/derivatives/``, beside the photos themselves
    (``resources/cloudsharing/data/``, ``scopes/momentshared/originals/``). The photos are
    placed; the previews, with the photos' EXIF, were placed too, as more photos of the year."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    library = source / "Photos Library.photoslibrary"
    uuid = "C2B1E0A4-7D3F-4E21-9A58-3F6D0C1B2E47"
    photos = {
        f"resources/cloudsharing/data/1234567/ABCDEF/{uuid}/IMG_0042.JPG": PHOTO,
        f"scopes/momentshared/originals/C/{uuid}.jpeg": OTHER,
    }
    previews = {
        f"resources/cloudsharing/resources/derivatives/masters/C/{uuid}_4_5005_c.jpeg": PHOTO,
        f"scopes/cloudsharing/resources/derivatives/masters/C/{uuid}_4_5005_c.jpeg": PHOTO,
        f"scopes/momentshared/resources/derivatives/masters/C/{uuid}_4_5005_c.jpeg": OTHER,
    }
    for rel, photo in photos.items():
        copy_from_corpus(corpus, photo, library / rel)
    for rel, photo in previews.items():
        _scaled(corpus, photo, library / rel, 480, exif=True)

    code, report = organize(library, dest, "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    for rel in photos:
        assert rows[rel]["status"] == "placed", rows[rel]
    for rel in previews:
        line = rows[rel]
        assert line["status"] == "ignored" and "Photos library" in line["reason"], line


def test_a_photo_librarys_folder_is_placed_without_the_extension_that_makes_it_a_package(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """On a Mac, a folder named ``*.photoslibrary`` (``.photolibrary``, ``.aplibrary``,
    ``.lrlibrary``, ...) is shown as one document that opens Photos (or iPhoto, Aperture,
    Lightroom), not as a folder: the originals of a library placed under its own name were
    hidden in DEST behind a library icon Photos calls damaged. The folder is placed without its
    extension, beside (never into) a folder of that name the user made."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    pictures = source / "Pictures"
    uuid = "5F0C3B7E-2A41-4C8E-9D0B-1B7C2E3A4F56"
    files = {
        f"Photos Library.photoslibrary/originals/5/{uuid}.jpeg": PHOTO,
        "Photos Library/DSCN0010.jpg": OTHER,  # the user's own folder of that name
        "iPhoto Library.photolibrary/Masters/2001/06/09/20010609-151732/IMG_1.JPG": IXUS,
        "Aperture Library.aplibrary/Masters/1999/05/25/19990525-210009/DC_1.JPG": KODAK,
        "Lightroom Library.lrlibrary/4f1c/originals/2000/2000-11-07/P_1.JPG": OLYMPUS,
    }
    for rel, photo in files.items():
        copy_from_corpus(corpus, photo, pictures / rel)
    edits = {  # each library's edits, in a folder of their own (Photos' renders)
        f"Photos Library.photoslibrary/resources/renders/5/{uuid}_1_201_a.jpeg": PHOTO,
        "iPhoto Library.photolibrary/Previews/2001/06/09/20010609-151732/IMG_1.JPG": IXUS,
        "Aperture Library.aplibrary/Previews/1999/05/25/19990525-210009/DC_1.JPG": KODAK,
        "Lightroom Library.lrlibrary/4f1c/renders/P_1.JPG": OLYMPUS,
    }
    for rel, photo in edits.items():
        _scaled(corpus, photo, pictures / rel, 640, exif=True, edit=True)
    files.update(edits)

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    placed = {rel: rows[f"Pictures/{rel}"]["dest"] for rel in files}
    for rel, where in placed.items():
        assert rows[f"Pictures/{rel}"]["status"] == "placed"
        folders = where.split("/")[:-1]
        assert not [f for f in folders if "library." in f.lower()], where
    library = placed[f"Photos Library.photoslibrary/originals/5/{uuid}.jpeg"]
    assert os.path.dirname(library) != os.path.dirname(placed["Photos Library/DSCN0010.jpg"])
    for folder, _subfolders, _files in os.walk(dest):
        assert "library." not in os.path.basename(folder).lower(), folder


def test_the_picture_caches_of_a_mac_or_windows_home_folder_are_not_taken_for_photos(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A Mac's home folder keeps applications' caches in ``Library/Caches/`` (Adobe Bridge's
    previews of the photos it browsed, with their EXIF); a Windows one the pictures of the web
    pages it showed in ``AppData/Local/Microsoft/Windows/INetCache/`` (``Temporary Internet
    Files`` before Windows 8), a camera's EXIF kept. Both were placed in their year as photos;
    they are ignored as caches, and the user's photos beside them placed."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    mac, windows = source / "Users" / "anna", source / "Documents and Settings" / "Anna"
    copy_from_corpus(corpus, PHOTO, mac / "Pictures" / "Trip" / "DSCN0010.jpg")
    copy_from_corpus(corpus, OTHER, windows / "My Documents" / "My Pictures" / "IMG_1.jpg")
    caches = [
        mac / "Library/Caches/Adobe/Bridge/Cache/full/Trip/DSCN0010.jpg",
        windows / "AppData/Local/Microsoft/Windows/INetCache/IE/0Q1W2E3R/IMG_1[1].jpg",
        windows / "Local Settings/Temporary Internet Files/Content.IE5/9A8B7C6D/photo[2].jpg",
    ]
    for path, photo in zip(caches, (PHOTO, OTHER, KODAK), strict=True):
        _scaled(corpus, photo, path, 480, exif=True)

    code, report = organize(source, dest, "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    assert rows["Users/anna/Pictures/Trip/DSCN0010.jpg"]["status"] == "placed"
    assert rows["Documents and Settings/Anna/My Documents/My Pictures/IMG_1.jpg"]["status"] == (
        "placed"
    )
    for path in caches:
        line = rows[os.path.relpath(path, source)]
        assert line["status"] == "ignored" and "cache" in line["reason"], line


def test_a_layout_templates_source_folder_names_no_library_package(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """``--layout "{year}/{source_folder}"`` names the folders below SOURCE as they are, but a
    photo library's package extension would make DEST's folder a library to a Mac, as in the
    default layout: it is left out there too (the template is given the folders as placed)."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    uuid = "5F0C3B7E-2A41-4C8E-9D0B-1B7C2E3A4F56"
    rel = f"Fotos-Mediathek.photoslibrary/originals/5/{uuid}.jpeg"
    copy_from_corpus(corpus, PHOTO, source / rel)

    code, report = organize(source, dest, "--layout", "{year}/{source_folder}")

    assert code == 0
    assert [line["dest"] for line in report if line["source"] == rel] == [
        f"2008/Fotos-Mediathek/originals/5/{uuid}.jpeg"
    ]
