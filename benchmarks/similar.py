"""Near-duplicate detection (issue #15): precision and recall on a labelled set built from the
shared corpus, the cost of the signature per 12 MP JPEG, and the neighbour search at scale.

    python -m benchmarks.similar [--index-size 1000000] [--threads 2] [--skip-index]
    python -m benchmarks.similar --cost-only   # the signature's CPU cost per file and route

The labelled set: each original photo of the corpus is copied by every transformation in
``TRANSFORMS`` (a positive pair: original and copy must be grouped), and hard negatives are
made from it: two shots of the same scene panned by 10 % (EXIF stripped, so only the pixels
can tell them apart), two burst frames (the same pixels nudged, with capture times one
sub-second apart) and, where the original has an EXIF thumbnail, another photo carrying the
original's EXIF segment, thumbnail included. Pairs across originals are negatives too.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

import engine.formats.still  # noqa: F401  (registers the HEIF and AVIF decoders)
from engine.formats.orientation import make_upright
from engine.records import DateSource
from engine.similar.groups import find_groups
from engine.similar.keeper import Member
from engine.similar.signature import signature_of_bytes

ORIGINALS = (
    "camera/Canon_PowerShot_S40.jpg",
    "camera/Reconyx_HC500_Hyperfire.jpg",
    "camera/canon_hdr_NO.jpg",
    "camera/DSCN0010.jpg",
    "camera/canon-ixus.jpg",
    "camera/fujifilm-finepix40i.jpg",
    "camera/kodak-dc240.jpg",
    "camera/ricoh-rdc5300.jpg",
    "camera/sony-cybershot.jpg",
    "phone/HMD_Nokia_8.3_5G.jpg",
    "phone/jolla.jpg",
    "phone/Xiaomi_Mi_9T_KeyError.jpg",
    "phone/iphone_hdr_NO.jpg",
    "phone/Apple iPhone 5.jpg",
    "phone/Samsung GT-I9000 (Galaxy S).jpg",
    "orientation/Landscape_1.jpg",
    "orientation/Portrait_1.jpg",
    "formats/iphone_13_pro_max.heic",
    "formats/spring_1440x960.heic",
    "formats/mountains.avif",
    "odd_dates/Nikon E885.jpg",
    "odd_dates/Sony_DSLR-A200.jpg",
    "filename_dates/IMG_20180725_163423-tiny.jpg",
)
_ORIENTATION = 274
_EXIF_IFD = 0x8769


def upright(data: bytes) -> tuple[Image.Image, Image.Exif]:
    """The photo as it is meant to be seen, and its EXIF with the Orientation tag removed."""
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        tag = exif.get(_ORIENTATION)
        pixels = im.convert("RGB")
        if im.format != "HEIF" and isinstance(tag, int):
            pixels = make_upright(pixels, tag)
    pixels.info.clear()  # or the encoders would copy the original EXIF, Orientation included
    exif.pop(_ORIENTATION, None)
    return pixels, exif


def _jpeg(im: Image.Image, quality: int, exif: Image.Exif | None) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality, exif=exif.tobytes() if exif is not None else b"")
    return out.getvalue()


def _scaled(im: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(im.width * factor)), max(1, round(im.height * factor)))
    return im.resize(size, Image.Resampling.LANCZOS)


def _messenger(im: Image.Image, exif: Image.Exif) -> bytes:
    factor = min(1.0, 1600 / max(im.size))
    return _jpeg(_scaled(im, factor), 70, None)


def _crop(im: Image.Image, exif: Image.Exif) -> bytes:
    w, h = im.size
    return _jpeg(im.crop((round(w * 0.02), round(h * 0.04), w - round(w * 0.02), h)), 90, exif)


def _by_tag(im: Image.Image, exif: Image.Exif) -> bytes:
    """Pixels stored sideways with Orientation 6, as a camera held upright writes them."""
    tagged = Image.Exif()
    tagged.load(exif.tobytes())
    tagged[_ORIENTATION] = 6
    return _jpeg(im.transpose(Image.Transpose.ROTATE_90), 90, tagged)


def _encoded(fmt: str, **params: object) -> Callable[[Image.Image, Image.Exif], bytes]:
    def convert(im: Image.Image, exif: Image.Exif) -> bytes:
        out = io.BytesIO()
        im.save(out, fmt, **params)
        return out.getvalue()

    return convert


TRANSFORMS: dict[str, tuple[str, Callable[[Image.Image, Image.Exif], bytes]]] = {
    "resize 50 %": (".jpg", lambda im, exif: _jpeg(_scaled(im, 0.5), 90, exif)),
    "resize 25 %": (".jpg", lambda im, exif: _jpeg(_scaled(im, 0.25), 90, exif)),
    "quality 85": (".jpg", lambda im, exif: _jpeg(im, 85, exif)),
    "quality 60": (".jpg", lambda im, exif: _jpeg(im, 60, exif)),
    "quality 40": (".jpg", lambda im, exif: _jpeg(im, 40, exif)),
    "messenger (1600 px, q70, no EXIF)": (".jpg", _messenger),
    "crop 2-5 %": (".jpg", _crop),
    "PNG": (".png", _encoded("PNG")),
    "WebP": (".webp", _encoded("WEBP", quality=80)),
    "HEIC": (".heic", _encoded("HEIF", quality=80)),
    "orientation by tag": (".jpg", _by_tag),
}


def scene_pair(im: Image.Image) -> tuple[bytes, bytes]:
    """Two shots of one scene: the camera panned by 10 % between them; no EXIF."""
    w, h = im.size
    left = im.crop((0, 0, round(w * 0.9), h))
    right = im.crop((round(w * 0.1), 0, w, h))
    return _jpeg(left, 90, None), _jpeg(right, 90, None)


def burst_pair(im: Image.Image, exif: Image.Exif) -> tuple[bytes, bytes]:
    """Two frames of a burst: the same second, sub-seconds apart, the scene barely moved."""
    frames = []
    for subsec, brightness in (("10", 1.0), ("45", 1.03)):
        stamped = Image.Exif()
        stamped.load(exif.tobytes())
        sub = stamped.get_ifd(_EXIF_IFD)
        sub[36867] = "2015:06:01 10:00:00"
        sub[37521] = subsec
        frame = ImageEnhance.Brightness(im).enhance(brightness)
        frames.append(_jpeg(frame, 90, stamped))
    return frames[0], frames[1]


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    family: str  # the original it derives from
    kind: str  # "original", a transformation, "scene a/b", "burst a/b", "foreign thumbnail"
    data: bytes
    donor: str | None = None  # "foreign thumbnail": the original whose pixels it shows


def foreign_thumbnail(original: bytes, other: Image.Image) -> bytes | None:
    """Another photo's pixels, at the original's stored size, carrying the original's whole
    EXIF segment: its capture time and its EXIF thumbnail, which now shows a different photo
    (what a tool copying metadata from one file to another leaves). None when the original
    has no EXIF thumbnail."""
    from engine.similar.jpegfast import exif_thumbnail

    with Image.open(io.BytesIO(original)) as im:
        if im.format != "JPEG" or exif_thumbnail(im) is None:
            return None
        size = im.size
    body = _jpeg(ImageOps.fit(other, size, Image.Resampling.LANCZOS), 90, None)
    return body[:2] + app1_segment(original) + body[2:]


def labelled_set(corpus: str, originals: tuple[str, ...] = ORIGINALS) -> list[Item]:
    items: list[Item] = []
    pictures: dict[str, tuple[bytes, Image.Image]] = {}
    for rel in originals:
        with open(os.path.join(corpus, rel), "rb") as handle:
            data = handle.read()
        items.append(Item(rel, rel, "original", data))
        im, exif = upright(data)
        pictures[rel] = data, im
        for kind, (ext, make) in TRANSFORMS.items():
            items.append(Item(f"{rel}~{kind}{ext}", rel, kind, make(im, exif)))
        for kind, pair in (("scene", scene_pair(im)), ("burst", burst_pair(im, exif))):
            for tag, blob in zip("ab", pair, strict=True):
                items.append(Item(f"{rel}~{kind} {tag}.jpg", rel, f"{kind} {tag}", blob))
    for rel, donor in zip(originals, originals[1:] + originals[:1], strict=True):
        blob = foreign_thumbnail(pictures[rel][0], pictures[donor][1])
        if blob is not None:
            name = f"{rel}~foreign thumbnail.jpg"
            items.append(Item(name, rel, "foreign thumbnail", blob, donor))
    return items


def _comparable(a: Item, b: Item) -> bool | None:
    """True: must be grouped; False: must not; None: not scored."""
    if a.donor is not None or b.donor is not None:
        foreign, other = (a, b) if a.donor is not None else (b, a)
        return None if other.family == foreign.donor else False  # it does show the donor
    if a.family != b.family:
        return False
    hard = [k.split()[0] for k in (a.kind, b.kind) if k.startswith(("scene", "burst"))]
    if not hard:
        return True
    if len(hard) == 2 and hard[0] == hard[1]:
        return False  # the two shots of one scene, or the two frames of one burst
    return None  # a pan or a burst frame against the original's copies: not a copy by definition


def evaluate(items: list[Item]) -> dict[str, dict[str, float]]:
    signatures = {item.name: signature_of_bytes(item.data) for item in items}
    missing = [name for name, sig in signatures.items() if sig is None]
    if missing:
        raise RuntimeError(f"no signature for {missing}")
    members = [
        Member(item.name, signatures[item.name], None, DateSource.NONE)  # type: ignore[arg-type]
        for item in items
    ]
    grouped: set[frozenset[str]] = set()
    for group in find_groups(members):
        for a, b in itertools.combinations(group.members, 2):
            grouped.add(frozenset((a.path, b.path)))
    rows: dict[str, dict[str, float]] = {}
    kinds = [*TRANSFORMS, "scene", "burst", "foreign"]
    for kind in kinds:
        positives = found = predicted = wrong = 0
        for a, b in itertools.combinations(items, 2):
            if not any(k.kind.split()[0] == kind or k.kind == kind for k in (a, b)):
                continue
            label = _comparable(a, b)
            if label is None:
                continue
            together = frozenset((a.name, b.name)) in grouped
            if label and "original" in (a.kind, b.kind):
                positives += 1
                found += together
            if together:
                predicted += 1
                wrong += not label
        negatives = sum(1 for a, b in itertools.combinations(items, 2) if _pair_kind(a, b) == kind)
        rows[kind] = {
            "positives": positives,
            "recall": found / positives if positives else float("nan"),
            "grouped": predicted,
            "precision": (predicted - wrong) / predicted if predicted else 1.0,
            "hard_negative_pairs": negatives,
        }
    return rows


def _pair_kind(a: Item, b: Item) -> str | None:
    if (a.donor is None) != (b.donor is None) and a.family == b.family:
        return "foreign"  # the photo with a foreign thumbnail against the thumbnail's photo
    if a.family == b.family and a.kind.split()[0] == b.kind.split()[0] != a.kind != b.kind:
        return a.kind.split()[0]
    return None


COST_FILES = (
    "phone/Xiaomi_Mi_9T_KeyError.jpg",
    "phone/HMD_Nokia_8.3_5G.jpg",
    "phone/Apple iPhone 5.jpg",
    "phone/iphone_hdr_NO.jpg",
    "phone/jolla.jpg",
    "corrupt/corrupted.jpg",
    "odd_dates/67-0_length_string.jpg",
    "camera/canon_hdr_NO.jpg",
    "camera/Reconyx_HC500_Hyperfire.jpg",
)
SYNTHETIC_FROM = "phone/Xiaomi_Mi_9T_KeyError.jpg"  # 4000x3000, with a 320x240 EXIF thumbnail


def app1_segment(data: bytes) -> bytes:
    """The file's EXIF segment (marker and length included), thumbnail and all."""
    pos = 2
    while data[pos] == 0xFF and data[pos + 1] != 0xDA:
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if data[pos + 1] == 0xE1 and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            return data[pos : pos + 2 + length]
        pos += 2 + length
    raise ValueError("no EXIF segment")


