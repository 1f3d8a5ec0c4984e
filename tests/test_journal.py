"""The journal as a stage of its own: every decision written and read back by column name,
``planned`` then ``done``, one row per run, and older journals upgraded in place."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from pathlib import Path
from typing import Any

from engine.policy.actions import Action
from engine.records import Analysis, DateSource, Decision, Status, TzSource
from engine.store.journal import FILES, NOT_KEPT, VERSION, Journal

ODD = os.fsdecode(b"Scans/caf\xe9 \xff.jpg")  # a path that is not UTF-8, as Linux allows


def kept_values() -> dict[str, Any]:
    """A value for every attribute the journal keeps, none of them its default."""
    return {
        "rel": ODD,
        "size": 4_000_123,
        "mtime_ns": 1_300_000_000_123_456_789,
        "status": Status.DUPLICATE,
        "reason": "identical to a/b.jpg",
        "note": "an identical file was already at its destination",
        "dest": os.fsdecode(b"Duplicates/caf\xe9 \xff.jpg"),
        "year": 2011,
        "date": "2011-03-04T05:06:07",
        "date_source": DateSource.XMP,
        "hash": "0123456789abcdef0123456789abcdef",
        "duplicate_of": os.fsdecode(b"Backup/caf\xe9.jpg"),
        "bytes_out": 4_000_123,
        "compressed": False,
        "rotated": False,
        "quality": None,
        "original_quality": 93,
        "encodes": 2,
        "out_hash": "0123456789abcdef0123456789abcdef",
        "action": Action.MOVE_COPY,
        "companion_of": os.fsdecode(b"Scans/caf\xe9.cr2"),
        "tz_source": TzSource.GPS_TIME,
        "similar_to": os.fsdecode(b"WhatsApp/caf\xe9.jpg"),
    }


def placed_values() -> dict[str, Any]:
    """A placed, re-encoded and rotated file: the attributes a duplicate cannot have."""
    return kept_values() | {
        "status": Status.PLACED,
        "dest": "2011/Scans/x.jpg",
        "compressed": True,
        "rotated": True,
        "quality": 82,
        "bytes_out": 1_234_567,
        "out_hash": "fedcba9876543210fedcba9876543210",
        "action": Action.STAGED,
    }


def decision(values: dict[str, Any]) -> Decision:
    verdict = {"status", "dest", "duplicate_of", "action", "companion_of"}
    found = Analysis(**{k: v for k, v in values.items() if k not in verdict})
    made = Decision.from_analysis(found, values["status"])
    for key in verdict - {"status"}:
        setattr(made, key, values[key])
    return made


def journal(tmp_path: Path) -> Journal:
    return Journal.open(str(tmp_path / "journal.sqlite"))


def test_every_decision_attribute_is_a_column_or_named_as_not_kept() -> None:
    kept = {c.keeps for c in FILES if c.keeps}
    attributes = {f.name for f in dataclasses.fields(Decision)} | {
        f.name for f in dataclasses.fields(Analysis)
    }
    assert kept <= attributes
    assert attributes - kept == NOT_KEPT
    assert set(kept_values()) == kept


def test_values_are_not_defaults_so_a_lost_column_shows() -> None:
    defaults = Decision("x", Status.PLACED)
    for attr in kept_values():
        assert any(getattr(defaults, attr) != v[attr] for v in (kept_values(), placed_values()))


def test_every_kept_attribute_round_trips_by_name(tmp_path: Path) -> None:
    store = journal(tmp_path)
    run = store.begin_run("/src", str(tmp_path), "move", False, {})
    made = [decision(placed_values()), decision(kept_values() | {"rel": "other.jpg"})]
    store.record(run, "/src", made, "planned")
    store.mark_seen(run, "/src", [d.rel for d in made])
    back = {d.rel: d for d in store.decisions(run, "/src")}
    for original in made:
        again = back[original.rel]
        for column in FILES:
            if column.keeps:
                assert getattr(again, column.keeps) == getattr(original, column.keeps), column
    # each value is in the column of its name, stored as the journal's contract says
    row = store.db.execute(
        "SELECT source_rel, dest, date_source, tz_source, compressed, action FROM files "
        "WHERE quality = 82"
    ).fetchone()
    assert row["source_rel"] == b"Scans/caf\xe9 \xff.jpg"
    assert (row["date_source"], row["tz_source"]) == ("xmp", "gps-time")
    assert (row["compressed"], row["action"], row["dest"]) == (1, "staged", b"2011/Scans/x.jpg")
    store.close()


def test_planned_then_done(tmp_path: Path) -> None:
    store = journal(tmp_path)
    run = store.begin_run("/src", str(tmp_path), "copy", False, {})
    placed = decision(placed_values() | {"rel": "a.jpg", "action": Action.COPY})
    store.record(run, "/src", [placed], "planned")
    [(root, pending, pending_run)] = store.unfinished()
    assert (root, pending.rel, pending_run, pending.dest) == ("/src", "a.jpg", run, placed.dest)
    assert store.done_files("/src") == {}
    assert store.written() == []
    store.mark_done("/src", ["a.jpg"])
    assert store.unfinished() == []
    assert store.done_files("/src") == {"a.jpg": (placed.size, placed.mtime_ns)}
    [written] = store.written()
    assert (written.rel, written.dest, written.out_hash, written.run_id) == (
        "a.jpg",
        placed.dest,
        placed.out_hash,
        run,
    )
    store.close()


def test_each_run_keeps_its_own_row(tmp_path: Path) -> None:
    store = journal(tmp_path)
    first = store.begin_run("/src", str(tmp_path), "copy", False, {})
    store.record(first, "/src", [decision(placed_values() | {"rel": "a.jpg"})], "done")
    second = store.begin_run("/src", str(tmp_path), "copy", False, {})
    again = Decision("a.jpg", Status.ERROR, size=5, reason="cannot read: error 5")
    store.record(second, "/src", [again], "planned")
    store.mark_seen(second, "/src", ["a.jpg"])
    store.mark_done("/src", ["a.jpg"])  # the newest row of that path
    rows = store.db.execute("SELECT run_id, status, state FROM files ORDER BY run_id").fetchall()
    assert [tuple(r) for r in rows] == [(first, "placed", "done"), (second, "error", "done")]
    assert [d.status for d in store.decisions(second, "/src")] == [Status.ERROR]
    standing = [(d.rel, d.status) for d in store.standing()]
    assert standing == [("a.jpg", Status.PLACED), ("a.jpg", Status.ERROR)]
    store.close()


_SCHEMA_V0_FILES = """
CREATE TABLE files (
    source_root BLOB NOT NULL, source_rel BLOB NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, note TEXT, dest BLOB,
    year INTEGER, date TEXT, date_source TEXT NOT NULL, hash TEXT, duplicate_of BLOB,
    bytes_out INTEGER NOT NULL, compressed INTEGER NOT NULL, rotated INTEGER NOT NULL,
    quality INTEGER, original_quality INTEGER, encodes INTEGER NOT NULL, out_hash TEXT,
    action TEXT NOT NULL, companion_of BLOB, state TEXT NOT NULL,
    source_removed INTEGER NOT NULL DEFAULT 0, run_id INTEGER NOT NULL,
    seen_run INTEGER NOT NULL, PRIMARY KEY (source_root, source_rel)
) WITHOUT ROWID;
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, source BLOB NOT NULL, dest BLOB NOT NULL, mode TEXT NOT NULL,
    dry_run INTEGER NOT NULL, started REAL NOT NULL, finished REAL, status TEXT NOT NULL,
    settings TEXT NOT NULL, summary TEXT
);
"""


def test_a_journal_of_the_previous_schema_is_upgraded_and_read_by_name(tmp_path: Path) -> None:
    """The first release's journal: one row per path, no tz_source, no kept originals; its
    columns are given by name in an order of their own, and read back by name."""
    path = tmp_path / "journal.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(_SCHEMA_V0_FILES)
    db.execute(
        "INSERT INTO runs VALUES (1, CAST('/src' AS BLOB), CAST('/dest' AS BLOB), 'move', 0, 1.0, "
        "2.0, 'finished', '{}', '{}')"
    )
    row = {
        "run_id": 1,
        "seen_run": 1,
        "state": "done",
        "source_removed": 1,
        "companion_of": None,
        "action": Action.MOVE_RENAME,
        "out_hash": "h1",
        "encodes": 0,
        "original_quality": 90,
        "quality": None,
        "rotated": 0,
        "compressed": 0,
        "bytes_out": 10,
        "duplicate_of": None,
        "hash": "h1",
        "date_source": "filename",
        "date": "2009-01-02T00:00:00",
        "year": 2009,
        "dest": b"2009/a.jpg",
        "note": None,
        "reason": None,
        "status": "placed",
        "mtime_ns": 123,
        "size": 10,
        "source_rel": b"a.jpg",
        "source_root": b"/src",
    }
    db.execute(
        f"INSERT INTO files ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        tuple(row.values()),
    )
    db.close()
    store = journal(tmp_path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    [back] = store.decisions(1, "/src")
    assert (back.rel, back.dest, back.year, back.date_source) == (
        "a.jpg",
        "2009/a.jpg",
        2009,
        DateSource.FILENAME,
    )
    assert (back.tz_source, back.original_quality, back.action) == (
        TzSource.NONE,
        90,
        "move-rename",
    )
    [written] = store.written()
    assert (written.source_removed, written.original, written.run_id) == (True, None, 1)
    columns = [r["name"] for r in store.db.execute("PRAGMA table_info(files)")]
    assert sorted(columns) == sorted(["id", *(c.name for c in FILES)])
    store.close()
