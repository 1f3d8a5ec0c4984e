"""Motion photos as phones and Google Takeout leave them.

A Pixel's ``PXL_….MP.jpg`` carries its video after the image (XMP ``Container`` items); Takeout
also exports that video on its own as ``PXL_….MP``, an MP4 without the ``.mp4``. Older Google
phones wrote ``MVIMG_….jpg`` (XMP ``MicroVideo``); Samsung appends ``MotionPhoto_Data`` and an
MP4 after the image. Every file is answered, nothing of the photo is lost, nothing is placed
twice."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from test_formats import needs_ffmpeg, video

from conftest import tree_digest

PIXEL = "camera/exiftool_Google.jpg"  # a Pixel 8 Pro photo (taken 2023-10-06 22:53:51)
SAMSUNG = "phone/Samsung GT-I9000 (Galaxy S).jpg"  # Orientation 6, 640x480: turns losslessly
STEM = "PXL_20231006_205351000"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
WHEN = dt.datetime(2023, 10, 6, 20, 53, 51)  # the Pixel photo's time in UTC, as Takeout has it
YEAR = "Google Photos/Photos from 2023/"
ALBUM = "Google Photos/Trip/"


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


def with_xmp(jpeg: bytes, packet: str) -> bytes:
    """``jpeg`` with its XMP segment replaced by ``packet`` (or one added after its EXIF)."""
    payload = XMP_HEADER + packet.encode()
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    pos = 2
    while jpeg[pos + 1] in range(0xE0, 0xF0):
        end = pos + 2 + int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        if jpeg[pos + 1] == 0xE1 and jpeg[pos + 4 :].startswith(XMP_HEADER):
            return jpeg[:pos] + segment + jpeg[end:]
        pos = end
    return jpeg[:pos] + segment + jpeg[pos:]


def pixel_motion_photo(jpeg: bytes, mp4: bytes) -> bytes:
    """A Pixel motion photo (Motion Photo format 1.0): the MP4 after the image, its length in
    the XMP container directory."""
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '
        'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
        'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" '
        'GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1" '
        'GCamera:MotionPhotoPresentationTimestampUs="500000"><Container:Directory><rdf:Seq>'
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" '
        'Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>'
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" '
        f'Item:Semantic="MotionPhoto" Item:Length="{len(mp4)}" Item:Padding="0"/></rdf:li>'
        "</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return with_xmp(jpeg, packet) + mp4


def mvimg(jpeg: bytes, mp4: bytes) -> bytes:
    """An older Google motion photo (``MVIMG_``, MicroVideo 1): the MP4 after the image, its
    offset from the end of the file in the XMP."""
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MicroVideo="1" '
        f'GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="{len(mp4)}" '
        'GCamera:MicroVideoPresentationTimestampUs="400000"/></rdf:RDF></x:xmpmeta>'
    )
    return with_xmp(jpeg, packet) + mp4


def samsung_motion_photo(jpeg: bytes, mp4: bytes) -> bytes:
    """A Samsung motion photo: after the image, a ``MotionPhoto_Data`` block holding the MP4
    and the SEF trailer that indexes it (``SEFH`` … ``SEFT``)."""
    name = b"MotionPhoto_Data"
    block = b"\x00\x00\x30\x0a" + len(name).to_bytes(4, "little") + name + mp4
    entry = (
        b"\x00\x00\x30\x0a" + len(block).to_bytes(4, "little") + len(block).to_bytes(4, "little")
    )
    header = b"SEFH" + (106).to_bytes(4, "little") + (1).to_bytes(4, "little") + entry
    return jpeg + block + header + len(header).to_bytes(4, "little") + b"SEFT"


def takeout_json(path: Path, taken: dt.datetime) -> None:
    seconds = int(taken.replace(tzinfo=dt.UTC).timestamp())
    path.write_text(
        json.dumps(
            {
                "title": path.name.split(".json")[0],
                "photoTakenTime": {"timestamp": str(seconds), "formatted": "..."},
            }
        )
    )


@pytest.fixture
def clip(tmp_path: Path) -> bytes:
    """A real MP4, as a phone's motion photo holds it (taken 2023-10-06 20:53:51 UTC)."""
    path = tmp_path / "made" / "clip.mp4"
    video(path, creation="2023-10-06T20:53:51Z", codec="libx264")
    return path.read_bytes()


