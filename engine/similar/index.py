"""Candidate pairs: every two signatures whose 64-bit hashes differ in at most ``radius`` bits.

faiss's exhaustive binary search (``IndexBinaryFlat``: XOR and popcount, about 2e9 comparisons
a second per core) over the upper triangle only: the hashes are cut in blocks and each block is
searched against itself and the blocks after it, one block per thread (faiss releases the GIL).
Exact at any radius. Measured against faiss's multi-index hash (``IndexBinaryMultiHash``, 4
tables of 16 bits, 2 flips: exact within 11 bits), which was several times slower on uniformly
spread 64-bit hashes: its hash-table probes cost more than the comparisons they save.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_BLOCK = 20_000  # queries per range search: bounds the result arrays held at once


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
    """Index pairs (i < j), one per row, of hashes at Hamming distance <= ``radius``."""
    faiss = _faiss()
    codes = as_codes(hashes)
    count = len(codes)
    if count < 2:
        return np.zeros((0, 2), dtype=np.int64)
    faiss.omp_set_num_threads(1)  # the parallelism is ours: one block per thread

    def search(start: int) -> np.ndarray:
        index = faiss.IndexBinaryFlat(64)
        index.add(codes[start:])
        limits, _distances, labels = index.range_search(codes[start : start + _BLOCK], radius + 1)
        rows = np.repeat(
            np.arange(start, start + len(limits) - 1), np.diff(limits).astype(np.int64)
        )
        labels = labels.astype(np.int64) + start
        keep = labels > rows
        return np.stack([rows[keep], labels[keep]], axis=1)

    workers = max(1, threads or os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        found = list(pool.map(search, range(0, count, _BLOCK)))
    return np.concatenate(found)
