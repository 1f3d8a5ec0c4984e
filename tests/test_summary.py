"""The run summary: a typed record whose JSON form (kept in the journal's ``runs.summary``) is a
contract, read back by the HTML report and ``imgorg report``, from this release or older ones."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from conftest import write_photo
from engine.cli import main
from engine.report.console import next_steps, summary_lines
from engine.report.html import write_html_report
from engine.report.summary import Summary

# The JSON form of a real run's summary, key by key in order: keys are only ever added.
KEYS = [
    "files",
    "counts",
    "companions",
    "years",
    "date_sources",
    "bytes_in",
    "bytes_out",
    "compressed",
    "bytes_saved",
    "skipped_small",
    "seconds",
    "files_per_second",
    "imaging",
    "backend",
    "workers",
    "dry_run",
    "report",
    "run_id",
    "min_size",
    "undated",
    "already_done",
    "settings",
]

# What the first release (commit 9532fe0) stored in runs.summary.
FIRST_RELEASE = {
    "files": 4,
    "counts": {"placed": 3, "duplicate": 1, "corrupt": 0, "skipped": 0, "ignored": 0, "error": 0},
    "companions": {},
    "years": {"2010": 2, "NoDate": 1},
    "date_sources": {"exif": 2, "none": 1},
    "bytes_in": 40_000,
    "bytes_out": 30_000,
    "compressed": 0,
    "bytes_saved": 0,
    "seconds": 1.5,
    "files_per_second": 2.7,
    "imaging": "pillow-simd 9.5.0.post1",
    "backend": "loky",
    "workers": 3,
    "dry_run": False,
    "report": None,
    "run_id": 1,
}


def archive(src: Path) -> None:
    write_photo(src / "a.jpg", dt.datetime(2010, 5, 1), seed=1, size=(96, 64))
    write_photo(src / "copy" / "a.jpg", dt.datetime(2010, 5, 1), seed=1, size=(96, 64))
    write_photo(src / "b.jpg", dt.datetime(2011, 6, 2), seed=2, size=(96, 64))
    write_photo(src / "undated.jpg", None, seed=3, size=(96, 64))


def stored_summary(dest: Path) -> str:
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    try:
        return str(db.execute("SELECT summary FROM runs ORDER BY id DESC").fetchone()[0])
    finally:
        db.close()


def test_a_real_runs_summary_round_trips_to_the_same_json(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    archive(src)
    report = tmp_path / "r.jsonl"
    assert (
        main(
            ["organize", str(src), str(dest), "--quiet", "--min-size", "0", "--report", str(report)]
        )
        == 0
    )
    text = stored_summary(dest)
    data = json.loads(text)
    assert list(data)[: len(KEYS)] == KEYS
    optional = {"error_log", "html", "originals", "originals_bytes", "copies_discarded"}
    assert set(data) - set(KEYS) <= optional
    summary = Summary.from_json(data)
    assert json.dumps(summary.to_json()) == text
    assert summary.counts["placed"] == 3 and summary.counts["duplicate"] == 1
    assert summary.years == {"2010": 1, "2011": 1, "NoDate": 1} and summary.undated == 1
    assert summary.report == str(report) and summary.files == 4


def test_summaries_of_older_releases_load(tmp_path: Path) -> None:
    old = Summary.from_json(FIRST_RELEASE)
    assert (old.files, old.workers, old.years) == (4, 3, {"2010": 2, "NoDate": 1})
    assert (old.undated, old.already_done, old.settings, old.html) == (0, 0, {}, None)
    assert old.to_json() == FIRST_RELEASE | {
        "skipped_small": 0,
        "min_size": 0,
        "undated": 0,
        "already_done": 0,
        "settings": {},
    }
    assert summary_lines(old)[0].startswith("files: 4 (placed 3, duplicate 1")
    assert next_steps(old) == []
    # an interrupted run stores {}; a newer release may have added keys
    assert Summary.from_json({}) == Summary() == Summary.from_json(None)
    assert Summary.from_json(FIRST_RELEASE | {"from_a_newer_release": 1}) == old
    assert Summary.from_json({"workers": None, "run_id": None}) == Summary()
    page = tmp_path / "report.html"
    write_html_report(str(page), FIRST_RELEASE, [], None)
    assert "last run 1" in page.read_text(encoding="utf-8")


def test_imgorg_report_reads_an_old_summary_from_the_journal(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    archive(src)
    assert main(["organize", str(src), str(dest), "--quiet", "--min-size", "0"]) == 0
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite", isolation_level=None)
    db.execute("UPDATE runs SET summary = ?", (json.dumps(FIRST_RELEASE),))
    db.close()
    page = tmp_path / "page.html"
    assert main(["report", str(dest), "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "loky × 3" in text and str(src) in text
