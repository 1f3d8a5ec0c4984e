"""Deterministic generator of realistic messy photo archives, for benchmarks, tests and demos.

Photo-like JPEGs (smooth shapes, edges and film grain: neither flat colour nor pure noise) with
EXIF dates spread over 16 years, a camera-roll size mix (most 0.5-3 MB, about a fifth above
3 MB, a few above 10 MB), nested folders, ~10 % byte-identical duplicates, a few PNG/GIF, a few
corrupt files, filename-dated files without EXIF, undated files, and junk.

    python benchmarks/make_archive.py OUT --files 300 --seed 1
    python benchmarks/make_archive.py OUT --files 100000 --tiny          # ~2 KB JPEGs, scale runs
    python benchmarks/make_archive.py OUT --files 60 --compression-heavy  # mostly > 3 MB
    python benchmarks/make_archive.py OUT --files 3000 --size-scale 0.25  # same mix, 1/4 the bytes

The same Spec always gives the same bytes (whatever ``--jobs``), except file modification times.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import dataclasses
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import random
import shutil
import sys
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops

EXIF_IFD = 0x8769
_TILE = 256
_GRAIN: dict[float, np.ndarray] = {}
BYTES_PER_MEGAPIXEL = 325_000  # our texture at quality 92, 4:2:0


def _grain_tile(grain: float) -> np.ndarray:
    """A 256x256 tile of gaussian film grain around 128, made once per grain strength."""
    tile = _GRAIN.get(grain)
    if tile is None:
        rng = np.random.default_rng(0x5EED)
        noise = rng.normal(128.0, grain, size=(_TILE, _TILE, 3))
        tile = _GRAIN[grain] = np.clip(np.rint(noise), 0, 255).astype(np.uint8)
    return tile


def photo(width: int, height: int, seed: int, grain: float = 6.0) -> Image.Image:
    """A textured, photo-like RGB image: blurred blobs, a few hard edges, grain.

    The grain is a pre-made tile, shifted by a seeded offset and tiled: generating it is about
    ten times cheaper than fresh gaussian noise, and a JPEG encoder sees the same entropy.
    """
    rng = np.random.default_rng(seed)
    small = rng.integers(
        0, 256, size=(max(2, height // 48), max(2, width // 48), 3), dtype=np.uint8
    )
    base = Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    mid = rng.integers(0, 256, size=(max(2, height // 8), max(2, width // 8), 3), dtype=np.uint8)
    detail = Image.fromarray(mid, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.array(Image.blend(base, detail, 0.25))
    stripe = max(1, width // 7)
    for x in range(0, width, stripe * 2):
        pixels[:, x : x + stripe // 6] >>= 1  # hard vertical edges, like window frames
    image = Image.fromarray(pixels, "RGB")
    if grain:
        dy, dx = (int(v) for v in rng.integers(0, _TILE, size=2))
        tile = np.roll(_grain_tile(grain), (dy, dx), axis=(0, 1))
        reps = (-(-height // _TILE), -(-width // _TILE), 1)
        noise = np.ascontiguousarray(np.tile(tile, reps)[:height, :width])
        image = ImageChops.add(image, Image.fromarray(noise, "RGB"), 1.0, -128)
    return image


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
    large_share: float = 0.20  # of the photos: above 3 MB, compression candidates
    huge: int = 2  # photos above 10 MB
    tiny: bool = False  # ~1.5-3 KB images, for scale runs and fast tests
    first_year: int = 2005
    years: int = 16
    size_scale: float = 1.0  # multiplies every photo's byte target (0.25: a quarter)
    filename_dated_share: float = 0.04
    nodate_share: float = 0.01
    png_share: float = 0.02
    gif_share: float = 0.01
    corrupt_share: float = 0.01
    files_per_folder: int = 250  # one more folder per this many files

    def key(self) -> str:
        """A short stable digest of every field: archives with the same key are identical."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Item:
    rel: str
    kind: str  # photo, filename-dated, nodate, png, gif, corrupt, garbage, duplicate
    width: int = 0
    height: int = 0
    seed: int = 0
    quality: int = 92
    date: dt.datetime | None = None
    orientation: int | None = None
    of: str | None = None  # for duplicates: the file copied


