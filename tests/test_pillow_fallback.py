"""Installing like any Python tool: `pip install .` into a fresh virtualenv gives a working
`imgorg` with stock Pillow, and stock Pillow (the fallback where Pillow-SIMD cannot be built)
organizes the shared corpus exactly as Pillow-SIMD does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT, read_report

KEYS = ("source", "status", "dest", "year", "date_source", "duplicate_of", "companion_of")
pytestmark = pytest.mark.install


def clean_env() -> dict[str, str]:
    """The environment without this checkout on the path: the installed package must do."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the project installed by a plain `pip install .` (from a copy of
    the checkout, so that no build files land in it); pip's cache keeps the wheels."""
    base = tmp_path_factory.mktemp("install")
    project = base / "imgorg"
    project.mkdir()
    shutil.copytree(
        ROOT / "engine", project / "engine", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    home = base / "venv"
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
    )
    if done.returncode != 0 and "No matching distribution" in done.stderr + done.stdout:
        pytest.skip(f"no package index reachable: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def imgorg(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python.parent / "imgorg"), *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def organize_with(
    command: list[str], corpus: Path, dest: Path, report: Path, cwd: Path
) -> list[dict]:  # type: ignore[type-arg]
    done = subprocess.run(
        [
            *command,
            "organize",
            str(corpus),
            str(dest),
            "--min-size",
            "0",
            "--quiet",
            "--report",
            str(report),
        ],
        cwd=cwd,
        env=clean_env() if cwd != ROOT else dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "", done.stderr
    return [{k: line[k] for k in KEYS} for line in read_report(report)]


def test_plain_pip_install_organizes_the_corpus(
    installed: Path, corpus: Path, tmp_path: Path
) -> None:
    version = imgorg(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("imgorg "), version.stdout
    assert "(pillow " in version.stdout and "no SIMD" in version.stdout, version.stdout
    check = pip(installed, "check")
    assert check.returncode == 0, check.stdout
    # MediaInfo comes with the install: without it a video cut short would be placed as sound
    mediainfo = "from pymediainfo import MediaInfo; assert MediaInfo.can_parse()"
    done = subprocess.run([str(installed), "-c", mediainfo], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-1000:]
    lines = organize_with(
        [str(installed.parent / "imgorg")],
        corpus,
        tmp_path / "dest",
        tmp_path / "r.jsonl",
        tmp_path,
    )
    files = sorted(
        os.path.relpath(os.path.join(folder, name), corpus)
        for folder, _, names in os.walk(corpus)
        for name in names
    )
    assert sorted(line["source"] for line in lines) == files
    placed = [line for line in lines if line["status"] == "placed"]
    assert len(placed) > len(files) // 2
    assert all((tmp_path / "dest" / line["dest"]).is_file() for line in placed)


def test_stock_pillow_organizes_the_corpus_like_pillow_simd(
    installed: Path, corpus: Path, tmp_path: Path
) -> None:
    # the optional decoders scripts/setup adds (HEIC/HEIF, AVIF)
    done = pip(installed, "install", "pillow-heif", "pillow-avif-plugin")
    assert done.returncode == 0, done.stderr[-2000:]
    fallback = organize_with(
        [str(installed.parent / "imgorg")],
        corpus,
        tmp_path / "stock",
        tmp_path / "stock.jsonl",
        tmp_path,
    )
    ours = organize_with(
        [sys.executable, "-m", "engine"], corpus, tmp_path / "simd", tmp_path / "simd.jsonl", ROOT
    )
    assert fallback == ours, json.dumps(
        [(a, b) for a, b in zip(fallback, ours, strict=True) if a != b], indent=1
    )[:3000]
