"""Bug hunt 16: archive shapes from phones, cameras and photo applications (Android's trash, a
Lightroom folder, a GoPro's card, Picasa's originals), built from real camera files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_formats import needs_ffmpeg, video

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")


def _stripped(source: Path, target: Path, *tags: str) -> None:
    """A copy of ``source`` at ``target`` without ``tags`` (every tag when none is named)."""
    assert EXIFTOOL is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    removed = [f"-{tag}=" for tag in tags] or ["-all="]
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *removed, str(target)], check=True)


@needs_exiftool
def test_a_photo_in_androids_trash_is_dated_by_its_name_as_outside_it(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Android's trash renames ``FB_IMG_1546300801000.jpg`` to
    ``.trashed-1700000000-FB_IMG_1546300801000.jpg``: the name after the prefix is the file's
    own. Before, the prefix hid the names read from their start: a Facebook save (no EXIF,
    small) was skipped as an undated thumbnail and left behind, a Pixel photo's UTC name was
    read as local time (2020 instead of 2021-01-01 00:30 at its GPS position, +01:00), and a
    Facebook download's ids were read as a date (2011)."""
    pictures = tmp_path / "src" / "Pictures"
    pictures.mkdir(parents=True)
    trash = ".trashed-1700000000-"
    shutil.copyfile(
        corpus / "no_exif" / "noexif.jpg", pictures / f"{trash}FB_IMG_1546300801000.jpg"
    )
    _stripped(
        corpus / "camera" / "DSCN0010.jpg",
        pictures / f"{trash}PXL_20201231_233000123.jpg",
        "AllDates",
        "GPSDateStamp",
        "GPSTimeStamp",
    )
    ids = "20110105_10153123456789012_1234567890_n.jpg"
    _stripped(corpus / "phone" / "jolla.jpg", pictures / f"{trash}{ids}")

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {Path(line["source"]).name.removeprefix(trash): line for line in report}
    facebook = rows["FB_IMG_1546300801000.jpg"]
    assert facebook["status"] == "placed", facebook
    assert facebook["dest"] == "2019/Pictures/FB_IMG_1546300801000.jpg", facebook
    pixel = rows["PXL_20201231_233000123.jpg"]
    assert pixel["date"] == "2021-01-01T00:30:00+01:00", pixel
    assert pixel["dest"].startswith("2021/"), pixel
    assert rows[ids]["dest"] == f"NoDate/Pictures/{ids}", rows[ids]


