"""The pool (engine/stages/pool.py) on real photos: results stream back batch by batch as they
are done, not in the order they were handed out, and a worker process killed mid-run costs a
retry of the batches that had not come back, never a file and never a result used twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, children, write_photo
from engine.records import Analysis, Candidate, Status
from engine.settings import CompressOptions
from engine.stages import pool
from engine.stages.analyse import WorkerOptions
from engine.stages.walk import Batch

WHEN = dt.datetime(2012, 4, 5, 6, 7, 8)


def _batch(root: Path, batch_id: int, names: list[str]) -> Batch:
    found = [Candidate(n, (root / n).stat().st_size, (root / n).stat().st_mtime_ns) for n in names]
    return Batch(batch_id, found, sum(c.size for c in found))


def _worker_pids(parent: int | None = None) -> list[int]:
    """loky's worker processes (not its resource tracker): children of ``parent`` (this
    process)."""
    found = []
    for pid in children(os.getpid() if parent is None else parent):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if b"LokyProcess" in handle.read():
                    found.append(pid)
        except OSError:
            continue
    return found


def _key(a: Analysis) -> tuple[object, ...]:
    return (a.rel, a.status, a.hash, a.year, a.bytes_out, a.compressed, a.quality)


@pytest.fixture(autouse=True)
def _no_workers_left() -> object:
    yield
    pool._stop_loky_workers()


def test_results_stream_back_as_batches_finish(tmp_path: Path) -> None:
    """Batch 0, a large JPEG squeezed to a small target, takes far longer than the small
    photos of the others: with two workers, theirs come back first."""
    write_photo(tmp_path / "big.jpg", WHEN, size=(2400, 1800), seed=1, quality=98)
    small = [f"small{i}.jpg" for i in range(6)]
    for i, name in enumerate(small):
        write_photo(tmp_path / name, WHEN, size=(64, 48), seed=10 + i)
    batches = [_batch(tmp_path, 0, ["big.jpg"])]
    batches += [_batch(tmp_path, 1 + i, [name]) for i, name in enumerate(small)]
    squeeze = CompressOptions(above=100_000, target_size=120_000, quality_floor=5)
    options = WorkerOptions(compress=squeeze)
    with pool.Pool("loky", 2) as workers:
        list(workers.analyze(batches[1:3], str(tmp_path), options))  # both workers started
        arrived = [
            [a.rel for a in found] for found in workers.analyze(batches, str(tmp_path), options)
        ]
    assert sorted(rel for found in arrived for rel in found) == sorted(["big.jpg", *small])
    assert arrived[0] != ["big.jpg"]


def test_a_killed_worker_costs_a_retry_not_a_file(tmp_path: Path) -> None:
    names = [f"roll/IMG_{i:02}.jpg" for i in range(12)]
    for i, name in enumerate(names):
        write_photo(
            tmp_path / name, WHEN + dt.timedelta(days=i), size=(900, 700), seed=i, quality=97
        )
    batches = [_batch(tmp_path, i, [name]) for i, name in enumerate(names)]
    options = WorkerOptions(compress=CompressOptions(above=100_000, target_size=150_000))
    with pool.Pool("loky", 1) as alone:
        reference = sorted(
            _key(a) for found in alone.analyze(batches, str(tmp_path), options) for a in found
        )

    killed = []
    results: list[Analysis] = []
    with pool.Pool("loky", 2) as workers:
        for found in workers.analyze(batches, str(tmp_path), options):
            results += found
            if not killed:
                victims = _worker_pids()
                assert victims, "no loky worker found"
                os.kill(victims[0], signal.SIGKILL)
                killed.append(victims[0])
    assert killed
    assert not [a for a in results if a.status is Status.ERROR]
    assert sorted(_key(a) for a in results) == reference  # each file once, as a lone worker did


def test_a_worker_result_crosses_the_pipe_as_its_fields_and_comes_back_whole() -> None:
    """Results are pickled as their class and fields in order (engine.records
    pickled_by_fields): every field, none at its default, survives the trip, in its place."""
    import pickle

    from engine.records import Companion, CompanionResult, DateSource, TzSource

    companion = CompanionResult("a.xmp", 3, 4, "h", "e", 5, 6, "staged/c")
    analysis = Analysis(
        *("IMG_1.JPG", 10, 11, Status.CORRUPT, "why", "note", "hash", "JPEG", 2012),
        *("2012-04-05T06:07:08", DateSource.EXIF, TzSource.GPS_TIME, "other.jpg", "Canon"),
        *((1.5, -2.5), WHEN, True, 6, True, True, 80, 95, 3, 9, "out", "s.jpg", "c.jpg", True),
        *([companion], 12, 13, None, "twin.jpg", "2012/IMG_1.JPG"),
    )
    assert all(
        getattr(analysis, f.name) != f.default
        for f in dataclasses.fields(Analysis)
        if f.name != "similar"
    )
    candidate = Candidate("IMG_1.JPG", 10, 11, "raw", (Companion("IMG_1.CR2", 7, 8),))
    for record in (analysis, candidate, companion):
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        assert pickle.loads(data) == record
        assert b"__setstate__" not in data and record.__reduce__()[0] is type(record)


def test_a_file_its_worker_returned_nothing_for_is_an_error_not_missing(tmp_path: Path) -> None:
    """Every file found gets an answer: should a worker return fewer results than its batch
    had files (a bug), the others are errors that say so, never absent from the journal."""
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        write_photo(tmp_path / name, WHEN)
    batch = _batch(tmp_path, 0, ["a.jpg", "b.jpg", "c.jpg"])
    returned = [Analysis("b.jpg", 1, 2)]
    answers = pool.answered(batch, returned)
    assert [a.rel for a in answers] == ["b.jpg", "a.jpg", "c.jpg"]
    assert [a.status for a in answers[1:]] == [Status.ERROR, Status.ERROR]
    assert all("returned no result" in (a.reason or "") for a in answers[1:])
    assert pool.answered(batch, answers) is answers


def _organize_in_a_fresh_process(
    source: Path, dest: Path, *flags: str, cwd: Path | None = None
) -> dict[str, object]:
    """``imgorg organize`` with two workers in a process of its own (as a user runs it: the
    current folder is not on its path): its exit code and whether numpy was imported by the
    end."""
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from engine.cli import main\n"
        f"code = main(['organize', {str(source)!r}, {str(dest)!r}, '--quiet', *{list(flags)!r}])\n"
        "print(json.dumps({'code': code, 'numpy': 'numpy' in sys.modules}))\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-P", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=cwd,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_writer_does_not_import_numpy_for_joblib(corpus: Path, tmp_path: Path) -> None:
    """joblib imports numpy to share arrays with workers, which imgorg never sends: 70-90 ms
    of the writer's CPU at every run. The near-duplicate stage, which uses it, still can."""
    out = _organize_in_a_fresh_process(corpus / "camera", tmp_path / "dest", "--jobs", "2")
    assert out == {"code": 0, "numpy": False}
    pytest.importorskip("faiss")
    out = _organize_in_a_fresh_process(
        corpus / "camera", tmp_path / "dest2", "--jobs", "2", "--similar"
    )
    assert out == {"code": 0, "numpy": True}
    assert (tmp_path / "dest2" / ".imgorg" / "similar.jsonl").exists()


