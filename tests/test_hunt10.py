"""Real archive situations that broke the engine, built from corpus files (hunt10)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, imgorg


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


def without_app1(data: bytes) -> bytes:
    """A JPEG with its APP1 segments (EXIF, XMP) cut out, as a messenger or an upload strips
    them: the image data untouched."""
    assert data[:2] == b"\xff\xd8"
    out, i = bytearray(data[:2]), 2
    while data[i + 1] != 0xDA:  # up to the first scan
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if data[i + 1] != 0xE1:
            out += data[i : i + 2 + length]
        i += 2 + length
    return bytes(out + data[i:])


def test_a_photo_named_by_its_month_lands_in_that_year(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A person names a scan ``1985-07 Beach.jpg`` (the README's own example of a name meaning
    the picture's date) and a holiday folder ``2003-07 Holiday``. The month alone was never
    read: the scan, re-saved by Photoshop in 2008, went to 2008 by its IFD0 DateTime, and the
    folder dated its photos 1 January. A camera counter followed by a copy's number is still
    no date."""
    src = tmp_path / "src"
    (src / "Scans").mkdir(parents=True)
    (src / "2003-07 Holiday").mkdir()
    shutil.copy(CORPUS / "camera/Canon_40D_photoshop_import.jpg", src / "Scans/1985-07 Beach.jpg")
    shutil.copy(CORPUS / "no_exif/noexif.jpg", src / "2003-07 Holiday/beach.jpg")
    shutil.copy(CORPUS / "no_exif/hopper.jpg", src / "2003-07 Holiday/IMG_2010-01.jpg")
    shutil.copy(CORPUS / "no_exif/elodie_no-exif.jpg", src / "2003-07 Holiday/DSC-2010-01.jpg")

    code, report = organize(src, tmp_path / "out", "--date-from-folder", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    scan = lines["Scans/1985-07 Beach.jpg"]
    assert (scan["dest"], scan["date"], scan["date_source"]) == (
        "1985/Scans/1985-07 Beach.jpg",
        "1985-07-01T00:00:00",
        "filename",
    )
    beach = lines["2003-07 Holiday/beach.jpg"]
    assert (beach["date"], beach["date_source"]) == ("2003-07-01T00:00:00", "folder")
    for counter in ("IMG_2010-01.jpg", "DSC-2010-01.jpg"):
        line = lines[f"2003-07 Holiday/{counter}"]
        assert (line["date"], line["date_source"]) == ("2003-07-01T00:00:00", "folder")


def test_a_photo_saved_from_wechat_is_dated_by_its_name(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """WeChat strips EXIF from the photos it saves and names them by the moment saved, in
    milliseconds since 1970 (``mmexport1546300801000.jpg``; its camera: ``wx_camera_...``), as
    Facebook's ``FB_IMG_`` names do. They went to NoDate."""
    src = tmp_path / "src" / "WeiXin"
    src.mkdir(parents=True)
    for name, corpus_file in (
        ("mmexport1546300801000.jpg", "phone/jolla.jpg"),
        ("wx_camera_1562000000000.jpg", "phone/Samsung GT-I9000 (Galaxy S).jpg"),
    ):
        (src / name).write_bytes(without_app1((CORPUS / corpus_file).read_bytes()))

    code, report = organize(tmp_path / "src", tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    saved = lines["WeiXin/mmexport1546300801000.jpg"]
    assert (saved["dest"], saved["date"], saved["date_source"]) == (
        "2019/WeiXin/mmexport1546300801000.jpg",
        "2019-01-01T00:00:01+00:00",
        "filename",
    )
    assert lines["WeiXin/wx_camera_1562000000000.jpg"]["date"] == "2019-07-01T16:53:20+00:00"


def with_clock_reset(data: bytes, mark: bytes) -> bytes:
    """Canon 40D's photo as its camera writes it after its clock battery ran out: every EXIF
    date 1980:01:01 00:00:00; ``mark`` (a JPEG comment) makes each copy's bytes its own."""
    for written in (b"2008:05:30 15:56:01", b"2008:07:31 10:38:11"):
        assert written in data
        data = data.replace(written, b"1980:01:01 00:00:00")
    return data[:2] + b"\xff\xfe" + (len(mark) + 2).to_bytes(2, "big") + mark + data[2:]


def test_an_edited_copy_of_a_photo_with_a_reset_clock_lands_beside_its_original(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An original whose camera clock was reset (EXIF 1980:01:01 00:00:00) is dated by its
    Takeout JSON or its file name; its Google Photos ``-edited`` copy took the original's EXIF
    date as it was and went to 1980, away from the original it is an edit of."""
    camera = (CORPUS / "camera/Canon_40D.jpg").read_bytes()
    takeout = tmp_path / "src/Takeout/Google Photos/Photos from 2015"
    takeout.mkdir(parents=True)
    (takeout / "IMG_0042.JPG").write_bytes(with_clock_reset(camera, b"original"))
    (takeout / "IMG_0042-edited.JPG").write_bytes(with_clock_reset(camera, b"edited"))
    taken = '{"title": "IMG_0042.JPG", "photoTakenTime": {"timestamp": "1433678400"}}'
    (takeout / "IMG_0042.JPG.json").write_text(taken)  # 2015-06-07 12:00 UTC
    phone = tmp_path / "src/Phone"
    phone.mkdir()
    (phone / "IMG_20150607_101010.jpg").write_bytes(with_clock_reset(camera, b"phone"))
    (phone / "IMG_20150607_101010-edited.jpg").write_bytes(with_clock_reset(camera, b"edit"))

    code, report = organize(tmp_path / "src", tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    folder = "Takeout/Google Photos/Photos from 2015/"
    for original, edited in (
        (folder + "IMG_0042.JPG", folder + "IMG_0042-edited.JPG"),
        ("Phone/IMG_20150607_101010.jpg", "Phone/IMG_20150607_101010-edited.jpg"),
    ):
        assert lines[original]["year"] == 2015
        assert (lines[edited]["date"], lines[edited]["date_source"]) == (
            lines[original]["date"],
            "original",
        )


def test_a_camera_folder_holds_no_character_a_windows_share_or_exfat_disk_refuses(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Samsung's Digimax i50 writes its model as ``<Digimax i50 MP3, Samsung #1 MP3>``: with
    ``--layout '{year}/{camera}'`` DEST got a folder named with ``<`` and ``>``, which a copy of
    the archive to an exFAT disk or a Windows share cannot hold."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(CORPUS / "camera/Samsung_Digimax_i50_MP3.jpg", src / "SDC10001.JPG")
    shutil.copy(CORPUS / "camera/Canon_40D.jpg", src / "IMG_0001.JPG")

    code, report = organize(src, tmp_path / "out", "--layout", "{year}/{camera}")
    lines = by_source(report)
    assert code == 0
    assert lines["SDC10001.JPG"]["dest"] == (
        "2006/Samsung Techwin _Digimax i50 MP3, Samsung #1 MP3_/SDC10001.JPG"
    )
    assert (tmp_path / "out" / lines["SDC10001.JPG"]["dest"]).is_file()
    assert lines["IMG_0001.JPG"]["dest"] == "2008/Canon EOS 40D/IMG_0001.JPG"


def test_photos_of_a_telegram_chat_export_are_dated_by_their_day_first_names(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Telegram strips EXIF, and its desktop app exports a chat's photos as
    ``photos/photo_1@01-08-2020_22-03-20.jpg`` (day first, local time) and older exports as
    ``photo_1@26-05-2017.jpg``: no pattern read them, so a whole chat export went to NoDate.
    The ``_thumb.jpg`` previews it writes beside them stay undated (left to --min-size)."""
    export = tmp_path / "src/Telegram Desktop/ChatExport_2024-01-15"
    (export / "photos").mkdir(parents=True)
    for name, corpus_file in (
        ("photo_1@01-08-2020_22-03-20.jpg", "phone/jolla.jpg"),
        ("photo_2@26-05-2017.jpg", "phone/Samsung GT-I9000 (Galaxy S).jpg"),
        ("photo_2@26-05-2017_thumb.jpg", "no_exif/noexif.jpg"),
    ):
        data = (CORPUS / corpus_file).read_bytes()
        (export / "photos" / name).write_bytes(without_app1(data))

    code, report = organize(tmp_path / "src", tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    chat = "Telegram Desktop/ChatExport_2024-01-15/photos/"
    first = lines[chat + "photo_1@01-08-2020_22-03-20.jpg"]
    assert (first["dest"], first["date"], first["date_source"]) == (
        "2020/photos/photo_1@01-08-2020_22-03-20.jpg",
        "2020-08-01T22:03:20",
        "filename",
    )
    assert lines[chat + "photo_2@26-05-2017.jpg"]["date"] == "2017-05-26T00:00:00"
    assert lines[chat + "photo_2@26-05-2017_thumb.jpg"]["status"] == "skipped"


def test_cut_takeout_json_names_of_a_long_named_photo_and_its_numbered_copy_travel_with_each(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Takeout cuts a JSON's name at 46 characters and numbers a second photo of one name
    ``(1)`` after the cut: ``<46 chars>.json`` and ``<46 chars>(1).json`` beside ``<name>.jpg``
    and ``<name>(1).jpg``. The cut name began both photos' names, so neither JSON was matched:
    both ignored as sidecars without a photo, and both photos (EXIF stripped) went to NoDate."""
    album = tmp_path / "src/Takeout/Google Photos/Photos from 2019"
    album.mkdir(parents=True)
    name = "Some_very_long_holiday_picture_name_from_an_app"
    cut = f"{name}.jpg"[:46]
    for photo, sidecar, corpus_file, seconds in (
        (f"{name}.jpg", f"{cut}.json", "camera/Canon_40D.jpg", 1307000000),  # 2011
        (f"{name}(1).jpg", f"{cut}(1).json", "camera/Nikon_D70.jpg", 1339000000),  # 2012
    ):
        (album / photo).write_bytes(without_app1((CORPUS / corpus_file).read_bytes()))
        taken = {"title": photo, "photoTakenTime": {"timestamp": str(seconds)}}
        (album / sidecar).write_text(json.dumps(taken))

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    folder = "Takeout/Google Photos/Photos from 2019/"
    for photo, sidecar, year in (
        (f"{name}.jpg", f"{cut}.json", 2011),
        (f"{name}(1).jpg", f"{cut}(1).json", 2012),
    ):
        assert (lines[folder + photo]["year"], lines[folder + photo]["date_source"]) == (
            year,
            "takeout",
        )
        assert lines[folder + sidecar]["companion_of"] == folder + photo


def with_iptc_date(data: bytes, day: bytes) -> bytes:
    """A JPEG with a Photoshop APP13 segment holding IPTC 2:55 DateCreated ``day``, as a
    cataloguing program writes it into a scan."""
    record = b"\x1c\x02\x37" + struct.pack(">H", len(day)) + day
    block = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    body = b"Photoshop 3.0\x00" + block + b"\x00" * (len(record) % 2)
    return data[:2] + b"\xff\xed" + struct.pack(">H", len(body) + 2) + body + data[2:]


def test_a_scan_whose_iptc_date_knows_only_its_year_or_month_lands_in_that_year(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The IPTC standard writes a month or day that is not known as ``00``: a print of 1985
    catalogued as ``19850000``, one of June 1972 as ``19720600``. Read as no date, the scans
    went to the year their scanner wrote into IFD0 DateTime (2008)."""
    src = tmp_path / "src" / "Scans"
    src.mkdir(parents=True)
    scan = (CORPUS / "camera/Canon_40D_photoshop_import.jpg").read_bytes()  # IFD0 2008 alone
    (src / "grandpa.jpg").write_bytes(with_iptc_date(scan, b"19850000"))
    (src / "grandma.jpg").write_bytes(with_iptc_date(scan, b"19720600"))

    code, report = organize(tmp_path / "src", tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    for name, date in (
        ("grandpa.jpg", "1985-01-01T00:00:00"),
        ("grandma.jpg", "1972-06-01T00:00:00"),
    ):
        assert (lines[f"Scans/{name}"]["date"], lines[f"Scans/{name}"]["date_source"]) == (
            date,
            "iptc",
        )


def with_infinite_gps_time(data: bytes) -> bytes:
    """Nikon's DSCN0010.jpg with its GPSTimeStamp written as three DOUBLEs, the hour infinite
    (exiftool: ``Inf:NaN:...``), as a broken geotagger can leave it."""
    out = bytearray(data)
    tiff = out.find(b"Exif\x00\x00") + 6
    assert out[tiff : tiff + 2] == b"II"

    def entries(ifd: int) -> list[tuple[int, int, int]]:
        count = struct.unpack_from("<H", out, ifd)[0]
        at = [ifd + 2 + 12 * k for k in range(count)]
        return [(e, *struct.unpack_from("<H6xI", out, e)) for e in at]

    ifd0 = tiff + struct.unpack_from("<I", out, tiff + 4)[0]
    gps = next(tiff + value for _, tag, value in entries(ifd0) if tag == 0x8825)
    entry, _, value = next(e for e in entries(gps) if e[1] == 7)
    struct.pack_into("<H", out, entry + 2, 12)  # DOUBLE
    struct.pack_into("<ddd", out, tiff + value, float("inf"), 0.0, 0.0)
    return bytes(out)


def test_a_photo_with_an_infinite_gps_time_or_takeout_timestamp_is_placed_not_an_error(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An infinite GPSTimeStamp (a DOUBLE) or a Takeout JSON whose timestamp reads as
    ``Infinity`` raised OverflowError: the photo ended in ``error``, left out of the archive,
    though its camera date and pixels are sound."""
    src = tmp_path / "src"
    src.mkdir()
    nikon = (CORPUS / "camera/DSCN0010.jpg").read_bytes()
    (src / "DSCN0010.jpg").write_bytes(with_infinite_gps_time(nikon))
    shutil.copy(CORPUS / "camera/Canon_40D.jpg", src / "IMG_0001.jpg")
    (src / "IMG_0001.jpg.json").write_text('{"photoTakenTime": {"timestamp": Infinity}}')

    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    assert (lines["DSCN0010.jpg"]["status"], lines["DSCN0010.jpg"]["year"]) == ("placed", 2008)
    assert (lines["IMG_0001.jpg"]["status"], lines["IMG_0001.jpg"]["year"]) == ("placed", 2008)


def test_a_modification_time_that_was_never_set_is_no_date(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """With ``--date-from-mtime``, a file whose modification time is Unix time zero (an
    archive unpacked without times) or FAT's first day (a card whose clock was never set) was
    filed under 1970 or 1980, as a video's zero container date is not."""
    src = tmp_path / "src"
    src.mkdir()
    fat_epoch = int(time.mktime((1980, 1, 1, 0, 0, 0, 0, 0, -1))) * 10**9
    for name, corpus_file, mtime_ns in (
        ("unpacked.jpg", "no_exif/noexif.jpg", 0),
        ("card.jpg", "no_exif/hopper.jpg", fat_epoch),
        ("saved.jpg", "no_exif/elodie_no-exif.jpg", 1_433_678_400 * 10**9),  # 2015-06-07
    ):
        shutil.copy(CORPUS / corpus_file, src / name)
        os.utime(src / name, ns=(mtime_ns, mtime_ns))

    code, report = organize(src, tmp_path / "out", "--date-from-mtime", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    assert lines["unpacked.jpg"]["dest"] == "NoDate/unpacked.jpg"
    assert lines["card.jpg"]["dest"] == "NoDate/card.jpg"
    assert (lines["saved.jpg"]["year"], lines["saved.jpg"]["date_source"]) == (2015, "mtime")


def test_the_live_copy_is_kept_over_a_nas_snapshot_of_it(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A Synology or QNAP share shows its snapshots inside it (``#snapshot/GMT+01_.../``,
    ``@Recently-Snapshot/...``): ``#`` and ``@`` sort before letters, so the snapshot's copy
    of every photo was kept and the live photo called its duplicate (in move mode, moved to
    Duplicates/ while the snapshot's copy was placed)."""
    src = tmp_path / "src"
    for root in (
        "photo/Family",
        "#snapshot/GMT+01_2023-01-01-00.00.00/photo/Family",
        "@Recently-Snapshot/GMT+01_2023-01-01_0000/photo/Family",
    ):
        (src / root).mkdir(parents=True)
        shutil.copy(CORPUS / "camera/Canon_40D.jpg", src / root / "IMG_0001.JPG")

    code, report = organize(src, tmp_path / "out", "--mode", "move")
    lines = by_source(report)
    assert code == 0
    assert lines["photo/Family/IMG_0001.JPG"]["status"] == "placed"
    snapshots = [line for line in report if line["source"] != "photo/Family/IMG_0001.JPG"]
    assert {line["duplicate_of"] for line in snapshots} == {"photo/Family/IMG_0001.JPG"}
    assert all(line["reason"].endswith("in a trash folder or a snapshot") for line in snapshots)


FFMPEG = shutil.which("ffmpeg")


def a_clip(clip: Path) -> Path:
    """A short MP4 (a still of a corpus photo, 0.4 s) made on 2020-05-04 by its container."""
    assert FFMPEG is not None
    still = CORPUS / "camera/Canon_40D.jpg"
    made = [FFMPEG, "-v", "error", "-y", "-loop", "1", "-i", str(still), "-t", "0.4"]
    made += ["-metadata", "creation_time=2020-05-04T22:39:15Z", "-c:v", "mjpeg", str(clip)]
    subprocess.run(made, check=True)
    return clip


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_a_video_saved_under_an_image_name_is_placed_as_the_video_it_is(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Messengers and web pages hand out short clips as "GIFs" that are MP4 files, saved as
    ``clip.gif``; the imaging library cannot open them, so they were set aside as corrupt
    ("not a recognisable image") and undated, though they are sound videos. A HEIC under a
    video's name is the photo it is (``test_a_photo_saved_under_a_video_name_...``)."""
    src = tmp_path / "src" / "Downloads"
    src.mkdir(parents=True)
    clip = a_clip(tmp_path / "clip.mp4")
    shutil.copy(clip, src / "funny.gif")
    (src / "IMG_0001.jpg").write_bytes(clip.read_bytes() + b"\x00")  # bytes of its own
    shutil.copy(CORPUS / "formats/IMG_2927.HEIC", src / "IMG_2927.mov")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    for name in ("funny.gif", "IMG_0001.jpg"):
        line = lines[f"Downloads/{name}"]
        assert (line["status"], line["dest"], line["date_source"]) == (
            "placed",
            f"2020/Downloads/{name}",
            "quicktime",
        )
        assert (tmp_path / "out" / line["dest"]).read_bytes() == (src / name).read_bytes()
    heic = lines["Downloads/IMG_2927.mov"]
    assert (heic["status"], heic["dest"], heic["date_source"]) == (
        "placed",
        "2020/Downloads/IMG_2927.mov",
        "exif",
    )
    assert heic["note"] == "a photo named as a video (.mov): placed as it is"


def test_a_photo_saved_under_a_video_name_is_placed_as_the_photo_it_is(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A camera JPEG saved as ``MVI_0001.AVI`` (a download or a rename gone wrong), standing
    alone, was set aside as a corrupt video ("not a recognisable video"), undated, though it is
    a sound photo: it is checked and dated as the photo it is, placed byte for byte under its
    own name (never turned or re-encoded), its note saying so; a JPEG cut short under a
    video's name is set aside for what is wrong with it as a photo. Verify and undo hold."""
    src = tmp_path / "src" / "Downloads"
    src.mkdir(parents=True)
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "MVI_0001.AVI")  # Orientation 6
    shutil.copy(CORPUS / "corrupt/truncated_jpeg.jpg", src / "clip.mp4")
    dest = tmp_path / "out"

    flags = ("--min-size", "0", "--compress-above", "100KB")  # it is 784 KB
    code, report = organize(tmp_path / "src", dest, *flags)
    lines = by_source(report)

    assert code == 0, report
    photo = lines["Downloads/MVI_0001.AVI"]
    assert (photo["status"], photo["dest"], photo["date_source"]) == (
        "placed",
        "2015/Downloads/MVI_0001.AVI",
        "exif",
    )
    assert photo["note"] == "a photo named as a video (.avi): placed as it is"
    assert (dest / photo["dest"]).read_bytes() == (src / "MVI_0001.AVI").read_bytes()
    cut = lines["Downloads/clip.mp4"]
    assert (cut["status"], cut["dest"]) == ("corrupt", "Corrupted/Downloads/clip.mp4")
    assert cut["reason"] != "not a recognisable video"
    assert cut["note"].startswith("a photo named as a video (.mp4)")
    assert (dest / cut["dest"]).read_bytes() == (src / "clip.mp4").read_bytes()
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert not (dest / photo["dest"]).exists()


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_no_videos_leaves_a_video_saved_under_an_image_name_where_it_is(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """``--no-videos`` leaves videos in SOURCE: one found under an image's name too (move mode:
    it stays, ignored, with the reason), while the photo beside it is moved."""
    src = tmp_path / "src" / "Downloads"
    src.mkdir(parents=True)
    clip = a_clip(tmp_path / "clip.mp4")
    shutil.copy(clip, src / "funny.gif")
    shutil.copy(CORPUS / "camera/Canon_40D.jpg", src / "Canon_40D.jpg")
    code, report = organize(
        tmp_path / "src", tmp_path / "out", "--min-size", "0", "--no-videos", "--mode", "move"
    )
    lines = by_source(report)
    assert code == 0
    line = lines["Downloads/funny.gif"]
    assert (line["status"], line["dest"]) == ("ignored", None)
    assert line["reason"] == "a video named as an image (.gif; --no-videos)"
    assert (src / "funny.gif").read_bytes() == clip.read_bytes()
    assert lines["Downloads/Canon_40D.jpg"]["status"] == "placed"
    assert not (src / "Canon_40D.jpg").exists()
