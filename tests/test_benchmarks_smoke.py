"""Smoke test of the benchmark scripts on tiny inputs: they run, write their tables, and report
peers that are not installed as unavailable. No timing assertions."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from benchmarks import common
from benchmarks import compress as compress_bench
from benchmarks import coordinator as coordinator_bench
from benchmarks import journal as journal_bench
from benchmarks import run as run_bench
from benchmarks import scale as scale_bench
from benchmarks import writer as writer_bench
from benchmarks.make_archive import Spec, make_archive, make_stamped_archive, plan


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
        assert ours["writer_cpu_s"] > 0 and ours["writer_us_per_file"] > 0
        for row in block["rows"]:
            assert row.get("seconds") is not None or row["does"] == "unavailable"
    peers = {row["tool"] for row in results["archives"]["organize-only"]["rows"]}
    assert {"organize-tool 3.3.0", "organize-tool 3.3.0 + duplicate filter", "jdupes -r"} <= peers
    assert "| tool |" in (out / "results.md").read_text()
    assert "workers one writer can feed" in (out / "results.md").read_text()


def test_coordinator_quick(tmp_path: Path) -> None:
    assert coordinator_bench.main(["--quick", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "coordinator.json").read_text())["rows"]
    assert [r["records"] for r in rows] == [500, 500, 500]
    assert rows[0]["files_in_dest"] > 400  # placed and corrupt copies; duplicates not copied


def test_journal_quick(capsys: pytest.CaptureFixture[str]) -> None:
    assert journal_bench.main(["--files", "600", "--batches", "100,300", "--rounds", "1"]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows if row[0][2:].isdigit()] == ["| 100", "| 300"]


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


def test_stamped_archive_has_unique_valid_files_and_the_same_duplicates(tmp_path: Path) -> None:
    from PIL import Image

    spec = Spec(files=300, seed=5, tiny=True)
    manifest = make_stamped_archive(str(tmp_path), spec, pool=4)
    files = manifest["files"]  # type: ignore[index]
    digest = {
        f["file"]: hashlib.sha256((tmp_path / f["file"]).read_bytes()).hexdigest() for f in files
    }
    originals = [f for f in files if f["kind"] != "duplicate"]
    assert len({digest[f["file"]] for f in originals}) == len(originals)
    for f in files:
        if f["kind"] == "duplicate":
            assert digest[f["file"]] == digest[f["of"]]
    photos = [f for f in files if f["kind"] == "photo"][:20]
    for f in photos:
        with Image.open(tmp_path / f["file"]) as image:
            image.load()
            assert image.getexif().get_ifd(0x8769).get(36867)  # the base photo's date
            assert image.info["comment"].startswith(b"imgorg benchmark file")


def test_cpu_split_adds_up_to_what_wait4_sees(tmp_path: Path) -> None:
    """The writer's own CPU plus its workers' is all the CPU of the imgorg process tree, as the
    parent's wait4 counts it: nothing is missed or counted twice."""
    source = tmp_path / "src"
    make_stamped_archive(str(source), Spec(files=400, seed=2, tiny=True))
    rss = tmp_path / "rss.json"
    cmd, env = common.imgorg_cmd(
        [
            "organize",
            str(source),
            str(tmp_path / "dest"),
            "--quiet",
            "--min-size",
            "0",
            "--jobs",
            "2",
        ],
        str(rss),
    )
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    facts = json.loads(rss.read_text())
    split = common.cpu_split(facts, 400)
    assert split["pool"] and split["workers_cpu_s"] > 0 and split["writer_cpu_s"] > 0
    total = usage.ru_utime + usage.ru_stime
    measured = split["writer_cpu_s"] + split["workers_cpu_s"]
    assert measured <= total + 0.05
    assert measured >= 0.9 * total - 0.1  # the rest: the shutdown after the last reading
    assert split["workers_per_writer"] == pytest.approx(
        split["workers_cpu_s"] / split["writer_cpu_s"]
    )


def test_writer_quick(tmp_path: Path) -> None:
    argv = ["--quick", "--tiny-files", "150", "--photo-files", "40", "--out", str(tmp_path)]
    assert writer_bench.main(argv) == 0
    data = json.loads((tmp_path / "writer.json").read_text())
    assert set(data["archives"]) == {"tiny", "photos"}
    for block in data["archives"].values():
        table = block["table"]
        assert set(table) == {"imgorg --jobs 1", "imgorg --jobs 2", "cp -r + sync"}
        one, two, cp = table["imgorg --jobs 1"], table["imgorg --jobs 2"], table["cp -r + sync"]
        assert not one["pool"] and one["workers_cpu"] == "in the writer (no pool)"
        assert two["pool"] and two["workers_cpu_s"] > 0 and two["writer_us_per_file"] > 0
        assert two["out_files"] > 0 and cp["out_files"] > 0
        (ratios,) = block["ratios"]
        assert ratios["vs_cp"] == pytest.approx(cp["seconds"] / two["seconds"])
        assert ratios["speedup"] == pytest.approx(one["seconds"] / two["seconds"])
    text = (tmp_path / "writer.md").read_text()
    assert "workers one writer can feed" in text and "cp -r + sync" in text


def test_scale_refuses_a_run_that_cannot_fit(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="needs about"):
        scale_bench.check_room(str(tmp_path), 10**13)
