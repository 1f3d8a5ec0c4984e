"""Smoke test of the benchmark scripts on tiny inputs: they run, write their tables, and report
peers that are not installed as unavailable. No timing assertions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import common
from benchmarks import compress as compress_bench
from benchmarks import coordinator as coordinator_bench
from benchmarks import run as run_bench
from benchmarks.make_archive import Spec, make_archive, plan


def test_archive_is_deterministic_and_has_the_mix(tmp_path: Path) -> None:
    spec = Spec(files=60, seed=3, tiny=True)
    assert plan(spec) == plan(spec)
    manifest = make_archive(str(tmp_path / "a"), spec)
    kinds = {f["kind"] for f in manifest["files"]}  # type: ignore[index]
    assert {"photo", "duplicate"} <= kinds
    make_archive(str(tmp_path / "b"), spec, jobs=2)
    for entry in manifest["files"]:  # type: ignore[attr-defined]
        rel = entry["file"]
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_ssim_is_one_for_identical_images_and_lower_for_noise() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(64, 80)).astype(np.float32)
    assert compress_bench.ssim(image, image) == pytest.approx(1.0)
    noisy = np.clip(image + rng.normal(0, 40, size=image.shape), 0, 255).astype(np.float32)
    assert compress_bench.ssim(image, noisy) < 0.9


def test_run_quick(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_bench.main(["--quick", "--no-install", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["archives"]) == {"organize-only", "compression-heavy"}
    for block in results["archives"].values():
        rows = {row["tool"]: row for row in block["rows"]}
        ours = rows[next(t for t in rows if t.startswith("imgorg --jobs"))]
        assert ours["ratio"] == pytest.approx(1.0)
        assert ours["files"] > 0 and ours["out_files"] > 0 and ours["rss_mb"] > 0
        for row in block["rows"]:
            assert row.get("seconds") is not None or row["does"] == "unavailable"
    assert "| tool |" in (out / "results.md").read_text()


def test_coordinator_quick(tmp_path: Path) -> None:
    assert coordinator_bench.main(["--quick", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "coordinator.json").read_text())["rows"]
    assert [r["records"] for r in rows] == [500, 500, 500]
    assert rows[0]["files_in_dest"] > 400  # placed and corrupt copies; duplicates not copied


def test_compress_quick(tmp_path: Path) -> None:
    assert compress_bench.main(["--quick", "--no-install", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "compress.json").read_text())
    tools = {row["tool"]: row for row in data["summary"]}
    assert tools["imgorg"]["images"] == 2 and tools["Pillow bisection"]["images"] == 2
    assert not data["failures"]
    for peer in ("ImageMagick", "jpegoptim"):
        assert tools[peer]["images"] == 2 or tools[peer]["within"].startswith("unavailable")


def test_missing_tool_is_unavailable_not_an_error() -> None:
    tool = common.ensure_tool("nothing", "/nonexistent/bin/tool", "no-such-package", install=False)
    assert not tool.available and "not installed" in tool.note
