"""Review of hunt13 (phone and messenger exports): archives built from corpus files as users
have them; each test is a shape whose outcome was wrong after the hunt's commits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import tree_digest

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")


def by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["source"]: row for row in rows}


def test_spanish_and_japanese_12_hour_screenshots_keep_their_afternoon(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A Mac in Spanish writes the half of the day as ``p. m.`` (``Captura de pantalla
    2021-01-20 a la(s) 9.30.00 p. m..png``), a Mac in Japanese as ``午後`` before the time
    (``スクリーンショット 2021-03-04 午後11.41.23.png``). Since the time after a localised word
    is read, both were read as the morning: 09:30 and 11:41, twelve hours early."""
    source = tmp_path / "src" / "Escritorio"
    source.mkdir(parents=True)
    names = {
        "Captura de pantalla 2021-01-20 a la(s) 9.30.00 p. m..png": (
            "formats/hopper.png",
            "2021-01-20T21:30:00",
        ),
        "Captura de pantalla 2021-01-20 a las 11.05.00 a. m..png": (
            "formats/hopper.gif",
            "2021-01-20T11:05:00",
        ),
        "スクリーンショット 2021-03-04 午後11.41.23.png": (
            "formats/hopper.bmp",
            "2021-03-04T23:41:23",
        ),
        "スクリーンショット 2021-03-05 午前9.41.23.png": (
            "formats/pal8rle.bmp",
            "2021-03-05T09:41:23",
        ),
    }
    for name, (original, _) in names.items():
        shutil.copy(corpus / original, source / name)
    before = tree_digest(source)

    code, rows = organize(tmp_path / "src", tmp_path / "dest", "-j", "1", "--min-size", "0")

    assert code == 0
    lines = by_source(rows)
    for name, (_, date) in names.items():
        line = lines[f"Escritorio/{name}"]
        assert (line["status"], line["date_source"], line["date"]) == (
            "placed",
            "filename",
            date,
        ), line
    assert tree_digest(source) == before


def _screen_recording(path: Path, creation_time: str) -> None:
    """A one-second video at ``path`` whose container says it was made at ``creation_time``
    (UTC), as a Mac's screen recording does."""
    assert FFMPEG is not None
    path.parent.mkdir(parents=True)
    command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1"]
    command += ["-metadata", f"creation_time={creation_time}", "-c:v", "mjpeg", str(path)]
    subprocess.run(command, check=True)


@needs_ffmpeg
@pytest.mark.parametrize(
    ("folder", "name", "creation_time", "date", "year"),
    [
        # A Mac in Mexico writes ``creation_time`` in UTC (05:30 on New Year's Day); the name
        # read as 11:30 in the morning gave no offset, so the recording stayed in UTC, in 2020.
        (
            "Escritorio",
            "Grabación de pantalla 2019-12-31 a la(s) 11.30.00 p. m..mov",
            "2020-01-01T05:30:00Z",
            "2019-12-31T23:30:00-06:00",
            2019,
        ),
        # A Mac in Japanese on its 24-hour clock writes the hour without its leading zero and
        # with no word before it; the name's time was not read, so it stayed in UTC, in 2019.
        (
            "デスクトップ",
            "画面収録 2020-01-01 8.50.12.mov",
            "2019-12-31T23:50:12Z",
            "2020-01-01T08:50:12+09:00",
            2020,
        ),
    ],
    ids=["spanish-new-years-eve", "japanese-new-years-morning"],
)
def test_a_mac_screen_recording_at_new_year_lands_in_its_local_year(
    tmp_path: Path, organize, folder: str, name: str, creation_time: str, date: str, year: int
) -> None:
    """A Mac names a screen recording by its local time and writes ``creation_time`` in UTC:
    the name's time, read in the Mac's language, gives the offset and so the local year."""
    _screen_recording(tmp_path / "src" / folder / name, creation_time)

    code, rows = organize(tmp_path / "src", tmp_path / "dest", "-j", "1")

    assert code == 0
    line = by_source(rows)[f"{folder}/{name}"]
    assert (line["date"], line["tz_source"], line["year"]) == (date, "filename", year), line
    assert line["dest"] == f"{year}/{folder}/{name}"


