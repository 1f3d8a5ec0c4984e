"""The fallback: where Pillow-SIMD cannot be built, scripts/setup installs stock Pillow. The engine
must organize the shared corpus the same way on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT, read_report

KEYS = ("source", "status", "dest", "year", "date_source", "duplicate_of", "companion_of")


@pytest.fixture(scope="session")
def stock_pillow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("stock-pillow")
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / "bin" / "python"
    packages = [
        "pillow",
        "xxhash",
        "joblib",
        "rich",
        "pillow-heif",
        "pillow-avif-plugin",
        "pymediainfo",
    ]
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *packages],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install stock Pillow here: {done.stderr.strip()[-300:]}")
    return python


def organize_with(python: Path, corpus: Path, dest: Path, report: Path) -> list[dict]:  # type: ignore[type-arg]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [
            str(python),
            "-m",
            "engine",
            "organize",
            str(corpus),
            str(dest),
            "--min-size",
            "0",
            "--quiet",
            "--report",
            str(report),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [{k: line[k] for k in KEYS} for line in read_report(report)]


def test_stock_pillow_organizes_the_corpus_like_pillow_simd(
    stock_pillow: Path, corpus: Path, tmp_path: Path
) -> None:
    which = subprocess.run(
        [
            str(stock_pillow),
            "-c",
            "from engine.imaging import imaging_library; print(imaging_library())",
        ],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert which.startswith("pillow "), which
    fallback = organize_with(stock_pillow, corpus, tmp_path / "stock", tmp_path / "stock.jsonl")
    ours = organize_with(Path(sys.executable), corpus, tmp_path / "simd", tmp_path / "simd.jsonl")
    assert fallback == ours, json.dumps(
        [(a, b) for a, b in zip(fallback, ours, strict=True) if a != b], indent=1
    )[:3000]
