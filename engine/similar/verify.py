"""Is a candidate pair really one photo? The guards that keep false groups out.

- **Burst frames are never one photo**: two images that both carry a camera capture time
  (EXIF DateTimeOriginal, with its sub-seconds where both have them) that differ were two
  exposures, however alike they look. A copy made from a photo keeps that time or loses it;
  it never gets another one.
- **Shape**: the upright aspect ratios agree within ``ASPECT_TOLERANCE`` (a 2-5 % crop
  passes; a portrait never matches a landscape).
- **Look, twice**: the 64-bit DCT hashes are within ``HASH_RADIUS`` bits, and the 16x16 grey
  thumbnails, each normalised to zero mean and unit variance, correlate at ``MIN_CORRELATION``
  or better (a second signature, sensitive to what the hash's coarse frequencies miss: two
  shots of one scene framed a little differently).
"""

from __future__ import annotations

import numpy as np

from engine.similar.signature import Signature

HASH_RADIUS = 11
ASPECT_TOLERANCE = 0.08
MIN_CORRELATION = 0.80
FLAT_GREY_TOLERANCE = 12  # grey levels: two featureless frames are alike only in one brightness


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def different_exposures(a: Signature, b: Signature) -> bool:
    """Both carry a capture time and the times differ (to the sub-second where both have it)."""
    if a.capture is None or b.capture is None:
        return False
    if "." in a.capture and "." in b.capture:
        return a.capture != b.capture
    return a.capture[:19] != b.capture[:19]


def aspect_close(a: Signature, b: Signature) -> bool:
    if not a.aspect or not b.aspect:
        return False
    return abs(a.aspect / b.aspect - 1.0) <= ASPECT_TOLERANCE


def thumb_correlation(a: bytes, b: bytes) -> float:
    x = np.frombuffer(a, dtype=np.uint8).astype(np.float64)
    y = np.frombuffer(b, dtype=np.uint8).astype(np.float64)
    mean_gap = abs(float(x.mean() - y.mean()))
    x -= x.mean()
    y -= y.mean()
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    if norm == 0.0:  # a flat image: alike only if the other is flat too, and as bright
        flat = not x.any() and not y.any()
        return 1.0 if flat and mean_gap <= FLAT_GREY_TOLERANCE else 0.0
    return float((x * y).sum()) / norm


def same_photo(a: Signature, b: Signature) -> bool:
    """Every guard passes: ``a`` and ``b`` are copies of one exposure."""
    return (
        not different_exposures(a, b)
        and aspect_close(a, b)
        and hamming(a.phash, b.phash) <= HASH_RADIUS
        and thumb_correlation(a.thumb, b.thumb) >= MIN_CORRELATION
    )


_POPCOUNT = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)
_CHUNK = 1 << 16  # pairs whose thumbnails are correlated at once (16 MB of float64 each side)


def _distances(hashes: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    xor = (hashes[i] ^ hashes[j]).view(np.uint8).reshape(-1, 8)
    return _POPCOUNT[xor].sum(axis=1, dtype=np.int64)


def _correlations(thumbs: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``thumb_correlation`` of every pair, with the thumbnails centred once."""
    means = thumbs.mean(axis=1)
    centred = thumbs - means[:, None]
    energy = (centred * centred).sum(axis=1)
    flat = ~centred.any(axis=1)
    out = np.empty(len(i), dtype=np.float64)
    for start in range(0, len(i), _CHUNK):
        a, b = i[start : start + _CHUNK], j[start : start + _CHUNK]
        norm = np.sqrt(energy[a] * energy[b])
        alike = np.abs(means[a] - means[b]) <= FLAT_GREY_TOLERANCE
        dot = np.einsum("ij,ij->i", centred[a], centred[b])
        safe = np.where(norm == 0.0, 1.0, norm)
        out[start : start + len(a)] = np.where(
            norm == 0.0, np.where(flat[a] & flat[b] & alike, 1.0, 0.0), dot / safe
        )
    return out


def _exposures_differ(signatures: list[Signature], i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``different_exposures`` of every pair, from capture times numbered once."""
    ids: dict[str | None, int] = {None: -1}
    seconds = np.array([ids.setdefault(s.capture and s.capture[:19], len(ids)) for s in signatures])
    full = np.array([ids.setdefault(s.capture, len(ids)) for s in signatures])
    fine = np.array([s.capture is not None and "." in s.capture for s in signatures])
    both = (seconds[i] >= 0) & (seconds[j] >= 0)
    return both & np.where(fine[i] & fine[j], full[i] != full[j], seconds[i] != seconds[j])


def check_pairs(
    signatures: list[Signature], pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``same_photo`` of every pair (rows of ``pairs``) at once, with each pair's hash distance
    and thumbnail correlation: a group of thousands of look-alikes (a time-lapse, a folder of
    scans) makes millions of pairs, too many to check one by one."""
    i, j = pairs[:, 0], pairs[:, 1]
    hashes = np.array([s.phash for s in signatures], dtype=np.uint64)
    distances = _distances(hashes, i, j)
    aspects = np.array([s.aspect for s in signatures], dtype=np.float64)
    shaped = (aspects[i] > 0) & (aspects[j] > 0)
    ratio = aspects[i] / np.where(aspects[j] > 0, aspects[j], 1.0)
    shaped &= np.abs(ratio - 1.0) <= ASPECT_TOLERANCE
    thumbs = np.frombuffer(b"".join(s.thumb for s in signatures), dtype=np.uint8)
    thumbs = thumbs.reshape(len(signatures), -1).astype(np.float64)
    ok = shaped & (distances <= HASH_RADIUS) & ~_exposures_differ(signatures, i, j)
    correlations = np.zeros(len(i), dtype=np.float64)
    correlations[ok] = _correlations(thumbs, i[ok], j[ok])
    ok &= correlations >= MIN_CORRELATION
    return ok, distances, correlations