def test_a_copy_dated_from_a_photo_an_earlier_run_placed_names_that_photo(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A first run (without ``--similar``) places an iPhone's ``DCIM/IMG_1234.JPG``; a second,
    with ``--similar``, from an old backup holding the same photo and the copy WhatsApp made of
    it. The backup's photo is a duplicate of the one already in DEST, yet the WhatsApp copy's
    ``similar_to`` and note named it (``Backup/IMG_1234.JPG``, nowhere in DEST), not the photo
    its ``duplicate_of`` names."""
    from test_hunt13 import messenger_copy

    phone, backup, dest = tmp_path / "phone", tmp_path / "backup", tmp_path / "dest"
    (phone / "DCIM").mkdir(parents=True)
    photo = corpus / "phone/iphone_hdr_NO.jpg"
    shutil.copy(photo, phone / "DCIM/IMG_1234.JPG")
    assert organize(phone, dest, "-j", "1")[0] == 0
    (backup / "Backup").mkdir(parents=True)
    (backup / "WhatsApp").mkdir()
    shutil.copy(photo, backup / "Backup/IMG_1234.JPG")
    whatsapp = "WhatsApp/IMG-20190513-WA0000.jpg"
    (backup / whatsapp).write_bytes(messenger_copy(photo))
    before = tree_digest(backup)

    code, rows = organize(backup, dest, "-j", "1", "--similar")

    assert code == 0
    lines = by_source(rows)
    kept = str(phone / "DCIM/IMG_1234.JPG")
    assert lines["Backup/IMG_1234.JPG"]["duplicate_of"] == kept
    copy = lines[whatsapp]
    assert (copy["status"], copy["date_source"], copy["year"]) == ("placed", "similar", 2015)
    assert copy["similar_to"] == kept
    assert copy["note"] == f"dated from its near-duplicate {kept}"
    assert tree_digest(backup) == before


_DECODE_AFTER_ANOTHER_LIBTIFF = """
import ctypes, sys
from PIL import Image, _imaging
from engine.formats.imaging import _loaded, quiet_libtiff
pillows = _loaded("libtiff")
ctypes.CDLL(sys.argv[1])  # a library of another package, with its own libtiff
print(sorted(_loaded("libtiff")) == sorted([*pillows, sys.argv[1]]) and pillows[0] > sys.argv[1])
quiet_libtiff()
for path in sys.argv[2:]:
    try:
        with Image.open(path) as im:
            im.load()
    except Exception:
        pass
"""


def test_libtiff_stays_quiet_beside_another_packages_libtiff(tmp_path: Path) -> None:
    """A process may hold two libtiffs: Pillow's and one another package brought (a wheel's
    bundled copy under its own name). Only the first the memory map listed was quieted, so
    where that was the other one, Pillow's printed a line per bad code word of a damaged fax
    scan on the run's terminal again."""
    import sys

    from PIL import _imaging  # noqa: F401
    from test_bad_input import _fax_scans

    from conftest import ROOT
    from engine.formats.imaging import _loaded

    pillows = _loaded("libtiff")
    if not pillows:
        pytest.skip("this Pillow has no libtiff")
    other = tmp_path / "other.libs" / "libtiff-0a1b2c3d.so.6"
    other.parent.mkdir()
    shutil.copy(pillows[0], other)
    scans = tmp_path / "scans"
    _fax_scans(scans)
    run = subprocess.run(
        [sys.executable, "-c", _DECODE_AFTER_ANOTHER_LIBTIFF, str(other)]
        + [str(p) for p in sorted(scans.iterdir())],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    if run.stdout.strip() != "True":
        pytest.skip("the other libtiff is not listed before Pillow's here")
    assert run.stderr == ""