def _pixels_for(target_bytes: int) -> tuple[int, int]:
    """4:3 image size that encodes at quality 92 to roughly ``target_bytes``."""
    megapixels = target_bytes / BYTES_PER_MEGAPIXEL
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    return max(64, width), max(48, width * 3 // 4)


def _folders(spec: Spec, rng: random.Random) -> list[str]:
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
    for k in range(spec.files // max(1, spec.files_per_folder)):
        year = spec.first_year + k % spec.years
        folders.append(
            rng.choice(
                [
                    f"DCIM/{102 + k}CANON",
                    f"Phone/Camera/{year}",
                    f"Backup/disk {k % 7}/DCIM/{100 + k}NIKON",
                    f"Trips/Trip {k} {year}/day {k % 5 + 1}",
                    f"Family/{year}/album {k}",
                    f"copies/copy {k % 3} of DCIM/{100 + k}CANON",
                ]
            )
        )
    return folders


def _filename_dated(when: dt.datetime, i: int, n: int) -> str:
    patterns = (
        when.strftime("IMG_%Y%m%d_%H%M%S") + ".jpg",
        when.strftime("IMG-%Y%m%d-WA") + f"{i % 10000:04d}.jpg",
        when.strftime("PXL_%Y%m%d_%H%M%S") + f"{i % 1000:03d}.jpg",
        when.strftime("WhatsApp Image %Y-%m-%d at %H.%M.%S") + ".jpeg",
        when.strftime("%Y-%m-%d %H.%M.%S") + ".jpg",
    )
    return patterns[n % len(patterns)]


def plan(spec: Spec) -> list[Item]:
    """Every file of the archive, in creation order (duplicates after what they copy)."""
    rng = random.Random(spec.seed)
    folders = _folders(spec, rng)
    used: set[str] = set()
    items: list[Item] = []
    originals: list[str] = []
    huge_left = 0 if spec.tiny else spec.huge

    def claim(folder: str, name: str, i: int) -> str:
        rel = f"{folder}/{name}"
        if rel.casefold() in used:
            stem, ext = os.path.splitext(name)
            rel = f"{folder}/{stem}_{i}{ext}"
        used.add(rel.casefold())
        return rel

    shares = [
        ("duplicate", spec.duplicate_share),
        ("filename-dated", spec.filename_dated_share),
        ("nodate", spec.nodate_share),
        ("png", spec.png_share),
        ("gif", spec.gif_share),
        ("corrupt", spec.corrupt_share),
    ]
    for i in range(spec.files):
        folder = rng.choice(folders)
        roll = rng.random()
        kind = "photo"
        edge = 0.0
        for name, share in shares:
            edge += share
            if roll < edge:
                kind = name
                break
        when = dt.datetime(
            spec.first_year + rng.randrange(spec.years),
            rng.randint(1, 12),
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
        )
        size_roll = rng.random()
        target_roll = rng.random()
        seed = spec.seed * 100_003 + i
        if kind == "duplicate" and not originals:
            kind = "photo"
        if kind == "duplicate":
            src = rng.choice(originals)
            base = os.path.basename(src)
            name = base if rng.random() < 0.5 else f"Copy of {base}"
            items.append(Item(claim(folder, name, i), "duplicate", of=src))
            continue
        if spec.tiny:
            width = rng.randrange(48, 97)
            size = (width, width * 3 // 4)
            quality = rng.randrange(80, 93)
        else:
            if huge_left and size_roll < huge_left / (spec.files - i):
                huge_left -= 1
                target = 11_000_000 + target_roll * 3_000_000
            elif size_roll < spec.large_share:
                target = 3_200_000 + target_roll * 2_800_000
            else:
                target = 500_000 + target_roll * 2_500_000
            size = _pixels_for(int(target * spec.size_scale))
            quality = 92
        if kind == "filename-dated":
            name, date = _filename_dated(when, i, rng.randrange(5)), None
        elif kind == "nodate":
            name, date = f"DSC_{i:05d}.jpg", None
        elif kind == "png":
            name, date = f"scan_{i:05d}.png", None
            size = (max(8, size[0] // 8), max(8, size[1] // 8))
        elif kind == "gif":
            name, date, size = f"anim_{i:05d}.gif", None, (64, 48)
        elif kind == "corrupt":
            name, date = f"DSC_{i:05d}.jpg", when
            if rng.random() < 0.25:
                kind = "garbage"
        else:
            name, date = (f"DSC_{i:05d}.JPG" if rng.random() < 0.3 else f"IMG_{i:05d}.jpg"), when
        orientation = rng.choice([1, 1, 1, 1, 6, 8, 3]) if kind == "photo" else None
        rel = claim(folder, name, i)
        originals.append(rel)
        items.append(Item(rel, kind, size[0], size[1], seed, quality, date, orientation))
    return items


def render(item: Item) -> bytes:
    """The bytes of one (non-duplicate) file."""
    if item.kind == "garbage":
        return random.Random(item.seed).randbytes(max(64, item.width * item.height // 4))
    image = photo(item.width, item.height, seed=item.seed)
    if item.kind == "png":
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()
    if item.kind == "gif":
        buffer = io.BytesIO()
        image.convert("P").save(buffer, "GIF")
        return buffer.getvalue()
    data = jpeg_bytes(image, item.date, item.orientation, quality=item.quality)
    if item.kind == "corrupt":
        return data[: len(data) * 2 // 3]
    return data


def _write(job: tuple[str, Item]) -> int:
    root, item = job
    data = render(item)
    with open(os.path.join(root, item.rel), "wb") as handle:
        handle.write(data)
    return len(data)


JUNK = ("DCIM/.DS_Store", "Family/Thumbs.db", "Family/notes.txt", "DCIM/@eaDir/thumb_XL.jpg")


def _keep_freed_memory() -> None:
    """Let glibc reuse freed image buffers instead of returning them to the kernel: each
    multi-megapixel temporary otherwise costs fresh page faults (a third of the time)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD: the largest it accepts
        libc.mallopt(-1, 1024 * 1024 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def make_archive(root: str, spec: Spec, jobs: int = 1) -> dict[str, object]:
    """Write the archive under ``root`` (with ``jobs`` processes); return a manifest."""
    _keep_freed_memory()
    items = plan(spec)
    os.makedirs(root, exist_ok=True)
    for folder in sorted({os.path.dirname(item.rel) for item in items} | {"DCIM/@eaDir"}):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    fresh = [(root, item) for item in items if item.kind != "duplicate"]
    if jobs > 1 and len(fresh) > 50:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            sizes = pool.map(_write, fresh, chunksize=max(1, min(64, len(fresh) // (jobs * 8))))
    else:
        sizes = [_write(job) for job in fresh]
    size_of = {job[1].rel: n for job, n in zip(fresh, sizes, strict=True)}
    written: list[dict[str, object]] = []
    for item in items:
        entry: dict[str, object] = {"file": item.rel, "kind": item.kind}
        if item.kind == "duplicate":
            assert item.of is not None
            shutil.copyfile(os.path.join(root, item.of), os.path.join(root, item.rel))
            entry["of"] = item.of
            size_of[item.rel] = size_of[item.of]
        entry["bytes"] = size_of[item.rel]
        entry["year"] = item.date.year if item.kind == "photo" and item.date else None
        written.append(entry)
    for junk in JUNK:
        with open(os.path.join(root, junk), "wb") as handle:
            handle.write(b"junk\n")
    return {"root": root, "spec": dataclasses.asdict(spec), "files": written, "junk": list(JUNK)}


JPEG_KINDS = ("photo", "filename-dated", "nodate", "corrupt")


def stamp_jpeg(data: bytes, stamp: bytes) -> bytes:
    """``data`` with a COM segment holding ``stamp`` after its APPn segments (where cameras put
    theirs): the same picture and metadata, different bytes."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF and 0xE0 <= data[pos + 1] <= 0xEF:
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    segment = b"\xff\xfe" + (len(stamp) + 2).to_bytes(2, "big") + stamp
    return data[:pos] + segment + data[pos:]


def make_stamped_archive(root: str, spec: Spec, pool: int = 64) -> dict[str, object]:
    """The archive of ``spec`` (names, folders, kinds, duplicates as :func:`make_archive`), fast
    enough for a million files: each JPEG is one of ``pool`` rendered JPEGs of its kind, made
    unique by a COM segment naming the file's seed (:func:`stamp_jpeg`); PNG, GIF and garbage
    files are rendered as usual. Meant for ``tiny`` specs: dates repeat with the pool."""
    _keep_freed_memory()
    items = plan(spec)
    os.makedirs(root, exist_ok=True)
    for folder in sorted({os.path.dirname(item.rel) for item in items} | {"DCIM/@eaDir"}):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    bases: dict[str, list[bytes]] = {}
    written: list[dict[str, object]] = []
    size_of: dict[str, int] = {}
    for item in items:
        entry: dict[str, object] = {"file": item.rel, "kind": item.kind}
        path = os.path.join(root, item.rel)
        if item.kind == "duplicate":
            assert item.of is not None
            shutil.copyfile(os.path.join(root, item.of), path)
            entry["of"] = item.of
            size_of[item.rel] = size_of[item.of]
        else:
            if item.kind in JPEG_KINDS:
                kind_bases = bases.setdefault(item.kind, [])
                if len(kind_bases) < pool:
                    kind_bases.append(render(item))
                base = kind_bases[item.seed % len(kind_bases)]
                data = stamp_jpeg(base, f"imgorg benchmark file {item.seed}".encode())
            else:
                data = render(item)
            with open(path, "wb") as handle:
                handle.write(data)
            size_of[item.rel] = len(data)
        entry["bytes"] = size_of[item.rel]
        entry["year"] = item.date.year if item.kind == "photo" and item.date else None
        written.append(entry)
    for junk in JUNK:
        with open(os.path.join(root, junk), "wb") as handle:
            handle.write(b"junk\n")
    return {"root": root, "spec": dataclasses.asdict(spec), "files": written, "junk": list(JUNK)}


def summary(manifest: dict[str, object]) -> str:
    files: list[dict[str, object]] = manifest["files"]  # type: ignore[assignment]
    sizes = sorted(int(f["bytes"]) for f in files)  # type: ignore[call-overload]
    kinds: dict[str, int] = {}
    for f in files:
        kinds[str(f["kind"])] = kinds.get(str(f["kind"]), 0) + 1
    above3 = sum(s > 3_000_000 for s in sizes)
    above10 = sum(s > 10_000_000 for s in sizes)
    return (
        f"{len(files)} files, {sum(sizes) / 1e6:.1f} MB; median {sizes[len(sizes) // 2] / 1e3:.0f} KB, "
        f"{above3} above 3 MB, {above10} above 10 MB; "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--large-share", type=float, default=None, help="default 0.20")
    parser.add_argument("--huge", type=int, default=None, help="photos above 10 MB (default 2)")
    parser.add_argument("--size-scale", type=float, default=1.0, help="multiply photo sizes")
    parser.add_argument(
        "--tiny", "--small", dest="tiny", action="store_true", help="~2 KB images (scale runs)"
    )
    parser.add_argument(
        "--compression-heavy",
        action="store_true",
        help="mostly JPEGs above 3 MB, a tenth above 10 MB",
    )
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--manifest", help="write the manifest (JSON) here")
    args = parser.parse_args(argv)
    heavy = args.compression_heavy
    spec = Spec(
        files=args.files,
        seed=args.seed,
        large_share=args.large_share if args.large_share is not None else 0.85 if heavy else 0.20,
        huge=args.huge if args.huge is not None else max(2, args.files // 10) if heavy else 2,
        tiny=args.tiny,
        size_scale=args.size_scale,
    )
    manifest = make_archive(args.out, spec, jobs=args.jobs)
    if args.manifest:
        with open(args.manifest, "w") as handle:
            json.dump(manifest, handle, default=str)
    print(f"{args.out}: {summary(manifest)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