def synthetic_12mp(corpus: str) -> dict[str, bytes]:
    """12 MP JPEGs as a camera writes them: the stored pixels of a real 12 MP phone photo
    re-encoded at quality 85, 95 and 98, its EXIF segment (and so its EXIF thumbnail) spliced
    back in; the same at q95 without EXIF (no thumbnail) and at q95 progressive."""
    with open(os.path.join(corpus, SYNTHETIC_FROM), "rb") as handle:
        original = handle.read()
    segment = app1_segment(original)
    with Image.open(io.BytesIO(original)) as im:
        pixels = im.convert("RGB")
    made: dict[str, bytes] = {}
    for label, quality, progressive, exif in (
        ("q85", 85, False, True),
        ("q95", 95, False, True),
        ("q98", 98, False, True),
        ("q95 no EXIF", 95, False, False),
        ("q95 progressive", 95, True, True),
        ("q95 progressive no EXIF", 95, True, False),
    ):
        out = io.BytesIO()
        pixels.save(out, "JPEG", quality=quality, progressive=progressive, subsampling="4:2:0")
        body = out.getvalue()
        made[f"synthetic 12 MP {label}"] = body[:2] + segment + body[2:] if exif else body
    return made


def _cpu_ms(work: Callable[[], object], runs: int) -> float:
    work()
    times = []
    for _ in range(runs):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def signature_cost(data: bytes, runs: int = 15) -> dict[str, object]:
    """CPU time of one signature, split: parse (header, EXIF facts, quality), pixels (the
    reduced grey image: EXIF thumbnail, DC scans or draft decode), hash (upright, pHash and
    16x16 thumbnail); and of a full decode for comparison."""
    from engine.formats.compress import estimate_quality
    from engine.similar.signature import _exif_facts, phash_of, stored_grey, thumb_of

    def parse() -> None:
        with Image.open(io.BytesIO(data)) as im:
            _exif_facts(im)
            estimate_quality(im)

    def pixels() -> None:
        with Image.open(io.BytesIO(data)) as im:
            stored_grey(im, data)

    with Image.open(io.BytesIO(data)) as im:
        size = im.size
        orientation = _exif_facts(im)[0]
        grey, route = stored_grey(im, data)

    def hashed() -> None:
        upright_grey = make_upright(grey, orientation)
        phash_of(upright_grey)
        thumb_of(upright_grey)

    def full() -> None:
        with Image.open(io.BytesIO(data)) as im:
            im.load()

    return {
        "pixels": f"{size[0]}x{size[1]}",
        "MB": len(data) / 1e6,
        "route": route,
        "signature_ms": _cpu_ms(lambda: signature_of_bytes(data), runs),
        "parse_ms": _cpu_ms(parse, runs),
        "pixels_ms": _cpu_ms(pixels, runs),
        "hash_ms": _cpu_ms(hashed, runs),
        "draft_ms": _cpu_ms(lambda: _draft_only(data), max(3, runs // 3)),
        "full_decode_ms": _cpu_ms(full, 3),
    }


def _draft_only(data: bytes) -> None:
    """The former route for every JPEG: a DCT-scaled decode of the whole file."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (64, 64))
        im.load()


def hashing_cost(corpus: str, runs: int = 15) -> list[dict[str, object]]:
    files: dict[str, bytes] = {}
    for rel in COST_FILES:
        with open(os.path.join(corpus, rel), "rb") as handle:
            files[rel] = handle.read()
    files.update(synthetic_12mp(corpus))
    return [{"file": name, **signature_cost(data, runs)} for name, data in files.items()]


def cost_markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| file | pixels | MB | route | signature | parse | pixels | hash | draft decode "
        "| full decode |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ms = [f"{row[k]:.1f}" for k in ("signature_ms", "parse_ms", "pixels_ms", "hash_ms")]
        ms += [f"{row[k]:.0f}" for k in ("draft_ms", "full_decode_ms")]
        lines.append(
            f"| {row['file']} | {row['pixels']} | {row['MB']:.1f} | {row['route']} | "
            + " | ".join(ms)
            + " |"
        )
    return "\n".join(lines)


def index_cost(count: int, threads: int, planted: int = 10_000, seed: int = 0) -> dict:
    """The pair search over ``count`` random hashes with ``planted`` near copies (<= 11 bits)."""
    from engine.similar.index import near_pairs

    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**64 - 1, size=count, dtype=np.uint64, endpoint=True)
    sources = rng.choice(count - planted, size=planted, replace=False)
    flips = rng.integers(0, 12, size=planted)
    for k, (src, nbits) in enumerate(zip(sources, flips, strict=True)):
        mask = 0
        for bit in rng.choice(64, size=nbits, replace=False):
            mask |= 1 << int(bit)
        hashes[count - planted + k] = np.uint64(int(hashes[src]) ^ mask)
    start = time.perf_counter()
    pairs = near_pairs(hashes, 11, threads)
    elapsed = time.perf_counter() - start
    planted_pairs = {(int(s), count - planted + k) for k, s in enumerate(sources)}
    found = {(int(a), int(b)) for a, b in pairs.tolist()}
    return {
        "hashes": count,
        "threads": threads,
        "seconds": elapsed,
        "pairs": len(pairs),
        "planted_found": len(planted_pairs & found) / planted,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def markdown(rows: dict[str, dict[str, float]]) -> str:
    lines = [
        "| transformation | pairs | recall | precision |",
        "|---|---:|---:|---:|",
    ]
    for kind, row in rows.items():
        if kind in ("scene", "burst", "foreign"):
            continue
        lines.append(
            f"| {kind} | {row['positives']} | {row['recall']:.3f} | {row['precision']:.3f} |"
        )
    for kind, label in (
        ("scene", "two shots of one scene (10 % pan, no EXIF)"),
        ("burst", "burst frames (sub-seconds apart)"),
        ("foreign", "another photo carrying this one's EXIF and EXIF thumbnail"),
    ):
        row = rows[kind]
        wrong = row["grouped"] - round(row["precision"] * row["grouped"])
        lines.append(
            f"| hard negative: {label} | {row['hard_negative_pairs']} | | {wrong} grouped |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        default=os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "corpus"
        ),
    )
    parser.add_argument("--index-size", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--cost-only", action="store_true", help="only the signature's cost")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; times are CPU ms (median)")
    print(cost_markdown(hashing_cost(args.corpus)))
    if args.cost_only:
        return 0
    items = labelled_set(args.corpus)
    start = time.perf_counter()
    rows = evaluate(items)
    print(f"labelled set: {len(items)} images, evaluated in {time.perf_counter() - start:.1f} s")
    print(markdown(rows))
    if not args.skip_index:
        print(index_cost(args.index_size, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
