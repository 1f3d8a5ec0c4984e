"""The dask backend: a LocalCluster with two worker processes gives exactly what loky gives,
even when a worker process is killed mid-run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, children, read_report, tree_digest, write_photo

pytest.importorskip("distributed")


def archive(root: Path, n: int = 30) -> None:
    for i in range(n):
        write_photo(
            root / f"roll{i % 3}" / f"IMG_{i:03d}.jpg",
            dt.datetime(2001 + i % 9, 2, 3),
            size=(900, 700),
            seed=i,
            quality=97,
        )
    (root / "roll0" / "copy.jpg").write_bytes((root / "roll1" / "IMG_001.jpg").read_bytes())
    (root / "broken.jpg").write_bytes((root / "roll1" / "IMG_004.jpg").read_bytes()[:3000])


FLAGS = ["--min-size", "0", "--compress-above", "100KB", "--target-size", "150KB", "--quiet"]


def organize(src: Path, dest: Path, report: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "engine",
        "organize",
        str(src),
        str(dest),
        "--report",
        str(report),
        *FLAGS,
        *extra,
    ]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]


def placed_tree(dest: Path) -> dict[str, tuple[str, int]]:
    return {k: v for k, v in tree_digest(dest).items() if not k.startswith(".imgorg")}


@pytest.mark.parametrize("which", ["corpus", "generated"])
def test_dask_equals_loky(which: str, corpus: Path, tmp_path: Path) -> None:
    src = corpus if which == "corpus" else tmp_path / "src"
    if which == "generated":
        archive(src, 12)
    finish(organize(src, tmp_path / "loky", tmp_path / "loky.jsonl", "--jobs", "2"))
    finish(
        organize(
            src, tmp_path / "dask", tmp_path / "dask.jsonl", "--backend", "dask", "--jobs", "2"
        )
    )
    assert read_report(tmp_path / "loky.jsonl") == read_report(tmp_path / "dask.jsonl")
    assert placed_tree(tmp_path / "loky") == placed_tree(tmp_path / "dask")


def is_worker(pid: int) -> bool:
    """A loky worker or a dask worker process (not a resource tracker)."""
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        command = handle.read()
    return b"LokyProcess" in command or b"spawn_main" in command


@pytest.mark.parametrize("backend", ["dask", "loky"])
def test_a_killed_worker_costs_a_retry_not_a_file(backend: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    archive(src)
    finish(organize(src, tmp_path / "reference", tmp_path / "reference.jsonl", "--jobs", "1"))
    proc = organize(
        src, tmp_path / "out", tmp_path / "out.jsonl", "--backend", backend, "--jobs", "2"
    )
    deadline = time.monotonic() + 60
    staging = tmp_path / "out" / ".imgorg" / "staging"
    while time.monotonic() < deadline and proc.poll() is None:
        if staging.is_dir() and os.listdir(staging):
            break  # workers are at work
        time.sleep(0.05)
    victims = [pid for pid in children(proc.pid) if is_worker(pid)]
    assert victims, "no worker process found"
    os.kill(victims[-1], signal.SIGKILL)
    finish(proc)
    assert read_report(tmp_path / "out.jsonl") == read_report(tmp_path / "reference.jsonl")
    assert placed_tree(tmp_path / "out") == placed_tree(tmp_path / "reference")


def refused_on_two_threads(tmp_path: Path, workers_at_start: int) -> tuple[Path, Path]:
    """An organize run against a cluster whose worker runs two threads (there from the start,
    or started once the run waits for one): it stops with exit 2 saying how to start workers.
    SOURCE and DEST, for the caller's checks."""
    from distributed import LocalCluster

    src, dest = tmp_path / "src", tmp_path / "dest"
    archive(src, 6)
    before = tree_digest(src)
    with LocalCluster(
        n_workers=workers_at_start, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:
        proc = organize(src, dest, tmp_path / "r.jsonl", "--backend", "dask", "--scheduler",
                        cluster.scheduler_address)  # fmt: skip
        if not workers_at_start:
            time.sleep(3)  # the run is up, waiting for a worker
            cluster.scale(1)
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err.decode()[-2000:]
    assert "--nthreads 1" in err.decode()
    assert tree_digest(src) == before
    return src, dest


def test_a_cluster_whose_workers_run_several_threads_is_refused(tmp_path: Path) -> None:
    """Workers started with more than one thread would analyse two files at once in one
    process, each setting Pillow's process-wide limits: the run is refused up front, saying how
    to start them, and nothing is placed."""
    _, dest = refused_on_two_threads(tmp_path, workers_at_start=1)
    assert not [p for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts]


def test_a_threaded_worker_joining_a_cluster_that_had_none_is_refused(tmp_path: Path) -> None:
    """A scheduler with no worker yet passes the up-front check (no worker runs threads); the
    run waits for one, and a worker started then with two threads analysed two files at once
    in one process. The worker itself refuses: the run stops (exit 2) and nothing is placed."""
    _, dest = refused_on_two_threads(tmp_path, workers_at_start=0)
    assert not [p for p in dest.rglob("*.jpg") if ".imgorg" not in p.parts]
