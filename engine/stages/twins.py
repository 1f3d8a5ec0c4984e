"""Identical files proven byte for byte by the worker that read them, so that the coordinator
need not read them again: identical files share a size, and the planner shards by size, so a
file's copies are mostly in its own batch, whose worker has just read them (page cache)."""

from __future__ import annotations

import os

from engine.records import Analysis, Status
from engine.store import fsops


class BatchTwins:
    """Within one batch: each sound file whose hash an earlier file of the batch has is
    compared with that first file; when the bytes are the same both get ``twin_of`` = the
    first file's path. Files that differ, or cannot be read, get nothing: the coordinator
    then compares them itself, as it does across batches."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.first: dict[str, Analysis] = {}

    def check(self, result: Analysis) -> None:
        if result.status is not Status.PLACED or result.hash is None:
            return
        first = self.first.setdefault(result.hash, result)
        if first is result:
            return
        try:
            same = fsops.same_bytes(
                os.path.join(self.root, first.rel), os.path.join(self.root, result.rel)
            )
        except OSError:
            return
        if same:
            first.twin_of = result.twin_of = first.rel
