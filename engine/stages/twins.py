"""Identical files proven byte for byte by the worker that read them, so that the coordinator
need not read them again: identical files share a size, and the planner shards by size, so a
file's copies are mostly in its own batch, whose worker has just read them (page cache). A copy
of a file an earlier run placed is compared by its worker too, with that file."""

from __future__ import annotations

import contextlib
import os
import sqlite3

from engine.records import Analysis, Status
from engine.store import fsops
from engine.store.journal import Journal


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


class EarlierCopies:
    """Within one batch: each sound file whose hash an earlier run placed is compared with
    that placed file where the coordinator would look (its source, then its copy in DEST when
    the bytes placed are the source's own); when the first of them still there holds the same
    bytes the file gets ``same_as_placed`` = that file's name in DEST. A twin of the batch
    inherits its first file's proof. Anything else (different bytes, both gone, a journal that
    cannot be read) gets nothing, and the coordinator compares as before.

    ``journal`` is DEST's journal, read-only; ``run_id`` the run under way (its own rows are
    never asked about). Only for workers on the writer's host (see organize.earlier_placed)."""

    def __init__(self, journal: str, run_id: int, dest: str) -> None:
        self.run_id, self.dest = run_id, dest
        self._journal: Journal | None = None
        with contextlib.suppress(sqlite3.Error, OSError):
            self._journal = Journal.reader(journal)

    def check(self, result: Analysis, twins: BatchTwins, root: str) -> None:
        if self._journal is None or result.status is not Status.PLACED or result.hash is None:
            return
        first = twins.first.get(result.hash)
        if first is not None and first is not result and result.twin_of == first.rel:
            result.same_as_placed = first.same_as_placed
            return
        try:
            placed = self._journal.placed_with_hash(result.hash, before_run=self.run_id)
        except sqlite3.Error:
            return
        if placed is None:
            return
        where = [os.path.join(placed.source_root, placed.rel)]
        if not placed.transformed:
            where.append(os.path.join(self.dest, placed.dest))
        mine = os.path.join(root, result.rel)
        for path in where:
            try:
                same = fsops.same_bytes(mine, path)
            except FileNotFoundError:
                continue
            except OSError:
                return
            if same:
                result.same_as_placed = placed.dest
            return

    def close(self) -> None:
        if self._journal is not None:
            self._journal.db.close()
