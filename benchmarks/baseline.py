"""The serial baseline: what the original organize script did, one file at a time.

For every image file (by extension) under SOURCE, in walk order: Pillow open + verify, EXIF
date (DateTimeOriginal, else DateTime), MD5 of the whole file (a file whose MD5 was seen
before is skipped as a duplicate), then ``shutil.copy2`` into DEST/<year>/ (DEST/NoDate/,
DEST/Corrupted/), with a ``_N`` suffix when the name is taken. With ``--compress-above``, a
JPEG above it is re-encoded at quality 95, 85, 75, ... until it fits the limit imgorg uses,
min(target, 95 % of the original), and written instead of copied.

    python benchmarks/baseline.py SOURCE DEST [--compress-above 3000000 --target-size 6000000]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import os
import shutil
import sys

from PIL import Image

EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp")
QUALITIES = (95, 85, 75, 65, 55, 45, 35, 25, 15, 5)


def exif_year(path: str) -> str | None:
    with Image.open(path) as im:
        exif = im.getexif()
        raw = exif.get_ifd(0x8769).get(36867) or exif.get(306)
    if isinstance(raw, str) and len(raw) >= 4 and raw[:4].isdigit() and raw[:4] != "0000":
        return raw[:4]
    return None


def free_name(folder: str, name: str) -> str:
    stem, ext = os.path.splitext(name)
    candidate, n = os.path.join(folder, name), 0
    while os.path.exists(candidate):
        n += 1
        candidate = os.path.join(folder, f"{stem}_{n}{ext}")
    return candidate


def recompress(path: str, limit: int) -> tuple[bytes, int] | None:
    with Image.open(path) as im:
        exif = im.info.get("exif", b"")
        im.load()
        for quality in QUALITIES:
            buffer = io.BytesIO()
            im.save(buffer, "JPEG", quality=quality, exif=exif)
            if buffer.tell() <= limit:
                return buffer.getvalue(), quality
    return None


def organize(
    source: str, dest: str, min_size: int, compress_above: int | None, target: int
) -> dict[str, int]:
    seen: set[str] = set()
    qualities: list[int] = []
    counts = {"placed": 0, "duplicate": 0, "corrupt": 0, "skipped": 0, "compressed": 0}
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        for name in sorted(files):
            if not name.lower().endswith(EXTENSIONS):
                continue
            path = os.path.join(folder, name)
            size = os.path.getsize(path)
            if size < min_size:
                counts["skipped"] += 1
                continue
            try:
                with Image.open(path) as im:
                    im.verify()
                year = exif_year(path) or "NoDate"
            except Exception:
                os.makedirs(os.path.join(dest, "Corrupted"), exist_ok=True)
                shutil.copy2(path, free_name(os.path.join(dest, "Corrupted"), name))
                counts["corrupt"] += 1
                continue
            with open(path, "rb") as handle:
                digest = hashlib.md5(handle.read()).hexdigest()
            if digest in seen:
                counts["duplicate"] += 1
                continue
            seen.add(digest)
            target_folder = os.path.join(dest, year)
            os.makedirs(target_folder, exist_ok=True)
            out = free_name(target_folder, name)
            if (
                compress_above is not None
                and size > compress_above
                and name.lower().endswith((".jpg", ".jpeg"))
            ):
                limit = min(target, math.floor(size * 0.95))
                try:
                    found = recompress(path, limit)
                except OSError:  # verify() passed, but the pixels do not decode (truncated)
                    os.makedirs(os.path.join(dest, "Corrupted"), exist_ok=True)
                    shutil.copy2(path, free_name(os.path.join(dest, "Corrupted"), name))
                    counts["corrupt"] += 1
                    continue
                if found is not None:
                    qualities.append(found[1])
                    with open(out, "wb") as handle:
                        handle.write(found[0])
                    shutil.copystat(path, out)
                    counts["compressed"] += 1
                    counts["placed"] += 1
                    continue
            shutil.copy2(path, out)
            counts["placed"] += 1
    if qualities:
        counts["mean_quality_chosen"] = round(sum(qualities) / len(qualities))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source")
    parser.add_argument("dest")
    parser.add_argument("--min-size", type=int, default=0)
    parser.add_argument("--compress-above", type=int, default=None)
    parser.add_argument("--target-size", type=int, default=6_000_000)
    args = parser.parse_args(argv)
    counts = organize(args.source, args.dest, args.min_size, args.compress_above, args.target_size)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
