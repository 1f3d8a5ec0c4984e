"""A run over a SOURCE an earlier run placed, with other placement settings (another layout, a
smaller target size, no turning upright), leaves the files that run placed as it made them:
it says so, naming the settings that differ and how to have them placed anew, rather than let
the user believe the archive now follows the new settings. Built from corpus photos."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import imgorg, photos_in, read_report
from engine.settings import placement_changes


def _card(source: Path, corpus: Path, names: list[str]) -> None:
    (source / "DCIM").mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(corpus / "camera" / name, source / "DCIM" / name)


def test_a_run_with_another_layout_says_the_earlier_runs_files_keep_theirs(
    tmp_path: Path, corpus: Path
) -> None:
    source, dest = tmp_path / "src", tmp_path / "dest"
    _card(source, corpus, ["Canon_40D.jpg", "DSCN0010.jpg"])
    assert imgorg("organize", str(source), str(dest), "--min-size", "0", "--quiet")[0] == 0
    placed = photos_in(dest)
    _card(source, corpus, ["Canon_PowerShot_S40.jpg"])
    report = tmp_path / "second.jsonl"
    code, said = imgorg(
        "organize",
        str(source),
        str(dest),
        "--min-size",
        "0",
        "--layout",
        "flat",
        "--target-size",
        "2MB",
        "--report",
        str(report),
    )
    assert code == 0
    assert "2 of them were placed by run 1 with other settings" in said, said
    assert "layout nested -> flat" in said and "target_size 6000000 -> 2000000" in said, said
    lines = {Path(line["source"]).name: line for line in read_report(report)}
    assert "/" not in lines["Canon_PowerShot_S40.jpg"]["dest"].removeprefix(
        str(lines["Canon_PowerShot_S40.jpg"]["year"]) + "/"
    )  # the new file follows the new layout
    assert placed.items() <= photos_in(dest).items()  # the earlier run's files stay there


def test_a_run_with_the_same_settings_says_nothing_of_them(tmp_path: Path, corpus: Path) -> None:
    source, dest = tmp_path / "src", tmp_path / "dest"
    _card(source, corpus, ["Canon_40D.jpg", "DSCN0010.jpg"])
    assert imgorg("organize", str(source), str(dest), "--min-size", "0", "--quiet")[0] == 0
    code, said = imgorg("organize", str(source), str(dest), "--min-size", "0", "--jobs", "1")
    assert code == 0 and "2 files were already done by an earlier run" in said, said
    assert "other settings" not in said, said


def test_only_the_settings_that_decide_a_placed_file_are_compared() -> None:
    before = {"layout": "nested", "jobs": 2, "target_size": 6000000, "report": "a.jsonl"}
    now = {
        "layout": "nested",
        "jobs": 8,
        "target_size": 6000000,
        "report": None,
        "rename": "{name}",
    }
    assert placement_changes(before, now) == []  # rename: not recorded by that (older) run
    assert placement_changes({**before, "rename": None}, now) == ["rename None -> {name}"]
