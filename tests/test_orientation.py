"""Every EXIF orientation, on the real sample set: after organizing, each image is upright for
a viewer that ignores EXIF, or (where no lossless turn exists) keeps its tag and says so."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from conftest import write_photo


def difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size, (a.size, b.size)
    return float(
        np.abs(
            np.asarray(a.convert("RGB"), np.int16) - np.asarray(b.convert("RGB"), np.int16)
        ).mean()
    )


def upright_like(image: Image.Image, reference: Image.Image) -> bool:
    """Near the reference (the samples were saved separately, so never identical) and far
    nearer than the reference's own mirror image."""
    near = difference(image, reference)
    mirrored = difference(image, reference.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    return near < 6 and near * 3 < mirrored


@pytest.fixture(scope="module")
def organized(corpus: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from conftest import read_report
    from engine.cli import main

    dest = tmp_path_factory.mktemp("orient")
    report = dest / "report.jsonl"
    assert (
        main(
            [
                "organize",
                str(corpus / "orientation"),
                str(dest / "out"),
                "--min-size",
                "0",
                "--report",
                str(report),
                "--quiet",
            ]
        )
        == 0
    )
    return dest / "out", {line["source"]: line for line in read_report(report)}


@pytest.mark.parametrize("kind", ["Landscape", "Portrait"])
@pytest.mark.parametrize("orientation", range(0, 9))
def test_each_orientation(corpus: Path, organized, kind: str, orientation: int) -> None:  # type: ignore[no-untyped-def]
    dest, lines = organized
    line = lines[f"{kind}_{orientation}.jpg"]
    assert line["status"] == "placed"
    reference = Image.open(corpus / "orientation" / f"{kind}_1.jpg")
    placed = Image.open(dest / line["dest"])
    tag = placed.getexif().get(0x0112)
    if line["rotated"]:
        assert tag == 1
        assert upright_like(placed, reference)
        assert line["bytes_out"] <= line["bytes_in"]
    elif orientation in (0, 1):
        assert (dest / line["dest"]).read_bytes() == (
            corpus / "orientation" / line["source"]
        ).read_bytes()
        assert upright_like(placed, reference)
    else:
        assert "orientation kept as a tag" in line["note"]
        assert tag == orientation
        assert upright_like(ImageOps.exif_transpose(placed), reference)


def test_rotation_can_be_turned_off(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    data = write_photo(source / "a.jpg", None, orientation=6, size=(160, 96))
    _, report = organize(source, tmp_path / "on", "--min-size", "0")
    assert report[0]["rotated"]
    placed = Image.open(tmp_path / "on" / report[0]["dest"])
    assert placed.size == (96, 160)
    assert placed.getexif()[0x0112] == 1
    assert placed.getexif()[0x010F] == "imgorg-test"
    _, report = organize(source, tmp_path / "off", "--min-size", "0", "--fix-orientation", "none")
    assert not report[0]["rotated"]
    assert (tmp_path / "off" / report[0]["dest"]).read_bytes() == data


def test_png_turns_only_with_all(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    from benchmarks.make_archive import photo

    source = tmp_path / "src"
    source.mkdir()
    exif = Image.Exif()
    exif[0x0112] = 8
    photo(40, 20, seed=1).save(source / "shot.png", exif=exif.tobytes())
    _, report = organize(source, tmp_path / "jpeg-only", "--min-size", "0")
    assert not report[0]["rotated"]
    _, report = organize(source, tmp_path / "all", "--min-size", "0", "--fix-orientation", "all")
    assert report[0]["rotated"]
    turned = Image.open(tmp_path / "all" / report[0]["dest"])
    assert turned.size == (20, 40)
    assert turned.getexif()[0x0112] == 1


def test_a_jpegtran_that_never_finishes_is_stopped_and_the_photo_kept_as_it_is(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A jpegtran that hangs (a runaway image, a broken build) must not hang the run: it is
    killed after the time limit, the photo is placed unturned with its tag, and the run ends."""
    import time

    from engine.formats import rotate

    stuck = tmp_path / "bin"
    stuck.mkdir()
    (stuck / "jpegtran").write_text("#!/bin/sh\nexec sleep 600\n")
    (stuck / "jpegtran").chmod(0o755)
    monkeypatch.setenv("PATH", f"{stuck}:{os.environ['PATH']}")
    monkeypatch.setattr(rotate, "JPEGTRAN_SECONDS", 1.0)
    source = tmp_path / "src"
    source.mkdir()
    original = (corpus / "orientation" / "Landscape_8.jpg").read_bytes()
    (source / "Landscape_8.jpg").write_bytes(original)
    started = time.monotonic()
    code, report = organize(source, tmp_path / "dest", "--min-size", "0", "--jobs", "1")
    assert time.monotonic() - started < 30
    assert code == 0
    (line,) = report
    assert line["status"] == "placed" and not line["rotated"]
    assert "did not finish within 1 s" in line["note"]
    assert (tmp_path / "dest" / line["dest"]).read_bytes() == original


def test_jpegtran_is_not_started_for_a_turn_it_would_refuse(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 1200x1800 photo tagged 6 would move its last, half MCU row to the left edge: jpegtran
    -perfect refuses it, so it is not even started (a process per such photo was most of a
    worker's time on an archive of such photos); the one tagged 8 is still turned by it."""
    import shutil

    calls = tmp_path / "calls.log"
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "jpegtran").write_text(
        f'#!/bin/sh\necho "$@" >> {calls}\nexec {shutil.which("jpegtran")} "$@"\n'
    )
    (shim / "jpegtran").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}:{os.environ['PATH']}")
    source = tmp_path / "src"
    source.mkdir()
    for name in ("Landscape_6.jpg", "Landscape_8.jpg"):
        shutil.copy(corpus / "orientation" / name, source / name)
    code, report = organize(source, tmp_path / "dest", "--min-size", "0", "--jobs", "1")
    assert code == 0
    lines = {Path(line["source"]).name: line for line in report}
    refused, turned = lines["Landscape_6.jpg"], lines["Landscape_8.jpg"]
    assert not refused["rotated"] and "1200x1800 is not a whole number" in refused["note"]
    assert (tmp_path / "dest" / refused["dest"]).read_bytes() == (
        source / "Landscape_6.jpg"
    ).read_bytes()
    assert turned["rotated"]
    assert len(calls.read_text().splitlines()) == 1


@pytest.mark.parametrize("subsampling", ["grey", 0, 1, 2])
def test_the_turns_jpegtran_refuses_are_known_from_the_frame_header(
    subsampling: str | int,
) -> None:
    """For every orientation, MCU shape (grey 8x8, 4:4:4 8x8, 4:2:2 16x8, 4:2:0 16x16) and
    side that is or is not whole MCUs, the frame header predicts what jpegtran -perfect does."""
    import io
    import subprocess

    from benchmarks.make_archive import photo
    from engine.formats import jpeg
    from engine.formats.rotate import JPEGTRAN_OPS, jpegtran, turns_losslessly

    tool = jpegtran()
    if tool is None:
        pytest.skip("jpegtran is not installed")
    for size in ((48, 40), (40, 48), (48, 48), (44, 44)):
        buffer = io.BytesIO()
        image = photo(*size, seed=3)
        if subsampling == "grey":
            image.convert("L").save(buffer, "JPEG")
        else:
            image.save(buffer, "JPEG", subsampling=subsampling)
        data = buffer.getvalue()
        structure = jpeg.check_jpeg(data)
        for orientation, operation in JPEGTRAN_OPS.items():
            done = subprocess.run(
                [tool, "-perfect", *operation], input=data, capture_output=True, check=False
            )
            perfect = done.returncode == 0 and bool(done.stdout)
            assert turns_losslessly(structure, orientation, size) == perfect, (size, orientation)


def test_without_jpegtran_a_photo_no_tool_could_turn_says_why(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where jpegtran is missing, the note tells a photo installing it would turn (tagged 8)
    from one no lossless turn exists for (1200x1800 tagged 6), without looking for it."""
    import io

    from engine.formats import jpeg
    from engine.formats.rotate import NotRotated, rotate_jpeg

    monkeypatch.setenv("PATH", str(tmp_path))
    for name, orientation, reason in (
        ("Landscape_8.jpg", 8, "jpegtran is not installed"),
        ("Landscape_6.jpg", 6, "1200x1800 is not a whole number of JPEG blocks"),
    ):
        data = (corpus / "orientation" / name).read_bytes()
        size = Image.open(io.BytesIO(data)).size
        outcome = rotate_jpeg(data, jpeg.check_jpeg(data), orientation, size)
        assert isinstance(outcome, NotRotated) and reason in outcome.reason
