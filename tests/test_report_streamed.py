"""The end-of-run reports, made by SQLite from the journal (engine/report/queries.py), say what
the run did: every file, status and odd name as the situation has it, in the JSON Lines
report's exact ``json.dumps`` text, and the HTML page's numbers and lists as a stream of the
decisions through ``aggregate`` makes them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest import write_photo
from engine.cli import main
from engine.records import DateSource, Decision, Status
from engine.report.html import DUP_GROUPS, DUP_MEMBERS, REASONS, Aggregate, aggregate
from engine.report.html.page import _thumb_hashes
from engine.report.jsonl import write_report
from engine.report.queries import Rows, aggregate_rows
from engine.store.journal import Journal

D2011 = dt.datetime(2011, 3, 4, 10, 0)
# Names as archives have them: not UTF-8, quotes, control characters, emoji, DEL, markup.
PLACED = [
    b"odd/caf\xe9.jpg",
    b"odd/he said \"hi\" 'x'.jpg",
    b"odd/line\nbreak.jpg",
    b"odd/tab\there.jpg",
    "odd/📷 beach.jpg".encode(),
    b"odd/del\x7f.jpg",
    b"odd/back\\slash.jpg",
    "été 2015/ünï.jpg".encode(),
    b"odd/ctl\x01\x1f.jpg",
    b"odd/</script><b>.jpg",
    b"bad\xff\xfedir/in.jpg",
]
DUPLICATE = "odd/📷 beach (2).jpg".encode()
CORRUPT = "odd/trunc ✓.jpg".encode()
SKIPPED = b"small/tiny \xe9.jpg"
IGNORED = "odd/notes ✓.txt".encode()
ERROR = "blocked/x ✓.jpg".encode()  # dated 2008, and DEST/2008 is a file
SIDECAR = b"side/IMG_1.xmp"
WITH_SIDECAR = b"side/IMG_1.jpg"


def _write(root: Path, rel: bytes, data: bytes) -> None:
    path = os.fsencode(root) + b"/" + rel
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def odd_archive(src: Path, scratch: Path) -> dict[str, str]:
    """An archive with one file of every outcome, most under odd names: name -> status."""
    photo = scratch / "photo.jpg"
    expected = {}
    for i, rel in enumerate(PLACED):
        _write(src, rel, write_photo(photo, D2011 + dt.timedelta(days=i), seed=i))
        expected[os.fsdecode(rel)] = "placed"
    _write(src, DUPLICATE, (src / "odd/📷 beach.jpg").read_bytes())
    whole = write_photo(photo, D2011, size=(320, 240), seed=40)
    _write(src, CORRUPT, whole[: len(whole) // 2])
    _write(src, SKIPPED, write_photo(photo, None, size=(8, 8), seed=41))
    _write(src, IGNORED, b"not a photo")
    _write(src, ERROR, write_photo(photo, dt.datetime(2008, 5, 5), seed=42))
    _write(src, WITH_SIDECAR, write_photo(photo, D2011, seed=43))
    _write(src, SIDECAR, b"<x:xmpmeta/>")
    expected |= {
        os.fsdecode(DUPLICATE): "duplicate",
        os.fsdecode(CORRUPT): "corrupt",
        os.fsdecode(SKIPPED): "skipped",
        os.fsdecode(IGNORED): "ignored",
        os.fsdecode(ERROR): "error",
        os.fsdecode(WITH_SIDECAR): "placed",
        os.fsdecode(SIDECAR): "placed",
    }
    return expected


def organize_quietly(src: Path, dest: Path, report: Path, *flags: str) -> int:
    args = ["organize", str(src), str(dest), "--report", str(report), "--quiet", "--jobs", "1"]
    return main([*args, *flags])


def test_every_file_status_and_odd_name_in_the_reports(tmp_path: Path) -> None:
    src, dest, report = tmp_path / "src", tmp_path / "dest", tmp_path / "report.jsonl"
    expected = odd_archive(src, tmp_path)
    dest.mkdir()
    (dest / "2008").write_text("a file where the year folder would go")
    assert organize_quietly(src, dest, report) == 1  # the error needs attention

    raw = report.read_bytes().split(b"\n")
    assert raw.pop() == b""
    lines = [line.decode("ascii") for line in raw]
    # Each line is the very text json.dumps writes for its values: keys in their order,
    # ", " and ": ", every character outside printable ASCII as \uXXXX, a byte that is not
    # UTF-8 as the lone surrogate os.fsdecode makes of it.
    assert all(json.dumps(json.loads(line)) == line for line in lines)
    by_name = {row["source"]: row for row in map(json.loads, lines)}
    assert {name: row["status"] for name, row in by_name.items()} == expected
    assert '"source": "odd/caf\\udce9.jpg"' in lines[[*by_name].index("odd/caf\udce9.jpg")]
    assert '"odd/\\ud83d\\udcf7 beach.jpg"' in lines[[*by_name].index("odd/📷 beach.jpg")]
    assert '"odd/del\\u007f.jpg"' in lines[[*by_name].index("odd/del\x7f.jpg")]
    for name, row in by_name.items():
        size = os.path.getsize(os.fsencode(src) + b"/" + os.fsencode(name))
        assert row["bytes_in"] == size
        if row["status"] == "placed" and name not in (os.fsdecode(SIDECAR),):
            assert row["dest"] == f"{row['year']}/{name}" and row["year"] == int(row["date"][:4])
            assert row["bytes_out"] == size and row["compressed"] is False
            assert os.path.exists(os.fsencode(dest / row["dest"]))
        if row["status"] in ("skipped", "ignored", "error"):
            assert row["dest"] is None and row["bytes_out"] == 0 and row["reason"]
    assert by_name[os.fsdecode(DUPLICATE)]["duplicate_of"] == "odd/📷 beach.jpg"
    assert by_name[os.fsdecode(SIDECAR)]["companion_of"] == os.fsdecode(WITH_SIDECAR)
    assert by_name[os.fsdecode(SKIPPED)]["reason"].startswith("smaller than --min-size")
    assert "Not a directory" in by_name[os.fsdecode(ERROR)]["reason"]

    with sqlite3.connect(dest / ".imgorg" / "journal.sqlite") as db:
        summary = json.loads(db.execute("SELECT summary FROM runs").fetchone()[0])
    photos = {n: s for n, s in expected.items() if n != os.fsdecode(SIDECAR)}
    assert summary["files"] == len(expected)
    assert summary["counts"] == {s.value: Counter(photos.values())[s.value] for s in Status}
    assert summary["companions"] == {"placed": 1}
    assert summary["bytes_in"] == sum(row["bytes_in"] for row in by_name.values())
    assert summary["bytes_out"] == sum(row["bytes_out"] for row in by_name.values())
    placed_years = Counter(
        str(row["year"])
        for name, row in by_name.items()
        if row["status"] == "placed" and row["companion_of"] is None
    )
    assert summary["years"] == dict(sorted(placed_years.items())) == {"2011": 12}
    assert summary["date_sources"] == {"exif": 12}
    assert summary["skipped_small"] == 1 and summary["compressed"] == 0

    log = (dest / "error_log.log").read_text(encoding="utf-8", errors="backslashreplace")
    [entry] = log.splitlines()
    _stamp, status, name, reason = entry.split("\t")
    assert status == "error" and name == repr(os.fsdecode(ERROR))
    assert reason == by_name[os.fsdecode(ERROR)]["reason"]


def comparable(agg: Aggregate) -> dict[str, Any]:
    """Every field of an aggregate, with the orders the page shows kept."""
    fields = {f.name: getattr(agg, f.name) for f in dataclasses.fields(agg)}
    fields["placed_memory"] = None  # the stream's own bookkeeping
    fields["reasons"] = {s: [*r.counts.items(), r.other] for s, r in agg.reasons.items()}
    fields["notes"] = [*agg.notes.counts.items(), agg.notes.other]
    fields["groups"] = list(agg.groups.items())
    fields["sheets"] = {y: s for y, s in agg.sheets.items() if s}
    return fields


def assert_same_page(journal: Journal, thumbs_dir: str | None) -> None:
    """The page's aggregate made by SQLite is the one a stream of the decisions makes."""
    thumbs = _thumb_hashes(thumbs_dir)

    def dest_of_hash(content: str) -> str | None:
        placed = journal.placed_with_hash(content)
        return placed.dest if placed else None

    streamed = aggregate(journal.standing(), thumbs)
    streamed.resolve(dest_of_hash)
    counted = aggregate_rows(journal, Rows.standing(), thumbs)
    counted.resolve(dest_of_hash)
    assert comparable(counted) == comparable(streamed)
    run_id = journal.last_run()
    assert run_id is not None
    if journal.only_run(run_id):  # the page's shortcut then
        alone = aggregate_rows(journal, Rows.standing(one_run=True), thumbs)
        alone.resolve(dest_of_hash)
        assert comparable(alone) == comparable(streamed)
    source = str(journal.run_info(run_id)["source"])
    last = aggregate(journal.decisions(run_id, source))
    last_counted = aggregate_rows(journal, Rows.of_run(run_id, source), counts_only=True)
    for name in ("files", "counts", "bytes_in", "bytes_out", "companions", "rotated", "years"):
        assert getattr(last_counted, name) == getattr(last, name), name