@pytest.fixture
def takeout(tmp_path: Path, corpus: Path, clip: bytes) -> Path:
    """A Google Takeout export: a Pixel motion photo with its video and JSON in "Photos from
    2023", again in an album, its video once more alone in another album; a motion photo's
    video whose photo was not exported; an old MVIMG motion photo; a ``.MP`` that is no video."""
    src = tmp_path / "Takeout"
    year = src / "Google Photos" / "Photos from 2023"
    album = src / "Google Photos" / "Trip"
    photo = pixel_motion_photo((corpus / PIXEL).read_bytes(), clip)
    for folder in (year, album):
        folder.mkdir(parents=True)
        (folder / f"{STEM}.MP.jpg").write_bytes(photo)
        (folder / f"{STEM}.MP").write_bytes(clip)
        takeout_json(folder / f"{STEM}.MP.jpg.supplemental-metadata.json", WHEN)
    (src / "Google Photos" / "Untitled").mkdir()
    (src / "Google Photos" / "Untitled" / f"{STEM}.MP").write_bytes(clip)
    video(year / "lone.mp4", creation="2021-07-05T10:10:10Z", codec="libx264")
    (year / "lone.mp4").rename(year / "PXL_20210705_101010000.MP")
    (year / "MVIMG_20190101_120000.jpg").write_bytes(
        mvimg((corpus / PIXEL).read_bytes(), clip[: len(clip) // 2] + clip)
    )
    (year / "notes.MP").write_text("% MetaPost figure\nbeginfig(1); endfig;\n")
    return src


def assert_placed_as_a_pair(lines: dict[str, dict[str, Any]]) -> None:
    """The kept copy of the motion photo, its video beside it under its name, and its JSON."""
    kept = lines[ALBUM + f"{STEM}.MP.jpg"]
    assert kept["status"] == "placed" and kept["date_source"] == "exif", kept
    assert kept["dest"] == f"2023/Google Photos/Trip/{STEM}.MP.jpg"
    assert not kept["rotated"] and not kept["compressed"]
    movie = lines[ALBUM + f"{STEM}.MP"]
    assert (movie["status"], movie["companion_of"]) == ("placed", ALBUM + f"{STEM}.MP.jpg")
    assert movie["dest"] == f"2023/Google Photos/Trip/{STEM}.MP"
    sidecar = lines[ALBUM + f"{STEM}.MP.jpg.supplemental-metadata.json"]
    assert sidecar["companion_of"] == ALBUM + f"{STEM}.MP.jpg"
    for name in (f"{STEM}.MP.jpg", f"{STEM}.MP", f"{STEM}.MP.jpg.supplemental-metadata.json"):
        twin = lines[YEAR + name]
        assert (twin["status"], twin["duplicate_of"]) == ("duplicate", ALBUM + name), twin


@needs_ffmpeg
@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_pixel_motion_photo_travels_with_the_video_takeout_exports_beside_it(
    takeout: Path,
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    before = tree_digest(takeout)
    dest = tmp_path / "out"

    code, report = organize(takeout, dest, "--min-size", "0", "--mode", mode)

    assert code == 0
    lines = by_source(report)
    assert set(lines) == set(before) and len(report) == len(before)
    assert_placed_as_a_pair(lines)
    placed = {line["dest"]: line["source"] for line in report if line["status"] == "placed"}
    for rel, source in placed.items():
        assert tree_digest(dest)[rel][0] == before[source][0], rel  # byte for byte
    loose = lines[f"Google Photos/Untitled/{STEM}.MP"]
    assert (loose["status"], loose["duplicate_of"]) == ("duplicate", ALBUM + f"{STEM}.MP"), loose
    alone = lines[YEAR + "PXL_20210705_101010000.MP"]
    assert (alone["status"], alone["companion_of"]) == ("placed", None)
    assert (alone["dest"], alone["date_source"]) == (
        "2021/Google Photos/Photos from 2023/PXL_20210705_101010000.MP",
        "quicktime",
    )
    old = lines[YEAR + "MVIMG_20190101_120000.jpg"]
    assert old["status"] == "placed" and old["dest"].startswith("2023/"), old
    notes = lines[YEAR + "notes.MP"]
    assert notes["status"] == "ignored" and "not an MP4" in notes["reason"], notes
    if mode == "move":
        assert not (takeout / YEAR / "PXL_20210705_101010000.MP").exists()
        assert (takeout / YEAR / "notes.MP").exists()
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
    assert tree_digest(takeout) == before


@needs_ffmpeg
def test_a_rerun_places_nothing_again(
    takeout: Path,
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    dest = tmp_path / "out"
    _, first = organize(takeout, dest, "--min-size", "0")
    placed = tree_digest(dest)

    code, second = organize(takeout, dest, "--min-size", "0")

    assert code == 0
    assert {k: v for k, v in tree_digest(dest).items() if not k.startswith(".imgorg")} == {
        k: v for k, v in placed.items() if not k.startswith(".imgorg")
    }
    again = by_source(second)
    assert {s: line["status"] for s, line in by_source(first).items()} == {
        s: line["status"] for s, line in again.items()
    }
    assert again[ALBUM + f"{STEM}.MP"]["dest"] == f"2023/Google Photos/Trip/{STEM}.MP"


@needs_ffmpeg
def test_a_suffixed_motion_photo_keeps_its_video_beside_it_as_an_mp(
    tmp_path: Path,
    corpus: Path,
    clip: bytes,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Two phones' motion photos of one name meet in one folder: the second takes a suffix,
    its video the same one and still its .MP extension; organized again from there, each pair
    is found again."""
    src = tmp_path / "src"
    for n, phone in enumerate(("Mine", "Hers")):
        (src / phone).mkdir(parents=True)
        photo = pixel_motion_photo((corpus / PIXEL).read_bytes() + b"\x00" * n, clip)
        (src / phone / f"{STEM}.MP.JPG").write_bytes(photo)
        (src / phone / f"{STEM}.MP").write_bytes(clip + b"\x00" * n)
    dest = tmp_path / "out"

    code, report = organize(src, dest, "--min-size", "0", "--layout", "flat")

    assert code == 0
    names = {line["dest"] for line in report}
    assert names == {
        f"2023/{STEM}.MP.JPG",
        f"2023/{STEM}.MP",
        f"2023/{STEM}.MP_1.JPG",
        f"2023/{STEM}.MP_1.MP",
    }, names
    assert all(line["status"] == "placed" for line in report)
    mine = by_source(report)[f"Mine/{STEM}.MP"]  # named after Hers/, in source-path order
    assert (mine["dest"], mine["companion_of"]) == (f"2023/{STEM}.MP_1.MP", f"Mine/{STEM}.MP.JPG")

    _, again = organize(dest, tmp_path / "again", "--min-size", "0")

    videos = [line for line in again if line["source"].endswith(".MP")]
    assert len(videos) == 2 and all(line["companion_of"] for line in videos), videos


def test_an_mp_file_that_is_not_an_mp4_is_ignored_with_its_reason(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A ``.MP`` beside its ``.MP.jpg`` whose bytes are no MP4 (a truncated download) is left
    where it is, and the photo goes alone; with --no-videos a real one stays too."""
    src = tmp_path / "src"
    src.mkdir()
    (src / f"{STEM}.MP.jpg").write_bytes((corpus / PIXEL).read_bytes())
    (src / f"{STEM}.MP").write_bytes(b"\x00\x00\x00")
    (src / "PXL_20210705_101010000.MP").write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(100))

    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--no-videos")

    assert code == 0
    lines = by_source(report)
    assert lines[f"{STEM}.MP.jpg"]["status"] == "placed"
    assert lines[f"{STEM}.MP"]["status"] == "ignored"
    assert "not an MP4" in lines[f"{STEM}.MP"]["reason"]
    assert lines["PXL_20210705_101010000.MP"]["reason"] == "a video (--no-videos)"
    assert sorted(os.listdir(tmp_path / "out" / "2023")) == [f"{STEM}.MP.jpg"]


@needs_ffmpeg
@pytest.mark.parametrize("flags", [(), ("--compress-above", "50KB")], ids=["turn", "compress"])
def test_a_samsung_motion_photo_is_kept_byte_for_byte(
    tmp_path: Path,
    corpus: Path,
    clip: bytes,
    organize,  # type: ignore[no-untyped-def]
    flags: tuple[str, ...],
) -> None:
    """Turning it upright or compressing it would drop the video after the image: the photo is
    placed as it is, with a note. The same photo without the video is turned (or compressed)."""
    src = tmp_path / "src"
    src.mkdir()
    still = (corpus / SAMSUNG).read_bytes()
    motion = samsung_motion_photo(still, clip)
    (src / "20110402_183010.jpg").write_bytes(motion)
    (src / "still.jpg").write_bytes(still)
    dest = tmp_path / "out"

    code, report = organize(src, dest, "--min-size", "0", *flags)

    assert code == 0
    lines = by_source(report)
    kept = lines["20110402_183010.jpg"]
    assert kept["status"] == "placed" and not kept["rotated"] and not kept["compressed"], kept
    assert "data after the image" in kept["note"], kept
    assert (dest / kept["dest"]).read_bytes() == motion
    control = lines["still.jpg"]
    assert control["rotated"] or control["compressed"], control
