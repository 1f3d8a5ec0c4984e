"""A unique file is never a duplicate because of its photo (#11.1).

Archives as they are found: an iPhone DCIM dump with Live Photo videos and AAE edits whose
photos were also copied into an album; a DSLR folder of RAW+JPEG pairs with XMP sidecars whose
JPEG was also exported to an album; the same, organized from two SOURCEs into one DEST."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_formats import heic, needs_ffmpeg, video

from conftest import tree_digest, write_photo

WHEN = dt.datetime(2021, 7, 4, 15, 30)
AAE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>'
    "<key>adjustmentFormatIdentifier</key><string>com.apple.photo</string>"
    "<key>adjustmentData</key><data>{}</data></dict></plist>\n"
)


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


def beside(line: dict[str, Any], kept: dict[str, Any]) -> bool:
    """``line`` was placed next to ``kept`` under its stem (tidy may shorten the folders)."""
    folder, name = os.path.split(line["dest"])
    kept_folder, kept_name = os.path.split(kept["dest"])
    return folder == kept_folder and name.split(".")[0] == kept_name.split(".")[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kept_contents(dest: Path, duplicates: str = "Duplicates") -> set[str]:
    """Every content DEST holds outside its Duplicates/ and .imgorg/ folders."""
    return {
        sha
        for rel, (sha, _mtime) in tree_digest(dest).items()
        if not rel.startswith((duplicates + os.sep, ".imgorg" + os.sep))
    }


def assert_every_unique_file_kept(
    before: dict[str, tuple[str, int]], dest: Path, report: list[dict[str, Any]]
) -> None:
    """Each content of SOURCE is in DEST outside Duplicates/, and every file reported placed
    is where the report says, with its own bytes and a visible name."""
    assert {sha for sha, _ in before.values()} <= kept_contents(dest)
    for line in report:
        if line["status"] == "placed":
            assert digest(dest / line["dest"]) == before[line["source"]][0], line
            assert not any(part.startswith(".") for part in line["dest"].split("/")), line
        if line["status"] == "duplicate":
            twin = line["duplicate_of"]
            assert twin in before and before[twin][0] == before[line["source"]][0], line


@pytest.fixture
def iphone(tmp_path: Path) -> Path:
    """DCIM/100APPLE with a Live Photo (HEIC + MOV + AAE) and a still photo (HEIC + AAE); the
    Live Photo's still was copied to a named album with its AAE, the other one to a dated
    folder without anything."""
    src = tmp_path / "iPhone"
    dcim = src / "DCIM" / "100APPLE"
    data = heic(dcim / "IMG_0001.HEIC", WHEN)
    video(dcim / "IMG_0001.MOV", creation="2021-07-04T15:30:00Z")
    (dcim / "IMG_0001.AAE").write_text(AAE.format("AQID"))
    album = src / "Summer at the lake"
    album.mkdir()
    (album / "IMG_0001.HEIC").write_bytes(data)
    shutil.copyfile(dcim / "IMG_0001.AAE", album / "IMG_0001.AAE")
    second = write_photo(dcim / "IMG_0002.JPG", WHEN, seed=2)
    (dcim / "IMG_0002.AAE").write_text(AAE.format("BAUG"))
    (src / "2021-07-04").mkdir()
    (src / "2021-07-04" / "IMG_0002.JPG").write_bytes(second)
    return src


@needs_ffmpeg
@pytest.mark.parametrize("mode", ["copy", "move"])
def test_live_photo_video_of_a_copied_photo_is_placed(
    iphone: Path,
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    before = tree_digest(iphone)
    dest = tmp_path / "out"
    code, report = organize(iphone, dest, "--min-size", "0", "--mode", mode)
    assert code == 0
    lines = by_source(report)
    assert set(lines) == set(before)
    # Both copies of IMG_0001 carry companions; the named album wins over the camera folder.
    kept = lines["Summer at the lake/IMG_0001.HEIC"]
    assert kept["dest"] == "2021/Summer at the lake/IMG_0001.HEIC"
    assert lines["DCIM/100APPLE/IMG_0001.HEIC"]["status"] == "duplicate"
    movie = lines["DCIM/100APPLE/IMG_0001.MOV"]
    assert movie["status"] == "placed", movie
    assert movie["dest"] == "2021/Summer at the lake/IMG_0001.MOV" and beside(movie, kept)
    assert movie["companion_of"] == "Summer at the lake/IMG_0001.HEIC"
    edit = lines["DCIM/100APPLE/IMG_0001.AAE"]
    assert (
        edit["status"] == "duplicate" and edit["duplicate_of"] == "Summer at the lake/IMG_0001.AAE"
    )
    # The copy without companions loses to the one with them, whatever the paths.
    assert lines["DCIM/100APPLE/IMG_0002.JPG"]["status"] == "placed"
    assert beside(lines["DCIM/100APPLE/IMG_0002.AAE"], lines["DCIM/100APPLE/IMG_0002.JPG"])
    assert lines["2021-07-04/IMG_0002.JPG"]["duplicate_of"] == "DCIM/100APPLE/IMG_0002.JPG"
    assert_every_unique_file_kept(before, dest, report)
    if mode == "move":
        assert not (iphone / "DCIM/100APPLE/IMG_0001.MOV").exists()
        assert sorted(rel for rel in tree_digest(dest) if rel.startswith("Duplicates")) == sorted(
            [
                "Duplicates/2021-07-04/IMG_0002.JPG",
                "Duplicates/DCIM/100APPLE/IMG_0001.AAE",
                "Duplicates/DCIM/100APPLE/IMG_0001.HEIC",
            ]
        )
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
        assert tree_digest(iphone) == before
    else:
        assert tree_digest(iphone) == before


def dslr_pair(folder: Path, seed: int) -> tuple[bytes, bytes]:
    """A DSLR's JPEG and its RAW (a TIFF-headed file, as the RAW tests fake it)."""
    jpeg = write_photo(folder / "IMG_1234.JPG", dt.datetime(2005, 8, 3, 10, 0), seed=seed)
    raw = b"II*\x00\x08\x00\x00\x00" + os.urandom(4000)
    (folder / "IMG_1234.CR2").write_bytes(raw)
    return jpeg, raw


