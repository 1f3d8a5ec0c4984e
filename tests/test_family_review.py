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
