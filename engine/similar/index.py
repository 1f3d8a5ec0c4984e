"""Candidate pairs: every two signatures whose 64-bit hashes differ in at most ``radius`` bits.

faiss does the Hamming search. Below ``FLAT_LIMIT`` hashes an exhaustive ``IndexBinaryFlat``
is fastest; above it the search is quadratic (about 7 minutes for a million on 2 cores), so a
multi-index hash (``IndexBinaryMultiHash``: 4 tables on 16-bit slices, 2 bit flips per probe)
takes over. By the pigeonhole principle it finds every pair within 11 bits: two hashes that
differ in at most 11 bits agree within 2 bits on at least one of the four slices.
"""

from __future__ import annotations

import numpy as np

FLAT_LIMIT = 150_000
_CHUNK = 50_000  # queries per range search: bounds the result arrays held at once


class MissingDependency(RuntimeError):
    pass


def _faiss():  # type: ignore[no-untyped-def]
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependency(
            "near-duplicate search needs faiss: pip install 'imgorg[similar]' "
            "(or: pip install faiss-cpu)"
        ) from exc
    return faiss


def available() -> bool:
    try:
        _faiss()
    except MissingDependency:
        return False
    return True


def as_codes(hashes: list[int] | np.ndarray) -> np.ndarray:
    """64-bit hashes as faiss's binary codes: one row of 8 bytes each."""
    values = np.asarray(hashes, dtype=np.uint64)
    return np.ascontiguousarray(values.astype(">u8").view(np.uint8).reshape(-1, 8))


def near_pairs(hashes: list[int] | np.ndarray, radius: int, threads: int = 0) -> np.ndarray:
    """Index pairs (i < j), one per row, of hashes at Hamming distance <= ``radius`` (<= 11)."""
    if radius > 11:
        raise ValueError("the multi-index search is exact up to 11 bits")
    faiss = _faiss()
    if threads:
        faiss.omp_set_num_threads(threads)
    codes = as_codes(hashes)
    count = len(codes)
    if count < 2:
        return np.zeros((0, 2), dtype=np.int64)
    if count <= FLAT_LIMIT:
        index = faiss.IndexBinaryFlat(64)
    else:
        index = faiss.IndexBinaryMultiHash(64, 4, 16)
        index.nflip = 2
    index.add(codes)
    found = []
    for start in range(0, count, _CHUNK):
        limits, _distances, labels = index.range_search(codes[start : start + _CHUNK], radius + 1)
        rows = np.repeat(
            np.arange(start, start + len(limits) - 1), np.diff(limits).astype(np.int64)
        )
        keep = labels > rows
        found.append(np.stack([rows[keep], labels[keep]], axis=1))
    return np.concatenate(found).astype(np.int64)
