"""How many worker records per second the single writer can decide, place and journal.

No pool: synthetic ``engine.records.Analysis`` records (as workers would send them: content
hash, date, status) for real small files on disk are fed to ``engine.stages.decide.Coordinator``,
whose decisions go to ``engine.stages.place.Placer`` (copy + verify + group sync + rename) and
``engine.store.journal.Journal`` (SQLite), exactly as ``engine.commands.organize`` wires them. Records arrive
in batches of 500 in size order, like the planner's shards, batch order shuffled (workers finish
in any order). ~10 % of the files are byte-identical copies, 2 % corrupt.

    .venv/bin/python benchmarks/coordinator.py [--records 50000] [--out bench-out] [--profile]

Three runs, each into a fresh DEST: full (decide, copy, sync, journal: the real path), without
the filesystem syncs, and decide + journal only (a dry run: nothing copied).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import xxhash  # noqa: E402

from benchmarks import common  # noqa: E402
from engine.policy.naming import Layout  # noqa: E402
from engine.records import Analysis, Candidate, DateSource, Status  # noqa: E402
from engine.stages.decide import Coordinator, Folders  # noqa: E402
from engine.stages.place import Placer  # noqa: E402
from engine.store.dest_view import JournalView  # noqa: E402
from engine.store.journal import Journal  # noqa: E402

TARGET = 20_000
BATCH = 500


def make_files(folder: str, n: int, seed: int = 1) -> list[Analysis]:
    """``n`` small files (1-3 KB) under ``folder`` (made once), and a worker's record of each."""
    rng = random.Random(seed)
    marker = os.path.join(folder, ".complete")
    fresh = not os.path.exists(marker)
    if fresh and os.path.exists(folder):
        shutil.rmtree(folder)
    records: list[Analysis] = []
    contents: list[bytes] = []
    for i in range(n):
        sub = f"DCIM/{100 + i // 400}CANON"
        rel = f"{sub}/IMG_{i:06d}.jpg"
        roll = rng.random()
        if contents and roll < 0.10:
            data = rng.choice(contents)  # a byte-identical copy
        else:
            data = rng.randbytes(rng.randrange(1000, 3000))
            contents.append(data)
        if fresh:
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
            with open(os.path.join(folder, rel), "wb") as handle:
                handle.write(data)
        year = 2005 + rng.randrange(16)
        record = Analysis(
            rel,
            len(data),
            0,
            hash=xxhash.xxh3_128_hexdigest(data),
            format="JPEG",
            year=year,
            date=f"{year}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T12:00:00",
            date_source=DateSource.EXIF,
            original_quality=92,
        )
        if 0.10 <= roll < 0.12:
            record.status, record.reason = Status.CORRUPT, "truncated: no EOI marker"
            record.year = record.date = None
            record.date_source = DateSource.NONE
        records.append(record)
    if fresh:
        open(marker, "w").close()
    for record in records:  # the planner's mtime, as the placer checks it
        record.mtime_ns = os.stat(os.path.join(folder, record.rel)).st_mtime_ns
    return records


def batches(records: list[Analysis], seed: int = 2) -> list[list[Analysis]]:
    ordered = sorted(records, key=lambda r: (r.size, os.fsencode(r.rel)))
    chunks = [ordered[i : i + BATCH] for i in range(0, len(ordered), BATCH)]
    random.Random(seed).shuffle(chunks)
    return chunks


def place_all(
    source: str, dest: str, records: list[Analysis], sync: bool, dry_run: bool
) -> dict[str, Any]:
    common.fresh_dest(dest)
    os.makedirs(os.path.join(dest, ".imgorg", "staging"))
    journal = Journal.open(os.path.join(dest, ".imgorg", "journal.sqlite"))
    candidates = [Candidate(r.rel, r.size, r.mtime_ns) for r in records]
    work = batches(records)
    common.warm(source)
    started = time.perf_counter()
    run_id = journal.begin_run(source, dest, "copy", dry_run, {})
    folders = Folders(Layout.NESTED, "Corrupted", "NoDate", "Duplicates")
    view = JournalView(journal, source, dest, run_id)
    coordinator = Coordinator(source, dest, view, candidates, folders, move=False)
    placer = Placer(
        source,
        dest,
        journal,
        run_id,
        dry_run=dry_run,
        sync=sync,
        stage_dir=os.path.join(dest, ".imgorg", "staging"),
    )
    decided = 0
    for batch in work:
        for record in batch:
            decisions = coordinator.accept(record)
            decided += len(decisions)
            placer.add(decisions)
    placer.flush()
    seconds = time.perf_counter() - started
    journal.close()
    assert coordinator.waiting == 0 and decided == len(records), (coordinator.waiting, decided)
    placed = common.count_files(dest)
    return {"seconds": seconds, "records_per_s": len(records) / seconds, "files_in_dest": placed}


COLUMNS = [
    ("mode", "run"),
    ("records", "records"),
    ("seconds", "s"),
    ("records_per_s", "records/s"),
    ("us_per_record", "µs/record"),
    ("target", f"≥ {TARGET:,}/s"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    parser.add_argument("--quick", action="store_true", help="500 records")
    parser.add_argument("--profile", action="store_true", help="cProfile the full run")
    parser.add_argument("--only", choices=["real", "nosync", "dry"], help="just one of the runs")
    args = parser.parse_args(argv)
    n = 500 if args.quick else args.records
    out = os.path.abspath(args.out)
    source = os.path.join(out, "coordinator", f"src-{n}")
    dest = os.path.join(out, "coordinator", "dest")
    common.log(f"coordinator: {n} records for real files under {source}")
    records = make_files(source, n)
    rows = []
    modes = {
        "real": ("decide + copy + sync + journal (real path)", True, False),
        "nosync": ("decide + copy + journal, no sync", False, False),
        "dry": ("decide + journal (dry run, nothing copied)", True, True),
    }
    for key, (label, sync, dry) in modes.items():
        if args.only and key != args.only:
            continue
        result = place_all(source, dest, records, sync, dry)
        result.update(
            mode=label,
            records=n,
            us_per_record=1e6 * result["seconds"] / n,
            target=result["records_per_s"] >= TARGET,
        )
        rows.append(result)
        common.log(f"  {label}: {result['records_per_s']:,.0f} records/s")
    profile_text = ""
    if args.profile:
        import cProfile

        stats = os.path.join(out, "profile-coordinator.cprofile")
        profiler = cProfile.Profile()
        profiler.runcall(place_all, source, dest, records, True, False)
        profiler.dump_stats(stats)
        profile_text = common.profile_text({"cprofile_main": common.summarize_cprofile(stats, 20)})
    common.fresh_dest(dest)
    table = common.markdown_table(COLUMNS, rows)
    text = (
        f"# Coordinator only ({common.machine_line()})\n\n"
        f"{n:,} synthetic worker records (~10 % duplicates, 2 % corrupt) for real 1-3 KB files; "
        f"Coordinator + Placer + Journal as engine.commands.organize wires them, no pool.\n\n{table}\n"
    )
    if profile_text:
        text += f"\n```\n{profile_text}\n```\n"
    print(text)
    common.write_results(out, "coordinator", {"rows": rows, "target": TARGET}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
