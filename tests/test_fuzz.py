"""Fuzzing: file names, EXIF date strings and file contents, by hypothesis, and a short atheris
run over the metadata parsers (scripts/fuzz runs it for longer)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, read_report, write_photo
from engine.cli import main
from engine.records import Candidate, Status
from engine.worker import WorkerOptions, analyze

SLOW = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

name_text = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=60,
).filter(lambda n: n not in (".", "..") and not n.startswith("._"))
odd_names = st.one_of(
    name_text,
    name_text.map(lambda n: unicodedata.normalize("NFD", n)),
    st.sampled_from(
        ["a b.jpg", "it's.jpg", 'say "cheese".jpg', "x" * 240 + ".jpg", "-rf.jpg", "#1 $HOME.jpg"]
    ),
    st.binary(min_size=1, max_size=40)
    .filter(
        lambda b: (
            b"/" not in b and b"\0" not in b and b not in (b".", b"..") and not b.startswith(b"._")
        )
    )
    .map(os.fsdecode),
)


@SLOW
@given(st.lists(odd_names, min_size=1, max_size=6, unique_by=lambda n: os.fsencode(n)))
def test_any_file_names(tmp_path_factory: pytest.TempPathFactory, names: list[str]) -> None:
    base = tmp_path_factory.mktemp("names")
    src = base / "src"
    src.mkdir()
    for i, name in enumerate(names):
        target = os.path.join(
            os.fsencode(str(src)),
            os.fsencode(name if name.lower().endswith(".jpg") else name + ".jpg"),
        )
        write_photo(base / "tmp.jpg", dt.datetime(2011, 1, 1 + i), seed=i)
        os.rename(base / "tmp.jpg", target)
    report = base / "r.jsonl"
    assert (
        main(
            [
                "organize",
                str(src),
                str(base / "out"),
                "--min-size",
                "0",
                "--quiet",
                "--report",
                str(report),
            ]
        )
        == 0
    )
    lines = read_report(report)
    assert len(lines) == len(names)
    for line in lines:
        assert line["status"] == "placed", line
        assert os.path.exists(os.fsencode(str(base / "out")) + b"/" + os.fsencode(line["dest"]))


@settings(max_examples=60, deadline=None)
@given(
    st.binary(max_size=3000),
    st.sampled_from(["x.jpg", "x.png", "x.gif", "x.tif", "x.webp", "x.bmp"]),
)
def test_any_file_contents(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, name: str
) -> None:
    folder = tmp_path_factory.mktemp("contents")
    (folder / name).write_bytes(data)
    result = analyze(str(folder), Candidate(name, len(data), 0), WorkerOptions())
    assert result.status in (Status.PLACED, Status.CORRUPT)
    assert result.status is Status.CORRUPT or result.format is not None
    if result.status is Status.CORRUPT:
        assert result.reason


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=4000), st.binary(min_size=1, max_size=8))
def test_damaged_real_jpegs(
    tmp_path_factory: pytest.TempPathFactory, offset: int, garbage: bytes
) -> None:
    folder = tmp_path_factory.mktemp("damaged")
    data = bytearray(
        write_photo(folder / "ok.jpg", dt.datetime(2011, 1, 1), orientation=6, size=(64, 48))
    )
    offset %= len(data)
    data[offset : offset + len(garbage)] = garbage
    (folder / "bad.jpg").write_bytes(bytes(data))
    result = analyze(str(folder), Candidate("bad.jpg", len(data), 0), WorkerOptions())
    assert result.status in (Status.PLACED, Status.CORRUPT)


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
def test_atheris_briefly(corpus: Path, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted((corpus / "camera").glob("*.jpg"))[:12] + sorted(
        (corpus / "formats").glob("*.png")
    ):
        if path.stat().st_size < 40_000:
            shutil.copy(path, seeds / path.name)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "fuzz_metadata.py"),
            "-max_total_time=20",
            "-rss_limit_mb=2048",
            str(seeds),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
