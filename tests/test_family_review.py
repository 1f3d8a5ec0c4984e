"""Families of camera files (RAW+JPEG pairs, Live Photos, Apple edit sidecars) made from the
shared corpus's real photos and arranged as camera cards and phone exports hold them."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from test_formats import needs_ffmpeg, video

from conftest import tree_digest

RATING = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/></rdf:RDF></x:xmpmeta>\n'
)


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


def cut(data: bytes) -> bytes:
    """A copy that stopped half-way (a card pulled out, a transfer cut short)."""
    return data[: len(data) // 2]


def raw_from(corpus_photo: Path) -> bytes:
    """A RAW as the camera's TIFF-based ones are (CR2, NEF, ARW): the corpus photo's pixels
    and its EXIF, camera date included, in a TIFF structure."""
    buffer = io.BytesIO()
    with Image.open(corpus_photo) as im:
        im.save(buffer, "TIFF", exif=im.getexif().tobytes())
    return buffer.getvalue()


@pytest.fixture
def card(tmp_path: Path, corpus: Path) -> Path:
    """A Canon card dumped as it was: IMG_0001 shot RAW+JPEG whose JPEG was cut short when
    copied, with Lightroom's .xmp of the RAW; IMG_0002 a sound RAW+JPEG pair."""
    src = tmp_path / "card"
    dcim = src / "DCIM" / "100CANON"
    dcim.mkdir(parents=True)
    (dcim / "IMG_0001.JPG").write_bytes(cut((corpus / "camera/Canon_40D.jpg").read_bytes()))
    (dcim / "IMG_0001.CR2").write_bytes(raw_from(corpus / "camera/Canon_40D.jpg"))
    (dcim / "IMG_0001.xmp").write_text(RATING)
    shutil.copyfile(corpus / "camera/Canon_DIGITAL_IXUS_400.jpg", dcim / "IMG_0002.JPG")
    (dcim / "IMG_0002.CR2").write_bytes(raw_from(corpus / "camera/Canon_DIGITAL_IXUS_400.jpg"))
    return src


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_sound_raw_beside_a_cut_jpeg_is_placed_alone(
    card: Path,
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """The camera's RAW is its own original, not a copy of the JPEG: it went to Corrupted with
    the JPEG cut short beside it (and its .xmp with it), out of the year it was taken."""
    before = tree_digest(card)
    dest = tmp_path / "out"
    code, report = organize(card, dest, "--min-size", "0", "--mode", mode)
    lines = by_source(report)
    assert code == 0 and set(lines) == set(before)
    jpeg, raw = lines["DCIM/100CANON/IMG_0001.JPG"], lines["DCIM/100CANON/IMG_0001.CR2"]
    assert jpeg["status"] == "corrupt" and jpeg["dest"] == "Corrupted/DCIM/100CANON/IMG_0001.JPG"
    assert "IMG_0001.CR2 is sound: placed alone" in jpeg["note"]
    assert (raw["status"], raw["dest"]) == ("placed", "2008/100CANON/IMG_0001.CR2"), raw
    assert (raw["date"], raw["date_source"], raw["companion_of"]) == (
        "2008-05-30T15:56:01",
        "exif",
        None,
    )
    assert "its photo IMG_0001.JPG is corrupt" in raw["note"]
    sidecar = lines["DCIM/100CANON/IMG_0001.xmp"]
    assert sidecar["status"] == "placed" and sidecar["companion_of"] == raw["source"]
    assert sidecar["dest"] == "2008/100CANON/IMG_0001.xmp"
    assert (dest / sidecar["dest"]).read_text() == RATING
    assert lines["DCIM/100CANON/IMG_0002.CR2"]["dest"] == "2004/100CANON/IMG_0002.CR2"
    for line in report:  # every file's own bytes where the report says
        assert tree_digest(dest)[line["dest"]][0] == before[line["source"]][0], line
    if mode == "move":
        assert not any(p.is_file() for p in card.rglob("*"))
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
    assert tree_digest(card) == before


def test_a_raw_placed_alone_is_settled_like_any_file_on_later_runs(
    card: Path,
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A ``RAW backup`` folder repeats the RAW of the pair whose JPEG is cut: one copy placed,
    the other its duplicate. A move run after the copy run releases the RAW (and its .xmp)
    placed alone, rather than place them a second time with a suffix."""
    backup = card / "RAW backup"
    backup.mkdir()
    shutil.copyfile(card / "DCIM/100CANON/IMG_0001.CR2", backup / "IMG_0001.CR2")
    before = tree_digest(card)
    dest = tmp_path / "out"
    code, report = organize(card, dest, "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    assert lines["DCIM/100CANON/IMG_0001.CR2"]["dest"] == "2008/100CANON/IMG_0001.CR2"
    copy = lines["RAW backup/IMG_0001.CR2"]
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", "DCIM/100CANON/IMG_0001.CR2")

    code, report = organize(card, dest, "--min-size", "0", "--mode", "move")
    lines = by_source(report)
    assert code == 0
    for rel in ("DCIM/100CANON/IMG_0001.CR2", "DCIM/100CANON/IMG_0001.xmp"):
        assert lines[rel]["dest"] == rel.replace("DCIM/", "2008/"), lines[rel]
        assert lines[rel]["note"].startswith("released by this run"), lines[rel]
    assert sorted(p.name for p in (dest / "2008/100CANON").iterdir()) == [
        "IMG_0001.CR2",
        "IMG_0001.xmp",
    ]
    assert not any(p.is_file() for p in card.rglob("*"))
    from engine.cli import main

    assert main(["undo", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(card) == before


def test_a_cut_raw_beside_a_sound_jpeg_stays_with_it(
    card: Path,
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The other way round: the JPEG is sound and placed, and the RAW (which cannot be checked
    short of decoding it) travels with it, as bytes, beside it: nothing set apart or lost."""
    dcim = card / "DCIM" / "100CANON"
    raw = dcim / "IMG_0002.CR2"
    raw.write_bytes(cut(raw.read_bytes()))
    code, report = organize(card, tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    assert lines["DCIM/100CANON/IMG_0002.JPG"]["dest"] == "2004/100CANON/IMG_0002.JPG"
    assert lines["DCIM/100CANON/IMG_0002.CR2"]["dest"] == "2004/100CANON/IMG_0002.CR2"
    assert (tmp_path / "out/2004/100CANON/IMG_0002.CR2").read_bytes() == raw.read_bytes()


@needs_ffmpeg
@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_live_photo_video_beside_a_cut_heic_is_placed_as_a_video(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """An iPhone's DCIM folder whose HEIC was cut short: its Live Photo video is sound and
    went to Corrupted with it. It is a video of its own, dated by its container."""
    src = tmp_path / "iPhone"
    dcim = src / "DCIM" / "100APPLE"
    dcim.mkdir(parents=True)
    (dcim / "IMG_2927.HEIC").write_bytes(cut((corpus / "formats/IMG_2927.HEIC").read_bytes()))
    video(dcim / "IMG_2927.MOV", apple="2019-08-10T18:04:05+0200")
    before = tree_digest(src)
    dest = tmp_path / "out"
    code, report = organize(src, dest, "--min-size", "0", "--mode", mode)
    lines = by_source(report)
    assert code == 0
    photo, movie = lines["DCIM/100APPLE/IMG_2927.HEIC"], lines["DCIM/100APPLE/IMG_2927.MOV"]
    assert photo["status"] == "corrupt", photo
    assert (movie["status"], movie["dest"]) == ("placed", "2019/100APPLE/IMG_2927.MOV"), movie
    assert movie["date"] == "2019-08-10T18:04:05+02:00" and movie["companion_of"] is None
    assert tree_digest(dest)[movie["dest"]][0] == before["DCIM/100APPLE/IMG_2927.MOV"][0]
    if mode == "move":
        assert not any(p.is_file() for p in src.rglob("*"))
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


@needs_ffmpeg
@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_cut_live_photo_video_beside_a_sound_heic_is_set_aside_alone(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """The other way round for a Live Photo: the HEIC is sound, its MOV was cut short. The MOV
    was placed beside the photo as a sound video; standing alone it would have been set aside.
    Now the photo is placed and the video set aside, each saying why."""
    src = tmp_path / "iPhone"
    dcim = src / "DCIM" / "100APPLE"
    dcim.mkdir(parents=True)
    shutil.copyfile(corpus / "formats/IMG_2927.HEIC", dcim / "IMG_2927.HEIC")
    video(dcim / "IMG_2927.MOV", apple="2020-05-04T18:39:11+0200")
    whole = (dcim / "IMG_2927.MOV").read_bytes()
    (dcim / "IMG_2927.MOV").write_bytes(cut(whole))
    before = tree_digest(src)
    dest = tmp_path / "out"
    code, report = organize(src, dest, "--min-size", "0", "--mode", mode)
    lines = by_source(report)
    assert code == 0
    photo, movie = lines["DCIM/100APPLE/IMG_2927.HEIC"], lines["DCIM/100APPLE/IMG_2927.MOV"]
    assert (photo["status"], photo["dest"]) == ("placed", "2020/100APPLE/IMG_2927.HEIC")
    assert "IMG_2927.MOV is cut short: set aside" in photo["note"]
    assert (movie["status"], movie["dest"]) == ("corrupt", "Corrupted/DCIM/100APPLE/IMG_2927.MOV")
    assert movie["reason"].startswith("truncated video (a copy cut short)"), movie
    assert tree_digest(dest)[movie["dest"]][0] == before[movie["source"]][0]
    if mode == "move":
        assert not any(p.is_file() for p in src.rglob("*"))
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


def aae(adjustments: str) -> str:
    """An Apple Photos edit sidecar as the iPhone writes it: an XML property list."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        "\t<key>adjustmentBaseVersion</key>\n\t<integer>0</integer>\n"
        f"\t<key>adjustmentData</key>\n\t<data>\n\t{adjustments}\n\t</data>\n"
        "\t<key>adjustmentFormatIdentifier</key>\n\t<string>com.apple.photo</string>\n"
        "\t<key>adjustmentFormatVersion</key>\n\t<string>1.5</string>\n"
        "</dict>\n</plist>\n"
    )


def edited(original: Path, quality: int) -> bytes:
    """The photo as the iPhone renders an edit of it (``IMG_E``): new pixels, the same EXIF."""
    buffer = io.BytesIO()
    with Image.open(original) as im:
        im.rotate(180).save(buffer, "JPEG", quality=quality, exif=im.getexif().tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_apple_edit_sidecars_follow_their_photos(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """An iPhone DCIM dump: a HEIC with its edits (``IMG_2927.AAE``), and a photo edited on the
    phone, kept as the original ``IMG_0601.JPG``, the render ``IMG_E0601.JPG`` and the edits
    ``IMG_O0601.AAE``; a backup of that folder, and another phone's ``IMG_E0601`` with edits of
    its own. ``IMG_O0601.AAE`` named no photo the engine knew: ignored, the edits were left on
    the card by a copy run and stranded there by a move."""
    src = tmp_path / "src"
    phone = src / "Phone" / "DCIM" / "100APPLE"
    phone.mkdir(parents=True)
    shutil.copyfile(corpus / "formats/IMG_2927.HEIC", phone / "IMG_2927.HEIC")
    (phone / "IMG_2927.AAE").write_text(aae("YnBsaXN0MDDUAQIDBAUGBwhYJHZlcnNpb24="))
    shutil.copyfile(corpus / "camera/exiftool_Apple.jpg", phone / "IMG_0601.JPG")
    (phone / "IMG_E0601.JPG").write_bytes(edited(corpus / "camera/exiftool_Apple.jpg", 90))
    (phone / "IMG_O0601.AAE").write_text(aae("WCRvYmplY3RzWCR0b3BYJGFyY2hpdmVy"))
    (phone / "IMG_0700.AAE").write_text(aae("AAAA"))  # its photo deleted on the phone
    (phone / "IMG_0701.xmp").write_text(RATING)
    shutil.copytree(src / "Phone", src / "Phone backup")
    other = src / "Zoe's phone" / "DCIM" / "100APPLE"
    other.mkdir(parents=True)
    (other / "IMG_E0601.JPG").write_bytes(edited(corpus / "camera/exiftool_Apple.jpg", 70))
    (other / "IMG_O0601.AAE").write_text(aae("ZGlmZmVyZW50IGVkaXRz"))
    before = tree_digest(src)
    dest = tmp_path / "out"

    code, report = organize(src, dest, "--min-size", "0", "--layout", "flat", "--mode", mode)
    lines = by_source(report)
    assert code == 0 and set(lines) == set(before)
    heic_edits = lines["Phone/DCIM/100APPLE/IMG_2927.AAE"]
    assert heic_edits["dest"] == "2020/IMG_2927.AAE"
    assert heic_edits["companion_of"] == "Phone/DCIM/100APPLE/IMG_2927.HEIC"
    edits = lines["Phone/DCIM/100APPLE/IMG_O0601.AAE"]
    assert (edits["status"], edits["dest"]) == ("placed", "2016/IMG_O0601.AAE"), edits
    assert edits["companion_of"] == "Phone/DCIM/100APPLE/IMG_E0601.JPG"
    assert lines["Phone/DCIM/100APPLE/IMG_E0601.JPG"]["dest"] == "2016/IMG_E0601.JPG"
    backup = lines["Phone backup/DCIM/100APPLE/IMG_O0601.AAE"]
    assert (backup["status"], backup["duplicate_of"]) == ("duplicate", edits["source"])
    zoe = lines["Zoe's phone/DCIM/100APPLE/IMG_O0601.AAE"]
    assert lines["Zoe's phone/DCIM/100APPLE/IMG_E0601.JPG"]["dest"] == "2016/IMG_E0601_1.JPG"
    assert (zoe["status"], zoe["dest"]) == ("placed", "2016/IMG_O0601_1.AAE"), zoe
    assert (dest / zoe["dest"]).read_text() == aae("ZGlmZmVyZW50IGVkaXRz")
    for lone in ("IMG_0700.AAE", "IMG_0701.xmp"):  # a sidecar whose photo is gone: as any
        line = lines[f"Phone/DCIM/100APPLE/{lone}"]
        assert (line["status"], line["reason"]) == ("ignored", "sidecar without its photo")
    placed = tree_digest(dest)
    for line in report:
        if line["status"] == "placed":
            assert placed[line["dest"]][0] == before[line["source"]][0], line
    if mode == "move":
        left = {str(p.relative_to(src)) for p in src.rglob("*") if p.is_file()}
        assert left == {
            f"{folder}/DCIM/100APPLE/{lone}"
            for folder in ("Phone", "Phone backup")
            for lone in ("IMG_0700.AAE", "IMG_0701.xmp")
        }
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


def clock_reset(corpus_photo: Path, taken: str, unset: str) -> bytes:
    """The corpus photo as its camera would have written it with its clock never set: every
    EXIF date that said ``taken`` says ``unset``, nothing else changed."""
    data = corpus_photo.read_bytes()
    assert taken.encode() in data and len(taken) == len(unset)
    return data.replace(taken.encode(), unset.encode())


def test_a_camera_clock_default_gives_way_to_another_source(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Cameras whose clock was never set (or lost it with the battery) date their photos in the
    first minutes of 2000-01-01 (2001, 2005, ...): those photos all went to the same wrong
    year, though the phone's file name, the GPS date stamp or Google's JSON said when. With
    nothing else, the date is kept and the report says it may be a clock default (so is it when
    the only other date is the phone's name for the file, from that same clock); a real photo
    at midnight on New Year's Day, in a folder of New Year's Eve, keeps its EXIF date."""
    src = tmp_path / "src"
    phone, card, trip = src / "Phone", src / "DCIM" / "100CANON", src / "Trip"
    takeout = src / "Takeout" / "Google Photos" / "Photos from 2011"
    party = src / "2006-12-31 New Year's Eve"
    for folder in (phone, card, trip, takeout, party):
        folder.mkdir(parents=True)
    camera = corpus / "camera"
    (phone / "IMG_20140712_153012.jpg").write_bytes(
        clock_reset(camera / "Canon_40D.jpg", "2008:05:30 15:56:01", "2000:01:01 00:00:04")
    )
    (phone / "IMG_20070101_000512.jpg").write_bytes(
        clock_reset(camera / "Pentax_K10D.jpg", "2008:05:04 16:47:24", "2007:01:01 00:05:12")
    )
    (party / "DSC_0001.JPG").write_bytes(
        clock_reset(camera / "Nikon_COOLPIX_P1.jpg", "2008:03:07 09:55:46", "2007:01:01 00:05:12")
    )
    (card / "IMG_0042.JPG").write_bytes(
        clock_reset(
            camera / "Kodak_CX7530.jpg", "2005:08:13 09:47:23", "2005:01:01 00:12:00"
        )  # in Kenya
    )
    (trip / "DSCN0010.jpg").write_bytes(  # GPS date stamp 2008:10:23 14:27:07 UTC, in Italy
        clock_reset(camera / "DSCN0010.jpg", "2008:10:22 16:28:39", "2001:01:01 00:00:30")
    )
    (takeout / "DSC00001.JPG").write_bytes(
        clock_reset(camera / "Nikon_D70.jpg", "2008:03:15 09:52:01", "2002:01:01 00:01:00")
    )
    (takeout / "DSC00001.JPG.json").write_text(
        '{"title": "DSC00001.JPG", "photoTakenTime": {"timestamp": "1310990400"}}'
    )

    flags = ("--min-size", "0", "--no-compress", "--date-from-folder")
    code, report = organize(src, tmp_path / "out", *flags)
    lines = by_source(report)
    assert code == 0

    def dated(rel: str) -> tuple[str, str]:
        return lines[rel]["date"], lines[rel]["date_source"]

    named = lines["Phone/IMG_20140712_153012.jpg"]
    assert dated(named["source"]) == ("2014-07-12T15:30:12", "filename"), named
    assert named["dest"] == "2014/Phone/IMG_20140712_153012.jpg"
    assert "2000-01-01 00:00:04 is a camera clock's default" in named["note"]
    assert dated("Trip/DSCN0010.jpg") == ("2008-10-23T16:27:07+02:00", "gps")
    assert dated("Takeout/Google Photos/Photos from 2011/DSC00001.JPG")[1] == "takeout"
    assert lines["Takeout/Google Photos/Photos from 2011/DSC00001.JPG"]["year"] == 2011
    alone = lines["DCIM/100CANON/IMG_0042.JPG"]
    assert dated(alone["source"]) == ("2005-01-01T00:12:00+03:00", "clock-default"), alone
    assert alone["dest"] == "2005/100CANON/IMG_0042.JPG"
    assert "may be a camera clock's default" in alone["note"]
    same_clock = lines["Phone/IMG_20070101_000512.jpg"]
    assert dated(same_clock["source"]) == ("2007-01-01T00:05:12", "clock-default"), same_clock
    fireworks = lines["2006-12-31 New Year's Eve/DSC_0001.JPG"]
    assert dated(fireworks["source"]) == ("2007-01-01T00:05:12", "exif"), fireworks
    page = (tmp_path / "out" / ".imgorg" / "report.html").read_text(encoding="utf-8")
    assert "a camera clock&#x27;s default date: may be wrong" in page or (
        "a camera clock's default date: may be wrong" in page
    )


@needs_ffmpeg
def test_a_live_photo_dated_by_a_clock_default_takes_its_videos_date(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A phone reset to 2000-01-01 wrote that into the photo's EXIF, while its Live Photo
    video kept the date the network gave it: the video's date is the photo's."""
    dcim = tmp_path / "src" / "DCIM" / "100APPLE"
    dcim.mkdir(parents=True)
    (dcim / "IMG_0100.JPG").write_bytes(
        clock_reset(
            corpus / "camera/exiftool_Apple.jpg", "2016:09:28 18:18:05", "2000:01:01 00:00:09"
        )
    )
    video(dcim / "IMG_0100.MOV", apple="2019-08-10T18:04:05+0200")
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    photo = lines["DCIM/100APPLE/IMG_0100.JPG"]
    assert (photo["date"], photo["date_source"]) == ("2019-08-10T18:04:05+02:00", "companion")
    assert photo["dest"] == "2019/100APPLE/IMG_0100.JPG"
    assert lines["DCIM/100APPLE/IMG_0100.MOV"]["dest"] == "2019/100APPLE/IMG_0100.MOV"


def stream(path: Path, *muxing: str) -> bytes:
    """A one-second clip as a camcorder or Windows wrote them, made by ffmpeg."""
    import subprocess

    from test_formats import FFMPEG

    assert FFMPEG is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25"]
    command += ["-f", "lavfi", "-i", "sine=r=48000", "-t", "1", *muxing, str(path)]
    subprocess.run(command, check=True)
    return path.read_bytes()


@needs_ffmpeg
def test_camcorder_and_windows_videos_cut_short_are_set_aside(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A JVC camcorder's MPEG-2 ``.MOD``, an ``.mpg`` and a Windows Movie Maker ``.wmv``,
    each copied whole to one folder and cut half-way to another (a card pulled out): the cut
    ones were placed as sound videos. Sound ones stay placed, whatever their muxer (DVD-style
    packs, plain MPEG-1, a transport stream cut on a packet boundary, zeros after the end)."""
    src = tmp_path / "src"
    whole, cut_short = src / "Camcorder", src / "Camcorder (copy stopped)"
    made = {
        "MOV001.MOD": stream(
            whole / "MOV001.MOD", "-c:v", "mpeg2video", "-c:a", "mp2", "-f", "dvd"
        ),
        "clip.mpg": stream(whole / "clip.mpg", "-c:v", "mpeg1video", "-c:a", "mp2", "-f", "mpeg"),
        "Movie.wmv": stream(whole / "Movie.wmv", "-c:v", "wmv2", "-c:a", "wmav2", "-f", "asf"),
        "00001.MTS": stream(
            whole / "00001.MTS", "-c:v", "mpeg2video", "-c:a", "mp2", "-f", "mpegts"
        ),
    }
    cut_short.mkdir()
    for name, data in made.items():
        (cut_short / name).write_bytes(data[: len(data) // 2 + 7])
    (whole / "00002.MTS").write_bytes(made["00001.MTS"][: 188 * 100])  # stopped on a packet
    (whole / "padded.mpg").write_bytes(made["clip.mpg"] + bytes(100))  # a disk's zeros after it

    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    for name in [*made, "00002.MTS", "padded.mpg"]:
        line = lines[f"Camcorder/{name}"]
        assert line["status"] == "placed", line
    for name in made:
        line = lines[f"Camcorder (copy stopped)/{name}"]
        assert line["status"] == "corrupt", line
        assert line["reason"].startswith("truncated video (a copy cut short)"), line
        assert line["dest"] == f"Corrupted/Camcorder (copy stopped)/{name}"


@needs_ffmpeg
def test_a_cut_live_photo_video_of_a_duplicate_photo_is_set_aside_not_adopted(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The HEIC was also copied into an album, which keeps it: the camera folder's copy is the
    duplicate, and its unique Live Photo video would go with the kept copy; cut short, it is set
    aside instead, as it is beside a photo that is not a duplicate."""
    src = tmp_path / "iPhone"
    dcim, album = src / "DCIM" / "100APPLE", src / "Summer at the lake"
    dcim.mkdir(parents=True)
    album.mkdir()
    shutil.copyfile(corpus / "formats/IMG_2927.HEIC", dcim / "IMG_2927.HEIC")
    shutil.copyfile(corpus / "formats/IMG_2927.HEIC", album / "IMG_2927.HEIC")
    for folder in (dcim, album):  # the edits copied with the photo: the album copy is kept
        (folder / "IMG_2927.AAE").write_text(aae("YnBsaXN0MDDUAQIDBAUGBwhYJHZlcnNpb24="))
    video(dcim / "IMG_2927.MOV", apple="2020-05-04T18:39:11+0200")
    (dcim / "IMG_2927.MOV").write_bytes(cut((dcim / "IMG_2927.MOV").read_bytes()))
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    assert lines["DCIM/100APPLE/IMG_2927.HEIC"]["status"] == "duplicate"
    movie = lines["DCIM/100APPLE/IMG_2927.MOV"]
    assert (movie["status"], movie["dest"]) == ("corrupt", "Corrupted/DCIM/100APPLE/IMG_2927.MOV")
