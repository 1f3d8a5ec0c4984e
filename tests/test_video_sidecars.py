"""What cameras write beside each video travels with it: a DJI drone's flight record
``DJI_0001.SRT`` (position and settings per frame) and a Sony camera's clip metadata
``C0001M01.XML`` (local time with its offset, camera, lens). They were left in SOURCE as
"not an image type", the archive losing them and a move leaving them behind. The same
extensions with no video to belong to stay ignored, as any program's file. Built as a drone's
card and a Sony card's ``PRIVATE/M4ROOT/CLIP`` folder, with corpus photos beside the clips."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from test_formats import needs_ffmpeg, video

from conftest import imgorg, read_report, tree_digest

DRONE = "DCIM/100MEDIA"
SONY = "PRIVATE/M4ROOT/CLIP"
SRT = b"1\n00:00:00,000 --> 00:00:00,033\n[latitude: 46.5197] [longitude: 6.6323] [rel_alt: 52.1]\n"
XML = b'<?xml version="1.0"?>\n<NonRealTimeMeta><CreationDate value="2019-06-15T14:23:45+02:00"/></NonRealTimeMeta>\n'


def _cards(source: Path, corpus: Path) -> None:
    drone, sony = source / DRONE, source / SONY
    video(drone / "DJI_0001.MP4", creation="2019-06-16T09:10:11Z")
    (drone / "DJI_0001.SRT").write_bytes(SRT)
    shutil.copy(corpus / "camera" / "Canon_40D.jpg", drone / "DJI_0002.JPG")
    video(sony / "C0001.MP4", creation="2019-06-15T12:23:45Z")
    (sony / "C0001M01.XML").write_bytes(XML)
    (sony / "C0002M01.XML").write_bytes(XML.replace(b"14:23", b"15:00"))  # its clip is gone
    (source / "films" / "notes.xml").parent.mkdir(parents=True)
    (source / "films" / "notes.xml").write_bytes(b"<notes/>")
    (source / "films" / "movie.srt").write_bytes(SRT)


def _organize(source: Path, dest: Path, report: Path, *flags: str) -> dict[str, dict[str, Any]]:
    code, _ = imgorg(
        "organize",
        str(source),
        str(dest),
        "--min-size",
        "0",
        "--quiet",
        "--report",
        str(report),
        *flags,
    )
    assert code == 0
    return {line["source"]: line for line in read_report(report)}


@needs_ffmpeg
def test_a_drones_flight_record_and_a_sony_clips_metadata_travel_with_their_video(
    tmp_path: Path, corpus: Path
) -> None:
    source, dest = tmp_path / "src", tmp_path / "dest"
    _cards(source, corpus)
    lines = _organize(source, dest, tmp_path / "r.jsonl")
    for clip, record in (
        (f"{DRONE}/DJI_0001.MP4", f"{DRONE}/DJI_0001.SRT"),
        (f"{SONY}/C0001.MP4", f"{SONY}/C0001M01.XML"),
    ):
        assert lines[clip]["status"] == lines[record]["status"] == "placed", (
            lines[clip],
            lines[record],
        )
        placed_clip, placed_record = Path(lines[clip]["dest"]), Path(lines[record]["dest"])
        assert placed_record.parent == placed_clip.parent  # beside it, in its year
        assert placed_clip.parts[0] == "2019"
        assert (dest / placed_record).read_bytes() == (source / record).read_bytes()
    assert Path(lines[f"{SONY}/C0001M01.XML"]["dest"]).name == "C0001M01.XML"
    for alone in (f"{SONY}/C0002M01.XML", "films/notes.xml", "films/movie.srt"):
        assert lines[alone]["status"] == "ignored", lines[alone]
        assert "not an image type" in lines[alone]["reason"], lines[alone]


@needs_ffmpeg
def test_a_move_takes_the_records_along_and_undo_brings_them_back(
    tmp_path: Path, corpus: Path
) -> None:
    source, dest = tmp_path / "src", tmp_path / "dest"
    _cards(source, corpus)
    before = tree_digest(source)
    lines = _organize(source, dest, tmp_path / "r.jsonl", "--mode", "move")
    assert not (source / DRONE / "DJI_0001.SRT").exists()
    assert not (source / SONY / "C0001M01.XML").exists()
    assert (source / SONY / "C0002M01.XML").exists()  # no clip: not taken
    assert lines[f"{SONY}/C0001M01.XML"]["status"] == "placed"
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert tree_digest(source) == before


@needs_ffmpeg
def test_a_clips_metadata_copied_after_its_clip_was_moved_follows_it(tmp_path: Path) -> None:
    """A card read twice: the first move took the clip; its metadata file, copied later, goes
    beside the clip in DEST rather than stay behind as a file of no video."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    video(source / SONY / "C0001.MP4", creation="2019-06-15T12:23:45Z")
    first = _organize(source, dest, tmp_path / "1.jsonl", "--mode", "move")
    (source / SONY / "C0001M01.XML").write_bytes(XML)
    second = _organize(source, dest, tmp_path / "2.jsonl", "--mode", "move")
    line = second[f"{SONY}/C0001M01.XML"]
    assert line["status"] == "placed", line
    assert Path(line["dest"]).parent == Path(first[f"{SONY}/C0001.MP4"]["dest"]).parent
    assert not (source / SONY / "C0001M01.XML").exists()


@needs_ffmpeg
def test_a_clip_placed_apart_from_its_cut_photo_keeps_its_records(
    tmp_path: Path, corpus: Path
) -> None:
    """A photo of the clip's name cut short goes to Corrupted/; the clip is placed on its own,
    and its flight record and metadata file stay with it, not with the broken photo."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    card = source / SONY
    video(card / "C0003.MP4", creation="2019-06-17T08:00:00Z")
    (card / "C0003.JPG").write_bytes((corpus / "camera" / "Canon_40D.jpg").read_bytes()[:4000])
    (card / "C0003M01.XML").write_bytes(XML)
    (card / "C0003.SRT").write_bytes(SRT)
    lines = _organize(source, dest, tmp_path / "r.jsonl")
    assert lines[f"{SONY}/C0003.JPG"]["status"] == "corrupt"
    clip = Path(lines[f"{SONY}/C0003.MP4"]["dest"])
    for record in ("C0003M01.XML", "C0003.SRT"):
        line = lines[f"{SONY}/{record}"]
        assert line["status"] == "placed" and Path(line["dest"]).parent == clip.parent, line
