"""Kill a real run at seeded random moments (SIGKILL to the whole process group), re-run it,
and check that nothing was lost, nothing half-written remains, and the outcome is the same as
that of an uninterrupted run; then that verify passes and undo gives SOURCE back exactly."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xxhash

from conftest import ROOT, read_report, tree_digest, write_photo
from engine.cli import main

KILLS = int(os.environ.get("IMGORG_KILLS", "32"))


def build_archive(root: Path, files: int = 90) -> None:
    rng = random.Random(5)
    for i in range(files):
        folder = root / f"roll{i % 4}" / ("sub" if i % 3 else "")
        when = dt.datetime(2000 + i % 20, 1 + i % 12, 1 + i % 28)
        write_photo(folder / f"IMG_{i:04d}.jpg", when, size=(120, 90), seed=i)
    for i in range(0, files, 9):
        src = root / f"roll{i % 4}" / ("sub" if i % 3 else "") / f"IMG_{i:04d}.jpg"
        shutil.copyfile(src, root / f"roll{(i + 1) % 4}" / f"copy_{i}.jpg")
    (root / "big").mkdir()
    for i in range(3):
        write_photo(
            root / "big" / f"large_{i}.jpg",
            dt.datetime(2012, 1, 1),
            size=(900, 700),
            seed=100 + i,
            quality=97,
        )
    (root / "broken.jpg").write_bytes((root / "big" / "large_0.jpg").read_bytes()[:5000])
    rng.random()


def command(src: Path, dest: Path, mode: str, report: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "engine",
        "organize",
        str(src),
        str(dest),
        "--mode",
        mode,
        "--min-size",
        "0",
        "--compress-above",
        "100KB",
        "--target-size",
        "150KB",
        "--jobs",
        "2",
        "--quiet",
        "--report",
        str(report),
    ]


def run(cmd: list[str], kill_after: float | None = None) -> int | None:
    proc = subprocess.Popen(
        cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if kill_after is None:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), err.decode()
        return proc.returncode
    time.sleep(kill_after)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return None


def compressed_in_journal(dest: Path) -> set[str]:
    """Sources whose placed copy is a re-encode, with its output verified against the journal."""
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    rows = db.execute(
        "SELECT source_rel, dest, out_hash FROM files WHERE compressed = 1 AND state = 'done'"
    ).fetchall()
    db.close()
    out = set()
    for rel, placed, out_hash in rows:
        data = (dest / os.fsdecode(placed)).read_bytes()
        assert xxhash.xxh3_128_hexdigest(data) == out_hash
        out.add(os.fsdecode(rel))
    return out


def outcome(report: Path) -> list[tuple]:
    return sorted(
        (x["source"], x["status"], x["dest"], x["duplicate_of"]) for x in read_report(report)
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    base = tmp_path_factory.mktemp("kill")
    src = base / "pristine"
    build_archive(src)
    reference = base / "reference"
    started = time.monotonic()
    run(command(src, reference, "copy", base / "reference.jsonl"))
    return src, base / "reference.jsonl", time.monotonic() - started


def assert_clean(dest: Path) -> None:
    names = tree_digest(dest)
    assert not [n for n in names if ".imgorg-tmp" in n or n.endswith(".part")], names
    staging = dest / ".imgorg" / "staging"
    assert not staging.exists() or not os.listdir(staging)


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_kill_anywhere_then_resume(archive, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    pristine, reference_report, duration = archive
    expected = outcome(reference_report)
    rng = random.Random(f"{mode}-seed")
    pristine_digest = tree_digest(pristine)
    for attempt in range(KILLS // 2):
        src = tmp_path / f"src{attempt}"
        shutil.copytree(pristine, src)
        for rel, (_, mtime) in pristine_digest.items():
            os.utime(src / rel, ns=(mtime, mtime))
        dest = tmp_path / f"dest{attempt}"
        report = tmp_path / f"r{attempt}.jsonl"
        # one or two kills at random moments, then a run to completion
        for _ in range(rng.choice([1, 2])):
            run(command(src, dest, mode, report), kill_after=rng.uniform(0.2, duration * 1.1))
        run(command(src, dest, mode, report))
        assert_clean(dest)
        final = tree_digest(dest)
        if mode == "copy":
            assert tree_digest(src) == pristine_digest
            assert outcome(report) == expected
            lines = read_report(report)
            for rel, line in ((x["source"], x) for x in lines):
                if line["status"] == "placed" and not line["compressed"]:
                    assert final[line["dest"]][0] == pristine_digest[rel][0]
            assert {x["dest"] for x in lines if x["status"] == "placed"} <= set(final)
        else:
            survivors = {digest for digest, _ in final.values()} | {
                digest for digest, _ in tree_digest(src).values()
            }
            lost = [rel for rel, (digest, _) in pristine_digest.items() if digest not in survivors]
            assert not lost, "move mode keeps the originals of re-encoded files"
            compressed_in_journal(dest)
        # and the resumed run verifies, and undoes back to SOURCE exactly
        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert tree_digest(src) == pristine_digest
        shutil.rmtree(src)
        shutil.rmtree(dest)
