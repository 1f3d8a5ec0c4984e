"""Crash at every step: kill a small run just before each of its file-system-changing system
calls (strace injects SIGKILL at the k-th call), resume it with the same command, verify, undo,
and check that every photo's bytes are in SOURCE again and that SOURCE is as it was.

Random kill times rarely hit the narrow windows (between a rename and the journal, inside the
SOURCE sync, inside tidy); this walks every one of them. scripts/soak runs it on a larger archive
(IMGORG_CRASH_ARCHIVE=large); the suite walks the small one.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import xxhash

from conftest import ENV, ROOT, corpus_or_skip, imgorg, run_killed_at, tree_digest

SYSCALLS = (
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "mkdir",
    "mkdirat",
    "syncfs",
    "fdatasync",
    "fsync",
    "ftruncate",
)
LARGE = os.environ.get("IMGORG_CRASH_ARCHIVE") == "large"
# Each point costs about a second: the suite takes at most this many calls of each kind, spread
# evenly from the first to the last (0: every call, as scripts/soak does).
PER_CALL = int(os.environ.get("IMGORG_CRASH_PER_CALL", "0" if LARGE else "8"))

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")


def build_archive(root: Path) -> None:
    """8 camera photos in two folders, 2 byte-identical copies elsewhere, 1 truncated file."""
    camera = corpus_or_skip() / "camera"
    photos = sorted(p for p in camera.iterdir() if p.suffix.lower() == ".jpg")
    photos = photos[: 40 if LARGE else 8]
    for i, photo in enumerate(photos):
        folder = root / ("2019/trip" if i % 2 else "phone") / (f"roll{i // 8}" if LARGE else "")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, folder / photo.name)
    (root / "backup").mkdir()
    for i, photo in enumerate(photos[::4][: 10 if LARGE else 2]):
        shutil.copyfile(photo, root / "backup" / f"copy{i}_{photo.name}")
    truncated = photos[-1].read_bytes()
    (root / "phone" / "truncated.jpg").write_bytes(truncated[: len(truncated) // 2])


def command(src: Path, dest: Path, mode: str, jobs: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "engine",
        "organize",
        str(src),
        str(dest),
        "--mode",
        mode,
        "--jobs",
        str(jobs),
        "--min-size",
        "0",
        "--quiet",
    ]


def count_calls(src: Path, dest: Path, mode: str, trace: Path) -> Counter[str]:
    """How many times a clean run makes each call (one process: --jobs 1 analyses in place)."""
    per_call: Counter[str] = Counter()
    for (_pid, name), n in calls_by_process(src, dest, mode, trace).items():
        per_call[name] = max(per_call[name], n)
    return per_call


def calls_by_process(
    src: Path, dest: Path, mode: str, trace: Path, jobs: int = 1
) -> Counter[tuple[str, str]]:
    """How many times each process of a clean run makes each call: (pid, call) -> count."""
    done = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-o",
            str(trace),
            f"--trace={','.join(SYSCALLS)}",
            *command(src, dest, mode, jobs),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    calls: Counter[tuple[str, str]] = Counter()
    for line in trace.read_text().splitlines():
        found = re.match(r"(\d+)\s+(\w+)\(", line)
        if found and found.group(2) in SYSCALLS:
            calls[found.group(1), found.group(2)] += 1
    return calls


def kill_at(src: Path, dest: Path, mode: str, syscall: str, k: int, jobs: int = 1) -> None:
    """Run under strace, SIGKILLed on entry to the k-th ``syscall``; then kill the whole group."""
    run_killed_at(syscall, k, command(src, dest, mode, jobs), ENV)


def contents(root: Path) -> dict[str, str]:
    return {rel: digest for rel, (digest, _) in tree_digest(root).items()}


def compressed_outputs(dest: Path) -> dict[str, str]:
    """Sources placed as a re-encode: source path -> sha256 of the placed file, when it is
    exactly the output the journal recorded."""
    journal = dest / ".imgorg" / "journal.sqlite"
    if not journal.exists():
        return {}
    db = sqlite3.connect(journal)
    try:
        rows = db.execute(
            "SELECT source_rel, dest, out_hash FROM files WHERE compressed = 1 AND dest IS NOT NULL"
        ).fetchall()
    finally:
        db.close()
    out = {}
    for rel, placed, out_hash in rows:
        path = dest / os.fsdecode(placed)
        if path.is_file() and xxhash.xxh3_128_hexdigest(data := path.read_bytes()) == out_hash:
            out[os.fsdecode(rel)] = hashlib.sha256(data).hexdigest()
    return out


def check_point(
    pristine: Path, base: Path, mode: str, syscall: str, k: int, jobs: int = 1
) -> str | None:
    """Crash at one point, then resume, verify and undo; None when all held, else what broke."""
    src, dest = base / "src", base / "dest"
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(pristine, src)
    original = contents(pristine)
    kill_at(src, dest, mode, syscall, k, jobs)
    code, out = imgorg(*command(src, dest, mode, jobs)[3:])  # the same command
    if code != 0:
        return f"resume exit {code}: {out.strip()[-300:]}"
    # A photo compressed in move mode lives on as its verified re-encode (by design).
    accepted = {rel: {digest} for rel, digest in original.items()}
    for rel, digest in compressed_outputs(dest).items():
        accepted[rel].add(digest)
    where = set(contents(src).values()) | set(contents(dest).values())
    lost = sorted(rel for rel, digests in accepted.items() if not digests & where)
    if lost:
        return f"after resume, bytes found nowhere: {lost}"
    code, out = imgorg("verify", str(dest))
    if code != 0:
        return f"verify exit {code}: {out.strip()[-300:]}"
    code, out = imgorg("undo", str(dest))
    now = contents(src)
    missing = sorted(rel for rel, digests in accepted.items() if now.get(rel) not in digests)
    if missing:
        where = set(now.values()) | set(contents(dest).values())
        lost = [rel for rel in missing if not accepted[rel] & where]
        return (
            f"undo exit {code}, SOURCE incomplete: {missing}"
            + (f"; found nowhere: {lost}" if lost else "")
            + f"; undo said: {out.strip()[-200:]}"
        )
    if code != 0:
        return f"undo exit {code} with SOURCE complete: {out.strip()[-300:]}"
    extra = sorted(set(now) - set(original))
    if extra:
        return f"undo left files in SOURCE it did not hold: {extra}"
    left = [p for p in contents(dest) if not p.startswith(".imgorg")]
    if left:
        return f"undo left photos in DEST: {left}"
    return None


def points(per_call: Counter[str], cap: int) -> list[tuple[str, int]]:
    """(syscall, k) for every call of each kind, or ``cap`` of them spread from first to last."""
    chosen = []
    for name in SYSCALLS:
        n = per_call[name]
        ks = (
            range(1, n + 1)
            if not cap or n <= cap
            else sorted({1 + round(i * (n - 1) / (cap - 1)) for i in range(cap)})
        )
        chosen += [(name, k) for k in ks]
    return chosen


@pytest.mark.parametrize("mode", ["move", "copy"])
def test_crash_before_every_file_system_call_then_resume_verify_undo(
    tmp_path: Path, mode: str
) -> None:
    pristine = tmp_path / "pristine"
    build_archive(pristine)
    clean = tmp_path / "clean"
    shutil.copytree(pristine, clean / "src")
    started = time.monotonic()
    per_call = count_calls(clean / "src", clean / "dest", mode, tmp_path / "trace")
    every = points(per_call, PER_CALL)
    assert len(every) >= 20, per_call
    broken = {}
    for syscall, k in every:
        why = check_point(pristine, tmp_path / "point", mode, syscall, k)
        if why is not None:
            broken[f"{syscall}#{k}"] = why
    seconds = time.monotonic() - started
    print(f"{mode}: {len(every)} points of {sum(per_call.values())} calls in {seconds:.0f} s")
    report = "\n".join(f"{point}: {why}" for point, why in broken.items())
    assert not broken, report


PLACER_CALLS = ("renameat2", "syncfs")


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_crash_inside_a_placer_process_then_resume_verify_undo(tmp_path: Path, mode: str) -> None:
    """With a pool (--jobs 2) the renames and syncs of each group commit run in a placer
    process (engine/stages/commit.py), and so does move mode's release of the sources
    (engine/stages/release.py), not the writer: a kill there, at any of those calls, leaves a
    journal and a disk the same command resumes from, that verify and undo accept."""
    pristine = tmp_path / "pristine"
    build_archive(pristine)
    clean = tmp_path / "clean"
    shutil.copytree(pristine, clean / "src")
    calls = calls_by_process(clean / "src", clean / "dest", mode, tmp_path / "trace", jobs=2)
    by_pid: dict[str, Counter[str]] = {}
    for (pid, name), n in calls.items():
        by_pid.setdefault(pid, Counter())[name] += n
    writer = min(by_pid, key=int)  # the first process traced
    # The writer renames nothing: the placers do each group commit's renames and, in move
    # mode, the release of its sources (a turned or re-encoded file's original renamed into
    # DEST/.imgorg/originals, engine/stages/release.py).
    assert by_pid[writer]["renameat2"] == 0, "the writer renamed files itself"
    placers = [pid for pid, made in by_pid.items() if pid != writer and made["renameat2"]]
    assert placers, calls
    most = {name: max(by_pid[pid][name] for pid in placers) for name in PLACER_CALLS}
    broken = {}
    for name, n in most.items():
        for k in sorted({1, (n + 1) // 2, n} - {0}):
            why = check_point(pristine, tmp_path / "point", mode, name, k, jobs=2)
            if why is not None:
                broken[f"{name}#{k}"] = why
    assert not broken, "\n".join(f"{point}: {why}" for point, why in broken.items())