def test_a_run_leaves_no_warning_of_its_own(corpus: Path, tmp_path: Path) -> None:
    """Each placer process's output pipe is closed once read to its end: left to the garbage
    collector, it was a ResourceWarning in DEST/.imgorg/warnings.log after every run."""
    out = _organize_in_a_fresh_process(corpus / "camera", tmp_path / "dest", "--jobs", "2")
    assert out["code"] == 0
    assert not (tmp_path / "dest" / ".imgorg" / "warnings.log").exists()


def test_a_run_from_a_folder_holding_a_package_named_engine_runs_imgorg_s_own(
    corpus: Path, tmp_path: Path
) -> None:
    """Run from a folder with an ``engine`` package of its own (a user's project), every process
    of the run, placer processes included, runs imgorg's engine, not that one."""
    project = tmp_path / "project"
    (project / "engine" / "stages").mkdir(parents=True)
    (project / "engine" / "__init__.py").write_text("raise ImportError('not imgorg')\n")
    (project / "engine" / "stages" / "__init__.py").write_text("")
    out = _organize_in_a_fresh_process(
        corpus / "camera", tmp_path / "dest", "--jobs", "2", cwd=project
    )
    assert out["code"] == 0
    assert len(list((tmp_path / "dest").rglob("*.jpg"))) > 0


