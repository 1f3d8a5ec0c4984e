"""Shared plumbing of the benchmark scripts: archives cached by parameters, peer tools installed
on demand, warm page cache, wall time and peak memory of one run, tables as Markdown and JSON."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable
CORES = os.cpu_count() or 1

WARM_NOTE = (
    "page cache: before every run the last run's DEST is renamed aside (deleted when the "
    "benchmark ends, not between runs), the filesystem synced, and every source file read once, "
    "so every tool starts with SOURCE warm in the page cache, nothing dirty and no recent deletion"
)


# ---------------------------------------------------------------------------- archives
def ensure_archive(
    out: str, name: str, spec: Any, jobs: int = CORES, stamped: bool = False
) -> tuple[str, dict]:
    """The archive for ``spec`` under ``out/archives``, generated once and reused after;
    ``stamped``: with make_archive.make_stamped_archive (fast, for a million tiny files)."""
    from benchmarks.make_archive import make_archive, make_stamped_archive, summary

    folder = os.path.join(out, "archives", f"{name}-{spec.key()}")
    root, manifest_path = os.path.join(folder, "src"), os.path.join(folder, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path) as handle:
            manifest = json.load(handle)
        log(f"archive {name}: reusing {root} ({summary(manifest)})")
        return root, manifest
    if os.path.exists(folder):
        shutil.rmtree(folder)
    log(f"archive {name}: generating {spec.files} files under {root} ...")
    started = time.monotonic()
    manifest = make_stamped_archive(root, spec) if stamped else make_archive(root, spec, jobs=jobs)
    with open(manifest_path + ".part", "w") as handle:
        json.dump(manifest, handle, default=str)
    os.replace(manifest_path + ".part", manifest_path)
    log(f"archive {name}: {summary(manifest)} in {time.monotonic() - started:.0f} s")
    return root, manifest


def image_bytes(manifest: dict) -> tuple[int, int]:
    files = manifest["files"]
    return len(files), sum(int(f["bytes"]) for f in files)


# ---------------------------------------------------------------------------- peer tools
@dataclass
class Tool:
    name: str
    path: str | None
    note: str = ""

    @property
    def available(self) -> bool:
        return self.path is not None


def _apt_install(package: str) -> str:
    if not shutil.which("apt-get"):
        return "no apt-get on this machine"
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            return "not root and no sudo"
        prefix = ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        subprocess.run([*prefix, "apt-get", "update", "-q"], capture_output=True, env=env)
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        return f"apt-get install {package} failed: {result.stderr.strip()[-200:]}"
    return ""


def ensure_tool(name: str, path: str, package: str, install: bool = True) -> Tool:
    """``path`` (an absolute path: /usr/local/bin may hold stand-ins), installing ``package``
    with apt-get when it is missing and ``install`` allows; unavailable with a note otherwise."""
    if os.access(path, os.X_OK):
        return Tool(name, path)
    if not install:
        return Tool(name, None, f"{path} not installed (Debian package {package})")
    log(f"installing {package} (for {path}) with apt-get ...")
    problem = _apt_install(package)
    if os.access(path, os.X_OK):
        return Tool(name, path)
    return Tool(name, None, problem or f"{package} installed but {path} is missing")


def exiftool(install: bool = True) -> Tool:
    return ensure_tool("exiftool", "/usr/bin/exiftool", "libimage-exiftool-perl", install)


def imagemagick(install: bool = True) -> Tool:
    # /usr/local/bin/convert may be a stand-in: only Debian's /usr/bin/convert counts.
    return ensure_tool("ImageMagick", "/usr/bin/convert", "imagemagick", install)


def jpegoptim(install: bool = True) -> Tool:
    return ensure_tool("jpegoptim", "/usr/bin/jpegoptim", "jpegoptim", install)


def jdupes(install: bool = True) -> Tool:
    return ensure_tool("jdupes", "/usr/bin/jdupes", "jdupes", install)


ORGANIZE_TOOL = "organize-tool==3.3.0"


def organize_tool(out: str, install: bool = True) -> Tool:
    """organize-tool's ``organize`` from its own venv under ``out/peers`` (it pins rich<14 and
    other dependencies that clash with imgorg's), made with this Python and pip-installed when
    missing and ``install`` allows; unavailable with a note otherwise."""
    venv = os.path.join(out, "peers", "organize-venv")
    python, organize = os.path.join(venv, "bin", "python"), os.path.join(venv, "bin", "organize")
    wanted = ORGANIZE_TOOL.split("==")[1]

    def installed() -> bool:
        probe = [python, "-c", "import importlib.metadata as m; print(m.version('organize-tool'))"]
        return (
            os.access(organize, os.X_OK)
            and subprocess.run(probe, capture_output=True, text=True).stdout.strip() == wanted
        )

    if installed():
        return Tool("organize-tool", organize)
    if not install:
        return Tool("organize-tool", None, f"{ORGANIZE_TOOL} not installed in {venv}")
    log(f"installing {ORGANIZE_TOOL} into {venv} with pip ...")
    steps = [[PYTHON, "-m", "venv", venv], [python, "-m", "pip", "install", "-q", ORGANIZE_TOOL]]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            return Tool(
                "organize-tool", None, f"{' '.join(step[:4])} failed: {result.stderr[-200:]}"
            )
    if installed():
        return Tool("organize-tool", organize)
    return Tool("organize-tool", None, f"{ORGANIZE_TOOL} installed but {organize} is missing")


def dask_available() -> tuple[bool, str]:
    probe = subprocess.run(
        [PYTHON, "-c", "import distributed"], capture_output=True, text=True, cwd=ROOT
    )
    if probe.returncode == 0:
        return True, ""
    return False, "dask[distributed] is not importable (pip install 'imgorg[dask]')"


# ---------------------------------------------------------------------------- page cache
def warm(root: str) -> int:
    """Read every file under ``root`` once; return the bytes read."""
    total = 0
    buffer = bytearray(8 * 1024 * 1024)
    view = memoryview(buffer)
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError), open(path, "rb", buffering=0) as handle:
                while n := handle.readinto(view):
                    total += n
    return total


SET_ASIDE = ".removed-when-the-benchmark-ends"
_set_aside: set[str] = set()


def fresh_dest(dest: str) -> None:
    """No DEST at ``dest``: one left by an earlier run is renamed aside, not deleted, and the
    folders set aside are deleted when the benchmark ends. On this machine's ext4 (mounted
    without a journal) creating files right after a large deletion costs 2-3x the CPU: the
    inode allocator skips every inode freed in the last minute (to five). Deleting each DEST
    before the next run made every run after the first pay that, imgorg's workers (which
    create files in one staging folder each) more than cp."""
    if os.path.lexists(dest):
        aside = os.path.join(os.path.dirname(dest), SET_ASIDE)
        os.makedirs(aside, exist_ok=True)
        os.rename(dest, os.path.join(aside, f"{os.path.basename(dest)}-{time.time_ns()}"))
        if aside not in _set_aside:
            _set_aside.add(aside)
            atexit.register(shutil.rmtree, aside, ignore_errors=True)
    os.sync()


def prepare(source: str, dest: str) -> None:
    """Same starting line for every tool: no DEST, nothing dirty, SOURCE in the page cache."""
    fresh_dest(dest)
    warm(source)


def timed_sync() -> float:
    started = time.perf_counter()
    os.sync()
    return time.perf_counter() - started


def count_files(root: str, skip: str = ".imgorg") -> int:
    n = 0
    for _folder, dirs, files in os.walk(root):
        if skip in dirs:
            dirs.remove(skip)
        n += len(files)
    return n


# ---------------------------------------------------------------------------- measuring
@dataclass
class Measured:
    seconds: float
    returncode: int
    maxrss_kb: int  # the command's peak RSS, or its descendants' if larger (GNU time %M)
    stdout: str = ""
    stderr: str = ""
    tree_peak_kb: int = 0  # largest VmHWM seen by polling /proc (only when asked)
    extra: dict[str, Any] = field(default_factory=dict)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        try:
            ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        except (ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def hwm_kb(pid: int | str) -> int:
    """A process's peak resident memory (VmHWM) in KB; ``pid`` may be ``"self"``."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def gnu_time(install: bool = True) -> Tool:
    return ensure_tool("GNU time", "/usr/bin/time", "time", install)


