"""Known defects earlier sessions found and left, each fixed with a test from real files:
exiftool batches past a pathological file, the XMP of a turned PNG in a compressed chunk, a bound on --jobs, dry runs that
left SQLite's files in DEST, 12-bit and lossless JPEGs set aside as corrupt."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import struct
import time
import zlib
from pathlib import Path

import pytest

from conftest import everything, write_photo

needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed"
)


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _huffman(by_length: dict[int, list[int]]) -> tuple[bytes, dict[int, tuple[int, int]]]:
    """A DHT table (after its class and id) and each symbol's canonical (code, length)."""
    counts = bytes(len(by_length.get(n, [])) for n in range(1, 17))
    codes, code = {}, 0
    for length in range(1, 17):
        for symbol in by_length.get(length, []):
            codes[symbol] = (code, length)
            code += 1
        code <<= 1
    order = [s for n in range(1, 17) for s in by_length.get(n, [])]
    return counts + bytes(order), codes


class _Bits:
    def __init__(self) -> None:
        self.out, self.value, self.count = bytearray(), 0, 0

    def put(self, value: int, length: int) -> None:
        for shift in range(length - 1, -1, -1):
            self.value = (self.value << 1) | ((value >> shift) & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.value)
                if self.value == 0xFF:
                    self.out.append(0)
                self.value = self.count = 0

    def done(self) -> bytes:
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)
        return bytes(self.out)


def _magnitude(diff: int) -> tuple[int, int]:
    size = abs(diff).bit_length()
    return size, diff if diff >= 0 else diff + (1 << size) - 1


def _grey_jpeg(
    precision: int, lossless: bool, samples: list[list[int]], exif: bytes = b""
) -> bytes:
    """A grey JPEG of ``samples`` (rows) at ``precision`` bits, as no library here writes one:
    lossless (SOF3, predictor 1: each sample coded as its difference from the one on its left),
    or extended DCT (SOF1) with each 8x8 block flat at its top-left sample (its DC coefficient
    only). ffmpeg decodes both to the samples given."""
    height, width = len(samples), len(samples[0])
    dc_table, dc = _huffman({5: list(range(16)), 6: [16]})
    head = b"\xff\xd8" + (_segment(0xE1, b"Exif\x00\x00" + exif) if exif else b"")
    frame = struct.pack(">BHHB", precision, height, width, 1) + b"\x01\x11\x00"
    bits = _Bits()
    if lossless:
        head += _segment(0xC3, frame) + _segment(0xC4, b"\x00" + dc_table)
        head += _segment(0xDA, b"\x01\x01\x00" + bytes([1, 0, 0]))  # predictor 1
        for y in range(height):
            for x in range(width):
                if x == 0 and y == 0:
                    predicted = 1 << (precision - 1)
                elif y == 0 or x > 0:
                    predicted = samples[y][x - 1] if x > 0 else samples[y - 1][x]
                else:
                    predicted = samples[y - 1][x]
                diff = (samples[y][x] - predicted) % 65536
                diff = diff - 65536 if diff >= 32768 else diff
                size, extra = _magnitude(diff)
                code, length = dc[size]
                bits.put(code, length)
                if 0 < size < 16:
                    bits.put(extra, size)
    else:
        ac_table, ac = _huffman({1: [0x00]})
        quant = b"\x10" + struct.pack(">64H", *([1] * 64))  # 16-bit entries, table 0
        head += _segment(0xDB, quant) + _segment(0xC1, frame)
        head += _segment(0xC4, b"\x00" + dc_table + b"\x10" + ac_table)
        head += _segment(0xDA, b"\x01\x01\x00" + bytes([0, 63, 0]))
        previous = 0
        for by in range(0, height, 8):
            for bx in range(0, width, 8):
                value = samples[by][bx]
                coefficient = 8 * (value - (1 << (precision - 1)))
                size, extra = _magnitude(coefficient - previous)
                previous = coefficient
                code, length = dc[size]
                bits.put(code, length)
                if size:
                    bits.put(extra, size)
                bits.put(*ac[0x00])
    return head + bits.done() + b"\xff\xd9"


