"""imgorg side by side with its peers, on the same archives, in one invocation.

    .venv/bin/python benchmarks/run.py [--files 3000] [--heavy-files 60] [--quick] [--out bench-out]

Two generated archives (cached under OUT/archives by their parameters):

- organize-only: a camera-roll mix (sizes scaled by --size-scale, 0.25 by default so that
  generation is quick) organized with --no-compress;
- compression-heavy: mostly JPEGs above 3 MB, a tenth above 10 MB, organized with compression.

Rows: imgorg (all cores, and --jobs 1; --backends loky,dask adds --backend dask), exiftool
(-Directory<DateTimeOriginal copy), the serial baseline (benchmarks/baseline.py: Pillow verify,
EXIF date, MD5, copy2, quality ladder), on the compression-heavy archive ImageMagick
(convert -define jpeg:extent) and jpegoptim --size on the JPEGs above 3 MB (one at a time,
and as many at a time as there are cores), on the organize-only archive organize-tool 3.3.0
(a generated config copying into DEST/<year>, without and with its duplicate filter) and
jdupes -r (finds duplicates, copies nothing), and cp -r + sync. Missing Debian tools are
installed with apt-get, organize-tool with pip into its own venv under OUT/peers (--no-install:
reported as unavailable instead).

Every run starts alike: DEST removed, the filesystem synced, every source file read once
(all tools run with SOURCE warm in the page cache). Size thresholds (--min-size,
--compress-above, --target-size, --very-large) are scaled with the archive's size scale, so a
scaled archive exercises the same decisions as a full-size one.

Writes OUT/results.json and OUT/results.md; --profile adds a py-spy (all processes) and
cProfile (main process) profile of one imgorg run per archive.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import common  # noqa: E402
from benchmarks.make_archive import Spec  # noqa: E402

MB = 1_000_000


@dataclass
class Archive:
    name: str
    spec: Spec
    compress: bool
    root: str = ""
    manifest: dict | None = None

    @property
    def scale(self) -> float:
        return self.spec.size_scale

    def threshold(self, full: int) -> int:
        return round(full * self.scale)

    @property
    def min_size(self) -> int:
        return self.threshold(50_000)

    @property
    def compress_above(self) -> int:
        return self.threshold(3 * MB)

    @property
    def target(self) -> int:
        return self.threshold(6 * MB)

    def imgorg_flags(self) -> list[str]:
        flags = [] if self.compress else ["--no-compress"]
        if self.scale != 1.0:
            flags += ["--min-size", str(self.min_size)]
            if self.compress:
                flags += [
                    "--compress-above",
                    str(self.compress_above),
                    "--target-size",
                    str(self.target),
                    "--very-large",
                    str(self.threshold(10 * MB)),
                ]
        return flags


COLUMNS = [
    ("tool", "tool"),
    ("does", "what it does"),
    ("files", "files"),
    ("seconds", "s"),
    ("files_per_s", "files/s"),
    ("mb_per_s", "MB/s"),
    ("rss_mb", "peak RSS MB"),
    ("writer_cpu", "writer CPU s (user / system)"),
    ("workers_cpu_s", "workers CPU s"),
    ("workers_per_writer", "workers one writer can feed"),
    ("writer_us_per_file", "writer µs/file"),
    ("ratio", "time vs imgorg (×)"),
    ("durable_seconds", "s incl. sync"),
    ("durable_ratio", "durable vs imgorg (×)"),
    ("out_files", "files in DEST"),
    ("out_mb", "MB in DEST"),
    ("mean_q", "mean JPEG q in DEST"),
    ("note", "note"),
]


def _row(tool: str, does: str, files: int, nbytes: int, measured: common.Measured | None) -> dict:
    row: dict[str, Any] = {"tool": tool, "does": does, "files": files, "bytes": nbytes}
    if measured is not None:
        s = measured.seconds
        row.update(
            seconds=s,
            files_per_s=files / s if s else None,
            mb_per_s=nbytes / MB / s if s else None,
            rss_mb=measured.maxrss_kb / 1024,
            returncode=measured.returncode,
        )
    return row


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = os.path.abspath(args.out)
        self.jobs = args.jobs
        self.commands: list[str] = []
        self.current: Archive | None = None

    # one tool run ------------------------------------------------------------
    def measure(
        self, archive: Archive, label: str, cmd: list[str], env: dict | None = None, **kw: Any
    ) -> tuple[common.Measured, float, str]:
        dest = self.dest(archive, label)
        common.prepare(archive.root, dest)
        self.commands.append(" ".join(_quote(c) for c in cmd))
        common.log(f"  {label}: {' '.join(_quote(c) for c in cmd)[:160]}")
        measured = common.run(cmd, env=env, **kw)
        sync_s = common.timed_sync()
        if measured.returncode not in (0, 1):
            common.log(f"  {label}: exit {measured.returncode}: {measured.stderr.strip()[-400:]}")
        return measured, sync_s, dest

    def dest(self, archive: Archive, label: str) -> str:
        safe = "".join(c if c.isalnum() else "-" for c in label)
        return os.path.join(self.out, "work", archive.name, safe)

    def finish(self, row: dict, measured: common.Measured, sync_s: float, dest: str) -> dict:
        row["sync_after_s"] = sync_s
        row["durable_seconds"] = measured.seconds + sync_s
        row["out_files"] = common.count_files(dest) if os.path.isdir(dest) else 0
        if self.current is not None and self.current.compress and os.path.isdir(dest):
            row["mean_q"], out_bytes = common.jpeg_quality_stats(dest)
            row["out_mb"] = out_bytes / MB
        if measured.returncode not in (0, None):
            row["note"] = _join(row.get("note"), f"exit {measured.returncode}")
        common.fresh_dest(dest)
        return row

    # the tools -----------------------------------------------------------------
    def imgorg(self, archive: Archive, jobs: int, backend: str = "loky") -> dict:
        files, nbytes = common.image_bytes(archive.manifest or {})
        label = f"imgorg-j{jobs}-{backend}"
        dest = self.dest(archive, label)
        rss = os.path.join(self.out, "work", f"{label}.rss.json")
        args = ["organize", archive.root, dest, "--quiet", "--jobs", str(jobs)]
        if backend != "loky":
            args += ["--backend", backend]
        args += archive.imgorg_flags()
        cmd, env = common.imgorg_cmd(args, rss)
        measured, sync_s, dest = self.measure(archive, label, cmd, env, poll_tree=backend != "loky")
        facts = common.read_rss(rss)
        what = "organize" + (", compress" if archive.compress else " (--no-compress)")
        name = f"imgorg --jobs {jobs}" + (f" --backend {backend}" if backend != "loky" else "")
        row = _row(name, what, files, nbytes, measured)
        row["durable"] = True
        if facts:
            row["rss_mb"] = facts["coordinator_kb"] / 1024
            workers = max(facts["workers_kb"], measured.tree_peak_kb) / 1024
            row["workers_rss_mb"] = workers
            row["note"] = f"peak RSS: coordinator; workers {workers:.0f} MB each at most"
            row.update(common.cpu_split(facts, files))
            if backend != "loky":  # workers not reaped here; the scheduler's threads are
                row["workers_cpu_s"] = "not split (dask)"
            elif not row.get("pool"):
                row["workers_cpu_s"] = "in the writer"
            if facts.get("crashed"):
                row["note"] = f"CRASHED: {facts['crashed'][:120]}"
        return self.finish(row, measured, sync_s, dest)

    def exiftool(self, archive: Archive, tool: common.Tool) -> dict:
        files, nbytes = common.image_bytes(archive.manifest or {})
        if not tool.available:
            return _unavailable("exiftool", tool.note, files, nbytes)
        dest = self.dest(archive, "exiftool")
        cmd = [
            tool.path or "exiftool",
            "-q",
            "-q",
            "-r",
            "-d",
            os.path.join(dest, "%Y"),
            "-Directory<DateTimeOriginal",
            "-o",
            dest + "/",
            archive.root,
        ]
        measured, sync_s, dest = self.measure(archive, "exiftool", cmd)
        row = _row("exiftool", "copy into DEST/<year> by DateTimeOriginal", files, nbytes, measured)
        row["note"] = "no verify, no dedupe, name clashes fail"
        measured.returncode = 0 if measured.returncode == 1 else measured.returncode
        return self.finish(row, measured, sync_s, dest)

    def baseline(self, archive: Archive) -> dict:
        files, nbytes = common.image_bytes(archive.manifest or {})
        dest = self.dest(archive, "baseline")
        cmd = [
            common.PYTHON,
            os.path.join(ROOT, "benchmarks", "baseline.py"),
            archive.root,
            dest,
            "--min-size",
            str(archive.min_size),
        ]
        what = "verify, EXIF, MD5, copy2"
        if archive.compress:
            cmd += ["--compress-above", str(archive.compress_above)]
            cmd += ["--target-size", str(archive.target)]
            what += ", quality 95/85/75…"
        measured, sync_s, dest = self.measure(archive, "baseline", cmd)
        row = _row("serial baseline (Pillow)", what, files, nbytes, measured)
        row["note"] = measured.stdout.strip()
        return self.finish(row, measured, sync_s, dest)

    def cp(self, archive: Archive) -> dict:
        files, nbytes = common.image_bytes(archive.manifest or {})
        dest = self.dest(archive, "cp")
        cmd = ["sh", "-c", 'cp -r "$0" "$1" && sync', archive.root, dest]
        measured, sync_s, dest = self.measure(archive, "cp", cmd)
        row = _row("cp -r + sync", "durable copy of every byte", files, nbytes, measured)
        row["durable"] = True
        row["note"] = "the machine's durable copy bandwidth"
        return self.finish(row, measured, sync_s, dest)

    def organize_tool(self, archive: Archive, tool: common.Tool, dedupe: bool) -> dict:
        files, nbytes = common.image_bytes(archive.manifest or {})
        name = "organize-tool 3.3.0" + (" + duplicate filter" if dedupe else "")
        if not tool.available:
            return _unavailable(name, tool.note, files, nbytes)
        label = "organize-tool" + ("-dedupe" if dedupe else "")
        dest = self.dest(archive, label)
        folder = tempfile.mkdtemp(prefix=f"{label}-config-")
        config = os.path.join(folder, "config.yaml")
        with open(config, "w") as handle:
            handle.write(organize_config(archive.root, dest, archive.min_size, dedupe))
        env = {k: v for k, v in os.environ.items() if k != "ORGANIZE_EXIFTOOL_PATH"}  # exifread
        cmd = [tool.path or "organize", "run", "--format", "errorsonly", config]
        try:
            measured, sync_s, dest = self.measure(archive, label, cmd, env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        what = "copy into DEST/<year> by EXIF DateTimeOriginal, else mtime; name clashes renamed"
        if dedupe:
            what += "; byte-identical files after the first skipped"
        row = _row(name, what, files, nbytes, measured)
        row["note"] = _join(
            "no verify, no filename dates, not durable (shutil.copy2)"
            + ("" if dedupe else ", no dedupe"),
            _by_year(dest),
            next((ln for ln in measured.stdout.splitlines() if ln.startswith("success ")), None),
        )
        return self.finish(row, measured, sync_s, dest)

    def jdupes(self, archive: Archive, tool: common.Tool) -> dict:
        files, nbytes = common.image_bytes(archive.manifest or {})
        if not tool.available:
            return _unavailable("jdupes", tool.note, files, nbytes)
        cmd = [tool.path or "jdupes", "-r", "-q", archive.root]
        measured, sync_s, dest = self.measure(archive, "jdupes", cmd)
        row = _row(
            "jdupes -r", "find byte-identical files; copies nothing", files, nbytes, measured
        )
        sets = [s for s in measured.stdout.split("\n\n") if s.strip()]
        found = sum(len(s.strip().splitlines()) - 1 for s in sets)
        planted = sum(f["kind"] == "duplicate" for f in (archive.manifest or {})["files"])
        row["note"] = (
            f"{found} duplicates in {len(sets)} sets "
            f"({planted} planted; the junk files are identical too)"
        )
        return self.finish(row, measured, sync_s, dest)

    def large_jpegs(self, archive: Archive) -> list[tuple[str, int]]:
        found = []
        for entry in (archive.manifest or {})["files"]:
            rel = entry["file"]
            if rel.lower().endswith((".jpg", ".jpeg")) and entry["bytes"] > archive.compress_above:
                found.append((os.path.join(archive.root, rel), int(entry["bytes"])))
        return found

    def limit(self, archive: Archive, size: int) -> int:
        return min(archive.target, math.floor(size * 0.95))  # imgorg's limit (min saving 5 %)

    def imagemagick(self, archive: Archive, tool: common.Tool, parallel: int) -> dict:
        large = self.large_jpegs(archive)
        nbytes = sum(size for _, size in large)
        name = "ImageMagick convert" + (f" ×{parallel} at a time" if parallel > 1 else "")
        if not tool.available:
            return _unavailable(name, tool.note, len(large), nbytes)
        label = f"imagemagick-p{parallel}"
        dest = self.dest(archive, label)
        common.prepare(archive.root, dest)
        os.makedirs(dest)
        cmds = [
            [
                tool.path or "convert",
                path,
                "-define",
                f"jpeg:extent={self.limit(archive, size)}",
                os.path.join(dest, f"{n:05d}.jpg"),
            ]
            for n, (path, size) in enumerate(large)
        ]
        self.commands.append(f"{len(cmds)}× {' '.join(_quote(c) for c in cmds[0])}")
        common.log(f"  {label}: {len(cmds)} × convert -define jpeg:extent=LIMIT")
        measured = common.run_many(cmds, parallel)
        sync_s = common.timed_sync()
        row = _row(
            name, "compress the JPEGs above 3 MB, one convert each", len(large), nbytes, measured
        )
        row.update(self._within(dest, large, archive))
        if measured.extra.get("failed"):
            row["note"] = _join(row.get("note"), f"{measured.extra['failed']} failed")
        measured.returncode = 0
        return self.finish(row, measured, sync_s, dest)

    def jpegoptim(self, archive: Archive, tool: common.Tool, parallel: int) -> dict:
        large = self.large_jpegs(archive)
        nbytes = sum(size for _, size in large)
        name = "jpegoptim --size" + (f" ×{parallel} at a time" if parallel > 1 else "")
        if not tool.available:
            return _unavailable(name, tool.note, len(large), nbytes)
        label = f"jpegoptim-p{parallel}"
        dest = self.dest(archive, label)
        common.prepare(archive.root, dest)
        os.makedirs(dest)
        copies = []
        for n, (path, size) in enumerate(large):  # jpegoptim works in place: copy first
            copy = os.path.join(dest, f"{n:05d}.jpg")
            shutil.copyfile(path, copy)
            copies.append((copy, size))
        os.sync()
        # --size takes KiB (or a percentage): one invocation per distinct limit and per slot
        groups: dict[str, list[str]] = {}
        for copy, size in copies:
            limit = self.limit(archive, size)
            key = "95%" if limit < archive.target else str(archive.target // 1024)
            groups.setdefault(key, []).append(copy)
        cmds = []
        for key, paths in sorted(groups.items()):
            for k in range(parallel):
                part = paths[k::parallel]
                if part:
                    cmds.append([tool.path or "jpegoptim", "-q", f"--size={key}", *part])
        self.commands.append(f"{tool.path} -q --size=95%|{archive.target // 1024} FILES…")
        common.log(f"  {label}: {len(cmds)} jpegoptim invocation(s)")
        measured = common.run_many(cmds, parallel)
        sync_s = common.timed_sync()
        row = _row(name, "compress the JPEGs above 3 MB, in place", len(large), nbytes, measured)
        row.update(self._within(dest, large, archive))
        row["note"] = _join(row.get("note"), "copies made before timing")
        measured.returncode = 0
        return self.finish(row, measured, sync_s, dest)

    def _within(self, dest: str, large: list[tuple[str, int]], archive: Archive) -> dict:
        over, out_bytes = 0, 0
        for n, (_path, size) in enumerate(large):
            out = os.path.join(dest, f"{n:05d}.jpg")
            got = os.path.getsize(out) if os.path.exists(out) else size
            out_bytes += got
            over += got > self.limit(archive, size)
        note = f"{over} of {len(large)} over the limit" if over else "all within the limit"
        return {"note": note, "out_bytes": out_bytes}

    # the whole table for one archive -----------------------------------------------
    def table(self, archive: Archive, backends: list[str]) -> list[dict]:
        self.current = archive
        install = not self.args.no_install
        common.gnu_time(install)  # for every peer's peak RSS
        exif, magick, optim = common.exiftool(install), None, None
        if archive.compress:
            magick, optim = common.imagemagick(install), common.jpegoptim(install)
        rows = [self.imgorg(archive, self.jobs)]
        if self.jobs != 1:
            rows.append(self.imgorg(archive, 1))
        if "dask" in backends:
            ok, why = common.dask_available()
            if ok:
                rows.append(self.imgorg(archive, self.jobs, "dask"))
            else:
                rows.append(_unavailable(f"imgorg --backend dask --jobs {self.jobs}", why, 0, 0))
        rows.append(self.exiftool(archive, exif))
        rows.append(self.baseline(archive))
        if magick is not None and optim is not None:
            rows.append(self.imagemagick(archive, magick, 1))
            if self.jobs > 1:
                rows.append(self.imagemagick(archive, magick, self.jobs))
            rows.append(self.jpegoptim(archive, optim, 1))
            if self.jobs > 1:
                rows.append(self.jpegoptim(archive, optim, self.jobs))
        if not archive.compress:
            organize = common.organize_tool(self.out, install)
            rows.append(self.organize_tool(archive, organize, dedupe=False))
            rows.append(self.organize_tool(archive, organize, dedupe=True))
            rows.append(self.jdupes(archive, common.jdupes(install)))
        rows.append(self.cp(archive))
        ours = rows[0]
        for row in rows:
            if row.get("seconds") and ours.get("seconds"):
                row["ratio"] = row["seconds"] / ours["seconds"]
                row["durable_ratio"] = row["durable_seconds"] / ours["durable_seconds"]
        return rows

    def profile(self, archive: Archive) -> dict[str, Any]:
        """One more imgorg run: py-spy over every process, cProfile over the main one."""
        label = "imgorg-profile"
        dest = self.dest(archive, label)
        stem = os.path.join(self.out, f"profile-{archive.name}")
        args = ["organize", archive.root, dest, "--quiet", "--jobs", str(self.jobs)]
        args += archive.imgorg_flags()
        cmd, env = common.imgorg_cmd(args, stem + ".rss.json", profile=stem + ".cprofile")
        spy = os.path.join(os.path.dirname(common.PYTHON), "py-spy")
        result: dict[str, Any] = {}
        if os.access(spy, os.X_OK):
            spied = [spy, "record", "--subprocesses", "--format", "raw", "--rate", "200"]
            cmd = [*spied, "--output", stem + ".pyspy.txt", "--", *cmd]
        else:
            result["note"] = "py-spy not installed (.venv/bin/pip install py-spy): cProfile only"
        measured, _sync_s, dest = self.measure(archive, label, cmd, env)
        common.fresh_dest(dest)
        result["seconds"] = measured.seconds
        if os.path.exists(stem + ".pyspy.txt"):
            result["py-spy"] = common.summarize_pyspy(stem + ".pyspy.txt")
        if os.path.exists(stem + ".cprofile"):
            result["cprofile_main"] = common.summarize_cprofile(stem + ".cprofile")
        return result


def _unavailable(tool: str, why: str, files: int, nbytes: int) -> dict:
    return {"tool": tool, "does": "unavailable", "files": files, "bytes": nbytes, "note": why}


def organize_config(source: str, dest: str, min_size: int, dedupe: bool) -> str:
    """organize-tool's closest to ``imgorg organize --no-compress``: two rules, as its ``exif``
    filter fails a file without the tag: files with DateTimeOriginal go to DEST/<its year>/,
    the others (if at least ``min_size``: imgorg skips small images without camera metadata)
    to DEST/<year of their mtime>/. ``dedupe``: each rule also skips a file byte-identical to
    one it has seen (byte-identical files always take the same rule)."""
    from engine.formats.kinds import DEFAULT_EXTENSIONS, RAW_EXTENSIONS

    extensions = json.dumps(sorted(e.lstrip(".") for e in DEFAULT_EXTENSIONS + RAW_EXTENSIONS))
    skip = "\n      - not duplicate" if dedupe else ""

    def rule(filters: str, year: str) -> str:
        target = json.dumps(os.path.join(dest, "{" + year + "}") + "/")
        return (
            f"  - locations: {json.dumps(source)}\n"
            "    subfolders: true\n"
            f"    filters:\n      - extension: {extensions}\n{filters}{skip}\n"
            f"    actions:\n      - copy:\n          dest: {target}\n"
            "          on_conflict: rename_new\n"
        )

    return "rules:\n" + (
        rule("      - exif: exif.datetimeoriginal", "exif.exif.datetimeoriginal.year")
        + rule(
            f'      - not exif: exif.datetimeoriginal\n      - size: ">={min_size}"\n'
            "      - lastmodified",
            "lastmodified.year",
        )
    )


def _by_year(dest: str) -> str:
    """How a peer laid DEST out: files in year folders, and elsewhere."""
    if not os.path.isdir(dest):
        return "no DEST"
    in_years, years, elsewhere = 0, 0, 0
    for entry in os.scandir(dest):
        if entry.is_dir() and entry.name.isdigit() and len(entry.name) == 4:
            years += 1
            in_years += common.count_files(entry.path)
        else:
            elsewhere += common.count_files(entry.path) if entry.is_dir() else 1
    return f"{in_years} files in {years} year folders, {elsewhere} elsewhere"


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _quote(text: str) -> str:
    return text if text and all(c.isalnum() or c in "/._-=:%,<" for c in text) else repr(text)


def archives(args: argparse.Namespace) -> list[Archive]:
    found = []
    if "organize" in args.archives:
        found.append(
            Archive(
                "organize-only",
                Spec(
                    files=args.files,
                    seed=args.seed,
                    size_scale=args.size_scale,
                    huge=max(2, args.files // 200),
                ),
                compress=False,
            )
        )
    if "heavy" in args.archives:
        found.append(
            Archive(
                "compression-heavy",
                Spec(
                    files=args.heavy_files,
                    seed=args.seed + 1,
                    large_share=0.85,
                    huge=max(2, args.heavy_files // 10),
                    size_scale=args.heavy_size_scale,
                ),
                compress=True,
            )
        )
    return found


def markdown(results: dict[str, Any]) -> str:
    parts = [
        f"# imgorg benchmarks ({results['date']})",
        "",
        f"Machine: {results['machine']}. {common.WARM_NOTE}. 'time vs imgorg' is each tool's "
        "wall time divided by imgorg's (all cores) on the same archive: above 1, imgorg is "
        "faster. 's incl. sync' adds the time a `sync` takes right after the tool, i.e. until its "
        "output is on disk (imgorg and cp + sync are durable already). For imgorg, 'writer CPU' is "
        "the top imgorg process's own CPU (interpreter start included), 'workers CPU' its pool "
        "processes' (reaped, from RUSAGE_CHILDREN), 'workers one writer can feed' their ratio "
        "(the serial fraction is 1 / (1 + that)); with `--jobs 1` imgorg analyzes inside the "
        "writer, so there is no split.",
    ]
    for name, block in results["archives"].items():
        when = f" (measured {block['date']}, {block['engine']})" if block.get("date") else ""
        parts += ["", f"## {name}: {block['summary']}", "", block["flags_note"] + when, ""]
        parts.append(common.markdown_table(COLUMNS, block["rows"]))
    if results.get("profiles"):
        parts += ["", "## Profiles (imgorg, one run each)"]
        for name, prof in results["profiles"].items():
            parts += ["", f"### {name}", "", "```", common.profile_text(prof), "```"]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=3000, help="organize-only archive")
    parser.add_argument("--heavy-files", type=int, default=60, help="compression-heavy archive")
    parser.add_argument("--size-scale", type=float, default=0.25, help="organize-only sizes")
    parser.add_argument("--heavy-size-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=common.CORES, help="imgorg workers")
    parser.add_argument("--backends", default="loky", help="loky or loky,dask")
    parser.add_argument("--archives", default="organize,heavy")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    parser.add_argument("--quick", action="store_true", help="tiny archives, for smoke tests")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install")
    parser.add_argument("--profile", action="store_true", help="py-spy + cProfile one run")
    parser.add_argument(
        "--fresh", action="store_true", help="forget the tables of archives not run this time"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.files, args.heavy_files = min(args.files, 20), min(args.heavy_files, 6)
        args.size_scale, args.heavy_size_scale = 0.02, 0.04
    bench = Bench(args)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": common.machine_line(),
        "page_cache": common.WARM_NOTE,
        "archives": {},
        "profiles": {},
        "args": vars(args),
    }
    previous = os.path.join(bench.out, "results.json")
    if not args.fresh and os.path.exists(previous):
        with open(previous) as handle:
            kept = json.load(handle)
        results["archives"].update(kept.get("archives", {}))
        results["profiles"].update(kept.get("profiles", {}))
    started = time.monotonic()
    for archive in archives(args):
        archive.root, archive.manifest = common.ensure_archive(
            bench.out, archive.name, archive.spec
        )
        from benchmarks.make_archive import summary

        common.log(f"{archive.name}: benchmarking")
        rows = bench.table(archive, backends)
        flags = " ".join(archive.imgorg_flags()) or "(defaults)"
        results["archives"][archive.name] = {
            "date": results["date"],
            "engine": common.git_line(),
            "summary": summary(archive.manifest),
            "root": archive.root,
            "imgorg_flags": flags,
            "flags_note": f"imgorg flags: `{flags}`; peers get the same limits "
            f"(min size {archive.min_size:,} B"
            + (
                f", compress above {archive.compress_above:,} B to min({archive.target:,} B, 95 %))"
                if archive.compress
                else ")"
            ),
            "rows": rows,
        }
        print(f"\n## {archive.name}: {summary(archive.manifest)}\n")
        print(common.markdown_table(COLUMNS, rows), flush=True)
        if args.profile:
            results["profiles"][archive.name] = bench.profile(archive)
            print(common.profile_text(results["profiles"][archive.name]))
    results["commands"] = bench.commands
    results["total_seconds"] = time.monotonic() - started
    common.write_results(bench.out, "results", results, markdown(results))
    shutil.rmtree(os.path.join(bench.out, "work"), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