def xmp(rating: int) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        f'xmp:Rating="{rating}" exif:DateTimeOriginal="2005-08-03T10:00:00"/>'
        "</rdf:RDF></x:xmpmeta>"
    )


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_raw_and_xmp_of_an_exported_jpeg_are_placed(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """The JPEG was exported into an album with its own XMP: the album copy is kept, the CR2
    joins it, and the camera folder's XMP (a different rating) is placed on its own."""
    src = tmp_path / "Pictures"
    card = src / "DSLR" / "2005_08_03"
    jpeg, _raw = dslr_pair(card, seed=4)
    (card / "IMG_1234.xmp").write_text(xmp(3))
    album = src / "Albums" / "Holiday"
    album.mkdir(parents=True)
    (album / "IMG_1234.JPG").write_bytes(jpeg)
    (album / "IMG_1234.xmp").write_text(xmp(5))
    before = tree_digest(src)
    dest = tmp_path / "out"
    code, report = organize(src, dest, "--min-size", "0", "--mode", mode, "--no-compress")
    assert code == 0
    lines = by_source(report)
    kept = lines["Albums/Holiday/IMG_1234.JPG"]
    assert kept["dest"] == "2005/Holiday/IMG_1234.JPG"  # tidy drops the lone Albums/
    assert lines["DSLR/2005_08_03/IMG_1234.JPG"]["status"] == "duplicate"
    raw = lines["DSLR/2005_08_03/IMG_1234.CR2"]
    assert (raw["status"], raw["dest"]) == ("placed", "2005/Holiday/IMG_1234.CR2")
    assert raw["companion_of"] == "Albums/Holiday/IMG_1234.JPG"
    sidecar = lines["DSLR/2005_08_03/IMG_1234.xmp"]
    assert sidecar["status"] == "placed"
    assert sidecar["dest"] == "2005/2005_08_03/IMG_1234.xmp"  # its name by the album is taken
    assert sidecar["companion_of"] == "Albums/Holiday/IMG_1234.JPG"
    assert_every_unique_file_kept(before, dest, report)
    if mode == "move":
        assert sorted(tree_digest(src)) == []
        assert [r for r in tree_digest(dest) if r.startswith("Duplicates")] == [
            "Duplicates/DSLR/2005_08_03/IMG_1234.JPG"
        ]
        from engine.cli import main

        assert main(["undo", str(dest)]) == 0
        assert tree_digest(src) == before


def test_summary_counts_a_unique_companion_as_placed(tmp_path: Path) -> None:
    from engine.cli import main

    src = tmp_path / "Pictures"
    jpeg, _raw = dslr_pair(src / "DSLR" / "2005_08_03", seed=5)
    (src / "DSLR" / "2005_08_03" / "IMG_1234.xmp").write_text(xmp(1))
    (src / "Albums" / "Holiday").mkdir(parents=True)
    (src / "Albums" / "Holiday" / "IMG_1234.JPG").write_bytes(jpeg)
    (src / "Albums" / "Holiday" / "IMG_1234.JPG.xmp").write_text(xmp(1))
    dest = tmp_path / "out"
    assert main(["organize", str(src), str(dest), "--min-size", "0", "--quiet"]) == 0
    from engine.store.journal import Journal

    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        run = journal.last_run()
        assert run is not None
        summary = journal.run_info(run)["summary"]
    finally:
        journal.close()
    assert isinstance(summary, dict)
    # The CR2 is placed; the camera folder's XMP repeats the album's one byte for byte.
    assert summary["companions"] == {"placed": 2, "duplicate": 1}
    from engine.report.console import summary_lines

    assert "placed 2" in summary_lines(summary)[0]
    html = (dest / ".imgorg" / "report.html").read_text()
    assert "2 files that travel with a photo" in html


def test_a_second_source_adds_the_raw_beside_the_photo_placed_before(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Albums were organized first; the DSLR card later, into the same DEST: its JPEG is a
    duplicate, its CR2 and XMP go beside the JPEG placed by the first run; an XMP identical
    to one placed before is a duplicate. A third run has nothing left to do."""
    albums, card = tmp_path / "Albums", tmp_path / "Card" / "DCIM" / "100CANON"
    jpeg, _raw = dslr_pair(card, seed=6)
    (card / "IMG_1234.JPG.xmp").write_text(xmp(2))
    (albums / "Holiday").mkdir(parents=True)
    (albums / "Holiday" / "IMG_1234.JPG").write_bytes(jpeg)
    (albums / "Holiday" / "IMG_1234.JPG.xmp").write_text(xmp(2))
    dest = tmp_path / "out"
    assert organize(albums, dest, "--min-size", "0", "--no-compress")[0] == 0
    code, report = organize(tmp_path / "Card", dest, "--min-size", "0", "--no-compress")
    assert code == 0
    lines = by_source(report)
    assert lines["DCIM/100CANON/IMG_1234.JPG"]["status"] == "duplicate"
    raw = lines["DCIM/100CANON/IMG_1234.CR2"]
    assert (raw["status"], raw["dest"]) == ("placed", "2005/Holiday/IMG_1234.CR2")
    assert raw["companion_of"] == os.path.join(str(albums), "Holiday/IMG_1234.JPG")
    sidecar = lines["DCIM/100CANON/IMG_1234.JPG.xmp"]
    assert sidecar["status"] == "duplicate", sidecar
    assert sidecar["duplicate_of"] == os.path.join(str(albums), "Holiday/IMG_1234.JPG.xmp")
    assert (dest / raw["dest"]).read_bytes() == (card / "IMG_1234.CR2").read_bytes()
    after = {r for r in tree_digest(dest) if not r.startswith(".imgorg")}
    kept_contents_before = kept_contents(dest)
    code, report = organize(tmp_path / "Card", dest, "--min-size", "0", "--no-compress")
    assert code == 0 and kept_contents(dest) == kept_contents_before
    assert {r for r in tree_digest(dest) if not r.startswith(".imgorg")} == set(after)


def test_a_crash_between_the_duplicate_and_its_kept_copy_loses_nothing(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The duplicate photo's verdict can be journaled before the kept copy's batch (which
    carries the adopted CR2) is written. The state a crash then leaves, once recovery has
    dropped the unfinished batch: the duplicate done, the kept copy and the CR2 not. A re-run
    places both."""
    from engine.store.journal import Journal

    src = tmp_path / "Pictures"
    jpeg, raw = dslr_pair(src / "DSLR" / "2005_08_03", seed=7)
    (src / "Albums" / "Holiday").mkdir(parents=True)
    (src / "Albums" / "Holiday" / "IMG_1234.JPG").write_bytes(jpeg)
    (src / "Albums" / "Holiday" / "IMG_1234.JPG.xmp").write_text(xmp(4))
    dest = tmp_path / "out"
    _, first = organize(src, dest, "--min-size", "0", "--no-compress")
    cut = ["Albums/Holiday/IMG_1234.JPG", "Albums/Holiday/IMG_1234.JPG.xmp"]
    cut.append("DSLR/2005_08_03/IMG_1234.CR2")
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        for line in by_source(first).values():
            if line["source"] in cut:
                (dest / line["dest"]).unlink()
        journal.forget((str(src), rel) for rel in cut)
    finally:
        journal.close()
    code, second = organize(src, dest, "--min-size", "0", "--no-compress")
    assert code == 0
    lines = by_source(second)
    assert lines["DSLR/2005_08_03/IMG_1234.CR2"]["status"] == "placed"
    assert (dest / lines["DSLR/2005_08_03/IMG_1234.CR2"]["dest"]).read_bytes() == raw
    assert sorted((x["source"], x["status"], x["dest"]) for x in first) == sorted(
        (x["source"], x["status"], x["dest"]) for x in second
    )


def test_a_crash_after_the_kept_copy_before_its_duplicate_keeps_the_adopted_raw(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The other order: the kept copy's batch (with the adopted CR2) is journaled, the
    duplicate photo's is not. The re-run analyses the duplicate again with its CR2, which an
    earlier run placed: that CR2 is not a copy of itself, and stays placed where it is."""
    from engine.store.journal import Journal

    src = tmp_path / "Pictures"
    jpeg, raw = dslr_pair(src / "DSLR" / "2005_08_03", seed=8)
    (src / "Albums" / "Holiday").mkdir(parents=True)
    (src / "Albums" / "Holiday" / "IMG_1234.JPG").write_bytes(jpeg)
    (src / "Albums" / "Holiday" / "IMG_1234.xmp").write_text(xmp(5))
    dest = tmp_path / "out"
    _, first = organize(src, dest, "--min-size", "0", "--no-compress")
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        journal.forget([(str(src), "DSLR/2005_08_03/IMG_1234.JPG")])
    finally:
        journal.close()
    code, second = organize(src, dest, "--min-size", "0", "--no-compress")
    assert code == 0
    cr2 = by_source(second)["DSLR/2005_08_03/IMG_1234.CR2"]
    assert (cr2["status"], cr2["dest"]) == ("placed", "2005/Holiday/IMG_1234.CR2"), cr2
    assert (dest / cr2["dest"]).read_bytes() == raw
    assert sorted((x["source"], x["status"], x["dest"]) for x in first) == sorted(
        (x["source"], x["status"], x["dest"]) for x in second
    )


def test_a_duplicate_photo_is_not_moved_away_before_the_sidecar_its_kept_copy_adopts(
    tmp_path: Path,
) -> None:
    """Move mode: decisions reach the placer in batches, and a crash can fall between two.
    The duplicate JPEG must not be handed over before its unique XMP (adopted by the kept
    copy): moved to Duplicates/ alone, it would leave the XMP in SOURCE without its photo,
    which the next run ignores as an orphan sidecar. Here the kept copy is settled last,
    because a photo whose destination could take the same name is analysed last."""
    from engine.policy.naming import Layout
    from engine.records import Status
    from engine.stages import walk as planner
    from engine.stages.analyse import WorkerOptions, analyze
    from engine.stages.decide import Coordinator, Folders
    from engine.stages.tidy import folder_map
    from engine.store.dest_view import JournalView
    from engine.store.journal import Journal

    src, dest = tmp_path / "Pictures", tmp_path / "out"
    card = src / "DSLR" / "2005_08_03"
    jpeg = write_photo(card / "IMG_1234.JPG", dt.datetime(2005, 8, 3, 10, 0), seed=9)
    (card / "IMG_1234.JPG.xmp").write_text(xmp(3))
    album = src / "Albums" / "Holiday"
    album.mkdir(parents=True)
    (album / "IMG_1234.JPG").write_bytes(jpeg)
    (album / "IMG_1234.JPG.xmp").write_text(xmp(5))
    write_photo(src / "Albums" / ".Holiday" / "IMG_1234.JPG", WHEN, seed=10, size=(90, 70))
    dest.mkdir()
    candidates = planner.plan(str(src), planner.DEFAULT_EXTENSIONS).candidates
    by_rel = {c.rel: c for c in candidates}
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "move", False, {})
    folders = Folders(Layout.NESTED, "C", "N", "D", folder_map(by_rel))
    view = JournalView(journal, str(src), str(dest), run_id)
    coordinator = Coordinator(str(src), str(dest), view, candidates, folders, move=True)
    order = ["DSLR/2005_08_03/IMG_1234.JPG", "Albums/Holiday/IMG_1234.JPG"]
    order.append("Albums/.Holiday/IMG_1234.JPG")
    batches = [
        {d.rel: d for d in coordinator.accept(analyze(str(src), by_rel[rel], WorkerOptions()))}
        for rel in order
    ]
    journal.close()
    assert coordinator.waiting == 0
    when = {rel: i for i, batch in enumerate(batches) for rel in batch}
    duplicate = batches[when["DSLR/2005_08_03/IMG_1234.JPG"]]["DSLR/2005_08_03/IMG_1234.JPG"]
    assert duplicate.status is Status.DUPLICATE and duplicate.dest is not None
    adopted = batches[when["DSLR/2005_08_03/IMG_1234.JPG.xmp"]]["DSLR/2005_08_03/IMG_1234.JPG.xmp"]
    assert adopted.status is Status.PLACED, adopted
    assert adopted.companion_of == "Albums/Holiday/IMG_1234.JPG"
    assert when["DSLR/2005_08_03/IMG_1234.JPG"] >= when["DSLR/2005_08_03/IMG_1234.JPG.xmp"]


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_raw_backup_folder_repeating_a_pairs_raw_keeps_the_pair_whole(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """A DSLR card of RAW+JPEG pairs, and a 'RAW backup' folder (with an older nested one)
    holding copies of the RAW files alone, and one RAW of its own of the very same size: each
    RAW's bytes are placed once, beside its JPEG; the RAW of its own is placed too."""
    src = tmp_path / "Pictures"
    card = src / "DSLR" / "2005_08_03"
    _jpeg, raw = dslr_pair(card, seed=6)
    backup = src / "RAW backup"
    (backup / "2005").mkdir(parents=True)
    (backup / "IMG_1234.CR2").write_bytes(raw)
    (backup / "2005" / "IMG_1234.CR2").write_bytes(raw)
    (backup / "IMG_1235.CR2").write_bytes(raw[:8] + os.urandom(len(raw) - 8))
    before = tree_digest(src)
    dest = tmp_path / "out"

    code, report = organize(src, dest, "--min-size", "0", "--mode", mode, "--jobs", "2")

    assert code == 0, [line for line in report if line["status"] == "error"]
    lines = by_source(report)
    assert set(lines) == set(before)
    pair_raw = lines["DSLR/2005_08_03/IMG_1234.CR2"]
    assert pair_raw["status"] == "placed"
    assert beside(pair_raw, lines["DSLR/2005_08_03/IMG_1234.JPG"])
    for rel in ("RAW backup/IMG_1234.CR2", "RAW backup/2005/IMG_1234.CR2"):
        assert lines[rel]["status"] == "duplicate", lines[rel]
        assert lines[rel]["duplicate_of"] == "DSLR/2005_08_03/IMG_1234.CR2"
    assert lines["RAW backup/IMG_1235.CR2"]["status"] == "placed"
    assert_every_unique_file_kept(before, dest, report)
    kept = [
        rel
        for rel, (sha, _) in tree_digest(dest).items()
        if sha == before["DSLR/2005_08_03/IMG_1234.CR2"][0]
        and not rel.startswith(("Duplicates/", ".imgorg/"))
    ]
    assert kept == [pair_raw["dest"]]
    if mode == "move":
        assert sorted(tree_digest(src)) == []
        from engine.cli import main

        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert tree_digest(src) == before
    else:
        assert tree_digest(src) == before


@needs_ffmpeg
def test_a_live_photo_video_also_exported_alone_is_a_duplicate_of_the_pairs(
    iphone: Path,
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The iPhone's Live Photo video was also exported alone (a Takeout folder of its own):
    the video is placed once, beside the kept copy of its photo."""
    export = iphone / "Takeout" / "Google Photos" / "Photos from 2021"
    export.mkdir(parents=True)
    shutil.copy2(iphone / "DCIM" / "100APPLE" / "IMG_0001.MOV", export / "IMG_0001.MOV")
    before = tree_digest(iphone)
    dest = tmp_path / "out"

    code, report = organize(iphone, dest, "--min-size", "0")

    assert code == 0
    lines = by_source(report)
    movie = lines["DCIM/100APPLE/IMG_0001.MOV"]
    assert movie["status"] == "placed" and beside(movie, lines["Summer at the lake/IMG_0001.HEIC"])
    loose = lines["Takeout/Google Photos/Photos from 2021/IMG_0001.MOV"]
    assert (loose["status"], loose["duplicate_of"]) == ("duplicate", "DCIM/100APPLE/IMG_0001.MOV")
    assert_every_unique_file_kept(before, dest, report)


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_raw_backup_is_placed_when_the_pair_it_repeats_cannot_be(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """The pair lies so deep in SOURCE that below DEST (a longer path) its names would be too
    long: the pair is an error and stays where it is, so the RAW's copy in a backup folder is
    the one DEST gets, placed, not called a duplicate of a file DEST never received."""
    src = tmp_path / "Pictures"
    dest = tmp_path / ("Archive of the family's pictures, " + "o" * 160)
    # The pair's path is 4,000 bytes in SOURCE, whatever the length of tmp_path: below DEST,
    # 186 bytes longer, it passes PATH_MAX (4,096)
    room = 4000 - len(os.fsencode(src / "IMG_1234.CR2"))
    card = src.joinpath(*["d" * 200] * (room // 201), "e" * (room % 201 - 1))
    _jpeg, raw = dslr_pair(card, seed=7)
    (src / "RAW backup").mkdir()
    (src / "RAW backup" / "IMG_1234.CR2").write_bytes(raw)
    pair = os.path.relpath(card / "IMG_1234.CR2", src)

    _code, report = organize(src, dest, "--min-size", "0", "--mode", mode, "--no-tidy")

    lines = by_source(report)
    assert lines[pair]["status"] == "error", lines[pair]
    assert "would be a path of" in lines[pair]["reason"]
    backup = lines["RAW backup/IMG_1234.CR2"]
    assert backup["status"] == "placed", backup
    assert (dest / backup["dest"]).read_bytes() == raw
    assert (card / "IMG_1234.CR2").read_bytes() == raw  # the pair stays in SOURCE
    if mode == "move":
        from engine.cli import main

        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert (src / "RAW backup" / "IMG_1234.CR2").read_bytes() == raw