def test_the_files_travelling_with_a_photo_no_worker_could_read_share_its_error(
    tmp_path: Path,
) -> None:
    """A photo that vanished before its worker read it, or whose batch no worker could finish,
    keeps its RAW and sidecar in its answer: each gets the photo's error (they were left out of
    the report and the journal altogether)."""
    from test_decide import MemoryDest

    from engine.policy.naming import Layout
    from engine.records import Companion
    from engine.settings import AnalyseOptions
    from engine.stages.analyse import analyze
    from engine.stages.decide import Coordinator, Folders

    write_photo(tmp_path / "IMG_1.CR2", WHEN)
    (tmp_path / "IMG_1.jpg.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    riders = tuple(
        Companion(name, (tmp_path / name).stat().st_size, 0)
        for name in ("IMG_1.CR2", "IMG_1.jpg.xmp")
    )
    gone = Candidate("IMG_1.jpg", 5000, 0, companions=riders)  # vanished since the walk
    options = WorkerOptions(analyse=AnalyseOptions(), compress=CompressOptions(enabled=False))
    vanished = analyze(str(tmp_path), gone, options)
    (unfinished,) = pool.answered(Batch(0, [gone], 5000), [])
    for analysis in (vanished, unfinished):
        assert analysis.status is Status.ERROR
        assert [c.rel for c in analysis.companions] == ["IMG_1.CR2", "IMG_1.jpg.xmp"]
        folders = Folders(Layout.FLAT, "Corrupted", "NoDate", "Duplicates")
        coordinator = Coordinator("/src", "/dest", MemoryDest(), [gone], folders, move=False)
        decided = {d.rel: d for d in coordinator.accept(analysis)}
        assert set(decided) == {"IMG_1.jpg", "IMG_1.CR2", "IMG_1.jpg.xmp"}
        for rel in ("IMG_1.CR2", "IMG_1.jpg.xmp"):
            assert decided[rel].status is Status.ERROR
            assert decided[rel].reason == f"travels with IMG_1.jpg: {analysis.reason}"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_pools_workers_leave_with_a_killed_writer(corpus: Path, tmp_path: Path) -> None:
    """A writer killed mid-run (SIGKILL, the kernel out of memory) left its loky workers, idle
    or at a batch, waiting for work that never came until loky's idle timeout, five minutes
    later. Each worker now exits within a second of losing its writer."""
    src = tmp_path / "src"
    for n in range(40):
        folder = src / f"card{n}"
        folder.mkdir(parents=True)
        for photo in sorted((corpus / "camera").glob("*.jpg"))[:12]:
            shutil.copyfile(photo, folder / photo.name)
    argv = [sys.executable, "-m", "engine", "organize", str(src), str(tmp_path / "dest")]
    writer = subprocess.Popen(
        [*argv, "--jobs", "2", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and writer.poll() is None:
            time.sleep(0.05)
            workers = _worker_pids(writer.pid)
        assert len(workers) == 2, "the run ended before its workers were seen"
        workers += children(writer.pid)  # and loky's resource tracker, once they are gone
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        deadline = time.monotonic() + 10
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_running, workers)), workers
    finally:
        if writer.poll() is None:
            writer.kill()


def test_a_batch_joblib_runs_in_the_writer_itself_leaves_the_writer_alone() -> None:
    """Where it cannot start processes (no /dev/shm), joblib runs the batches in the writer
    itself: ``exit_with`` called there must not take that for a lost writer."""
    probe = "import os; from engine.stages.work import exit_with; exit_with(os.getpid()); print('alive')"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "alive"), done.stderr
