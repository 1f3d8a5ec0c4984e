"""Fuzzing: file names, EXIF date strings and file contents, by hypothesis, and a short atheris
run over the metadata parsers (scripts/fuzz runs it for longer)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, read_report, write_photo
from engine.cli import main
from engine.dates.xmp import xmp_date
from engine.records import Candidate, Status
from engine.stages.analyse import WorkerOptions, analyze

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


# XMP and IPTC parsers over untrusted bytes: linear, whatever the input (issue 12.10).
PARSE_BUDGET = 0.2  # seconds per input, for inputs up to about 1 MB

XMP_NAMES = ("exif:DateTimeOriginal", "xmp:CreateDate", "photoshop:DateCreated")
xmp_pieces = st.one_of(
    st.sampled_from(XMP_NAMES),
    st.sampled_from(["<", ">", "=", '"', "'", "</", "/>", " ", "\n", "\t", "2011-05-06T07:08:09"]),
    st.text(max_size=20),
    st.integers(min_value=1, max_value=1_000_000).map(lambda n: " " * n),
    st.tuples(st.sampled_from(XMP_NAMES), st.sampled_from([">", "=", '="', "='", " = '"])).map(
        "".join
    ),
)


def _timed(call: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call(*args)
    return value, time.perf_counter() - started


@settings(max_examples=150, deadline=None)
@given(st.lists(xmp_pieces, max_size=12), st.sampled_from([1, 1, 1, 200, 20_000]))
def test_xmp_parser_is_linear(pieces: list[str], repeat: int) -> None:
    unit = "".join(pieces)
    text = (unit * min(repeat, 1_200_000 // max(len(unit), 1) + 1))[:1_200_000]
    for packet in (text, text.encode()):
        found, seconds = _timed(xmp_date, packet)
        assert seconds < PARSE_BUDGET, (len(text), seconds)
        assert found is None or found[1] in XMP_NAMES


@pytest.mark.parametrize(
    "packet",
    [
        "<exif:DateTimeOriginal>" + " " * 400_000,  # the sidecar that hung a run
        "<exif:DateTimeOriginal>" + " " * 1_000_000,
        "exif:DateTimeOriginal>" * 40_000 + " " * 1_000_000 + "<",
        'exif:DateTimeOriginal="' * 40_000 + " " * 1_000_000,
        "<x:xmpmeta><exif:DateTimeOriginal>" + " " * 65_000,  # the 64 KB block in a JPEG
    ],
    ids=["sidecar-400k", "1mb-spaces", "many-elements", "many-attributes", "jpeg-64k"],
)
def test_xmp_pathological_packets_parse_fast(packet: str) -> None:
    found, seconds = _timed(xmp_date, packet)
    assert found is None
    assert seconds < PARSE_BUDGET, seconds


def test_xmp_values_still_found() -> None:
    assert xmp_date('<d exif:DateTimeOriginal = "2011-05-06T07:08:09"/>') == (
        dt.datetime(2011, 5, 6, 7, 8, 9),
        "exif:DateTimeOriginal",
    )
    element = "<exif:DateTimeOriginal>\n   2011-05-06T07:08:09\n</exif:DateTimeOriginal>"
    assert xmp_date(element.encode()) == (dt.datetime(2011, 5, 6, 7, 8, 9), "exif:DateTimeOriginal")
    assert xmp_date("exif:DateTimeOriginal='x' <xmp:CreateDate>2012-03</xmp:CreateDate>") == (
        dt.datetime(2012, 3, 1),
        "xmp:CreateDate",
    )
    assert xmp_date("<exif:DateTimeOriginal>" + " " * 100_000 + "2010</x>") == (
        dt.datetime(2010, 1, 1),
        "exif:DateTimeOriginal",
    )


def _with_segment(jpeg_data: bytes, marker: int, payload: bytes) -> bytes:
    """``jpeg_data`` with one more APPn segment right after SOI."""
    assert len(payload) + 2 <= 0xFFFF
    return (
        jpeg_data[:2]
        + bytes([0xFF, marker])
        + (len(payload) + 2).to_bytes(2, "big")
        + payload
        + jpeg_data[2:]
    )


def _photoshop_iptc(records: bytes) -> bytes:
    """An APP13 payload: one Photoshop image resource 0x0404 holding IPTC records."""
    padded = records + b"\x00" * (len(records) % 2)
    return b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + len(records).to_bytes(4, "big") + padded


iptc_records = st.lists(
    st.tuples(
        st.sampled_from([1, 2, 2, 2, 8]),
        st.sampled_from([55, 60, 0, 5, 120]),
        st.one_of(
            st.binary(max_size=40),
            st.sampled_from([b"20110506", b"070809+0200", b"2011", b"99999999"]),
            st.integers(min_value=1, max_value=30_000).map(lambda n: b" " * n),
        ),
    ),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(iptc_records, st.binary(max_size=64))
def test_iptc_path_is_linear(records: list[tuple[int, int, bytes]], tail: bytes) -> None:
    body = b"".join(
        b"\x1c" + bytes([rec, tag]) + len(value).to_bytes(2, "big") + value
        for rec, tag, value in records
    )[:60_000]
    data = _with_segment(_SMALL_JPEG, 0xED, _photoshop_iptc(body + tail))
    result, seconds = _timed(_analyze_bytes, data)
    assert seconds < PARSE_BUDGET * 5, seconds  # a whole analysis, decode included
    assert result.status in (Status.PLACED, Status.CORRUPT)


def test_jpeg_with_64k_xmp_block_analyzes_fast(tmp_path: Path) -> None:
    packet = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:DateTimeOriginal>"
    data = _with_segment(_SMALL_JPEG, 0xE1, packet + b" " * (0xFFFF - 2 - len(packet)))
    result, seconds = _timed(_analyze_bytes, data)
    assert result.status is Status.PLACED
    assert seconds < 1.0, seconds


def test_sidecar_with_400k_spaces_does_not_hang_a_run(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "a.jpg", dt.datetime(2011, 5, 6))
    (src / "a.xmp").write_text("<exif:DateTimeOriginal>" + " " * 400_000)
    started = time.perf_counter()
    code, lines = organize(src, tmp_path / "out", "--min-size", "0", "--jobs", "1")
    assert time.perf_counter() - started < 10
    assert code == 0
    assert {line["status"] for line in lines} == {"placed"}


def _analyze_bytes(data: bytes) -> Any:
    folder = Path(tempfile.mkdtemp(prefix="imgorg-fuzz-"))
    try:
        (folder / "x.jpg").write_bytes(data)
        return analyze(str(folder), Candidate("x.jpg", len(data), 0), WorkerOptions())
    finally:
        shutil.rmtree(folder)


def _small_jpeg() -> bytes:
    from benchmarks.make_archive import jpeg_bytes, photo

    return jpeg_bytes(photo(32, 24, seed=1), dt.datetime(2011, 5, 6), None, quality=85)


_SMALL_JPEG = _small_jpeg()
