"""Scale run: imgorg end to end over 10k, 30k and 100k tiny files (or a million), to show that
the cost per file stays flat and the coordinator's (the writer's) memory bounded.

    .venv/bin/python benchmarks/scale.py [--sizes 10000,30000,100000] [--out bench-out] [--profile]
    .venv/bin/python benchmarks/scale.py --sizes 10000,1000000 --generator stamped  # scripts/scale-million

Archives: make_archive --tiny (~1.5-3 KB JPEGs with the usual mix of duplicates, PNG/GIF,
corrupt and filename-dated files, nested folders), cached under OUT/archives. Each run:
``imgorg organize SRC DEST --min-size 0 --quiet`` (all cores), DEST removed, filesystem
synced and SOURCE read once before it (warm page cache). Targets: >= 1,500 files/s at the
largest size, per-file cost there within 20 % of the smallest size's, coordinator peak RSS
< 300 MB (< 500 MB at a million files). --profile adds a py-spy profile (all processes) of the
largest run.

``--generator stamped`` makes the archives with make_archive.make_stamped_archive: the same
names, folders, kinds and duplicates, but every JPEG one of a few rendered ones made unique by a
COM segment (about 5 s per 20,000 files instead of 35 s): use the same generator for every size
you compare. Before generating, the free space and inodes of OUT are checked for SOURCE + DEST.
Each row also has the writer's CPU (the top process's own user + system) per file and the
workers one writer can feed (see benchmarks/imgorg_rss.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import common  # noqa: E402
from benchmarks.make_archive import Spec  # noqa: E402

TARGET_FILES_PER_S = 1500
TARGET_GROWTH = 0.20
TARGET_RSS_MB = 300
TARGET_RSS_MILLION_MB = 500
BYTES_PER_TINY_FILE = 4096  # a 1.5-3 KB file takes one 4 KiB block

COLUMNS = [
    ("files", "files"),
    ("seconds", "s (median)"),
    ("spread", "all runs, s"),
    ("files_per_s", "files/s"),
    ("us_per_file", "µs/file"),
    ("vs_smallest", "per-file cost vs smallest"),
    ("coordinator_mb", "writer (coordinator) peak RSS MB"),
    ("workers_mb", "worker peak RSS MB"),
    ("writer_cpu", "writer CPU s (user / system)"),
    ("writer_us_per_file", "writer µs/file"),
    ("workers_per_writer", "workers one writer can feed"),
    ("exit", "exit"),
]


def check_room(out: str, n: int) -> None:
    """Refuse to start a run that cannot fit: SOURCE and DEST of ``n`` tiny files, plus the
    journal and reports (counted as a third copy), in OUT's free blocks and inodes."""
    os.makedirs(out, exist_ok=True)
    fs = os.statvfs(out)
    need_bytes, need_inodes = 3 * n * BYTES_PER_TINY_FILE, 2 * n + n // 100
    free_bytes, free_inodes = fs.f_bavail * fs.f_frsize, fs.f_favail
    if need_bytes > free_bytes or need_inodes > free_inodes:
        raise SystemExit(
            f"scale {n}: needs about {need_bytes / 1e9:.1f} GB and {need_inodes:,} inodes in "
            f"{out}, which has {free_bytes / 1e9:.1f} GB and {free_inodes:,} free"
        )


