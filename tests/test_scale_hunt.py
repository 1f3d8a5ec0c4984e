"""Pathological scale: inputs whose cost must stay linear in the number of files (an archive
of millions of files, or an attacker's). Each test counts the work done at two sizes and
checks it grows with the input, not with its square."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.reports import grow
from conftest import write_photo
from engine.cli import main
from engine.dates.original import original_of
from engine.formats.kinds import Kind
from engine.policy import companions


def counted_folds(monkeypatch: pytest.MonkeyPatch, run: Callable[[], object]) -> int:
    """How many names ``run`` folds (``companions._fold``): the unit of a name comparison."""
    calls = 0
    fold = companions._fold

    def counting(name: str) -> str:
        nonlocal calls
        calls += 1
        return fold(name)

    monkeypatch.setattr(companions, "_fold", counting)
    run()
    monkeypatch.setattr(companions, "_fold", fold)
    return calls


def takeout_folder(photos: int) -> dict[str, Kind]:
    """One Takeout album folder: each photo with its JSON and an editor's XMP, and long names
    whose JSON Takeout cut to 46 characters (matched by prefix)."""
    names = {}
    for i in range(photos):
        names[f"IMG_{i:06d}.jpg"] = Kind.IMAGE
        names[f"IMG_{i:06d}.jpg.json"] = Kind.SIDECAR
        names[f"IMG_{i:06d}.jpg.xmp"] = Kind.SIDECAR
        long = f"{i:06d}_a_very_long_holiday_photo_name_from_an_export.jpg"
        names[long] = Kind.IMAGE
        names[long[:46] + ".json"] = Kind.SIDECAR
    return names


def test_matching_the_sidecars_of_one_big_folder_costs_linear_name_comparisons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, large = takeout_folder(500), takeout_folder(2000)
    small_cost = counted_folds(monkeypatch, lambda: companions.group(small))
    large_cost = counted_folds(monkeypatch, lambda: companions.group(large))
    families, orphans = companions.group(large)
    assert orphans == [] and len(families) == 4000
    assert all(len(f.companions) == (2 if f.main.startswith("IMG_") else 1) for f in families)
    assert large_cost < 6 * small_cost  # 4x the files; quadratic matching would be 16x


def edited_takeout_folder(folder: Path, photos: int, data: bytes) -> list[str]:
    """Takeout's album of photos, each with its JSON and Google Photos' edited copy; the
    edited copies' paths."""
    folder.mkdir(parents=True)
    edited = []
    for i in range(photos):
        (folder / f"IMG_{i:05d}.jpg").write_bytes(data)
        (folder / f"IMG_{i:05d}.jpg.json").write_text("{}")
        (folder / f"IMG_{i:05d}-edited.jpg").write_bytes(data)
        edited.append(str(folder / f"IMG_{i:05d}-edited.jpg"))
    return edited


def test_finding_the_originals_of_a_folder_of_edited_copies_costs_linear_name_comparisons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_photo(tmp_path / "seed.jpg")
    small = edited_takeout_folder(tmp_path / "small", 100, data)
    large = edited_takeout_folder(tmp_path / "large", 400, data)
    small_cost = counted_folds(monkeypatch, lambda: [original_of(p) for p in small])
    large_cost = counted_folds(monkeypatch, lambda: [original_of(p) for p in large])
    assert original_of(large[7]) == (
        str(tmp_path / "large" / "IMG_00007.jpg"),
        str(tmp_path / "large" / "IMG_00007.jpg.json"),
    )
    assert large_cost < 6 * small_cost  # 4x the files; a folder read per edited copy is 16x


def test_verify_of_a_large_archive_reads_its_journal_a_row_at_a_time(
    tmp_path: Path, corpus: Path
) -> None:
    """``imgorg verify`` of an archive of 150,000 files: the journal's rows are checked one at a
    time, not read whole first (at a million files that was gigabytes of memory)."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    for photo in sorted((corpus / "camera").glob("*.jpg"))[:20]:
        shutil.copy2(photo, src / photo.name)
    assert main(["organize", str(src), str(dest), "--quiet", "--min-size", "0"]) == 0
    grow(str(dest / ".imgorg" / "journal.sqlite"), 150_000)  # rows of files not in DEST
    # VmHWM, not ru_maxrss: a child inherits its parent's (pytest's) ru_maxrss.
    peak = (
        "import contextlib, io, re, sys\n"
        "from engine.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['verify', sys.argv[1]])\n"
        "status = open('/proc/self/status').read()\n"
        "print(code, int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", peak, str(dest)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "1"  # the grown rows' files are missing, and verify says so
    assert int(out[1]) < 100, f"verify's peak memory: {out[1]} MiB"
