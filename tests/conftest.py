from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus"
# imgorg in a child process (a run to kill): this tree's engine, its bytecode left alone
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")


def corpus_or_skip() -> Path:
    """The shared corpus; in CI its absence is a failure, elsewhere a skip."""
    if not (CORPUS / "MANIFEST.csv").exists():
        message = f"shared corpus not found at {CORPUS}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CORPUS


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_or_skip()


@pytest.fixture(scope="session")
def manifest(corpus: Path) -> dict[str, dict[str, str]]:
    with open(corpus / "MANIFEST.csv", newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def tree_digest(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root``: relative path -> (sha256, mtime_ns)."""
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            rel = os.path.relpath(path, root)
            out[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return out


def read_report(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def organize(tmp_path: Path) -> Callable[..., tuple[int, list[dict[str, Any]]]]:
    """Run ``imgorg organize`` in-process; return (exit code, report lines)."""
    from engine.cli import main

    counter = iter(range(1000))

    def run(source: Path, dest: Path, *flags: str) -> tuple[int, list[dict[str, Any]]]:
        report = tmp_path / f"report-{next(counter)}.jsonl"
        code = main(
            ["organize", str(source), str(dest), "--report", str(report), "--quiet", *flags]
        )
        return code, read_report(report) if report.exists() else []

    return run


def write_photo(
    path: Path,
    date: Any = None,
    orientation: int | None = None,
    size: tuple[int, int] = (64, 48),
    seed: int = 0,
    quality: int = 85,
) -> bytes:
    """A small real JPEG with EXIF (DateTimeOriginal, Orientation) when asked for."""
    from benchmarks.make_archive import jpeg_bytes, photo

    data = jpeg_bytes(photo(*size, seed=seed), date, orientation, quality=quality)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def run_killed_at(syscall: str, k: int, argv: list[str], env: dict[str, str]) -> None:
    """Run ``argv`` under strace, SIGKILLed on entry to the k-th ``syscall`` of any of its
    processes; then kill its whole process group."""
    import contextlib
    import signal
    import subprocess

    proc = subprocess.Popen(
        [
            "strace",
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            f"--inject={syscall}:signal=KILL:when={k}",
            *argv,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def imgorg(*args: str) -> tuple[int, str]:
    """``imgorg ARGS`` in this process: its exit code and everything it printed."""
    import contextlib
    import io

    from engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue() + err.getvalue()


def copied_and_moved(
    tmp_path: Path,
    folder: str,
    originals: Callable[[Path], object],
    edits: Callable[[Path], object],
) -> dict[str, dict[str, dict[str, Any]]]:
    """Report lines by file name, run by run: a copy run over ``folder`` (below SOURCE) with
    its ``originals`` and ``edits`` side by side, and a move run that took the originals out
    of SOURCE before the edits came, so that DEST's journal, not the disk, dates them."""
    lines = {}
    for mode in ("copy", "move"):
        src, dest = tmp_path / mode / "src", tmp_path / mode / "dest"
        album = src / folder
        album.mkdir(parents=True, exist_ok=True)
        originals(album)
        flags = ("--mode", mode, "--min-size", "0", "--quiet")
        if mode == "move":
            assert imgorg("organize", str(src), str(dest), *flags)[0] == 0
            assert not any(album.iterdir())
        edits(album)
        report = tmp_path / f"{mode}.jsonl"
        assert imgorg("organize", str(src), str(dest), *flags, "--report", str(report))[0] == 0
        lines[mode] = {Path(line["source"]).name: line for line in read_report(report)}
    return lines


def date_fields(
    runs: dict[str, dict[str, dict[str, Any]]], name: str
) -> dict[str, tuple[Any, Any, Any]]:
    """``name``'s date, date source and zone source in each of ``copied_and_moved``'s runs."""
    return {
        mode: (found[name]["date"], found[name]["date_source"], found[name]["tz_source"])
        for mode, found in runs.items()
    }


def children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def photos_in(root: Path) -> dict[str, tuple[str, int]]:
    """``tree_digest`` of ``root`` without DEST's own ``.imgorg`` folder."""
    return {rel: d for rel, d in tree_digest(root).items() if not rel.startswith(".imgorg")}


def everything(root: Path) -> dict[str, tuple[str, int, int, str]]:
    """Every folder and file under ``root`` and ``root`` itself, hidden ones included: kind,
    size, modification time and, for a file, its SHA-256."""
    seen = {}
    for folder, folders, files in os.walk(root):
        for name in ["", *folders, *files]:
            path = os.path.join(folder, name) if name else folder
            if not name and folder != str(root):
                continue
            st = os.lstat(path)
            is_dir = os.path.isdir(path)
            digest = "" if is_dir else hashlib.sha256(Path(path).read_bytes()).hexdigest()
            seen[os.path.relpath(path, root)] = (
                "d" if is_dir else "f",
                st.st_size,
                st.st_mtime_ns,
                digest,
            )
    return seen
