"""Archives of messaging exports, phone camera names, cloud uploads and screenshots, built from
corpus files as users have them; each test is a shape whose outcome was wrong."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from benchmarks.similar import TRANSFORMS, upright
from conftest import tree_digest

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")


def by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["source"]: row for row in rows}


def messenger_copy(original: Path) -> bytes:
    """What WhatsApp or Facebook hand back: 1600 px, quality 70, no EXIF."""
    im, exif = upright(original.read_bytes())
    return TRANSFORMS["messenger (1600 px, q70, no EXIF)"][1](im, exif)


def test_facebook_downloads_are_not_dated_by_the_ids_in_their_names(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Facebook and Instagram name a downloaded photo by the ids of its upload and a size letter
    (``<id>_<id>_<id>_n.jpg``), and strip its EXIF. A first id from 18000000 to 20999999 reads
    as a date one time in 27 (``20110105_...``: 5 January 2011, ``18930101_...``: 1893): such a
    photo went to that year's folder instead of NoDate with its siblings. A Samsung burst
    (``20190512_101010_001.jpg``) is still dated by its name."""
    source = tmp_path / "src"
    (source / "Facebook").mkdir(parents=True)
    (source / "DCIM" / "Camera").mkdir(parents=True)
    facebook = {
        "12345678_10153123456789012_1234567890_n.jpg": "orientation/Landscape_1.jpg",
        "20110105_10153123456789012_1234567890123456789_n.jpg": "orientation/Portrait_1.jpg",
        "18930101_1447478138645052_2297424939449488914_o.jpg": "orientation/Landscape_0.jpg",
        "20120304_2011010510101012_2297424939449488914_n.jpg": "orientation/Portrait_0.jpg",
    }
    for name, original in facebook.items():
        shutil.copy(corpus / original, source / "Facebook" / name)
    shutil.copy(
        corpus / "orientation/Landscape_2.jpg", source / "DCIM/Camera/20190512_101010_001.jpg"
    )
    before = tree_digest(source)

    code, rows = organize(source, tmp_path / "dest", "-j", "1")

    assert code == 0
    lines = by_source(rows)
    for name in facebook:
        line = lines[f"Facebook/{name}"]
        assert (line["status"], line["year"], line["date_source"]) == ("placed", None, "none")
        assert line["dest"] == f"NoDate/Facebook/{name}"
    burst = lines["DCIM/Camera/20190512_101010_001.jpg"]
    assert (burst["date"], burst["date_source"]) == ("2019-05-12T10:10:10", "filename")
    assert tree_digest(source) == before


@needs_ffmpeg
def test_a_mac_screen_recording_named_on_a_12_hour_clock_lands_in_its_local_year(
    tmp_path: Path, organize
) -> None:
    """A Mac names a screen recording by local time, on a 12-hour clock without the hour's
    leading zero (``Screen Recording 2019-12-31 at 9.30.00 PM.mov``) or with a word of its
    language before the time (``Gravação de Tela 2019-12-31 às 21.30.00.mov``), and writes
    ``creation_time`` in UTC. The name's time gives the offset, as a phone's
    ``VID_20191231_213000`` does; unread, the recording made on New Year's Eve in California
    (05:30 UTC on New Year's Day) or Brazil went to 2020."""
    assert FFMPEG is not None
    source = tmp_path / "src" / "Desktop"
    source.mkdir(parents=True)
    for name, utc in (
        ("Screen Recording 2019-12-31 at 9.30.00 PM.mov", "2020-01-01T05:30:01Z"),
        ("Gravação de Tela 2019-12-31 às 21.30.00.mov", "2020-01-01T00:30:00Z"),
    ):
        command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"]
        command += ["-t", "1", "-metadata", f"creation_time={utc}", "-c:v", "mjpeg"]
        subprocess.run([*command, str(source / name)], check=True)

    code, rows = organize(tmp_path / "src", tmp_path / "dest", "-j", "1")

    assert code == 0
    lines = by_source(rows)
    for name, date in (
        ("Screen Recording 2019-12-31 at 9.30.00 PM.mov", "2019-12-31T21:30:01-08:00"),
        ("Gravação de Tela 2019-12-31 às 21.30.00.mov", "2019-12-31T21:30:00-03:00"),
    ):
        line = lines[f"Desktop/{name}"]
        assert (line["date"], line["tz_source"], line["year"]) == (date, "filename", 2019), line
        assert line["dest"] == f"2019/Desktop/{name}"


