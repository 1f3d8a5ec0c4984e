"""Bug hunt 18: the edit files of RAW developers beside their photos, and phones whose clock
fell back to Unix time zero in their own time zone, built from real camera files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import tree_digest

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")


def _exiftool(target: Path, *edits: str) -> None:
    assert EXIFTOOL is not None
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *edits, str(target)], check=True)


def _developed_shoot(corpus: Path, folder: Path) -> dict[str, str]:
    """A shoot edited in three RAW developers: ``IMG_1.JPG`` + ``IMG_1.CR2`` (a TIFF, as a CR2
    is) with RawTherapee's ``.pp3`` of each and DxO PhotoLab's ``.dop`` of the RAW, ``DSC_2.JPG``
    with ON1 Photo RAW's ``DSC_2.on1``, and ``IMG_3.CR2`` alone with its ``.pp3`` and ``.dop``.
    Returns each sidecar's name -> the name of the photo it describes."""
    folder.mkdir(parents=True)
    shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", folder / "IMG_1.JPG")
    shutil.copyfile(corpus / "formats" / "exiftool_ExifTool.tif", folder / "IMG_1.CR2")
    shutil.copyfile(corpus / "camera" / "Nikon_D70.jpg", folder / "DSC_2.JPG")
    shutil.copyfile(corpus / "formats" / "exiftool_ExifTool.tif", folder / "IMG_3.CR2")
    _exiftool(folder / "IMG_1.CR2", "-AllDates=2008:05:30 15:56:01")
    _exiftool(folder / "IMG_3.CR2", "-AllDates=2008:05:31 10:00:00")
    sidecars = {
        "IMG_1.CR2.pp3": "IMG_1.JPG",
        "IMG_1.JPG.pp3": "IMG_1.JPG",
        "IMG_1.CR2.dop": "IMG_1.JPG",
        "DSC_2.on1": "DSC_2.JPG",
        "IMG_3.CR2.pp3": "IMG_3.CR2",
        "IMG_3.CR2.dop": "IMG_3.CR2",
    }
    for name in sidecars:
        (folder / name).write_text(f"[Version]\nAppVersion=5.8\n# {name}\n")
    return sidecars


