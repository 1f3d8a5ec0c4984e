"""The end-of-run reports' cost (issue #14): CPU per file and peak RSS of writing the JSON Lines
report, the totals, the error log and the HTML page from a journal, as organize does at the end
of a run, on a copy of a real run's journal, optionally grown to ``--rows`` rows (its rows copied
under c001/, c002/... as a larger archive of the same mix).

    .venv/bin/python benchmarks/reports.py DEST/.imgorg/journal.sqlite [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from engine.records import Status  # noqa: E402
from engine.report import jsonl  # noqa: E402
from engine.report.html import write_run_report  # noqa: E402
from engine.store.journal import Journal  # noqa: E402


def grow(path: str, rows: int) -> None:
    """Copy the journal's rows under new folders until it has about ``rows`` rows."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA cache_size=-1000000")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TEMP TABLE base AS SELECT * FROM files")
    have = db.execute("SELECT count(*) FROM base").fetchone()[0]
    names = [r[1] for r in db.execute("PRAGMA table_info(files)")]
    # the row id too: each copy is numbered anew (schema 2)
    kept = ", ".join(c for c in names if c not in ("id", "source_rel", "dest", "duplicate_of"))

    def moved(column: str, k: int, at: int) -> str:
        text = f"CAST({column} AS TEXT)"
        inside = f"substr({text}, 1, {at}) || 'c{k:03d}/' || substr({text}, {at + 1})"
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE CAST({inside} AS BLOB) END"

    db.execute("BEGIN")
    for k in range(1, -(-rows // max(1, have))):
        db.execute(
            f"INSERT INTO files ({kept}, source_rel, dest, duplicate_of) SELECT {kept}, "
            f"{moved('source_rel', k, 0)}, {moved('dest', k, 5)}, {moved('duplicate_of', k, 0)} "
            "FROM base"
        )
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("journal")
    parser.add_argument("--rows", type=int, default=0, help="grow the copy to about this many")
    parser.add_argument("--thumbs", help="the thumbnails folder (default: the journal's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgorg-reports-") as work:
        path = os.path.join(work, "journal.sqlite")
        shutil.copy(args.journal, path)
        if args.rows:  # in a child process: its page cache is not the reports' peak RSS
            child = os.fork()
            if child == 0:
                code = 1
                try:
                    grow(path, args.rows)
                    code = 0
                finally:
                    os._exit(code)  # never on into the parent's code
            _, status = os.waitpid(child, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit("growing the journal copy failed")
        thumbs = args.thumbs or os.path.join(os.path.dirname(args.journal), "thumbs")
        journal = Journal.open(path)
        run_id = journal.last_run()
        assert run_id is not None, "the journal records no run"
        source = str(journal.run_info(run_id)["source"])
        files = journal.db.execute(
            "SELECT count(*) FROM files WHERE seen_run = ?", (run_id,)
        ).fetchone()[0]
        start, wall = time.process_time(), time.perf_counter()
        jsonl.write_report(os.path.join(work, "report.jsonl"), journal, run_id, source, "NoDate")
        written = time.process_time()
        errors = journal.decisions(run_id, source, Status.ERROR)
        jsonl.append_error_log(os.path.join(work, "error_log.log"), errors, "-")
        logged = time.process_time()
        write_run_report(os.path.join(work, "report.html"), journal, run_id, thumbs, "r.jsonl")
        end, wall = time.process_time(), time.perf_counter() - wall
        journal.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def per_file(seconds: float) -> str:
        return f"{seconds / max(1, files) * 1e6:.1f}"

    print(
        f"{files:,} files: JSON Lines + totals {per_file(written - start)} µs/file, error log "
        f"{per_file(logged - written)}, HTML {per_file(end - logged)}; all {per_file(end - start)} "
        f"µs/file ({end - start:.2f} s CPU, {wall:.2f} s wall), peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