def _tiff_with_a_long_chain(extra_directories: int) -> bytes:
    """A sound 8x8 grey TIFF whose first directory links to ``extra_directories`` more, one
    after another: Pillow decodes its first page at once; exiftool walks every directory,
    taking seconds for a few hundred thousand."""
    pixels = bytes(range(64))
    entries = [
        (0x0100, 3, 1, 8),  # ImageWidth
        (0x0101, 3, 1, 8),  # ImageLength
        (0x0102, 3, 1, 8),  # BitsPerSample
        (0x0103, 3, 1, 1),  # Compression: none
        (0x0106, 3, 1, 1),  # PhotometricInterpretation: black is zero
        (0x0111, 4, 1, 8),  # StripOffsets: the pixels right after the header
        (0x0116, 3, 1, 8),  # RowsPerStrip
        (0x0117, 4, 1, 64),  # StripByteCounts
    ]
    first = 8 + len(pixels)
    chain = first + 2 + 12 * len(entries) + 4
    head = bytearray(b"II*\x00" + struct.pack("<I", first) + pixels)
    head += struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        head += struct.pack("<HHII", tag, kind, count, value)
    head += struct.pack("<I", chain)
    link = struct.Struct("<HHHIII")
    tail = bytearray(18 * extra_directories)
    for n in range(extra_directories):
        following = chain + 18 * (n + 1) if n + 1 < extra_directories else 0
        link.pack_into(tail, 18 * n, 1, 0x00FE, 4, 1, 1, following)  # NewSubfileType: a page
    return bytes(head + tail)


