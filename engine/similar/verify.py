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
    x -= x.mean()
    y -= y.mean()
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    if norm == 0.0:  # a flat image: alike only if the other is flat too
        return 1.0 if not x.any() and not y.any() else 0.0
    return float((x * y).sum()) / norm


def same_photo(a: Signature, b: Signature) -> bool:
    """Every guard passes: ``a`` and ``b`` are copies of one exposure."""
    return (
        not different_exposures(a, b)
        and aspect_close(a, b)
        and hamming(a.phash, b.phash) <= HASH_RADIUS
        and thumb_correlation(a.thumb, b.thumb) >= MIN_CORRELATION
    )
