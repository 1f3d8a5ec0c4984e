"""The single writer's cost (issue #14): how much CPU the top imgorg process (the writer) spends
per file, and how many workers it could feed, on the two archives of the issue, next to
``cp -r`` + ``sync`` on the same archive in the same run.

    .venv/bin/python benchmarks/writer.py [--rounds 3] [--jobs 1,2] [--out bench-out]
    .venv/bin/python benchmarks/writer.py --quick        # small archives: the smoke test's run

Archives (generated once, cached under OUT/archives by their parameters):

- tiny: 20,000 tiny JPEGs (make_archive --tiny: ~1.5-3 KB, 10 % duplicates, PNG/GIF, corrupt,
  filename-dated), organized with ``--min-size 0``: the writer's per-file cost;
- photos: 3,150 camera-roll files, about 750 MB (make_archive's mix at a size scale of 0.107,
  15 photos above 10 MB before scaling), organized only (``--no-compress``, the minimum size
  scaled like benchmarks/run.py does): how many workers the writer can feed.

Every round runs, on each archive, ``imgorg organize --jobs J`` for each J of --jobs, then
``cp -r SOURCE DEST && sync``, each from the same start (DEST removed, filesystem synced,
SOURCE read once: warm page cache). Per run: wall time, the writer's CPU (user / system: its
own getrusage, interpreter start included), the workers' CPU (its reaped loky children), the
ratio of the two ("workers one writer can feed"), the placer processes' CPU in all and per
file (each group commit's journal rows, folders, renames, syncs and discards: neither the
writer's nor the workers'), writer CPU per file and the writer's peak RSS (VmHWM); see benchmarks/imgorg_rss.py for how each is read. Per round the ratios
organize-only speed / cp+sync speed (= cp seconds / imgorg seconds at the most jobs) and
--jobs J / --jobs 1 speed-up, so a loaded machine shows up as spread between rounds.

Writes OUT/writer.json and OUT/writer.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import common  # noqa: E402
from benchmarks import run as run_bench  # noqa: E402
from benchmarks.make_archive import Spec, summary  # noqa: E402

TARGET_WRITER_US = 40  # writer CPU per file on the tiny archive
TARGET_FEED = 10  # workers one writer can feed on the photo archive
TARGET_VS_CP = 0.8  # organize-only speed / cp -r + sync speed
TARGET_SPEEDUP = 1.5  # --jobs 2 / --jobs 1 on the photo archive

PHOTO_SCALE = 0.107  # 3,150 files of make_archive's mix at this scale: ~750 MB, the archive


@dataclass
class Archive(run_bench.Archive):
    flags: tuple[str, ...] | None = None  # imgorg's flags, when not run.py's

    def imgorg_flags(self) -> list[str]:
        return list(self.flags) if self.flags is not None else super().imgorg_flags()


def archives(args: argparse.Namespace) -> list[Archive]:
    tiny = Archive(
        "tiny",
        Spec(files=args.tiny_files, seed=14, tiny=True, files_per_folder=400),
        compress=False,
        flags=("--min-size", "0"),
    )
    photos = Archive(
        "photos",
        Spec(
            files=args.photo_files,
            seed=1,
            size_scale=args.size_scale,
            huge=max(2, args.photo_files // 200),
        ),
        compress=False,
    )
    return [a for a in (tiny, photos) if a.name in args.archives]


COLUMNS = [
    ("run", "run"),
    ("seconds", "wall s"),
    ("spread", "all rounds, s"),
    ("files_per_s", "files/s"),
    ("writer_cpu", "writer CPU s (user / system)"),
    ("writer_us_per_file", "writer µs/file"),
    ("workers_cpu_s", "workers CPU s"),
    ("workers_per_writer", "workers one writer can feed"),
    ("placers_cpu_s", "placers CPU s"),
    ("placers_us_per_file", "placers µs/file"),
    ("rss_mb", "writer peak RSS MB"),
    ("out_files", "files in DEST"),
]

RATIO_COLUMNS = [
    ("round", "round"),
    ("vs_cp", "organize speed / cp -r + sync speed"),
    ("speedup", "speed-up --jobs {most} / --jobs {least}"),
    ("feed", "workers one writer can feed (--jobs {most})"),
    ("writer_us", "writer µs/file (--jobs {most})"),
]


def one_round(bench: run_bench.Bench, archive: Archive, jobs: list[int]) -> dict[str, dict]:
    bench.current = archive
    rows = {f"imgorg --jobs {j}": bench.imgorg(archive, j) for j in jobs}
    rows["cp -r + sync"] = bench.cp(archive)
    return rows


def round_ratios(rows: dict[str, dict], jobs: list[int]) -> dict[str, Any]:
    most, least = rows[f"imgorg --jobs {max(jobs)}"], rows[f"imgorg --jobs {min(jobs)}"]
    cp = rows["cp -r + sync"]
    return {
        "vs_cp": cp["seconds"] / most["seconds"],
        "speedup": least["seconds"] / most["seconds"],
        "feed": most.get("workers_per_writer"),
        "writer_us": most.get("writer_us_per_file"),
    }


def median_row(name: str, runs: list[dict]) -> dict[str, Any]:
    """The run of median wall time, with every round's wall time beside it."""
    ordered = sorted(runs, key=lambda r: r.get("seconds") or 0)
    row = dict(ordered[len(ordered) // 2])
    row["run"] = name
    row["spread"] = " / ".join(f"{r['seconds']:.2f}" for r in runs if r.get("seconds"))
    if "writer_cpu" not in row and name.startswith("cp"):
        row["writer_cpu"] = "–"
    return row


def goals(blocks: dict[str, dict], jobs: list[int]) -> dict[str, bool | None]:
    found: dict[str, bool | None] = {}
    most = f"imgorg --jobs {max(jobs)}"
    if "tiny" in blocks:
        us = blocks["tiny"]["table"][most].get("writer_us_per_file")
        found[
            f"writer CPU <= {TARGET_WRITER_US} µs/file on the tiny archive ({common.fmt(us)})"
        ] = us <= TARGET_WRITER_US if us is not None else None
    if "photos" in blocks:
        ratios = blocks["photos"]["ratios"]
        feeds = [r["feed"] for r in ratios if r["feed"] is not None]
        feed = statistics.median(feeds) if feeds else None
        vs_cp = statistics.median(r["vs_cp"] for r in ratios)
        speedup = statistics.median(r["speedup"] for r in ratios)
        found[
            f"workers one writer can feed >= {TARGET_FEED} on the photo archive ({common.fmt(feed)})"
        ] = feed >= TARGET_FEED if feed is not None else None
        found[f"organize-only >= {TARGET_VS_CP} of cp -r + sync speed ({vs_cp:.2f})"] = (
            vs_cp >= TARGET_VS_CP
        )
        if len(jobs) > 1:
            found[
                f"--jobs {max(jobs)} >= {TARGET_SPEEDUP}x --jobs {min(jobs)} on the photo "
                f"archive ({speedup:.2f}x)"
            ] = speedup >= TARGET_SPEEDUP
    return found


def markdown(results: dict[str, Any]) -> str:
    jobs = results["jobs"]
    most, least = max(jobs), min(jobs)
    parts = [
        f"# The writer's cost (issue #14), {results['date']}",
        "",
        f"Machine: {results['machine']}. {common.WARM_NOTE}. {results['rounds']} round(s); each "
        "row is the round of median wall time. Writer = the top imgorg process (its own CPU, "
        "interpreter start included), workers = its loky pool processes (reaped, "
        "RUSAGE_CHILDREN); 'workers one writer can feed' = workers CPU / writer CPU. With "
        "`--jobs 1` imgorg analyzes inside the writer process: no split, the writer's CPU then "
        "includes the analysis.",
    ]
    if results.get("load"):
        parts += ["", f"Load average at the start / end: {results['load']}."]
    ratio_cols = [(k, h.format(most=most, least=least)) for k, h in RATIO_COLUMNS]
    for name, block in results["archives"].items():
        parts += ["", f"## {name}: {block['summary']}", "", f"imgorg flags: `{block['flags']}`", ""]
        parts.append(common.markdown_table(COLUMNS, list(block["table"].values())))
        parts += [""]
        parts.append(common.markdown_table(ratio_cols, block["ratios"]))
    parts += ["", "Targets of issue #14:", ""]
    parts += [
        f"- {goal}: {'met' if ok else 'not measured' if ok is None else 'NOT met'}"
        for goal, ok in results["goals"].items()
    ]
    parts += ["", "Commands:", "", "```", *results["commands"], "```"]
    return "\n".join(parts)


def load_average() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny-files", type=int, default=20_000)
    parser.add_argument("--photo-files", type=int, default=3150)
    parser.add_argument("--size-scale", type=float, default=PHOTO_SCALE, help="photo archive")
    parser.add_argument("--archives", default="tiny,photos")
    parser.add_argument("--jobs", default="1,2", help="imgorg --jobs values, comma separated")
    parser.add_argument("--rounds", type=int, default=1, help="every run this many times")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    parser.add_argument("--quick", action="store_true", help="small archives (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.tiny_files, args.photo_files = min(args.tiny_files, 300), min(args.photo_files, 60)
        args.size_scale = min(args.size_scale, 0.02)
    jobs = sorted({int(j) for j in args.jobs.split(",") if j.strip()})
    bench_args = argparse.Namespace(out=args.out, jobs=max(jobs), no_install=True)
    bench = run_bench.Bench(bench_args)
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": common.machine_line(),
        "engine": common.git_line(),
        "page_cache": common.WARM_NOTE,
        "jobs": jobs,
        "rounds": args.rounds,
        "args": vars(args),
        "archives": {},
    }
    load_start = load_average()
    started = time.monotonic()
    for archive in archives(args):
        archive.root, archive.manifest = common.ensure_archive(
            bench.out, f"writer-{archive.name}", archive.spec
        )
        common.log(f"{archive.name}: {args.rounds} round(s)")
        rounds = [one_round(bench, archive, jobs) for _ in range(args.rounds)]
        names = list(rounds[0])
        table = {name: median_row(name, [r[name] for r in rounds]) for name in names}
        ratios = [{"round": k + 1, **round_ratios(r, jobs)} for k, r in enumerate(rounds)]
        results["archives"][archive.name] = {
            "summary": summary(archive.manifest),
            "root": archive.root,
            "flags": " ".join(archive.imgorg_flags()),
            "table": table,
            "ratios": ratios,
            "runs": rounds,
        }
    results["load"] = f"{load_start} / {load_average()}"
    results["goals"] = goals(results["archives"], jobs)
    results["commands"] = list(dict.fromkeys(bench.commands))
    results["total_seconds"] = time.monotonic() - started
    text = markdown(results)
    print(text)
    common.write_results(bench.out, "writer", results, text)
    shutil.rmtree(os.path.join(bench.out, "work"), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
