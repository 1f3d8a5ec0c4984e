import os
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.journal import Journal
from engine.records import Decision, Status
from engine.tidy import plan_merges, tidy, tree_of


def moves(files: list[str], folders: list[str] = ()) -> list[tuple[str, str]]:  # type: ignore[assignment]
    return plan_merges(tree_of(files, folders))


def test_chain_collapses_to_innermost() -> None:
    assert moves(["Backup/old/2009/a.jpg"]) == [("Backup/old/2009", "2009")]


def test_folder_with_files_or_two_subfolders_stays() -> None:
    assert moves(["A/x.jpg", "A/B/y.jpg"]) == []
    assert moves(["A/B/x.jpg", "A/C/y.jpg"]) == []


def test_nested_chains_inside_kept_folders() -> None:
    result = moves(["A/x.jpg", "A/B/C/y.jpg", "D/E/z.jpg", "D/F/w.jpg"])
    assert result == [("A/B/C", "A/C")]


def test_empty_subfolders_do_not_count() -> None:
    assert moves(["A/B/x.jpg"], ["A/empty", "A/B/also-empty"]) == [("A/B", "B")]


def test_name_taken_beside_the_chain_is_left_alone() -> None:
    assert moves(["A/B/x.jpg", "B/y.jpg", "B/z.jpg"]) == []


def test_same_name_chain() -> None:
    assert moves(["Trip/Trip/x.jpg"]) == [("Trip/Trip", "Trip")]


def test_files_at_year_level_do_not_move() -> None:
    assert moves(["x.jpg", "y.jpg"]) == []


def test_two_chains_never_take_the_same_name() -> None:
    result = moves(["Trips/A/day 5/x.jpg", "Trips/B/day 5/y.jpg", "Trips/z.jpg"])
    assert result == [("Trips/A/day 5", "Trips/day 5")]


folder_names = st.sampled_from(["a", "b", "day", "x", "2009"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(folder_names, min_size=0, max_size=4), min_size=1, max_size=8))
def test_tidy_on_disk_keeps_every_file_and_the_journal_in_step(paths: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as dest:
        journal = Journal.in_memory()
        run_id = journal.begin_run("/src", dest, "copy", False, {})
        decisions = []
        for i, parts in enumerate(paths):
            rel = "/".join(["2015", *parts, f"f{i}.jpg"])
            os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(dest, rel), "w") as handle:
                handle.write(str(i))
            decisions.append(Decision(f"s{i}.jpg", Status.PLACED, dest=rel, year=2015))
        journal.record(run_id, "/src", decisions, "done")
        tidy(dest, journal, run_id, dry_run=False)
        placed = {d.rel: d.dest for d in journal.decisions(run_id, "/src")}
        assert len(placed) == len(paths)
        for i in range(len(paths)):
            path = placed[f"s{i}.jpg"]
            assert path is not None and path.startswith("2015/")
            with open(os.path.join(dest, path)) as handle:
                assert handle.read() == str(i)
        for folder, dirs, files in os.walk(os.path.join(dest, "2015")):
            assert dirs or files, f"empty folder left: {folder}"