def run(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    poll_tree: bool = False,
    rss: bool = True,
) -> Measured:
    """Run ``cmd``: its wall time, exit code and peak RSS.

    The peak RSS comes from GNU time (/usr/bin/time -f %M: the largest of the command and its
    descendants, as wait4 reports it). Not from our own wait4: a child forked from this
    process inherits this process's high-water mark across exec, so every tool would show at
    least our own size. ``poll_tree`` also samples /proc every 0.2 s for the VmHWM of
    descendants that are never reaped by the command (a dask cluster's workers)."""
    rss_file = None
    full = list(cmd)
    if rss and os.access("/usr/bin/time", os.X_OK):
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        full = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file, *full]
    started = time.perf_counter()
    proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    peaks: dict[int, int] = {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.2):
            for pid in descendants(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), hwm_kb(pid))

    poller = threading.Thread(target=poll, daemon=True) if poll_tree else None
    if poller:
        poller.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    if poller:
        poller.join()
    maxrss = 0
    if rss_file:
        with open(rss_file) as handle:
            text = handle.read().split()
        os.unlink(rss_file)
        maxrss = int(text[-1]) if text and text[-1].isdigit() else 0
    return Measured(
        seconds,
        proc.returncode,
        maxrss,
        stdout.decode(errors="replace"),
        stderr.decode(errors="replace"),
        max(peaks.values(), default=0),
    )