def run_one(
    out: str, n: int, jobs: int, extra: list[str], profile: bool, generator: str = "render"
) -> dict[str, Any]:
    spec = Spec(files=n, seed=7, tiny=True, files_per_folder=400)
    stamped = generator == "stamped"
    name = f"tiny-stamped-{n}" if stamped else f"tiny-{n}"
    if not os.path.exists(os.path.join(out, "archives", f"{name}-{spec.key()}", "manifest.json")):
        check_room(out, n)
    root, manifest = common.ensure_archive(out, name, spec, stamped=stamped)
    files, _nbytes = common.image_bytes(manifest)
    dest = os.path.join(out, "work", f"scale-{n}")
    rss = os.path.join(out, "work", f"scale-{n}.rss.json")
    os.makedirs(os.path.dirname(rss), exist_ok=True)
    args = ["organize", root, dest, "--quiet", "--min-size", "0", "--jobs", str(jobs), *extra]
    cmd, env = common.imgorg_cmd(args, rss)
    spy = os.path.join(os.path.dirname(common.PYTHON), "py-spy")
    raw = os.path.join(out, f"profile-scale-{n}.pyspy.txt")
    if profile and os.access(spy, os.X_OK):
        cmd = [
            spy,
            "record",
            "--subprocesses",
            "--format",
            "raw",
            "--rate",
            "100",
            "-o",
            raw,
            "--",
            *cmd,
        ]
    common.prepare(root, dest)
    common.log(f"scale {n}: {' '.join(cmd)[:200]}")
    measured = common.run(cmd, env=env)
    facts = common.read_rss(rss)
    common.fresh_dest(dest)
    row: dict[str, Any] = {
        "files": files,
        "seconds": measured.seconds,
        "files_per_s": files / measured.seconds,
        "us_per_file": 1e6 * measured.seconds / files,
        "coordinator_mb": facts.get("coordinator_kb", 0) / 1024,
        "workers_mb": facts.get("workers_kb", 0) / 1024,
        "exit": measured.returncode,
        "profiled": profile,
        "generator": generator,
        **common.cpu_split(facts, files),
    }
    if facts.get("crashed"):
        row["exit"] = f"{measured.returncode}: CRASHED ({facts['crashed'][:80]})"
    if measured.returncode not in (0, 1):
        common.log(f"scale {n}: exit {measured.returncode}: {measured.stderr[-500:]}")
    if profile and os.path.exists(raw):
        row["profile"] = common.summarize_pyspy(raw, 14)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--jobs", type=int, default=common.CORES)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    parser.add_argument("--profile", action="store_true", help="py-spy the largest run (again)")
    parser.add_argument("--imgorg-args", default="", help="extra imgorg flags, space separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (median reported)")
    parser.add_argument(
        "--generator",
        choices=("render", "stamped"),
        default="render",
        help="how the archives are made (stamped: fast, for a million files)",
    )
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    extra = args.imgorg_args.split()
    rows = []
    for n in sizes:
        runs = [
            run_one(out, n, args.jobs, extra, False, args.generator) for _ in range(args.repeat)
        ]
        runs.sort(key=lambda r: r["seconds"])
        row = dict(runs[len(runs) // 2])
        row["seconds"] = statistics.median(r["seconds"] for r in runs)
        row["files_per_s"] = row["files"] / row["seconds"]
        row["us_per_file"] = 1e6 * row["seconds"] / row["files"]
        row["coordinator_mb"] = max(r["coordinator_mb"] for r in runs)
        row["workers_mb"] = max(r["workers_mb"] for r in runs)
        row["spread"] = " / ".join(f"{r['seconds']:.1f}" for r in runs)
        row["exit"] = ", ".join(sorted({str(r["exit"]) for r in runs}))
        rows.append(row)
    smallest = rows[0]["us_per_file"]
    for row in rows:
        row["vs_smallest"] = f"{row['us_per_file'] / smallest - 1:+.0%}"
    largest = rows[-1]
    growth = largest["us_per_file"] / smallest - 1
    goals = {
        f">= {TARGET_FILES_PER_S:,} files/s at {largest['files']:,}": largest["files_per_s"]
        >= TARGET_FILES_PER_S,
        f"per-file cost at {largest['files']:,} within {TARGET_GROWTH:.0%} of {rows[0]['files']:,}": growth
        <= TARGET_GROWTH,
        # The million-file run has its own limit (below).
        f"coordinator peak RSS < {TARGET_RSS_MB} MB below a million files": all(
            0 < r["coordinator_mb"] < TARGET_RSS_MB for r in rows if r["files"] < 1_000_000
        ),
        "every run completed (no crash)": all(r["exit"] in ("0", "1", "0, 1") for r in rows),
    }
    if largest["files"] >= 1_000_000:
        goals[f"writer peak RSS < {TARGET_RSS_MILLION_MB} MB at {largest['files']:,} files"] = (
            0 < largest["coordinator_mb"] < TARGET_RSS_MILLION_MB
        )
    profile = (
        run_one(out, sizes[-1], args.jobs, extra, True, args.generator) if args.profile else None
    )
    text = (
        f"# Scale run ({common.machine_line()})\n\n"
        f"imgorg organize --min-size 0 --jobs {args.jobs} {' '.join(extra)} over tiny-JPEG "
        f"archives (make_archive --tiny, generator: {args.generator}); {common.WARM_NOTE}. "
        f"Load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}.\n\n"
        + common.markdown_table(COLUMNS, rows)
        + "\n\nGoals:\n"
        + "\n".join(f"- {goal}: {'met' if ok else 'NOT met'}" for goal, ok in goals.items())
        + "\n"
    )
    if profile and profile.get("profile"):
        text += (
            f"\nProfile of a second {sizes[-1]:,}-file run under py-spy ({profile['seconds']:.0f} s "
            "with the profiler):\n\n```\n"
            + common.profile_text({"py-spy": profile["profile"]})
            + "\n```\n"
        )
    print(text)
    common.write_results(out, "scale", {"rows": rows, "goals": goals, "profile": profile}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
