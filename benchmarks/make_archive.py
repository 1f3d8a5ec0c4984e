"""Deterministic generator of realistic messy photo archives, for benchmarks, tests and demos.

Photo-like JPEGs (smooth shapes, edges and film grain: neither flat colour nor pure noise) with
EXIF dates spread over many years, a camera-roll size mix, nested folders, byte-identical
duplicates, a few PNG/GIF, a few corrupt files, filename-dated files without EXIF, and junk.

    python benchmarks/make_archive.py OUT --files 300 --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import shutil
import sys
from dataclasses import dataclass

import numpy as np
from PIL import Image

EXIF_IFD = 0x8769


def photo(width: int, height: int, seed: int, grain: float = 6.0) -> Image.Image:
    """A textured, photo-like RGB image: blurred blobs, a few hard edges, grain."""
    rng = np.random.default_rng(seed)
    small = rng.integers(
        0, 256, size=(max(2, height // 48), max(2, width // 48), 3), dtype=np.uint8
    )
    base = Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    mid = rng.integers(0, 256, size=(max(2, height // 8), max(2, width // 8), 3), dtype=np.uint8)
    detail = Image.fromarray(mid, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(base, dtype=np.int16) * 3 // 4 + np.asarray(detail, dtype=np.int16) // 4
    stripe = max(1, width // 7)
    for x in range(0, width, stripe * 2):
        pixels[:, x : x + stripe // 6] //= 2  # hard vertical edges, like window frames
    if grain:
        pixels += rng.normal(0, grain, size=pixels.shape).astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def exif_bytes(
    date: dt.datetime | None,
    orientation: int | None = None,
    make: str = "imgorg-test",
    digitized: dt.datetime | None = None,
    modify: dt.datetime | None = None,
) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = make
    if orientation is not None:
        exif[0x0112] = orientation
    if modify is not None:
        exif[0x0132] = modify.strftime("%Y:%m:%d %H:%M:%S")
    sub = exif.get_ifd(EXIF_IFD)
    if date is not None:
        sub[36867] = date.strftime("%Y:%m:%d %H:%M:%S")
    if digitized is not None:
        sub[36868] = digitized.strftime("%Y:%m:%d %H:%M:%S")
    return exif.tobytes()


def jpeg_bytes(
    image: Image.Image,
    date: dt.datetime | None = None,
    orientation: int | None = None,
    quality: int = 90,
    **exif_kwargs: object,
) -> bytes:
    buffer = io.BytesIO()
    extra: dict[str, object] = {}
    if date is not None or orientation is not None or exif_kwargs:
        extra["exif"] = exif_bytes(date, orientation, **exif_kwargs)  # type: ignore[arg-type]
    image.save(buffer, "JPEG", quality=quality, **extra)
    return buffer.getvalue()


@dataclass
class Spec:
    files: int = 300
    seed: int = 1
    duplicate_share: float = 0.10
    large_share: float = 0.20  # above 3 MB: compression candidates
    huge: int = 2  # above 10 MB
    small_pixels: bool = False  # tiny images, for scale runs and fast tests
    first_year: int = 2005
    years: int = 16


def _pixels_for(target_bytes: int) -> tuple[int, int]:
    """Image size that encodes at quality 92 to roughly ``target_bytes`` with our texture."""
    megapixels = target_bytes / 420_000
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    return max(64, width), max(48, width * 3 // 4)


def make_archive(root: str, spec: Spec) -> dict[str, object]:
    """Write the archive under ``root``; return a manifest of what was written and why."""
    rng = random.Random(spec.seed)
    os.makedirs(root, exist_ok=True)
    folders = [
        "DCIM/100CANON",
        "DCIM/101CANON",
        "Phone/Camera",
        "Backup/old/2009",
        "Trips/Italy 2012",
        "Trips/Italy 2012/day 2",
        "copies/copy of DCIM",
        "Family",
        "misc/unsorted/stuff",
    ]
    written: list[dict[str, object]] = []
    originals: list[str] = []
    huge_left = spec.huge
    for i in range(spec.files):
        folder = rng.choice(folders)
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        roll = rng.random()
        year = spec.first_year + rng.randrange(spec.years)
        when = dt.datetime(
            year,
            rng.randint(1, 12),
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
        )
        if originals and roll < spec.duplicate_share:
            src = rng.choice(originals)
            name = f"copy_{i:05d}_" + os.path.basename(src)
            path = os.path.join(root, folder, name)
            shutil.copyfile(os.path.join(root, src), path)
            written.append({"file": os.path.relpath(path, root), "kind": "duplicate", "of": src})
            continue
        if spec.small_pixels:
            size = (96, 72)
        elif huge_left and roll > 0.985:
            huge_left -= 1
            size = _pixels_for(rng.randint(11_000_000, 14_000_000))
        elif roll > 1 - spec.large_share:
            size = _pixels_for(rng.randint(3_200_000, 6_000_000))
        else:
            size = _pixels_for(rng.randint(500_000, 3_000_000))
        image = photo(*size, seed=spec.seed * 100_003 + i)
        kind = "photo"
        if roll < spec.duplicate_share + 0.04:
            name = when.strftime("IMG_%Y%m%d_%H%M%S") + f"_{i}.jpg"
            data = jpeg_bytes(image, quality=92)
            kind = "filename-dated"
        elif roll < spec.duplicate_share + 0.06:
            name = f"scan_{i:05d}.png"
            buffer = io.BytesIO()
            image.resize((max(8, size[0] // 8), max(8, size[1] // 8))).save(buffer, "PNG")
            data, kind = buffer.getvalue(), "png"
        elif roll < spec.duplicate_share + 0.07:
            name = f"anim_{i:05d}.gif"
            buffer = io.BytesIO()
            image.resize((64, 48)).convert("P").save(buffer, "GIF")
            data, kind = buffer.getvalue(), "gif"
        elif roll < spec.duplicate_share + 0.08:
            name = f"DSC_{i:05d}.jpg"
            full = jpeg_bytes(image, when, quality=92)
            data, kind = full[: len(full) * 2 // 3], "corrupt"
        else:
            name = f"DSC_{i:05d}.JPG" if rng.random() < 0.3 else f"IMG_{i:05d}.jpg"
            data = jpeg_bytes(
                image, when, orientation=rng.choice([1, 1, 1, 1, 6, 8, 3]), quality=92
            )
        path = os.path.join(root, folder, name)
        with open(path, "wb") as handle:
            handle.write(data)
        rel = os.path.relpath(path, root)
        originals.append(rel)
        written.append({"file": rel, "kind": kind, "year": year if kind == "photo" else None})
    for junk in ("DCIM/.DS_Store", "Family/Thumbs.db", "Family/notes.txt"):
        with open(os.path.join(root, junk), "wb") as handle:
            handle.write(b"junk\n")
    return {"root": root, "files": written}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--large-share", type=float, default=0.20)
    parser.add_argument("--huge", type=int, default=2)
    parser.add_argument("--small", action="store_true", help="tiny images (scale runs)")
    args = parser.parse_args(argv)
    spec = Spec(
        files=args.files,
        seed=args.seed,
        large_share=args.large_share,
        huge=args.huge,
        small_pixels=args.small,
    )
    manifest = make_archive(args.out, spec)
    total = sum(os.path.getsize(os.path.join(args.out, f["file"])) for f in manifest["files"])  # type: ignore[index,union-attr]
    print(
        f"wrote {len(manifest['files'])} files, {total / 1e6:.1f} MB under {args.out}",
        file=sys.stderr,
    )  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
