"""End-to-end runs of ``imgorg organize`` on archives built from real image files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from conftest import tree_digest, write_photo
from engine.store.journal import Journal

D2015 = dt.datetime(2015, 6, 7, 8, 9, 10)
D2019 = dt.datetime(2019, 1, 2, 3, 4, 5)


def by_source(report):  # type: ignore[no-untyped-def]
    return {line["source"]: line for line in report}


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    write_photo(src / "DCIM/100/a.jpg", D2015, seed=1)
    write_photo(src / "DCIM/100/b.JPG", D2019, seed=2)
    write_photo(src / "Backup/old/2009/c.jpg", dt.datetime(2009, 5, 5), seed=3)
    write_photo(src / "phone/IMG_20180725_163423.jpg", None, seed=4)
    write_photo(src / "misc/nodate.jpg", None, seed=5)
    (src / "copies").mkdir()
    shutil.copyfile(src / "DCIM/100/a.jpg", src / "copies/a copy.jpg")
    (src / "misc/broken.jpg").write_bytes((src / "DCIM/100/b.JPG").read_bytes()[:900])
    (src / "misc/empty.jpg").write_bytes(b"")
    (src / "misc/notes.txt").write_text("hello")
    (src / "misc/.DS_Store").write_bytes(b"\0\0")
    (src / "@eaDir").mkdir()
    (src / "@eaDir/SYNOFILE_THUMB_M.jpg").write_bytes(b"x")
    return src


def test_messy_archive(messy: Path, tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    before = tree_digest(messy)
    dest = tmp_path / "out"
    code, report = organize(messy, dest, "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    assert set(lines) == set(tree_digest(messy))
    assert tree_digest(messy) == before
    assert lines["DCIM/100/a.jpg"]["dest"] == "2015/100/a.jpg"
    assert lines["DCIM/100/b.JPG"]["dest"] == "2019/100/b.JPG"
    assert lines["Backup/old/2009/c.jpg"]["dest"] == "2009/2009/c.jpg"  # tidied chain
    assert lines["phone/IMG_20180725_163423.jpg"]["date_source"] == "filename"
    assert lines["phone/IMG_20180725_163423.jpg"]["dest"] == "2018/phone/IMG_20180725_163423.jpg"
    assert lines["misc/nodate.jpg"]["dest"] == "NoDate/misc/nodate.jpg"
    assert lines["copies/a copy.jpg"]["status"] == "duplicate"
    assert lines["copies/a copy.jpg"]["duplicate_of"] == "DCIM/100/a.jpg"
    assert lines["misc/broken.jpg"]["status"] == "corrupt"
    assert lines["misc/broken.jpg"]["dest"] == "Corrupted/misc/broken.jpg"
    assert lines["misc/empty.jpg"]["status"] == "corrupt"
    assert "0 bytes" in lines["misc/empty.jpg"]["reason"]
    assert lines["misc/notes.txt"]["status"] == "ignored"
    assert lines["misc/.DS_Store"]["status"] == "ignored"
    assert lines["@eaDir/SYNOFILE_THUMB_M.jpg"]["status"] == "ignored"
    for line in report:
        assert line["status"] in {"placed", "duplicate", "corrupt", "skipped", "ignored", "error"}
        if line["status"] != "placed":
            assert line["reason"], line
        if line["dest"]:
            placed = dest / line["dest"]
            assert placed.is_file()
            assert placed.stat().st_mtime_ns == (messy / line["source"]).stat().st_mtime_ns
    assert not [p for p in tree_digest(dest) if ".imgorg-tmp" in p]


def test_min_size_and_odd_entries(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "small.jpg", None, seed=1)  # no camera date: a thumbnail
    write_photo(src / "big.jpg", D2015, size=(400, 300), seed=2, quality=95)
    os.symlink(src / "big.jpg", src / "link.jpg")
    os.symlink(src, src / "loop")
    os.mkfifo(src / "pipe.jpg")
    weird = os.fsencode(str(src)) + b"/caf\xe9 \xff.jpg"
    write_photo(tmp_path / "tmp.jpg", D2015, size=(400, 300), seed=9, quality=95)
    with open(weird, "wb") as handle:
        handle.write((tmp_path / "tmp.jpg").read_bytes())
    code, report = organize(src, tmp_path / "out", "--min-size", "20KB")
    assert code == 0
    lines = by_source(report)
    assert lines["small.jpg"]["status"] == "skipped"
    assert "--min-size" in lines["small.jpg"]["reason"]
    assert lines["big.jpg"]["status"] == "placed"
    assert lines["link.jpg"]["status"] == "skipped"
    assert lines["loop"]["status"] == "skipped"
    assert lines["pipe.jpg"]["status"] == "skipped"
    odd = os.fsdecode(b"caf\xe9 \xff.jpg")
    assert lines[odd]["status"] == "placed", lines[odd]
    assert os.path.exists(
        os.path.join(os.fsencode(str(tmp_path / "out")), os.fsencode(lines[odd]["dest"]))
    )


def test_keeper_is_best_dated_then_lowest_path(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    data = write_photo(src / "a/undated.jpg", None, seed=7)
    (src / "z/IMG_20160101_101010.jpg").parent.mkdir(parents=True)
    (src / "z/IMG_20160101_101010.jpg").write_bytes(data)
    (src / "b/also-undated.jpg").parent.mkdir(parents=True)
    (src / "b/also-undated.jpg").write_bytes(data)
    for jobs in ("1", "2"):
        _code, report = organize(src, tmp_path / f"out{jobs}", "--min-size", "0", "--jobs", jobs)
        lines = by_source(report)
        assert lines["z/IMG_20160101_101010.jpg"]["status"] == "placed"
        assert lines["a/undated.jpg"]["duplicate_of"] == "z/IMG_20160101_101010.jpg"
        assert lines["b/also-undated.jpg"]["duplicate_of"] == "z/IMG_20160101_101010.jpg"


def test_flat_layout_collisions_are_deterministic(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    for i, folder in enumerate(["c", "a", "b"]):
        write_photo(src / folder / "IMG_0001.jpg", D2015, seed=10 + i)
    reports = []
    for jobs in ("1", "2"):
        dest = tmp_path / f"out{jobs}"
        code, report = organize(src, dest, "--min-size", "0", "--layout", "flat", "--jobs", jobs)
        assert code == 0
        lines = by_source(report)
        assert lines["a/IMG_0001.jpg"]["dest"] == "2015/IMG_0001.jpg"
        assert lines["b/IMG_0001.jpg"]["dest"] == "2015/IMG_0001_1.jpg"
        assert lines["c/IMG_0001.jpg"]["dest"] == "2015/IMG_0001_2.jpg"
        reports.append(report)
    assert reports[0] == reports[1]


def test_never_overwrites_and_adopts_identical(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    data = write_photo(src / "x/a.jpg", D2015, seed=1)
    write_photo(src / "x/b.jpg", D2015, seed=2)
    dest = tmp_path / "out"
    (dest / "2015/x").mkdir(parents=True)
    (dest / "2015/x/a.jpg").write_bytes(b"somebody else's file")
    (dest / "2015/x/b.jpg").write_bytes((src / "x/b.jpg").read_bytes())
    _code, report = organize(src, dest, "--min-size", "0")
    lines = by_source(report)
    assert (dest / "2015/x/a.jpg").read_bytes() == b"somebody else's file"
    assert lines["x/a.jpg"]["dest"] == "2015/x/a_1.jpg"
    assert (dest / "2015/x/a_1.jpg").read_bytes() == data
    assert lines["x/b.jpg"]["dest"] == "2015/x/b.jpg"
    assert "already" in lines["x/b.jpg"]["note"]


def test_rerun_resumes_and_changes_nothing(messy: Path, tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "out"
    _, first = organize(messy, dest, "--min-size", "0")
    after_first = tree_digest(dest / "2015")
    _, second = organize(messy, dest, "--min-size", "0")
    assert tree_digest(dest / "2015") == after_first
    strip = lambda r: sorted((x["source"], x["status"], x["dest"]) for x in r)  # noqa: E731
    assert strip(first) == strip(second)


def test_dry_run_writes_nothing_and_matches_the_run(messy: Path, tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "out"
    code, planned = organize(messy, dest, "--min-size", "0", "--dry-run")
    assert code == 0
    assert not dest.exists()
    _, done = organize(messy, dest, "--min-size", "0")
    assert planned == done


def test_move_mode(messy: Path, tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    before = tree_digest(messy)
    dest = tmp_path / "out"
    code, report = organize(messy, dest, "--min-size", "0", "--mode", "move")
    assert code == 0
    placed = tree_digest(dest)
    contents = {digest for digest, _ in placed.values()}
    for line in report:
        rel = line["source"]
        if line["status"] in ("placed", "corrupt", "duplicate"):
            assert not (messy / rel).exists(), rel
            assert before[rel][0] in contents, rel
        else:
            assert (messy / rel).exists(), rel
    lines = by_source(report)
    assert lines["copies/a copy.jpg"]["dest"] == "Duplicates/copies/a copy.jpg"


def test_compression_keeps_metadata_and_turns_pixels(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    original = write_photo(
        src / "big.jpg", D2015, orientation=6, size=(640, 480), seed=3, quality=97
    )
    _code, report = organize(
        src,
        tmp_path / "out",
        "--min-size",
        "0",
        "--compress-above",
        "50KB",
        "--target-size",
        "60KB",
    )
    line = report[0]
    assert line["compressed"], line
    assert line["bytes_out"] <= 60_000
    assert line["bytes_out"] <= 0.95 * len(original)
    assert 70 <= line["quality"] <= 100
    out = Image.open(tmp_path / "out" / line["dest"])
    assert out.size == (480, 640)
    exif = out.getexif()
    assert exif[0x0112] == 1
    assert exif.get_ifd(0x8769)[36867] == "2015:06:07 08:09:10"
    assert (tmp_path / "out" / line["dest"]).stat().st_mtime_ns == (
        src / "big.jpg"
    ).stat().st_mtime_ns


def test_bad_runs_exit_2(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "a.jpg", D2015)
    assert organize(tmp_path / "missing", tmp_path / "out")[0] == 2
    assert organize(src, src)[0] == 2
    (tmp_path / "file").write_text("x")
    assert organize(src, tmp_path / "file")[0] == 2
    assert organize(src, tmp_path / "out", "--target-size", "lots")[0] == 2


def test_dest_inside_source_is_not_walked(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "a.jpg", D2015)
    code, _report = organize(src, src / "archive", "--min-size", "0")
    assert code == 0
    _, again = organize(src, src / "archive", "--min-size", "0")
    assert [x["source"] for x in again] == ["a.jpg"]


def test_config_file(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "x/a.jpg", D2015)
    config = tmp_path / "imgorg.toml"
    config.write_text('layout = "flat"\nmin-size = "0"\nnodate-folder = "Undated"\n')
    _code, report = organize(src, tmp_path / "out", "--config", str(config))
    assert report[0]["dest"] == "2015/a.jpg"
    config.write_text("no-such-flag = 1\n")
    assert organize(src, tmp_path / "out2", "--config", str(config))[0] == 2


def test_decompression_bomb_is_corrupt(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "a.jpg", D2015, size=(200, 200))
    _code, report = organize(src, tmp_path / "out", "--min-size", "0", "--max-pixels", "1000")
    assert report[0]["status"] == "corrupt"
    assert "bomb" in report[0]["reason"]


def test_identical_corrupt_files_in_one_folder_are_both_set_aside(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    data = write_photo(src / "a.jpg", None, seed=1)
    (src / "a.jpg").write_bytes(data[: len(data) // 2])
    (src / "b.jpg").write_bytes(data[: len(data) // 2])
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    assert [(x["status"], x["dest"]) for x in report] == [
        ("corrupt", "Corrupted/a.jpg"),
        ("corrupt", "Corrupted/b.jpg"),
    ]


def test_a_name_that_is_not_utf8_in_a_reason_or_note_does_not_stop_the_run(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A copy of ``caf\\xe9.jpg`` (a Latin-1 name from an old camera card) is a duplicate whose
    reason names it; a photo whose place is taken by a file of that name gets a reason naming
    it too. The journal stores both; the reports show the bytes escaped."""
    src = tmp_path / "src"
    data = write_photo(src / "x.jpg", D2015, seed=4)
    os.unlink(src / "x.jpg")
    latin = os.fsencode(str(src)) + b"/caf\xe9.jpg"
    os.makedirs(os.fsencode(str(src)) + b"/copies")
    for path in (latin, os.fsencode(str(src)) + b"/copies/caf\xe9.jpg"):
        with open(path, "wb") as handle:
            handle.write(data)
    for jobs in ("1", "2"):
        code, report = organize(src, tmp_path / f"out{jobs}", "--min-size", "0", "--jobs", jobs)
        assert code == 0
        lines = by_source(report)
        odd = os.fsdecode(b"caf\xe9.jpg")
        assert lines[odd]["status"] == "placed"
        copy = lines[os.fsdecode(b"copies/caf\xe9.jpg")]
        assert copy["status"] == "duplicate" and copy["duplicate_of"] == odd
        assert "caf" in copy["reason"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_photo_in_dest_is_never_readable_by_more_people_than_its_source(
    tmp_path: Path, corpus: Path, jobs: str
) -> None:
    """A phone backup's private photos (0600, one with its sidecar, one turned upright, one
    compressed), a family folder shared with a group (0640) and a card read with every
    permission (0777, as a FAT card mounts): each file in DEST keeps every restriction of its
    source and gains nothing, whatever wrote it (a worker's staged copy, a placer's copy, a
    re-encode, a lossless turn)."""
    from conftest import imgorg

    src, dest = tmp_path / "src", tmp_path / "dest"
    private = src / "phone" / "private"
    private.mkdir(parents=True)
    shutil.copy(corpus / "camera" / "Canon_40D.jpg", private / "IMG_1.jpg")
    (private / "IMG_1.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    shutil.copy(corpus / "phone" / "Samsung GT-I9000 (Galaxy S).jpg", private / "IMG_2.jpg")
    shutil.copy(corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg", private / "IMG_3.jpg")
    shared = src / "family"
    shared.mkdir()
    shutil.copy(corpus / "camera" / "Canon_DIGITAL_IXUS_400.jpg", shared / "IMG_4.jpg")
    card = src / "card" / "DCIM"
    card.mkdir(parents=True)
    shutil.copy(corpus / "orientation" / "Landscape_6.jpg", card / "IMG_5.jpg")
    for path in private.iterdir():
        path.chmod(0o600)
    (shared / "IMG_4.jpg").chmod(0o640)
    (card / "IMG_5.jpg").chmod(0o777)
    umask = os.umask(0o022)
    try:
        code, out = imgorg(
            "organize",
            str(src),
            str(dest),
            "--jobs",
            jobs,
            "--min-size",
            "0",
            "--compress-above",
            "3MB",
        )
    finally:
        os.umask(umask)
    assert code == 0, out
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        done = {os.path.basename(d.rel): d for d in journal.decisions(1, str(src))}
    finally:
        journal.close()
    assert done["IMG_2.jpg"].rotated and done["IMG_3.jpg"].compressed
    modes = {}
    for folder, _, files in os.walk(dest):
        if ".imgorg" in folder:
            continue
        for name in files:
            modes[name] = os.stat(os.path.join(folder, name)).st_mode & 0o777
    assert modes == {
        "IMG_1.jpg": 0o600,
        "IMG_1.xmp": 0o600,
        "IMG_2.jpg": 0o600,
        "IMG_3.jpg": 0o600,
        "IMG_4.jpg": 0o640,
        "IMG_5.jpg": 0o644,
    }, {name: oct(mode) for name, mode in modes.items()}
