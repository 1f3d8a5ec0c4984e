"""The writer does no content I/O (issue #14): the workers write every file's bytes into
DEST/.imgorg/staging, the single writer (the top process) only decides, journals and renames;
the staged copy of a file that is not placed from it (a duplicate) is removed in the group
commit that settles it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import tree_digest, write_photo
from engine.cli import main
from engine.formats.kinds import DEFAULT_EXTENSIONS
from engine.policy.naming import Layout
from engine.records import Status
from engine.stages.analyse import WorkerOptions, analyze_all, process_batch
from engine.stages.decide import Coordinator, Folders
from engine.stages.place import Placer
from engine.stages.walk import plan
from engine.store.dest_view import JournalView
from engine.store.journal import Journal


def _written_by_this_process() -> int:
    """Bytes this process has passed to write(2) and friends so far (/proc/self/io wchar)."""
    with open("/proc/self/io") as handle:
        fields = dict(line.split(": ") for line in handle.read().splitlines())
    return int(fields["wchar"])


def _camera_archive(corpus: Path, root: Path) -> int:
    """Every camera photo of the corpus in two folders, and one byte-identical copy of one of
    them elsewhere; return the archive's size in bytes."""
    photos = sorted(p for p in (corpus / "camera").iterdir() if p.suffix.lower() == ".jpg")
    for i, photo in enumerate(photos):
        target = root / ("trip" if i % 2 else "phone") / photo.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(photo, target)
    (root / "backup").mkdir()
    shutil.copy2(photos[0], root / "backup" / photos[0].name)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def test_the_writer_process_writes_none_of_the_photos_bytes(corpus: Path, tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    archive_bytes = _camera_archive(corpus, src)
    before = tree_digest(src)
    written = _written_by_this_process()
    code = main(["organize", str(src), str(dest), "--jobs", "2", "--min-size", "0", "--quiet"])
    written = _written_by_this_process() - written
    assert code in (0, 1)
    placed = [
        p
        for p in dest.rglob("*")
        if p.is_file() and ".imgorg" not in p.parts and p.suffix != ".log"
    ]
    placed_bytes = sum(p.stat().st_size for p in placed)
    assert placed_bytes > 0.9 * archive_bytes * (len(placed) / (len(before) - 1))
    # The journal, the reports and the HTML page are all the writer writes: a small fraction
    # of the photos' bytes (it wrote every byte of them itself before).
    assert written < 0.25 * placed_bytes, (written, placed_bytes)
    # Every placed file keeps its source's mtime (re-encoded or rotated ones have new bytes).
    mtimes = {Path(rel).name: mtime for rel, (_, mtime) in before.items()}
    for path in placed:
        assert path.stat().st_mtime_ns == mtimes[path.name]
    assert tree_digest(src) == before
    assert os.listdir(dest / ".imgorg" / "staging") == []


def test_a_duplicates_staged_copy_is_removed_in_the_group_commit_that_settles_it(
    corpus: Path, tmp_path: Path
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    photo = corpus / "camera" / "Canon_40D.jpg"
    for rel in ("a/Canon_40D.jpg", "b/Canon_40D.jpg"):
        (src / rel).parent.mkdir(parents=True)
        shutil.copy2(photo, src / rel)
    stage_dir = dest / ".imgorg" / "staging"
    stage_dir.mkdir(parents=True)
    candidates = plan(str(src), DEFAULT_EXTENSIONS, exclude=[str(dest)]).candidates
    options = WorkerOptions(stage_dir=str(stage_dir), copy_to_stage=True)
    analyses = analyze_all(str(src), candidates, options)
    # Both were read, so both were written: the workers cannot know which one is kept.
    assert sorted(a.copied is not None for a in analyses) == [True, True]
    assert len(_staged(stage_dir)) == 2
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    try:
        run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
        coordinator, placer = _copy_run(src, dest, journal, run_id, candidates, stage_dir)
        decisions = [d for a in analyses for d in coordinator.accept(a)]
        placer.add(decisions)
        placer.flush()
        assert _staged(stage_dir) == []  # right after the group commit, not at the run's end
        assert placer.copies_discarded == 1
        assert sorted(d.status for d in decisions) == [Status.DUPLICATE, Status.PLACED]
        kept = next(d for d in decisions if d.status is Status.PLACED)
        assert kept.action == "copy" and kept.dest is not None
        placed = dest / kept.dest
        assert placed.read_bytes() == photo.read_bytes()
        assert placed.stat().st_mtime_ns == (src / kept.rel).stat().st_mtime_ns
    finally:
        journal.close()


def _staged(stage_dir: Path) -> list[Path]:
    """The files in staging (each worker process writes into a folder of its own there)."""
    return [p for p in stage_dir.rglob("*") if not p.is_dir()]


def _copy_run(
    src: Path, dest: Path, journal: Journal, run_id: int, candidates: list, stage_dir: Path
) -> tuple[Coordinator, Placer]:
    """The coordinator and the placer of a copy run, wired as organize wires them."""
    coordinator = Coordinator(
        str(src),
        str(dest),
        JournalView(journal, str(src), str(dest), run_id),
        candidates,
        Folders(Layout.NESTED, "corrupted", "nodate", "duplicates"),
        move=False,
    )
    return coordinator, Placer(str(src), str(dest), journal, run_id, stage_dir=str(stage_dir))


def test_the_run_summary_counts_the_discarded_copies(corpus: Path, tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _camera_archive(corpus, src)
    assert main(["organize", str(src), str(dest), "--jobs", "2", "--quiet"]) in (0, 1)
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    summary = json.loads(db.execute("SELECT summary FROM runs").fetchone()[0])
    db.close()
    assert summary["copies_discarded"] == summary["counts"]["duplicate"] == 1
    assert os.listdir(dest / ".imgorg" / "staging") == []


def test_a_file_changed_or_deleted_after_a_worker_copied_it_is_an_error(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    for n, name in enumerate(("a.jpg", "b.jpg", "c.jpg")):
        write_photo(src / name, dt.datetime(2015, 5, 1), seed=n, size=(60 + 10 * n, 50))
    stage_dir = dest / ".imgorg" / "staging"
    stage_dir.mkdir(parents=True)
    candidates = plan(str(src), DEFAULT_EXTENSIONS, exclude=[str(dest)]).candidates
    options = WorkerOptions(stage_dir=str(stage_dir), copy_to_stage=True)
    analyses = analyze_all(str(src), candidates, options)
    assert all(a.copied for a in analyses)
    (src / "a.jpg").write_bytes((src / "a.jpg").read_bytes()[:-10] + b"edited....")
    (src / "c.jpg").unlink()
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    try:
        run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
        coordinator, placer = _copy_run(src, dest, journal, run_id, candidates, stage_dir)
        placer.add([d for a in analyses for d in coordinator.accept(a)])
        placer.flush()
        rows = {d.rel: d for d in journal.decisions(run_id, str(src))}
    finally:
        journal.close()
    assert rows["a.jpg"].status is Status.ERROR and "changed" in (rows["a.jpg"].reason or "")
    assert rows["b.jpg"].status is Status.PLACED
    assert rows["c.jpg"].status is Status.ERROR
    assert rows["c.jpg"].reason == "vanished from SOURCE during the run"
    assert sorted(p.name for p in dest.rglob("*.jpg")) == ["b.jpg"]
    assert _staged(stage_dir) == []


def test_with_a_path_map_the_worker_writes_to_staging_as_its_host_sees_it(
    corpus: Path, tmp_path: Path
) -> None:
    """--path-map (dask on other hosts): the worker reads SOURCE and writes its copy through its
    own mount of DEST; here the coordinator's paths do not even exist on the worker's side."""
    theirs, ours = tmp_path / "worker-view", tmp_path / "coordinator-view"
    src, dest = theirs / "src", theirs / "dest"
    photo = corpus / "camera" / "Canon_40D.jpg"
    (src / "a").mkdir(parents=True)
    shutil.copy2(photo, src / "a" / photo.name)
    (dest / ".imgorg" / "staging").mkdir(parents=True)
    candidates = plan(str(src), DEFAULT_EXTENSIONS).candidates
    options = WorkerOptions(
        stage_dir=str(ours / "dest" / ".imgorg" / "staging"),
        copy_to_stage=True,
        path_map=((str(ours), str(theirs)),),
    )
    _, [result] = process_batch(0, str(ours / "src"), candidates, options)
    assert result.copied is not None and result.ino == 0
    copy = dest / ".imgorg" / "staging" / result.copied
    assert copy.read_bytes() == photo.read_bytes()
    assert copy.stat().st_mtime_ns == (src / "a" / photo.name).stat().st_mtime_ns


def _placer_of(pid: int) -> int | None:
    """The placer process (engine/stages/placers.py) started by ``pid``, if any yet."""
    from benchmarks.common import descendants

    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                if b"engine.stages.placers" in handle.read():
                    return child
        except OSError:
            continue
    return None


def test_a_placer_process_killed_mid_run_stops_the_run_cleanly_and_the_rerun_completes(
    tmp_path: Path,
) -> None:
    """The OOM killer takes a placer process: the run stops with exit 2 and says to run again
    (no traceback, no library warning on the terminal); the same command completes, verify
    passes and every photo is in DEST with its bytes."""
    import signal
    import subprocess
    import time

    from conftest import ROOT

    src, dest = tmp_path / "src", tmp_path / "dest"
    for i in range(1500):
        write_photo(src / f"roll{i // 100}" / f"IMG_{i:04}.jpg", dt.datetime(2015, 1, 1), seed=i)
    command = [sys.executable, "-m", "engine", "organize", str(src), str(dest)]
    command += ["--jobs", "2", "--min-size", "0", "--plain"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    run = subprocess.Popen(command, cwd=ROOT, env=env, text=True, **pipes)
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and run.poll() is None and time.monotonic() < deadline:
        victim = _placer_of(run.pid)
        time.sleep(0.005)
    assert victim is not None, "no placer process seen"
    os.kill(victim, signal.SIGKILL)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 2, out + err
    assert "a placer process ended during the run" in err, err
    assert "run the same command again" in err, err
    assert "Traceback" not in err and "Warning" not in err, err
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert main(["verify", str(dest)]) == 0, (dest / ".imgorg").iterdir()
    placed = {p.name: p.read_bytes() for p in dest.rglob("IMG_*.jpg")}
    assert len(placed) == 1500
    assert all(placed[p.name] == p.read_bytes() for p in src.rglob("IMG_*.jpg"))


def _read_by_this_process() -> int:
    with open("/proc/self/io") as handle:
        fields = dict(line.split(": ") for line in handle.read().splitlines())
    return int(fields["rchar"])


def _organize_counting_reads(src: Path, dest: Path, report: Path) -> tuple[int, list[dict]]:
    """Organize ``src`` into ``dest`` (--jobs 2): the bytes this process (the writer) read
    meanwhile, and the report's rows."""
    read = _read_by_this_process()
    flags = ["--jobs", "2", "--min-size", "0", "--quiet", "--report", str(report)]
    code = main(["organize", str(src), str(dest), *flags])
    read = _read_by_this_process() - read
    assert code in (0, 1)
    return read, [json.loads(line) for line in report.open()]


def test_the_writer_reads_none_of_the_duplicates_bytes(corpus: Path, tmp_path: Path) -> None:
    """Copies of copies: every camera photo twice more under backup folders. Their worker
    proves them identical byte for byte (they share a size, so a batch); the writer used to
    read every duplicate and its kept copy again to compare them. What the writer reads is
    measured against the same run without the copies (imports, the journal, the reports)."""
    plain, copied = tmp_path / "plain", tmp_path / "copied"
    _camera_archive(corpus, plain)
    shutil.copytree(plain, copied)
    originals = [p for p in copied.rglob("*.jpg") if "backup" not in p.parts]
    for copy in ("Copy of album", "album - Copy"):
        for photo in originals:
            target = copied / "backup" / copy / photo.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(photo, target)
    duplicate_bytes = 2 * sum(p.stat().st_size for p in originals)

    def organize(src: Path, dest: Path) -> tuple[int, list[dict]]:
        return _organize_counting_reads(src, dest, dest.with_suffix(".jsonl"))

    organize(plain, tmp_path / "warm-up")  # the modules a run imports are read once
    baseline, _ = organize(plain, tmp_path / "dest-plain")
    read, rows = organize(copied, tmp_path / "dest-copied")
    duplicates = [r for r in rows if r["status"] == "duplicate"]
    assert len(duplicates) == 2 * len(originals) + 1
    assert all(r["reason"].startswith("identical to ") for r in duplicates)
    assert read - baseline < 0.1 * duplicate_bytes, (read, baseline, duplicate_bytes)


def test_the_writer_reads_none_of_the_bytes_of_copies_an_earlier_run_placed(
    corpus: Path, tmp_path: Path
) -> None:
    """A second backup of the same phone, organized into the DEST that holds the first: each
    of its photos repeats a file the first run placed. The worker that read it compares it
    with that file; the writer used to read both again. Measured against the same second
    backup organized into a fresh DEST (no earlier run: nothing to compare)."""
    first, second = tmp_path / "first backup", tmp_path / "second backup"
    _camera_archive(corpus, first)
    shutil.copytree(first, second / "Phone (2)")
    copies = [p for p in second.rglob("*") if p.is_file()]
    copied_bytes = sum(p.stat().st_size for p in copies)

    def organize(src: Path, dest: Path) -> tuple[int, list[dict]]:
        return _organize_counting_reads(src, dest, dest.parent / f"{dest.name}-{src.name}.jsonl")

    organize(first, tmp_path / "warm-up")  # the modules a run imports are read once
    baseline, _ = organize(second, tmp_path / "fresh")
    organize(first, tmp_path / "dest")
    read, rows = organize(second, tmp_path / "dest")
    duplicates = [r for r in rows if r["status"] == "duplicate"]
    assert len(duplicates) == len(copies)
    assert all(r["reason"].startswith(f"identical to {first}") for r in duplicates), duplicates
    assert read - baseline < 0.1 * copied_bytes, (read, baseline, copied_bytes)


def test_a_worker_proves_a_copy_of_an_earlier_runs_file_only_when_their_bytes_are_the_same(
    corpus: Path, tmp_path: Path
) -> None:
    """The worker's proof names the placed file it compared with; a file whose bytes differ
    from it (what a hash collision would be) gets none, nor does one whose earlier copy is
    gone everywhere."""
    from engine.records import Analysis
    from engine.stages.twins import BatchTwins, EarlierCopies

    src, dest = tmp_path / "src", tmp_path / "dest"
    _camera_archive(corpus, src)
    assert main(["organize", str(src), str(dest), "--min-size", "0", "--quiet"]) in (0, 1)
    journal = Journal.open(str(dest / ".imgorg" / "journal.sqlite"))
    row = journal.db.execute(
        "SELECT source_rel, hash, dest FROM files WHERE status = 'placed' ORDER BY source_rel"
    ).fetchone()
    rel, digest, placed_at = os.fsdecode(row[0]), row[1], os.fsdecode(row[2])
    journal.close()
    again = tmp_path / "again"
    again.mkdir()
    same = (src / rel).read_bytes()
    (again / "same.jpg").write_bytes(same)
    (again / "other.jpg").write_bytes(same[:-1] + bytes([same[-1] ^ 1]))
    results = [Analysis(n, len(same), 0, hash=digest) for n in ("same.jpg", "other.jpg")]
    twins = BatchTwins(str(again))
    earlier = EarlierCopies(str(dest / ".imgorg" / "journal.sqlite"), 99, str(dest))
    for result in results:
        earlier.check(result, twins, str(again))
    assert [r.same_as_placed for r in results] == [placed_at, None]
    (src / rel).unlink()  # the copy in DEST is compared now
    (dest / placed_at).unlink()
    gone = Analysis("same.jpg", len(same), 0, hash=digest)
    earlier.check(gone, twins, str(again))
    earlier.close()
    assert gone.same_as_placed is None


def test_the_writer_reads_no_file_to_release_the_sources_of_moved_files(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Move mode, photos turned upright (new bytes in DEST): a source leaves SOURCE for
    DEST/.imgorg/originals once its turned copy and its own bytes verify, reading both. A
    placer process does that; the writer, which did it itself, now reads neither. (What the
    placers read counts in the writer's /proc/self/io once they are reaped: the writer's own
    reads are counted here where it would make them.)"""
    from engine.store import fsops

    reads: list[str] = []
    for name in ("hash_file", "same_bytes", "holds", "copy_into"):
        real = getattr(fsops, name)

        def spy(*args: object, _real=real, _name=name, **kwargs: object) -> object:  # type: ignore[no-untyped-def]
            reads.append(f"{_name}{args}")
            return _real(*args, **kwargs)

        monkeypatch.setattr(fsops, name, spy)
    src, dest = tmp_path / "src", tmp_path / "dest"
    _camera_archive(corpus, src)  # enough files for the pool to run (one batch runs here)
    for photo in (corpus / "orientation").iterdir():
        if photo.stem[-1] in "2345678":
            shutil.copy2(photo, src / "phone" / photo.name)
    flags = ["--jobs", "2", "--min-size", "0", "--quiet", "--mode", "move"]
    assert main(["organize", str(src), str(dest), *flags]) == 0
    assert not [p for p in src.rglob("*") if p.is_file()]
    assert len(list((dest / ".imgorg" / "originals").rglob("*.jpg"))) >= 4
    assert reads == []


def test_names_taken_in_a_hand_sorted_dest_by_files_of_another_size_are_not_read(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merging into an archive sorted by hand that already uses the names imgorg would give
    (IMG_0001.JPG from another camera): a name held by a file of another size is taken, and
    the writer does not read that file to know it; one of the same size is read, and when its
    bytes are the photo's, the photo is recognised as already there."""
    from engine.store import fsops

    src, dest = tmp_path / "src", tmp_path / "dest"
    _camera_archive(corpus, src)
    assert main(["organize", str(src), str(dest), "--min-size", "0", "--quiet"]) == 0
    shutil.rmtree(dest / ".imgorg")  # DEST as a person left it: no journal
    held = sorted(p for p in dest.rglob("*") if p.is_file())
    same = held[0]
    for other in held[1:]:
        other.write_bytes(other.read_bytes() + b"\0")  # another file: one byte longer
    hashed: list[str] = []
    real = fsops.hash_file

    def spy(path: str, *args: object, **kwargs: object) -> str:  # type: ignore[no-untyped-def]
        hashed.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(fsops, "hash_file", spy)
    report = tmp_path / "again.jsonl"
    flags = ["--min-size", "0", "--quiet", "--jobs", "2", "--report", str(report)]
    assert main(["organize", str(src), str(dest), *flags]) == 0
    assert [Path(p) for p in hashed] == [same]
    rows = [json.loads(line) for line in report.open()]
    assert sum("already at its destination" in (r["note"] or "") for r in rows) == 1
    assert sum(r["dest"] is not None and "_1." in r["dest"] for r in rows) >= len(held) - 2


def test_the_writer_reads_none_of_the_bytes_of_raw_files_that_repeat_kept_ones(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RAW+JPEG pairs copied twice in one SOURCE, then once more in a second SOURCE organized
    into the same DEST. Each duplicate JPEG's CR2 repeats the kept one's: the workers compare
    those too (with the kept pair's in their batch, or with the CR2 the first run placed), so
    the writer, which read every repeated RAW and its kept twin, reads none."""
    from engine.store import fsops

    card = tmp_path / "one" / "card" / "DCIM" / "100CANON"
    card.mkdir(parents=True)
    photos = sorted(p for p in (corpus / "camera").iterdir() if p.suffix.lower() == ".jpg")[:12]
    for i, photo in enumerate(photos):
        shutil.copy2(photo, card / f"IMG_{i:04d}.JPG")
        (card / f"IMG_{i:04d}.CR2").write_bytes(b"II*\x00\x08\x00\x00\x00" + os.urandom(50_000))
    shutil.copytree(tmp_path / "one" / "card", tmp_path / "one" / "backup" / "card copy")
    shutil.copytree(tmp_path / "one" / "card", tmp_path / "two" / "card again")
    compared: list[str] = []
    for name in ("same_bytes", "hash_file"):
        real = getattr(fsops, name)

        def spy(*args: object, _real=real, _name=name, **kwargs: object) -> object:  # type: ignore[no-untyped-def]
            compared.append(f"{_name}{args}")
            return _real(*args, **kwargs)

        monkeypatch.setattr(fsops, name, spy)
    dest = tmp_path / "dest"
    for source in ("one", "two"):
        report = tmp_path / f"{source}.jsonl"
        flags = ["--min-size", "0", "--quiet", "--jobs", "2", "--report", str(report)]
        assert main(["organize", str(tmp_path / source), str(dest), *flags]) == 0
        rows = [json.loads(line) for line in report.open()]
        raws = [r for r in rows if r["source"].endswith(".CR2")]
        assert len(raws) == len(photos) * (2 if source == "one" else 1)
        assert sum(r["status"] == "duplicate" for r in raws) == len(photos)
        assert all(r["status"] in ("placed", "duplicate") for r in raws)
    assert compared == []


def test_a_worker_calls_files_twins_only_when_their_bytes_are_the_same(tmp_path: Path) -> None:
    """Two files given the same hash whose bytes differ (what a hash collision would be) are
    left for the coordinator to compare; true copies are marked, with the batch's first."""
    from engine.records import Analysis
    from engine.stages.twins import BatchTwins

    photo = os.urandom(4000)
    (tmp_path / "a.jpg").write_bytes(photo)
    (tmp_path / "b.jpg").write_bytes(photo)
    (tmp_path / "c.jpg").write_bytes(photo[:-1] + bytes([photo[-1] ^ 1]))
    results = [Analysis(name, 4000, 0, hash="same") for name in ("a.jpg", "b.jpg", "c.jpg")]
    results.append(Analysis("broken.jpg", 4000, 0, Status.CORRUPT, hash="same"))
    twins = BatchTwins(str(tmp_path))
    for result in results:
        twins.check(result)
    assert [r.twin_of for r in results] == ["a.jpg", "a.jpg", None, None]


def test_each_worker_process_stages_its_copies_in_a_folder_of_its_own(
    corpus: Path, tmp_path: Path
) -> None:
    """Workers creating files side by side in one folder wait on that folder's lock: each
    worker process writes its copies into its own folder of staging, and the run empties it."""
    import multiprocessing

    src, dest = tmp_path / "src", tmp_path / "dest"
    _camera_archive(corpus, src)
    stage = dest / ".imgorg" / "staging"
    stage.mkdir(parents=True)
    candidates = plan(str(src), DEFAULT_EXTENSIONS).candidates
    options = WorkerOptions(stage_dir=str(stage), copy_to_stage=True, exiftool=False)
    fork = multiprocessing.get_context("fork")
    made = fork.Queue()

    def work(batch: list) -> None:  # type: ignore[type-arg]
        made.put([r.copied for r in process_batch(0, str(src), batch, options)[1] if r.copied])

    workers = [
        fork.Process(target=work, args=(half,)) for half in (candidates[::2], candidates[1::2])
    ]
    for worker in workers:
        worker.start()
    copies = [made.get(timeout=60), made.get(timeout=60)]
    for worker in workers:
        worker.join(60)
    folders = [{name.split("/")[0] for name in names} for names in copies]
    assert [len(f) for f in folders] == [1, 1] and folders[0] != folders[1]
    assert all((stage / name).is_file() for names in copies for name in names)
    assert main(["organize", str(src), str(dest), "--jobs", "2", "--quiet"]) in (0, 1)
    assert os.listdir(stage) == []
