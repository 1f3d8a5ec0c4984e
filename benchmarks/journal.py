"""The journal's own cost per file, as the writer pays it: each group commit records its
decisions ``planned``, then marks them ``done`` by the ids they were written under
(engine/stages/place.py), rows arriving in no key order (the workers' batches are cut by size,
the journal is indexed by path).

    .venv/bin/python benchmarks/journal.py [--files 20000] [--batches 256,1024] [--cache-kb N]

Synthetic decisions shaped like a camera archive's (a path below a dated folder, a hash, a
date, a destination), into a fresh journal on disk per run. Per run: CPU per file (user and
system, from getrusage) and the journal's size.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import xxhash  # noqa: E402

from engine.records import Decision, Status  # noqa: E402
from engine.store import journal as journal_module  # noqa: E402
from engine.store.journal import Journal  # noqa: E402

SOURCE = "/archive"


def decisions(count: int, seed: int = 14) -> list[Decision]:
    rng = random.Random(seed)
    made = []
    for i in range(count):
        rel = f"DCIM/{100 + i // 900}CANON/IMG_{i:06d}.JPG"
        year = 2004 + rng.randrange(20)
        made.append(
            Decision(
                rel,
                Status.PLACED,
                size=rng.randrange(1_000, 9_000_000),
                mtime_ns=rng.randrange(10**18),
                year=year,
                date=f"{year}-06-01T12:00:00",
                hash=xxhash.xxh3_128_hexdigest(rel.encode()),
                dest=f"{year}/{rel}",
                bytes_out=1,
            )
        )
    rng.shuffle(made)
    return made


def run(made: list[Decision], batch: int, cache_kb: int | None) -> dict[str, float]:
    folder = tempfile.mkdtemp(prefix="imgorg-journal-bench-")
    journal = Journal.open(os.path.join(folder, "journal.sqlite"))
    if cache_kb is not None:
        journal.db.execute(f"PRAGMA cache_size=-{cache_kb}")
    run_id = journal.begin_run(SOURCE, "/dest", "copy", False, {})
    before = resource.getrusage(resource.RUSAGE_SELF)
    for start in range(0, len(made), batch):
        chunk = made[start : start + batch]
        with journal.transaction():
            rows = journal.record(run_id, SOURCE, chunk, "planned")
        with journal.transaction():
            journal.mark_done_ids(run_id, list(rows))
    after = resource.getrusage(resource.RUSAGE_SELF)
    journal.close()
    size = os.path.getsize(os.path.join(folder, "journal.sqlite"))
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    os.rmdir(folder)
    per_file = 1e6 / len(made)
    return {
        "batch": batch,
        "user_us": (after.ru_utime - before.ru_utime) * per_file,
        "system_us": (after.ru_stime - before.ru_stime) * per_file,
        "journal_mb": size / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--batches", default="256,1024")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--cache-kb",
        type=int,
        default=None,
        help=f"SQLite page cache (default: the journal's own, {journal_module.CACHE_KB} KB)",
    )
    args = parser.parse_args(argv)
    made = decisions(args.files)
    print(f"{args.files:,} files, load average {os.getloadavg()[0]:.1f}")
    print("| group commit | user µs/file | system µs/file | CPU µs/file | journal MB |")
    print("|---|---|---|---|---|")
    for _ in range(args.rounds):
        for batch in (int(b) for b in args.batches.split(",")):
            got = run(made, batch, args.cache_kb)
            cpu = got["user_us"] + got["system_us"]
            print(
                f"| {batch:,} | {got['user_us']:.1f} | {got['system_us']:.1f} | {cpu:.1f} | "
                f"{got['journal_mb']:.1f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
