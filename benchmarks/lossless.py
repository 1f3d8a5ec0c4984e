"""Lossless before lossy: what jpegtran's lossless rewrite saves on phone JPEGs, against the
re-encode imgorg would otherwise do, and what each costs.

    .venv/bin/python benchmarks/lossless.py [FOLDER ...]   # default: shared/corpus/phone

Per file: its size; the lossless rewrite (``engine.formats.rotate.optimize_jpeg``: ``jpegtran -copy all
-optimize -progressive``, turned upright in the same pass where the orientation asks) with its
bytes saved and seconds; the re-encode (``engine.formats.compress.compress_jpeg`` with the default
options: the highest quality that saves at least 5 %) with its quality, bytes saved and seconds
(decode included). Prints a Markdown table and the totals.
"""

from __future__ import annotations

import glob
import io
import os
import sys
import time
from dataclasses import dataclass

from PIL import Image

from engine.dates.exif import read_exif_facts
from engine.formats import jpeg
from engine.formats.compress import Compressed, CompressOptions, compress_jpeg
from engine.formats.rotate import optimize_jpeg

CORPUS_PHONE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus", "phone")


@dataclass
class Row:
    file: str
    size: int
    lossless: int | None  # bytes after the lossless rewrite
    lossless_s: float
    reencoded: int | None  # bytes after the re-encode (None: kept as is)
    quality: int | None
    reencode_s: float


def measure(path: str) -> Row:
    with open(path, "rb") as handle:
        data = handle.read()
    structure = jpeg.check_jpeg(data)
    orientation = read_exif_facts(structure.exif).orientation if structure.exif else None
    size = Image.open(io.BytesIO(data)).size
    started = time.perf_counter()
    lossless = optimize_jpeg(data, structure, orientation, size)
    lossless_s = time.perf_counter() - started
    started = time.perf_counter()
    outcome = compress_jpeg(
        data, structure, Image.open(io.BytesIO(data)), orientation, CompressOptions()
    )
    reencode_s = time.perf_counter() - started
    done = outcome if isinstance(outcome, Compressed) else None
    return Row(
        os.path.basename(path),
        len(data),
        len(lossless.data) if lossless else None,
        lossless_s,
        len(done.data) if done else None,
        done.quality if done else None,
        reencode_s,
    )


def saving(before: int, after: int | None) -> str:
    return "-" if after is None else f"{100 * (before - after) / before:.1f} %"


def main(folders: list[str]) -> int:
    paths = sorted(p for f in folders for p in glob.glob(os.path.join(f, "*.jp*g")))
    if not paths:
        print(f"no JPEGs in {folders}", file=sys.stderr)
        return 2
    rows = [measure(p) for p in paths]
    print("| file | bytes | lossless saves | s | re-encode saves (quality) | s |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.file} | {r.size:,} | {saving(r.size, r.lossless)} | {r.lossless_s:.2f} "
            f"| {saving(r.size, r.reencoded)} (q{r.quality}) | {r.reencode_s:.2f} |"
        )
    total = sum(r.size for r in rows)
    lossless = sum(r.lossless or r.size for r in rows)
    reencoded = sum(r.reencoded or r.size for r in rows)
    print(
        f"\ntotal {total:,} bytes: lossless saves {saving(total, lossless)} in "
        f"{sum(r.lossless_s for r in rows):.2f} s; re-encode saves {saving(total, reencoded)} "
        f"in {sum(r.reencode_s for r in rows):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [CORPUS_PHONE]))