def test_the_page_and_imgorg_report_over_runs_and_modes(tmp_path: Path, corpus: Path) -> None:
    """A first run, a second SOURCE into the same DEST (duplicates of files the first placed),
    the same again (nothing new) and a move: the page counts and lists what a stream of the
    decisions would, and ``imgorg report`` writes the page organize wrote."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    odd_archive(src, tmp_path)
    for folder in ("camera", "corrupt", "duplicates", "no_exif"):
        shutil.copytree(corpus / folder, src / folder)
    dest.mkdir()
    (dest / "2008").write_text("a file where the year folder would go")
    assert organize_quietly(src, dest, tmp_path / "r1.jsonl") == 1
    second = tmp_path / "second"
    shutil.copytree(corpus / "duplicates", second / "again")
    shutil.copytree(corpus / "camera", second / "camera")
    write_photo(second / "new/n1.jpg", dt.datetime(2019, 9, 9), seed=77)
    moved = tmp_path / "moved"
    shutil.copytree(corpus / "filename_dates", moved / "f")
    runs = [(second, ()), (second, ()), (moved, ("--mode", "move", "--min-size", "0"))]
    meta = dest / ".imgorg"
    (dest / "2008").unlink()  # the error is fixed for the next runs
    for i, (source, flags) in enumerate(runs):
        journal = Journal.open(str(meta / "journal.sqlite"))
        try:
            assert_same_page(journal, str(meta / "thumbs"))
        finally:
            journal.close()
        assert organize_quietly(source, dest, tmp_path / f"r{i + 2}.jsonl", *flags) == 0
    journal = Journal.open(str(meta / "journal.sqlite"))
    try:
        assert_same_page(journal, str(meta / "thumbs"))
        standing = Counter(d.status for d in journal.standing() if d.companion_of is None)
    finally:
        journal.close()
    assert set(standing) == set(Status)
    written = (meta / "report.html").read_bytes()
    assert main(["report", str(dest)]) == 0  # rewrites DEST/.imgorg/report.html
    assert (meta / "report.html").read_bytes() == written


def bounded_journal(tmp_path: Path) -> Journal:
    """More of every kind than the page lists: errors, undated photos, duplicate groups and
    their members, distinct reasons and notes, in an order the path order mixes up."""
    journal = Journal.open(str(tmp_path / "journal.sqlite"))
    run_id = journal.begin_run("/src", "/dest", "copy", False, {})
    decisions = []
    for i in range(3000):
        rel = f"f{i % 13}/{(i * 7919) % 3000:05d} {'é' if i % 5 == 0 else ''}.jpg"
        kind = i % 6
        if kind == 0:
            decisions.append(
                Decision(rel, Status.ERROR, size=i, reason=f"failure kind {(i // 6) % 60}")
            )
        elif kind == 1:
            note = f"note {i % 45} (tag {i})" if i % 2 else None
            decisions.append(
                Decision(rel, Status.PLACED, size=i, dest=f"NoDate/{rel}", hash=f"{i:x}", note=note)
            )
        elif kind == 2:
            kept = f"popular/{i % 3}.jpg" if i % 12 == 2 else f"k/{(i // 12) % 110}.jpg"
            decisions.append(
                Decision(rel, Status.DUPLICATE, size=i, duplicate_of=kept, reason="identical")
            )
        elif kind == 3:
            decisions.append(
                Decision(
                    rel,
                    Status.PLACED,
                    size=i,
                    dest=f"{2000 + i % 20}/{rel}",
                    year=2000 + i % 20,
                    date=f"{2000 + i % 20}-{1 + i % 12:02d}-01T00:00:00",
                    date_source=DateSource.EXIF,
                    hash=f"{i:x}",
                    compressed=i % 4 == 1,
                    quality=80 + i % 10 if i % 8 == 1 else None,
                    original_quality=95 if i % 4 == 1 else None,
                    rotated=i % 9 == 0,
                    note=f"kept tag {(i // 12) % 50}" if i % 12 == 3 else None,
                )
            )
        elif kind == 4:
            decisions.append(Decision(rel, Status.SKIPPED, size=3, reason=f"skip {i % 70} (1 KB)"))
        else:
            decisions.append(Decision(rel, Status.IGNORED, reason=f"junk {i % 50}"))
    journal.record(run_id, "/src", decisions, "done")
    return journal


def test_the_page_is_bounded_as_a_stream_of_the_decisions_would_bound_it(tmp_path: Path) -> None:
    journal = bounded_journal(tmp_path)
    try:
        counted = aggregate_rows(journal, Rows.standing())
        assert len(counted.groups) == DUP_GROUPS
        assert max(len(g.members) for g in counted.groups.values()) == DUP_MEMBERS
        assert len(counted.reasons[Status.ERROR].counts) == REASONS
        assert counted.reasons[Status.ERROR].other > 0 and counted.notes.other > 0
        assert len(counted.errors.entries) < counted.errors.total
        assert_same_page(journal, None)
    finally:
        journal.close()


def test_report_lines_stream_in_path_order_with_no_decision_built(tmp_path: Path) -> None:
    """The JSON Lines report of a journal written by hand: what SQLite writes for each column,
    NULLs and a lossless rewrite included, is json.dumps's text of the report's values."""
    journal = bounded_journal(tmp_path)
    try:
        out = tmp_path / "r.jsonl"
        totals = write_report(str(out), journal, 1, "/src", "NoDate")
        lines = out.read_text(encoding="ascii").splitlines()
        rows = [json.loads(line) for line in lines]
        assert [json.dumps(row) for row in rows] == lines
        assert [row["source"] for row in rows] == sorted(
            (row["source"] for row in rows), key=os.fsencode
        )
        decisions = list(journal.decisions(1, "/src"))
        assert totals.files == len(rows) == len(decisions)
        assert {row["compressed"] for row in rows} == {"lossless", True, False}
        assert totals.compressed == sum(1 for d in decisions if d.compressed)
        assert totals.counts[Status.PLACED.value] == sum(
            1 for row in rows if row["status"] == "placed"
        )
    finally:
        journal.close()


@pytest.mark.parametrize(
    "name", [b"plain.jpg", b"\xe9t\xe9/\xff.jpg", "😀/\x7f\u2028.jpg".encode()]
)
def test_a_line_is_json_dumps_text_whatever_the_name(tmp_path: Path, name: bytes) -> None:
    journal = Journal.open(str(tmp_path / "journal.sqlite"))
    try:
        run_id = journal.begin_run("/src", "/dest", "copy", False, {})
        rel = os.fsdecode(name)
        journal.record(
            run_id,
            "/src",
            [
                Decision(
                    rel, Status.PLACED, size=9, dest=f"2020/{rel}", year=2020, note="tag ✓ kept"
                )
            ],
            "done",
        )
        out = tmp_path / "r.jsonl"
        write_report(str(out), journal, run_id, "/src", "NoDate")
        [line] = out.read_text(encoding="ascii").splitlines()
        assert json.loads(line)["source"] == rel
        assert json.loads(line)["dest"] == f"2020/{rel}"
        assert json.dumps(json.loads(line)) == line
    finally:
        journal.close()


def test_the_page_of_a_journal_of_one_run_with_releases_and_undone_rows(
    tmp_path: Path, corpus: Path
) -> None:
    """One move run into a DEST that already holds some of its photos under their names (their
    sources released, not placed), then undone: the page's one-run shortcut counts what DEST
    holds at each step, as the stream of the decisions does."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    shutil.copytree(corpus / "camera", src / "camera")
    shutil.copytree(corpus / "duplicates", src / "dups")
    first = tmp_path / "first"
    assert organize_quietly(src, first, tmp_path / "r0.jsonl") == 0
    shutil.copytree(first, dest, ignore=shutil.ignore_patterns(".imgorg"))
    meta = dest / ".imgorg"
    assert organize_quietly(src, dest, tmp_path / "r1.jsonl", "--mode", "move") == 0
    for step in ("moved", "undone"):
        journal = Journal.open(str(meta / "journal.sqlite"))
        try:
            run_id = journal.last_run()
            assert run_id is not None and journal.only_run(run_id)
            actions = {d.action.value for d in journal.decisions(run_id, str(src))}
            assert "release" in actions, actions
            assert_same_page(journal, str(meta / "thumbs"))
        finally:
            journal.close()
        if step == "moved":
            assert main(["undo", str(dest)]) == 0
