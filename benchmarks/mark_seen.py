"""The cost of ``Journal.mark_seen`` (a run finding files an earlier run did) on a large journal:
the camera photos of the shared corpus organized, half their rows given a release's note
("released by this run: ..."), the rows copied under c001/, c002/... until there are about
``ROWS``, then every row marked seen by each statement on a fresh copy of the journal: the one
that only sets ``seen_run`` (before notes were rewritten), ``replace()`` of every "by this run"
in a note (which also rewrote paths), and the anchored rewrite of a release's words only.

    .venv/bin/python benchmarks/mark_seen.py [ROWS]    # default 100000
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.reports import grow  # noqa: E402
from engine.cli import main as imgorg  # noqa: E402
from engine.store.journal import _SAID_OF_ITS_RUN, Journal  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
STATEMENTS = {
    "seen_run only": "UPDATE files SET seen_run = 99",
    "replace()": (
        "UPDATE files SET seen_run = 99, note = replace(note, 'by this run', 'by run ' || run_id)"
    ),
    "anchored": f"UPDATE files SET seen_run = 99, note = {_SAID_OF_ITS_RUN}",
}


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="imgorg-mark-seen-") as scratch:
        src, dest = Path(scratch) / "src", Path(scratch) / "dest"
        shutil.copytree(CORPUS / "camera", src)
        assert imgorg(["organize", str(src), str(dest), "--quiet", "--min-size", "0"]) == 0
        journal = dest / ".imgorg" / "journal.sqlite"
        with contextlib.closing(sqlite3.connect(journal)) as db, db:
            db.execute(
                "UPDATE files SET note = 'released by this run: its copy in DEST is ' "
                "|| CAST(dest AS TEXT) || ' (placed by run 1)' WHERE id % 2 = 0"
            )
        grow(str(journal), rows)
        for name, statement in STATEMENTS.items():
            copy = Path(scratch) / "copy.sqlite"
            shutil.copy(journal, copy)
            opened = Journal.open(str(copy))
            keys = [
                (os.fsdecode(root), os.fsdecode(rel))
                for root, rel in opened.db.execute("SELECT source_root, source_rel FROM files")
            ]
            start = time.perf_counter()
            opened._per_file(statement, keys)
            took = time.perf_counter() - start
            opened.close()
            copy.unlink()
            print(f"{name:>14}: {len(keys)} rows in {took:.2f} s")


if __name__ == "__main__":
    main()
