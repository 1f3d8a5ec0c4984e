"""Identical files proven byte for byte by the worker that read them, so that the coordinator
need not read them again: identical files share a size, and the planner shards by size, so a
file's copies are mostly in its own batch, whose worker has just read them (page cache). A copy
of a file an earlier run placed is compared by its worker too, with that file."""

from __future__ import annotations

import contextlib
import os
import sqlite3

from engine.records import Analysis, CompanionResult, Status
from engine.store import fsops
from engine.store.journal import Journal


class BatchTwins:
    """Within one batch: each sound file whose hash an earlier file of the batch has is
    compared with that first file; when the bytes are the same both get ``twin_of`` = the
    first file's path. The files travelling with them (a RAW, a Live Photo video, a sidecar)
    are compared the same way among themselves. Files that differ, or cannot be read, get
    nothing: the coordinator then compares them itself, as it does across batches."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.first: dict[str, Analysis] = {}
        self.first_companion: dict[str, CompanionResult] = {}

    def check(self, result: Analysis) -> None:
        if result.status is not Status.PLACED or result.hash is None:
            return
        self._compare(self.first.setdefault(result.hash, result), result)
        for item in result.companions:
            if item.hash is not None and item.error is None:
                self._compare(self.first_companion.setdefault(item.hash, item), item)

    def first_of(self, found: Analysis | CompanionResult) -> Analysis | CompanionResult | None:
        """The first file of the batch with ``found``'s hash, main file or companion alike."""
        first = self.first if isinstance(found, Analysis) else self.first_companion
        return first.get(found.hash) if found.hash is not None else None

    def _compare(
        self, first: Analysis | CompanionResult, later: Analysis | CompanionResult
    ) -> None:
        if first is later:
            return
        try:
            same = fsops.same_bytes(
                os.path.join(self.root, first.rel), os.path.join(self.root, later.rel)
            )
        except OSError:
            return
        if same:
            first.twin_of = later.twin_of = first.rel


class EarlierCopies:
    """Within one batch: each sound file whose hash an earlier run placed is compared with
    that placed file where the coordinator would look (``Placed.readable_at``: its source,
    then its copy in DEST, also when the source's name holds another file now); when one of
    them holds the same bytes the file gets ``same_as_placed`` = that file's name in DEST; so
    does each file travelling with it, on its own bytes. A twin of the batch inherits its
    first file's proof. Anything else (different bytes, both gone, a journal that cannot be
    read) gets nothing, and the coordinator compares as before.

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
        self._prove(result, twins, root)
        for item in result.companions:
            if item.hash is not None and item.error is None:
                self._prove(item, twins, root)

    def _prove(self, found: Analysis | CompanionResult, twins: BatchTwins, root: str) -> None:
        assert self._journal is not None and found.hash is not None
        first = twins.first_of(found)
        if first is not None and first is not found and found.twin_of == first.rel:
            found.same_as_placed = first.same_as_placed
            return
        try:
            placed = self._journal.placed_with_hash(found.hash, before_run=self.run_id)
        except sqlite3.Error:
            return
        if placed is None:
            return
        where = placed.readable_at(self.dest)
        mine = os.path.join(root, found.rel)
        for path in where:
            try:
                same = fsops.same_bytes(mine, path)
            except FileNotFoundError:
                continue
            except OSError:
                return
            if same:
                found.same_as_placed = placed.dest
            if same or path != where[0]:  # other bytes at its source path: a name reused
                return

    def close(self) -> None:
        if self._journal is not None:
            self._journal.db.close()