def run_many(cmds: list[list[str]], parallel: int = 1) -> Measured:
    """Run many short commands, ``parallel`` at a time; total wall time, the largest peak RSS,
    and how many failed (in ``extra['failed']``)."""
    started = time.perf_counter()
    lock = threading.Lock()
    results: list[Measured] = []
    queue = list(reversed(cmds))

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                cmd = queue.pop()
            measured = run(cmd)
            with lock:
                results.append(measured)

    threads = [threading.Thread(target=worker) for _ in range(max(1, parallel))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = [m for m in results if m.returncode != 0]
    total = Measured(
        time.perf_counter() - started,
        failed[0].returncode if failed else 0,
        max((m.maxrss_kb for m in results), default=0),
        stderr="".join(m.stderr for m in failed[:3]),
    )
    total.extra["failed"] = len(failed)
    return total


def imgorg_cmd(
    args: Sequence[str], rss_out: str, profile: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """``imgorg ARGS`` through benchmarks/imgorg_rss.py: the same ``engine.cli.main`` that
    .venv/bin/imgorg runs, reporting the coordinator's and the workers' peak RSS apart."""
    env = dict(os.environ, IMGORG_RSS_OUT=rss_out, PYTHONPATH=ROOT)
    compile_engine()
    if profile:
        env["IMGORG_CPROFILE"] = profile
    return [PYTHON, os.path.join(ROOT, "benchmarks", "imgorg_rss.py"), *args], env


def compile_engine() -> None:
    """Write engine/'s bytecode where it is missing or stale. An installed package has it from
    its installation; a checkout run with PYTHONDONTWRITEBYTECODE set (as on this build machine)
    would otherwise compile every module in every process of every run, the writer's
    start-up and each worker's included (~50 ms of the writer's, measured)."""
    import compileall

    compileall.compile_dir(os.path.join(ROOT, "engine"), quiet=1)


def cpu_split(facts: dict[str, Any], files: int) -> dict[str, Any]:
    """The writer/workers CPU split of one imgorg run, from benchmarks/imgorg_rss.py's facts.

    The writer is the top imgorg process (its own getrusage), the workers are its loky children
    (RUSAGE_CHILDREN once they are reaped). ``workers_per_writer`` = workers CPU / writer CPU:
    how many workers, each as busy as these, one writer could keep fed before it becomes the
    bottleneck (the serial fraction is 1 / (1 + that)). The placer processes (each group
    commit's journal rows and files, beside the writer: ``placers_us_per_file``) are one per
    eight workers, but their journal writes take SQLite's lock in turn. Without a pool (``--jobs 1``, or a
    single batch) the analysis runs inside the writer process: no split, the writer's figures
    then include the analysis."""
    if "writer_user_s" not in facts:
        return {}
    user, system = facts["writer_user_s"], facts["writer_system_s"]
    writer = user + system
    split: dict[str, Any] = {
        "writer_user_s": user,
        "writer_system_s": system,
        "writer_cpu_s": writer,
        "writer_cpu": f"{writer:.2f} ({user:.2f} / {system:.2f})",
        "writer_startup_s": facts.get("writer_startup_s"),
        "writer_us_per_file": 1e6 * writer / files if files else None,
        "pool": bool(facts.get("pool")),
    }
    workers = facts["workers_user_s"] + facts["workers_system_s"]
    placers = facts.get("placers_s")
    split["placers_cpu_s"] = placers
    split["placers_us_per_file"] = 1e6 * placers / files if placers and files else None
    if facts.get("pool"):
        split["workers_cpu_s"] = workers
        split["workers_per_writer"] = workers / writer if writer else None
    else:
        split["workers_cpu"] = "in the writer (no pool)"
        split["subprocess_cpu_s"] = workers
    return split


def read_rss(path: str) -> dict[str, Any]:
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------------------- output
def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> str:
    """``columns``: (key, heading) pairs."""
    lines = [
        "| " + " | ".join(h for _, h in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(fmt(row.get(k)) for k, _ in columns) + " |")
    return "\n".join(lines)


def write_results(out: str, stem: str, data: dict[str, Any], markdown: str) -> None:
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, stem + ".json"), "w") as handle:
        json.dump(data, handle, indent=2, default=str)
    with open(os.path.join(out, stem + ".md"), "w") as handle:
        handle.write(markdown + "\n")
    log(f"wrote {os.path.join(out, stem + '.md')} and .json")


def machine_line() -> str:
    from engine.formats import imaging

    return (
        f"{CORES} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {sys.version.split()[0]}, {imaging.imaging_library()}; {git_line()}"
    )


def git_line() -> str:
    """Which engine was measured: the commit, and whether engine/ had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "engine"], capture_output=True, text=True, cwd=ROOT
        ).stdout.splitlines()
    except OSError:
        return "engine version unknown (no git)"
    if not head:
        return "engine version unknown (not a git checkout)"
    return f"engine at {head}" + (
        f" + uncommitted changes in {len(dirty)} engine file(s)" if dirty else ""
    )


def jpeg_quality_stats(root: str) -> tuple[float | None, int]:
    """Mean IJG quality estimate of the JPEGs under ``root`` (DEST/.imgorg excluded), bytes."""
    from PIL import Image

    from engine.formats.compress import estimate_quality

    qualities, total = [], 0
    for folder, dirs, files in os.walk(root):
        if ".imgorg" in dirs:
            dirs.remove(".imgorg")
        for name in files:
            path = os.path.join(folder, name)
            total += os.path.getsize(path)
            if name.lower().endswith((".jpg", ".jpeg")):
                with contextlib.suppress(Exception), Image.open(path) as im:
                    quality = estimate_quality(im)
                    if quality is not None:
                        qualities.append(quality)
    return (sum(qualities) / len(qualities) if qualities else None), total


@contextlib.contextmanager
def cwd(path: str) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


# ---------------------------------------------------------------------------- profiles
def _frame_name(frame: str) -> str:
    """``func (path/file.py:12)`` -> ``func (file.py)``; other frames unchanged."""
    if " (" not in frame:
        return frame
    func, where = frame.rsplit(" (", 1)
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    short = "/".join(parts[-2:]) if parts[-2:-1] == ["engine"] else parts[-1]
    return f"{func} ({short})"


def summarize_pyspy(path: str, top: int = 12) -> dict[str, Any]:
    """py-spy raw (collapsed) stacks -> per role (main, workers): samples, the innermost engine
    function of each sample (time attributed to engine code), and the leaf functions."""
    roles: dict[str, dict[str, Any]] = {}
    with open(path) as handle:
        for line in handle:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            processes = [f for f in frames if f.startswith("process ")]
            code = [f for f in frames if not f.startswith("process ") and f.endswith(")")]
            worker = any(
                marker in p for p in processes[1:] for marker in ("Loky", "dask", "distributed")
            )
            role = roles.setdefault(
                "workers" if worker else "main", {"samples": 0, "engine": {}, "leaf": {}}
            )
            role["samples"] += n
            engine = [f for f in code if "engine/" in f]
            inner = _frame_name(engine[-1]) if engine else "(outside engine code)"
            leaf = _frame_name(code[-1]) if code else "(no Python frame: native or starting)"
            role["engine"][inner] = role["engine"].get(inner, 0) + n
            role["leaf"][leaf] = role["leaf"].get(leaf, 0) + n
    for role in roles.values():
        for key in ("engine", "leaf"):
            ranked = sorted(role[key].items(), key=lambda kv: -kv[1])[:top]
            role[key] = [(name, n, n / max(1, role["samples"])) for name, n in ranked]
    return roles


def summarize_cprofile(path: str, top: int = 15) -> list[tuple[str, int, float, float]]:
    """The main process's functions by cumulative time: (function, calls, tottime, cumtime)."""
    import pstats

    stats = pstats.Stats(path)
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "/engine/" in filename or "sqlite3" in func or func.startswith("<method"):
            rows.append((_frame_name(f"{func} ({filename}:{line})"), calls, tottime, cumtime))
    rows.sort(key=lambda r: -r[3])
    return rows[:top]


def profile_text(profile: dict[str, Any]) -> str:
    lines = []
    if profile.get("note"):
        lines.append(profile["note"])
    for role, data in (profile.get("py-spy") or {}).items():
        lines.append(f"py-spy, {role}: {data['samples']} samples")
        lines.append("  innermost engine function:")
        lines += [f"    {share:6.1%}  {name}" for name, _n, share in data["engine"]]
        lines.append("  leaf function:")
        lines += [f"    {share:6.1%}  {name}" for name, _n, share in data["leaf"]]
    if profile.get("cprofile_main"):
        lines.append("cProfile, main process (cumulative s, own s, calls):")
        lines += [
            f"  {cum:8.2f} {own:8.2f} {calls:9,}  {name}"
            for name, calls, own, cum in profile["cprofile_main"]
        ]
    return "\n".join(lines)