@needs_exiftool
def test_the_edits_of_raw_developers_travel_with_their_photos(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """RawTherapee's ``.pp3``, DxO's ``.dop`` and ON1's ``.on1`` hold a photo's edits, as
    darktable's ``.xmp`` does: they were left in SOURCE as "not an image type", so the archive
    lost the edits, and a move run left them behind without their photos."""
    shoot = tmp_path / "src" / "Shoots" / "2008-05-30"
    sidecars = _developed_shoot(corpus, shoot)

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {Path(line["source"]).name: line for line in report}
    for name, photo in sidecars.items():
        row = rows[name]
        assert row["status"] == "placed", row
        assert row["dest"] == f"2008/2008-05-30/{name}", row
        assert row["companion_of"] == rows[photo]["source"], row
        assert (tmp_path / "dest" / row["dest"]).read_bytes() == (shoot / name).read_bytes()


@needs_exiftool
def test_a_move_takes_the_developers_edits_along_and_undo_brings_them_back(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Moved, the photos leave SOURCE with their edit files (none is left behind without its
    photo); ``verify`` finds them in DEST and ``undo`` puts every one back as it was."""
    from engine.cli import main

    src, dest = tmp_path / "src", tmp_path / "dest"
    sidecars = _developed_shoot(corpus, src / "Shoots")
    before = tree_digest(src)

    code, _ = organize(src, dest, "--mode", "move")

    assert code == 0
    assert sorted(p.name for p in src.rglob("*") if p.is_file()) == []
    for name in sidecars:
        assert (dest / "2008" / "Shoots" / name).is_file(), name
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


@needs_exiftool
def test_a_phone_clock_reset_to_unix_zero_in_its_own_zone_yields_to_the_file_name(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A phone whose clock fell back to Unix time zero writes it in its own zone: 1970-01-01
    08:00 in China, 1969-12-31 19:00 in New York. Only the first hour of 1970 read as UTC was
    a clock's default, so these photos went into ``1970/`` and ``1969/`` over the 2019 their
    names give. With nothing else to date it, such a date is kept, said to be a default."""
    camera = tmp_path / "src" / "Camera"
    camera.mkdir(parents=True)
    shots = {
        "20190505_131313.jpg": "1970:01:01 08:00:03",
        "IMG_20190909_101010.jpg": "1969:12:31 19:00:12",
        "DSC_0001.jpg": "1970:01:01 08:00:03",
    }
    for name, written in shots.items():
        shutil.copyfile(corpus / "camera" / "Olympus_C8080WZ.jpg", camera / name)
        _exiftool(camera / name, f"-AllDates={written}", f"-ImageDescription={name}")

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {Path(line["source"]).name: line for line in report}
    for name in ("20190505_131313.jpg", "IMG_20190909_101010.jpg"):
        row = rows[name]
        assert row["dest"] == f"2019/Camera/{name}", row
        assert row["date_source"] == "filename", row
        assert "clock's default" in row["note"], row
    alone = rows["DSC_0001.jpg"]
    assert alone["dest"] == "1970/Camera/DSC_0001.jpg", alone
    assert alone["date_source"] == "clock-default", alone


@needs_exiftool
def test_the_edits_of_darktables_duplicates_travel_with_their_photo(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """darktable keeps the edits of each duplicate of a photo (its versions) in
    ``IMG_5_01.CR2.xmp``, ``IMG_5_02.CR2.xmp`` beside the photo's ``IMG_5.CR2.xmp``: they were
    left in SOURCE as sidecars without their photo. They go with the photo (a RAW travelling
    with its JPEG, a JPEG alone) and take its suffix, where darktable looks for them."""
    src = tmp_path / "src"
    for roll, source in (("a", "Canon_40D.jpg"), ("b", "Nikon_D70.jpg")):
        folder = src / roll
        folder.mkdir(parents=True)
        shutil.copyfile(corpus / "camera" / source, folder / "IMG_5.JPG")
        shutil.copyfile(corpus / "formats" / "exiftool_ExifTool.tif", folder / "IMG_5.CR2")
        for photo in ("IMG_5.JPG", "IMG_5.CR2"):
            _exiftool(folder / photo, "-AllDates=2008:05:30 15:56:01", f"-Artist={roll}")
        for name in ("IMG_5.CR2.xmp", "IMG_5_01.CR2.xmp", "IMG_5_02.CR2.xmp", "IMG_5_01.JPG.xmp"):
            (folder / name).write_text(f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- {roll} -->')

    code, report = organize(src, tmp_path / "dest", "--layout", "flat")

    assert code == 0
    rows = {line["source"]: line for line in report}
    for roll, suffix in (("a", ""), ("b", "_1")):
        photo = rows[f"{roll}/IMG_5.JPG"]
        assert photo["dest"] == f"2008/IMG_5{suffix}.JPG", photo
        for version in ("01.CR2", "02.CR2", "01.JPG"):
            row = rows[f"{roll}/IMG_5_{version}.xmp"]
            assert row["status"] == "placed", row
            assert row["dest"] == f"2008/IMG_5{suffix}_{version}.xmp", row
            assert row["companion_of"] == photo["source"], row


def test_the_thumbnails_a_wd_my_cloud_keeps_beside_the_photos_are_not_photos(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A WD My Cloud NAS keeps a ``.wdmc/`` in every folder it indexed, with a small and a
    screen-sized thumbnail of each photo (``IMG_1.JPG.tm0.jpg``, ``.tm1.jpg``): they were
    placed as photos of their own (``2019/Camera/wdmc/``, ``NoDate/Camera/wdmc/``), dated by
    the phone's name they repeat, as Synology's ``@eaDir/`` and QNAP's ``.@__thumb/`` are not."""
    from PIL import Image

    camera = tmp_path / "src" / "Camera"
    (camera / ".wdmc").mkdir(parents=True)
    shutil.copyfile(corpus / "camera" / "DSCN0010.jpg", camera / "DSCN0010.jpg")
    shutil.copyfile(corpus / "phone" / "jolla.jpg", camera / "IMG_20190101_123456.jpg")
    for photo in ("DSCN0010.jpg", "IMG_20190101_123456.jpg"):
        with Image.open(camera / photo) as image:
            for thumbnail, size in (("tm0", (160, 120)), ("tm1", (1024, 768))):
                small = image.convert("RGB").resize(size)
                small.save(camera / ".wdmc" / f"{photo}.{thumbnail}.jpg", quality=90)

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {line["source"]: line for line in report}
    for photo in ("DSCN0010.jpg", "IMG_20190101_123456.jpg"):
        assert rows[f"Camera/{photo}"]["status"] == "placed"
        for thumbnail in ("tm0", "tm1"):
            row = rows[f"Camera/.wdmc/{photo}.{thumbnail}.jpg"]
            assert row["status"] == "ignored", row
            assert ".wdmc/" in row["reason"], row
    assert not (tmp_path / "dest" / "NoDate").exists()