@needs_exiftool
def test_a_file_exiftool_cannot_finish_costs_only_itself_its_date(
    tmp_path: Path, corpus: Path, organize, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Trail-camera photos only exiftool dates (Reconyx maker notes), in one batch with a TIFF
    of 300,000 chained directories that exiftool reads for many seconds: the TIFF is given up
    at the time limit, with a note, and exiftool, started again, dates every photo after it."""
    from engine.dates import exiftool

    monkeypatch.setattr(exiftool, "FILE_SECONDS", 2.0)
    source = tmp_path / "src"
    source.mkdir()
    trail = corpus / "camera/Reconyx_HC500_Hyperfire.jpg"
    photo = trail.read_bytes()
    for name in ("a trail.jpg", "c trail.jpg", "d trail.jpg"):
        comment = name.encode()  # a comment segment of its own: three photos, not copies
        segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
        (source / name).write_bytes(photo[:2] + segment + photo[2:])
    (source / "b scan.tif").write_bytes(_tiff_with_a_long_chain(300_000))
    started = time.monotonic()
    code, lines = organize(source, tmp_path / "out", "--min-size", "0", "--jobs", "1")
    took = time.monotonic() - started
    assert code == 0
    by_name = {line["source"].rsplit("/", 1)[-1]: line for line in lines}
    for name in ("a trail.jpg", "c trail.jpg", "d trail.jpg"):
        line = by_name[name]
        assert (line["status"], line["year"], line["date_source"]) == (
            "placed", 2020, "exiftool"
        ), line  # fmt: skip
    scan = by_name["b scan.tif"]
    assert scan["status"] == "placed" and scan["year"] is None, scan
    assert "not dated by exiftool: exiftool gave no answer within 2 s" in scan["note"], scan
    assert took < 30, took


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    from engine.formats import png

    return list(png.chunks(data))


def test_a_turned_png_says_orientation_1_in_its_compressed_xmp_too(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A PNG (EXIF Orientation 6) whose XMP, saying tiff:Orientation 6 too, is in a compressed
    iTXt chunk, as Pillow and some editors write it: once turned, its XMP says 1, still
    compressed. One whose compressed XMP does not inflate is not turned, and says why."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from benchmarks.make_archive import photo

    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-'
        'rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        'tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet, zip=True)
    source = tmp_path / "src"
    source.mkdir()
    photo(64, 48, seed=1).save(source / "scan.png", exif=exif.tobytes(), pnginfo=info)
    assert any(
        kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00\x01")
        for kind, body in _png_chunks((source / "scan.png").read_bytes())
    )
    damaged = PngInfo()
    damaged.add(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(b"x")[:-3])
    photo(40, 20, seed=4).save(source / "damaged.png", exif=exif.tobytes(), pnginfo=damaged)
    code, lines = organize(source, tmp_path / "out", "--min-size", "0", "--fix-orientation", "all")
    assert code == 0
    by_name = {line["source"]: line for line in lines}
    line = by_name["scan.png"]
    assert line["status"] == "placed" and line["rotated"] is True, line
    turned = Image.open(tmp_path / "out" / line["dest"])
    assert turned.size == (48, 64) and turned.getexif()[0x0112] == 1
    said = turned.info["XML:com.adobe.xmp"]
    assert 'tiff:Orientation="1"' in said and 'tiff:Orientation="6"' not in said, said
    assert any(
        kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00\x01")
        for kind, body in _png_chunks((tmp_path / "out" / line["dest"]).read_bytes())
    ), "the packet is still stored compressed"
    line = by_name["damaged.png"]
    assert line["status"] == "placed" and line["rotated"] is False, line
    assert "compressed iTXt text does not inflate" in line["note"], line
    assert (tmp_path / "out" / line["dest"]).read_bytes() == (source / "damaged.png").read_bytes()


def test_jobs_beyond_eight_per_core_is_refused_before_anything_starts(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """``--jobs 100000`` (a typo, or a config file's) would start that many processes, each
    holding photos in memory: refused with the bound this machine allows, before DEST exists;
    the bound itself is taken, as ``similar --jobs`` takes the same."""
    from engine.cli import main, parser, settings_of
    from engine.settings import JOBS_PER_CORE

    bound = JOBS_PER_CORE * (os.cpu_count() or 1)
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    config = tmp_path / "imgorg.toml"
    config.write_text(f"jobs = {bound + 1}\n")
    for flags in (["--jobs", "100000"], ["-j", str(bound + 1)], ["--config", str(config)]):
        assert main(["organize", str(source), str(dest), "--quiet", *flags]) == 2, flags
        said = capsys.readouterr().err
        assert f"must be at most {bound}: {JOBS_PER_CORE} worker processes" in said, said
        assert not dest.exists()
    with pytest.raises(SystemExit) as stopped:
        main(["similar", str(dest), "--jobs", "100000"])
    assert stopped.value.code == 2
    assert f"must be at most {bound}" in capsys.readouterr().err
    args = parser().parse_args(["organize", str(source), str(dest), "--jobs", str(bound)])
    assert settings_of(args).run.workers == bound


def _first_run(tmp_path: Path, organize) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """DEST after one run (a 2010 photo, an undated one); then SOURCE gains a 2011 photo and a
    copy of the 2010 one under another name, which the workers compare with the one placed."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    first = write_photo(source / "a.jpg", dt.datetime(2010, 1, 1), seed=1)
    write_photo(source / "b.jpg", None, seed=2)
    assert organize(source, dest, "--min-size", "0")[0] == 0
    write_photo(source / "c.jpg", dt.datetime(2011, 1, 1), seed=3)
    (source / "a copy.jpg").write_bytes(first)
    return source, dest


def test_a_dry_run_and_a_plan_leave_dest_exactly_as_it_was(
    tmp_path: Path, organize, capsys
) -> None:  # type: ignore[no-untyped-def]
    """Reading DEST's journal through SQLite made its -wal and -shm files (and changed the
    journal folder's time): a dry run or a plan changes nothing in DEST, not even hidden
    files or a folder's time, and creates no DEST that does not exist."""
    from engine.cli import main

    source, dest = _first_run(tmp_path, organize)
    before = everything(dest)
    for jobs in ("1", "2"):
        code, planned = organize(source, dest, "--min-size", "0", "--dry-run", "--jobs", jobs)
        assert code == 0
        assert {line["source"]: line["status"] for line in planned} == {
            "a.jpg": "placed", "b.jpg": "placed", "c.jpg": "placed", "a copy.jpg": "duplicate"
        }  # fmt: skip
        assert everything(dest) == before, jobs
    assert main(["plan", str(source), str(dest), "--out", str(tmp_path / "plan")]) == 0
    assert everything(dest) == before
    for command in (["organize", "--dry-run", "--quiet"], ["plan", "--out", str(tmp_path / "p2")]):
        nowhere = tmp_path / "no dest"
        assert main([command[0], str(source), str(nowhere), *command[1:]]) == 0
        assert not nowhere.exists(), command
    damaged = tmp_path / "damaged"
    shutil.copytree(dest, damaged)
    (damaged / ".imgorg" / "journal.sqlite").write_bytes(b"not a database")
    capsys.readouterr()
    assert main(["organize", str(source), str(damaged), "--dry-run", "--quiet"]) == 2
    said = capsys.readouterr().err
    assert f"the journal {damaged / '.imgorg' / 'journal.sqlite'} is unreadable" in said, said


def test_a_dry_run_reads_what_a_killed_run_left_in_the_write_ahead_log(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """DEST as a run killed before its checkpoint leaves it: the second run's rows only in
    journal.sqlite-wal. The dry run's plan knows them (c.jpg placed by that run), and leaves the log and
    its index as they were."""
    source, dest = _first_run(tmp_path, organize)
    journal = dest / ".imgorg" / "journal.sqlite"
    reader = sqlite3.connect(journal)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM runs").fetchall()  # holds back every checkpoint
    code, done = organize(source, dest, "--min-size", "0")
    assert code == 0
    killed = tmp_path / "killed"
    shutil.copytree(dest, killed)
    reader.close()
    assert (killed / ".imgorg" / "journal.sqlite-wal").stat().st_size > 0
    before = everything(killed)
    code, planned = organize(source, killed, "--min-size", "0", "--dry-run")
    assert code == 0
    # Not "an identical file was already at its destination": the journal knows it put it there
    assert [line for line in planned if line["source"] == "c.jpg"] == [
        line for line in done if line["source"] == "c.jpg"
    ]
    assert everything(killed) == before


def test_12_bit_and_lossless_jpegs_are_placed_as_they_are_and_broken_ones_set_aside(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """JPEGs the imaging library cannot decode but whose structure is sound (a 12-bit scan
    with its camera date and Orientation 6, a 16-bit lossless one dated by its name, an 8-bit
    lossless one) are placed byte for byte, dated as usual, never compressed or turned, with a
    note that their pixels were not checked. The 12-bit scan cut short, and an 8-bit baseline
    frame claiming 12 bits (not a JPEG any encoder writes), are corrupt."""
    from benchmarks.make_archive import exif_bytes

    exif = exif_bytes(dt.datetime(2015, 6, 1, 10, 0), 6)
    assert exif.startswith(b"Exif\x00\x00")
    scan = _grey_jpeg(
        12, False, [[(x // 8) * 1000 + y * 10 for x in range(32)] for y in range(16)], exif[6:]
    )
    source = tmp_path / "src"
    source.mkdir()
    written = {
        "scan12.jpg": scan,
        "IMG_20190304_101010.jpg": _grey_jpeg(
            16, True, [[30000 + x * 100 + y for x in range(32)] for y in range(16)]
        ),
        "lossless8.jpg": _grey_jpeg(
            8, True, [[x * 7 + y * 3 for x in range(32)] for y in range(16)], exif[6:]
        ),
        "cut12.jpg": scan[:-3],  # the end of its scan and EOI lost
    }
    photo = bytearray(_grey_jpeg(8, False, [[x * 7 for x in range(32)] for _ in range(16)]))
    sof = photo.index(b"\xff\xc1")
    photo[sof + 1], photo[sof + 4] = 0xC0, 12  # baseline, 12 bits: the Canon 40D test's damage
    written["baseline12.jpg"] = bytes(photo)
    for name, data in written.items():
        (source / name).write_bytes(data)
    code, lines = organize(
        source,
        tmp_path / "out",
        "--min-size",
        "0",
        "--compress-above",
        "1",
        "--fix-orientation",
        "all",
    )
    assert code == 0
    by_name = {line["source"]: line for line in lines}
    for name, year, source_of_date in (
        ("scan12.jpg", 2015, "exif"),
        ("IMG_20190304_101010.jpg", 2019, "filename"),
        ("lossless8.jpg", 2015, "exif"),
    ):
        line = by_name[name]
        assert (line["status"], line["year"], line["date_source"]) == (
            "placed",
            year,
            source_of_date,
        ), line
        assert not line["compressed"] and not line["rotated"], line
        assert "its pixels could not be checked" in line["note"], line
        assert (tmp_path / "out" / line["dest"]).read_bytes() == written[name]
    assert by_name["scan12.jpg"]["note"].startswith("12-bit JPEG: ")
    assert by_name["IMG_20190304_101010.jpg"]["note"].startswith("16-bit lossless JPEG: ")
    assert by_name["cut12.jpg"]["status"] == "corrupt"
    assert "truncated" in by_name["cut12.jpg"]["reason"], by_name["cut12.jpg"]
    assert by_name["baseline12.jpg"]["status"] == "corrupt"
    assert "12-bit samples in a baseline JPEG" in by_name["baseline12.jpg"]["reason"]
