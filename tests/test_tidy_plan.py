"""Tidy: each source folder gets one place below the year folder, the same in every year, and
nothing already in DEST is moved or removed."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import read_report, tree_digest, write_photo
from engine.stages.tidy import folder_map, tidied


def test_chain_collapses_to_innermost() -> None:
    assert folder_map(["Backup/old/2009/a.jpg"]) == {"Backup/old/2009": "2009"}


def test_folder_with_files_or_two_subfolders_stays() -> None:
    assert folder_map(["A/x.jpg", "A/B/y.jpg"]) == {}
    assert folder_map(["A/B/x.jpg", "A/C/y.jpg"]) == {}


def test_nested_chains_inside_kept_folders() -> None:
    result = folder_map(["A/x.jpg", "A/B/C/y.jpg", "D/E/z.jpg", "D/F/w.jpg"])
    assert result == {"A/B/C": "A/C"}


def test_folders_below_a_collapsed_chain_follow_it() -> None:
    result = folder_map(["A/B/C/x.jpg", "A/B/C/D/E/y.jpg"])
    assert result == {"A/B/C": "C", "A/B/C/D/E": "C/E"}


def test_name_taken_beside_the_chain_is_left_alone() -> None:
    assert folder_map(["A/B/x.jpg", "B/y.jpg", "B/z.jpg"]) == {}


def test_same_name_chain() -> None:
    assert folder_map(["Trip/Trip/x.jpg"]) == {"Trip/Trip": "Trip"}


def test_files_at_the_top_do_not_move() -> None:
    assert folder_map(["x.jpg", "y.jpg"]) == {}


def test_two_chains_never_take_the_same_name() -> None:
    result = folder_map(["Trips/A/day 5/x.jpg", "Trips/B/day 5/y.jpg", "Trips/z.jpg"])
    assert result == {"Trips/A/day 5": "Trips/day 5"}


def test_a_meaningful_folder_with_several_subfolders_is_kept() -> None:
    rels = ["Pictures/From Dad's laptop/camera/a.jpg", "Pictures/From Dad's laptop/phone/b.jpg"]
    rels += ["Pictures/Holidays/c.jpg", "Media/WhatsApp Images/d.jpg", "Media/WhatsApp Video/e.mp4"]
    assert folder_map(rels) == {}


folder_names = st.sampled_from(["a", "b", "day", "x", "2009"])
trees = st.lists(st.lists(folder_names, min_size=0, max_size=4), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_the_map_keeps_each_folder_name_and_never_merges_two_folders(
    paths: list[list[str]],
) -> None:
    rels = ["/".join([*parts, f"f{i}.jpg"]) for i, parts in enumerate(paths)]
    mapping = folder_map(rels)
    folders = {os.path.dirname(r) for r in rels}
    mapped = {f: mapping.get(f, f) for f in folders}
    assert len(set(mapped.values())) == len(folders)
    for old, new in mapped.items():
        assert os.path.basename(old) == os.path.basename(new)
        assert set(new.split("/")) <= set(old.split("/"))
    assert folder_map(reversed(rels)) == mapping


YEARS = [dt.datetime(2011, 3, 4), dt.datetime(2018, 5, 6), dt.datetime(2019, 7, 8)]
archive_folders = st.sampled_from(
    ["Media", "WhatsApp Images", "Pictures", "From Dad's laptop", "camera", "2012", "Backup"]
)
archives = st.lists(
    st.tuples(st.lists(archive_folders, min_size=0, max_size=3), st.integers(0, 2)),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(archives)
def test_one_source_folder_has_one_place_below_every_year(
    files: list[tuple[list[str], int]],
) -> None:
    """On disk, with real JPEGs dated in several years, the path below the year folder depends
    on the source folder alone; two source folders never share one."""
    from engine.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        src, dest, report = Path(tmp, "src"), Path(tmp, "dest"), Path(tmp, "r.jsonl")
        for i, (parts, year) in enumerate(files):
            write_photo(src.joinpath(*parts, f"IMG_{i:04}.jpg"), YEARS[year], seed=i)
        flags = ["--report", str(report), "--quiet", "--jobs", "1", "--min-size", "0"]
        assert main(["organize", str(src), str(dest), *flags]) == 0
        below: dict[str, set[str]] = defaultdict(set)
        for line in read_report(report):
            assert line["status"] == "placed", line
            year, rest = line["dest"].split("/", 1)
            assert year == str(line["year"])
            below[os.path.dirname(line["source"])].add(os.path.dirname(rest))
        assert all(len(places) == 1 for places in below.values()), below
        places = [next(iter(p)) for p in below.values()]
        assert len(set(places)) == len(places), below


def test_tidy_never_touches_what_was_already_in_dest(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "archive"
    kiss = write_photo(dest / "2011/Wedding/Best of/kiss.jpg", dt.datetime(2011, 6, 1), seed=1)
    (dest / "2011/empty_album_for_later").mkdir()
    write_photo(dest / "2011/Wedding/Best of/Prints/x.jpg", dt.datetime(2011, 6, 1), seed=2)
    before = tree_digest(dest)
    src = tmp_path / "src"
    write_photo(src / "Wedding/Best of/dance.jpg", dt.datetime(2011, 6, 1), seed=3)
    write_photo(src / "Holidays/Spain/beach.jpg", dt.datetime(2011, 8, 1), seed=4)
    write_photo(src / "Old/scan.jpg", None, seed=5)
    code, report = organize(src, dest)
    assert code == 0
    assert (dest / "2011/Wedding/Best of/kiss.jpg").read_bytes() == kiss
    assert (dest / "2011/empty_album_for_later").is_dir()
    after = tree_digest(dest)
    assert {k: v for k, v in after.items() if k in before} == before
    placed = {line["source"]: line["dest"] for line in report}
    assert placed["Holidays/Spain/beach.jpg"] == "2011/Spain/beach.jpg"
    assert placed["Wedding/Best of/dance.jpg"] == "2011/Best of/dance.jpg"
    assert all((dest / d).is_file() for d in placed.values() if d)


def test_tidied_paths() -> None:
    assert tidied("A/B/x.jpg", {"A/B": "B"}) == "B/x.jpg"
    assert tidied("x.jpg", {"A/B": "B"}) == "x.jpg"


def test_a_hidden_folder_and_a_visible_one_of_the_same_name_stay_apart(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """No placed path is hidden, so ``.Holiday`` is placed as ``Holiday``: tidy must see that
    name, or it lifts ``Phone/.Holiday`` and ``Tablet/Holiday`` into one folder."""
    src = tmp_path / "src"
    when = dt.datetime(2019, 7, 8)
    write_photo(src / "Phone/.Holiday/IMG_1.jpg", when, seed=1)
    write_photo(src / "Tablet/Holiday/IMG_2.jpg", when, seed=2)
    code, report = organize(src, tmp_path / "dest", "--min-size", "0")
    assert code == 0
    folders = {os.path.dirname(line["source"]): os.path.dirname(line["dest"]) for line in report}
    assert len(set(folders.values())) == 2, folders
    assert not any(p.startswith(".") for f in folders.values() for p in f.split("/")), folders


def test_earlier_places_of_many_folders_hold_in_time_linear_in_the_folders() -> None:
    """A file added beside ``Backup/Pictures`` (which an earlier run placed as ``Pictures``)
    breaks the chain: each of the 20,000 albums below keeps its earlier place. Each place was
    checked against every folder of the map (20,000 folders: two minutes; a million files in
    100,000 folders: most of an hour before the first file is placed)."""
    import time

    from engine.stages.tidy import placed_folders

    albums = [f"Backup/Pictures/Album {i}" for i in range(20_000)]
    earlier = placed_folders(
        (f"{album}/IMG_1.jpg", f"2008/{album.removeprefix('Backup/')}/IMG_1.jpg", 2008)
        for album in albums
    )
    rels = [f"{album}/IMG_1.jpg" for album in albums] + ["Backup/Other/x.jpg"]
    started = time.perf_counter()
    mapping = folder_map(rels, earlier)
    assert time.perf_counter() - started < 10
    assert mapping == {album: album.removeprefix("Backup/") for album in albums}