def test_the_photos_lightroom_synced_from_a_phone_are_placed_not_taken_for_previews(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Lightroom Classic keeps previews in ``<catalog> Previews.lrdata/`` and ``Smart
    Previews.lrdata/`` (ignored), but the photos synced from Lightroom on a phone in
    ``Mobile Downloads.lrdata/``: their only copy on the computer. Before, every ``*.lrdata/``
    was ignored as previews, so a move left them behind and a copy left them out of the
    archive. The smart previews of those photos, in its ``downloaded-smart-previews/`` under
    the original's name (a DNG named ``.JPG`` or ``.NEF``), stay ignored; the folder is placed
    without ``.lrdata``, which a Mac with Lightroom shows as one document."""
    lightroom = tmp_path / "src" / "Pictures" / "Lightroom"
    synced = lightroom / "Mobile Downloads.lrdata"
    (synced / "downloaded-smart-previews").mkdir(parents=True)
    (lightroom / "Lightroom Catalog Previews.lrdata" / "0" / "01A2").mkdir(parents=True)
    (lightroom / "Lightroom Catalog.lrcat").write_bytes(b"SQLite format 3\x00")
    shutil.copyfile(corpus / "phone" / "iphone_hdr_NO.jpg", synced / "IMG_0412.JPG")
    shutil.copyfile(
        corpus / "formats" / "piexif_01.tif", synced / "downloaded-smart-previews" / "IMG_0412.JPG"
    )
    shutil.copyfile(
        corpus / "camera" / "DSCN0010.jpg",
        lightroom / "Lightroom Catalog Previews.lrdata" / "0" / "01A2" / "01A2.jpg",
    )

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {line["source"]: line for line in report}
    photo = rows["Pictures/Lightroom/Mobile Downloads.lrdata/IMG_0412.JPG"]
    assert photo["status"] == "placed", photo
    assert photo["dest"] == "2015/Mobile Downloads/IMG_0412.JPG", photo
    assert (tmp_path / "dest" / photo["dest"]).read_bytes() == (
        synced / "IMG_0412.JPG"
    ).read_bytes()
    for preview in (
        "Pictures/Lightroom/Mobile Downloads.lrdata/downloaded-smart-previews/IMG_0412.JPG",
        "Pictures/Lightroom/Lightroom Catalog Previews.lrdata/0/01A2/01A2.jpg",
    ):
        assert rows[preview]["status"] == "ignored", rows[preview]
        assert "Lightroom" in rows[preview]["reason"], rows[preview]
    assert rows["Pictures/Lightroom/Lightroom Catalog.lrcat"]["status"] == "ignored"


def test_a_gopro_raw_photo_is_kept_with_its_jpeg_or_alone(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A GoPro in RAW mode writes ``GOPR0001.JPG`` and ``GOPR0001.GPR``, a DNG (TIFF inside;
    here the corpus's TIFFs with EXIF stand for them). Before, ``.gpr`` was no media type: the
    RAW was ignored, left in SOURCE by a move and out of the archive by a copy. Now it travels
    with its JPEG like a DJI drone's ``.DNG``, and one whose JPEG is gone is dated by its own
    EXIF."""
    card = tmp_path / "src" / "DCIM" / "100GOPRO"
    card.mkdir(parents=True)
    shutil.copyfile(corpus / "camera" / "exiftool_GoPro.jpg", card / "GOPR0001.JPG")
    shutil.copyfile(corpus / "formats" / "tif-with-iptc-icc-xmp.tif", card / "GOPR0001.GPR")
    shutil.copyfile(corpus / "formats" / "piexif_01.tif", card / "GOPR0002.GPR")

    code, report = organize(tmp_path / "src", tmp_path / "dest", "--min-size", "0")

    assert code == 0
    rows = {Path(line["source"]).name: line for line in report}
    pair = rows["GOPR0001.GPR"]
    assert pair["status"] == "placed", pair
    assert pair["companion_of"] == "DCIM/100GOPRO/GOPR0001.JPG", pair
    assert pair["dest"] == rows["GOPR0001.JPG"]["dest"].removesuffix(".JPG") + ".GPR", pair
    alone = rows["GOPR0002.GPR"]
    assert alone["status"] == "placed" and alone["dest"].startswith("2006/"), alone
    placed = tmp_path / "dest" / alone["dest"]
    assert placed.read_bytes() == (card / "GOPR0002.GPR").read_bytes()


def _edited(source: Path, target: Path) -> None:
    """``source`` as an editor saves it: new pixels, the camera's EXIF kept."""
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as im:
        im.convert("L").convert("RGB").save(target, quality=90, exif=im.info["exif"])


def test_a_photo_keeps_its_name_beside_the_one_androids_trash_holds(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """``Pictures/IMG_1.jpg`` and, deleted, another ``Pictures/.trashed-1700000000-IMG_1.jpg``
    of the same day: the trashed one is placed under its visible name, which is the live
    photo's own. Before, names went in source-path order, where the dot sorts first: the
    deleted photo took ``IMG_1.jpg`` and the live one became ``IMG_1_1.jpg``."""
    pictures = tmp_path / "src" / "Pictures"
    pictures.mkdir(parents=True)
    shutil.copyfile(corpus / "camera" / "DSCN0010.jpg", pictures / "IMG_1.jpg")
    _edited(corpus / "camera" / "DSCN0010.jpg", pictures / ".trashed-1700000000-IMG_1.jpg")

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {line["source"]: line["dest"] for line in report}
    assert rows["Pictures/IMG_1.jpg"] == "2008/Pictures/IMG_1.jpg", rows
    assert rows["Pictures/.trashed-1700000000-IMG_1.jpg"] == "2008/Pictures/IMG_1_1.jpg", rows


def test_picasas_original_yields_its_name_to_the_edit_in_a_flat_layout(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Picasa saves an edit over ``Trip/DSCN0010.jpg`` and keeps the original, other bytes of
    the same name, in the hidden ``Trip/.picasaoriginals/``: both are placed (the original
    never ignored as hidden: README, *Tidy*), and in one folder (``--layout flat``) the photo
    the user sees keeps its name, the hidden original takes the suffix."""
    trip = tmp_path / "src" / "2008 Trip"
    (trip / ".picasaoriginals").mkdir(parents=True)
    shutil.copyfile(corpus / "camera" / "DSCN0010.jpg", trip / ".picasaoriginals" / "DSCN0010.jpg")
    _edited(corpus / "camera" / "DSCN0010.jpg", trip / "DSCN0010.jpg")
    (trip / ".picasa.ini").write_text("[DSCN0010.jpg]\nfilters=bw=1;\n")

    code, report = organize(tmp_path / "src", tmp_path / "dest", "--layout", "flat")

    assert code == 0
    rows = {line["source"]: line for line in report}
    edit, original = rows["2008 Trip/DSCN0010.jpg"], rows["2008 Trip/.picasaoriginals/DSCN0010.jpg"]
    assert edit["dest"] == "2008/DSCN0010.jpg", edit
    assert original["status"] == "placed" and original["dest"] == "2008/DSCN0010_1.jpg", original
    kept = (tmp_path / "dest" / original["dest"]).read_bytes()
    assert kept == (corpus / "camera" / "DSCN0010.jpg").read_bytes()
    assert rows["2008 Trip/.picasa.ini"]["status"] == "ignored"


@needs_ffmpeg
def test_a_gopro_max_360_video_is_placed_with_its_thumbnail(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A GoPro MAX writes its 360-degree videos as MP4s named ``GS010001.360``, with a
    ``.THM`` thumbnail and a ``.LRV`` low-resolution proxy. Before, ``.360`` was no media type:
    the video was ignored (left out of the archive) and its ``.THM`` with it. Now it is placed
    and dated as the video it is, its thumbnail beside it; the proxy stays ignored, and a
    ``.360`` file that is no MP4 is no video (ignored, as a ``.MP`` that is none)."""
    card = tmp_path / "src" / "DCIM" / "100GOPRO"
    for name in ("GS010001.360", "GS010001.LRV"):  # MP4s under the camera's names
        video(card / f"{name}.mp4", creation="2021-06-01T10:00:00Z")
        (card / f"{name}.mp4").rename(card / name)
    shutil.copyfile(corpus / "camera" / "exiftool_GoPro.jpg", card / "GS010001.THM")
    (card / "notes.360").write_bytes(b"360 degree panorama settings\n")

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {Path(line["source"]).name: line for line in report}
    clip = rows["GS010001.360"]
    assert clip["status"] == "placed" and clip["dest"] == "2021/100GOPRO/GS010001.360", clip
    thumbnail = rows["GS010001.THM"]
    assert thumbnail["companion_of"] == "DCIM/100GOPRO/GS010001.360", thumbnail
    assert thumbnail["dest"] == "2021/100GOPRO/GS010001.THM", thumbnail
    proxy = rows["GS010001.LRV"]
    assert proxy["status"] == "ignored" and "low-resolution proxy" in proxy["reason"], proxy
    assert rows["notes.360"]["status"] == "ignored", rows["notes.360"]