def test_screenshots_and_whatsapp_exports_keep_the_hour_a_12_hour_clock_wrote(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """macOS (``Screen Shot 2019-05-12 at 9.10.10 PM.png``, since Ventura with a narrow
    no-break space before ``PM``) and WhatsApp on an iPhone (``WhatsApp Image 2021-03-17 at
    9.47.23 AM.jpeg``) write a one-digit hour, and a Mac in Korean or Chinese the half of the
    day before the time (``오후 9.41.23``, ``下午10.41.23``); such a name was read as midnight,
    so a ``--rename`` by time named the screenshot ``000000_...``."""
    source = tmp_path / "src"
    source.mkdir()
    names = {
        "Screen Shot 2019-05-12 at 9.10.10 PM.png": ("formats/hopper.png", "211010"),
        "Screenshot 2024-01-05 at 9.41.23\u202fPM.png": ("formats/hopper.gif", "214123"),
        "WhatsApp Image 2021-03-17 at 9.47.23 AM.jpeg": ("no_exif/hopper.jpg", "094723"),
        "스크린샷 2021-03-04 오후 9.41.23.png": ("formats/hopper.bmp", "214123"),
        "截屏2021-03-04 下午10.41.23.png": ("formats/pal8rle.bmp", "224123"),
    }
    for name, (original, _) in names.items():
        shutil.copy(corpus / original, source / name)

    code, rows = organize(source, tmp_path / "dest", "-j", "1", "--rename", "{date:%H%M%S}_{name}")

    assert code == 0
    lines = by_source(rows)
    for name, (_, hms) in names.items():
        line = lines[name]
        assert (line["status"], line["date_source"]) == ("placed", "filename"), line
        assert Path(line["dest"]).name.startswith(f"{hms}_"), line


def test_a_messenger_copy_dated_from_its_near_duplicate_names_the_copy_placed(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """An iPhone photo, its iCloud download (``IMG_1234 (1).JPG``, the same bytes) and the copy
    WhatsApp made of it: with ``--similar`` the WhatsApp copy takes the photo's date, and its
    note and ``similar_to`` named ``iCloud/IMG_1234 (1).JPG``, the copy set aside as a
    duplicate (in move mode found only under Duplicates/), not the one placed."""
    source = tmp_path / "src"
    for folder in ("iPhone/100APPLE", "iCloud", "WhatsApp/Media/WhatsApp Images"):
        (source / folder).mkdir(parents=True)
    photo = corpus / "phone/iphone_hdr_NO.jpg"
    shutil.copy(photo, source / "iPhone/100APPLE/IMG_1234.JPG")
    shutil.copy(photo, source / "iCloud/IMG_1234 (1).JPG")
    whatsapp = "WhatsApp/Media/WhatsApp Images/IMG-20190513-WA0000.jpg"
    (source / whatsapp).write_bytes(messenger_copy(photo))

    code, rows = organize(source, tmp_path / "dest", "-j", "1", "--similar")

    assert code == 0
    lines = by_source(rows)
    kept = "iPhone/100APPLE/IMG_1234.JPG"
    assert lines[kept]["status"] == "placed"
    assert lines["iCloud/IMG_1234 (1).JPG"]["duplicate_of"] == kept
    copy = lines[whatsapp]
    assert (copy["date_source"], copy["year"], copy["similar_to"]) == ("similar", 2015, kept)
    assert copy["note"] == f"dated from its near-duplicate {kept}"


def test_a_photo_saved_from_facebook_dated_by_its_original_loses_the_note_of_its_utc_name(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A photo saved from Facebook is named by the moment it was saved, in UTC
    (``FB_IMG_1546300801000.jpg``); with ``--similar`` it takes the camera original's date and
    zone, yet its note still said ``date in UTC: no time zone known`` of that date."""
    source = tmp_path / "src"
    (source / "DCIM").mkdir(parents=True)
    (source / "Facebook").mkdir()
    original = corpus / "camera/DSCN0010.jpg"
    shutil.copy(original, source / "DCIM/DSCN0010.jpg")
    (source / "Facebook/FB_IMG_1546300801000.jpg").write_bytes(messenger_copy(original))

    code, rows = organize(source, tmp_path / "dest", "-j", "1", "--similar")

    assert code == 0
    saved = by_source(rows)["Facebook/FB_IMG_1546300801000.jpg"]
    assert (saved["date_source"], saved["tz_source"]) == ("similar", "gps-position")
    assert saved["date"] == "2008-10-22T16:28:39+02:00"
    assert saved["note"] == "dated from its near-duplicate DCIM/DSCN0010.jpg"


def test_a_photo_dropbox_uploaded_again_keeps_its_own_name_not_the_numbered_one(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Dropbox's Camera Uploads names a photo ``2019-05-12 10.10.10.jpg`` and the same photo
    uploaded again (a second phone, a reinstall) ``2019-05-12 10.10.10-1.jpg``. The dash sorts
    before the dot, so the numbered copy was kept "because its path sorts first" and the
    original name set aside; a different photo of the same second (``-2``) is placed too."""
    source = tmp_path / "src"
    uploads = source / "Dropbox" / "Camera Uploads"
    uploads.mkdir(parents=True)
    shutil.copy(corpus / "phone/jolla.jpg", uploads / "2019-05-12 10.10.10.jpg")
    shutil.copy(corpus / "phone/jolla.jpg", uploads / "2019-05-12 10.10.10-1.jpg")
    shutil.copy(corpus / "camera/DSCN0010.jpg", uploads / "2019-05-12 10.10.10-2.jpg")

    code, rows = organize(source, tmp_path / "dest", "-j", "1")

    assert code == 0
    lines = by_source(rows)
    original = lines["Dropbox/Camera Uploads/2019-05-12 10.10.10.jpg"]
    assert (original["status"], original["year"]) == ("placed", 2014)
    again = lines["Dropbox/Camera Uploads/2019-05-12 10.10.10-1.jpg"]
    assert again["status"] == "duplicate"
    assert again["duplicate_of"] == original["source"]
    assert again["reason"].endswith("its name is not a copy's"), again["reason"]
    assert lines["Dropbox/Camera Uploads/2019-05-12 10.10.10-2.jpg"]["status"] == "placed"


def test_of_identical_copies_the_name_without_a_suffix_is_kept_over_its_numbered_twin(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A phone backup holds ``IMG_1234.jpg`` and the same bytes as ``IMG_1234-1.jpg`` (a second
    download, a Lightroom or gallery export numbering its copies), and a folder ``Trip`` beside
    ``Trip-2`` with the same photo in each. The last rule, the path in byte order, put the
    numbered copy first (``-`` sorts before ``.``, and before ``/``), so the original name went
    to the duplicates. Compared folder by folder, then by name without its extension, the
    unnumbered one is kept."""
    source = tmp_path / "Phone backup"
    camera = source / "Camera"
    camera.mkdir(parents=True)
    shutil.copy(corpus / "phone/jolla.jpg", camera / "IMG_1234.jpg")
    shutil.copy(corpus / "phone/jolla.jpg", camera / "IMG_1234-1.jpg")
    for folder in ("Trip", "Trip-2"):
        (source / folder).mkdir()
        shutil.copy(corpus / "camera/DSCN0010.jpg", source / folder / "DSCN0010.jpg")

    code, rows = organize(source, tmp_path / "dest", "-j", "1", "--mode", "move")

    assert code == 0
    lines = by_source(rows)
    kept, copy = lines["Camera/IMG_1234.jpg"], lines["Camera/IMG_1234-1.jpg"]
    assert (kept["status"], copy["status"]) == ("placed", "duplicate"), (kept, copy)
    assert copy["duplicate_of"] == "Camera/IMG_1234.jpg"
    assert copy["reason"].endswith("its path sorts first"), copy["reason"]
    trip, other = lines["Trip/DSCN0010.jpg"], lines["Trip-2/DSCN0010.jpg"]
    assert (trip["status"], other["status"]) == ("placed", "duplicate"), (trip, other)
    assert other["dest"].startswith("Duplicates/Trip-2/"), other


def test_undo_after_a_refile_into_a_later_runs_year_leaves_no_folder_behind(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """The WhatsApp copy of a 2008 photo is moved into 2019 (the day it was forwarded); a
    second run brings the camera original, into ``2008/``; ``imgorg similar --refile`` moves the
    copy to ``2008/WhatsApp Images/``. Undoing both runs put every file back in SOURCE, but left
    ``2008/`` (and before that ``2008/WhatsApp Images/``) in DEST: the folders were journaled
    for the second run only, undone while the copy of the first still filled them."""
    from engine.cli import main

    source, dest = tmp_path / "src", tmp_path / "dest"
    whatsapp = source / "WhatsApp Images"
    whatsapp.mkdir(parents=True)
    original = corpus / "camera/DSCN0010.jpg"
    (whatsapp / "IMG-20190512-WA0004.jpg").write_bytes(messenger_copy(original))
    flags = ("-j", "1", "--mode", "move", "--similar")
    first = tree_digest(source)
    assert organize(source, dest, *flags)[0] == 0
    (source / "DCIM").mkdir()
    shutil.copy(original, source / "DCIM" / "DSCN0010.jpg")
    second = {**first, **tree_digest(source)}
    assert organize(source, dest, *flags)[0] == 0
    assert main(["similar", str(dest), "--jobs", "1", "--refile"]) == 0
    assert (dest / "2008/WhatsApp Images/IMG-20190512-WA0004.jpg").is_file()

    assert main(["undo", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0

    assert tree_digest(source) == second
    assert sorted(p.name for p in dest.iterdir()) == [".imgorg"]


def test_set_aside_keeps_the_camera_original_over_a_same_size_copy_saved_at_a_higher_quality(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A 640x480 camera photo (JPEG quality 84, EXIF date and GPS) and the copy Telegram made
    of it: the same size, no EXIF, saved at quality 87. ``--similar set-aside`` kept the copy,
    for its higher quality setting, and set the camera original aside into ``Similar/``; a
    same-size JPEG without the capture time is that photo saved again and holds nothing more."""
    source = tmp_path / "src"
    (source / "DCIM/100NIKON").mkdir(parents=True)
    (source / "Telegram/Telegram Images").mkdir(parents=True)
    original = corpus / "camera/DSCN0010.jpg"
    shutil.copy(original, source / "DCIM/100NIKON/DSCN0010.jpg")
    buffer = io.BytesIO()
    with Image.open(original) as im:
        im.convert("RGB").save(buffer, "JPEG", quality=87)
    telegram = "Telegram/Telegram Images/photo_2021-03-04_10-11-12.jpg"
    (source / telegram).write_bytes(buffer.getvalue())

    code, rows = organize(source, tmp_path / "dest", "-j", "1", "--similar", "set-aside")

    assert code == 0
    lines = by_source(rows)
    camera = lines["DCIM/100NIKON/DSCN0010.jpg"]
    assert camera["dest"] == "2008/100NIKON/DSCN0010.jpg", camera
    assert (tmp_path / "dest" / camera["dest"]).read_bytes() == original.read_bytes()
    assert (tmp_path / "dest/Similar/2008/Telegram Images/photo_2021-03-04_10-11-12.jpg").exists()
    assert lines[telegram]["date_source"] == "similar"
