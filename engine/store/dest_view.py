"""What the coordinator may know of DEST: the ``DestView`` protocol, and ``JournalView``, the
one a run uses (the journal and the disk).

The coordinator decides keepers and names through these few questions only, so it can be
specified with an in-memory view (tests/test_decide.py). The names it hands out are claimed
here; a claim becomes redundant once the placer has journaled the name, and is then dropped.
The placer never calls back into the coordinator.
"""

from __future__ import annotations

import enum
import os
from typing import Protocol

from engine.store import fsops
from engine.store.journal import Journal, Placed

PRUNE_AT = 4096  # claims held before those the journal now records are dropped


class Slot(enum.StrEnum):
    """A destination name, for a file with given bytes."""

    FREE = "free"
    IDENTICAL = "identical"  # a file with these very bytes is already there
    TAKEN = "taken"  # by another file, by the journal's account, or claimed in this run


class DestView(Protocol):
    @property
    def same_device(self) -> bool:
        """Whether a move can rename a source into DEST (one filesystem)."""
        ...

    def placed_with_hash(self, content_hash: str, earlier_runs_only: bool = False) -> Placed | None:
        """The first placed file with this content (by source path), if any."""
        ...

    def slot(self, name: str, content_hash: str | None) -> Slot:
        """Whether ``name`` (relative to DEST) can take a file with ``content_hash``."""
        ...

    def claim(self, name: str) -> None:
        """``name`` is handed out: it is taken from now on."""
        ...

    def same_bytes(self, mine: str, theirs: str) -> bool | None:
        """Whether two files hold the same bytes; None when either is gone. Raises OSError
        when one cannot be read."""
        ...


class JournalView:
    """DEST as the journal and the disk show it, with the names this run has handed out."""

    def __init__(
        self,
        journal: Journal,
        source: str,
        dest: str,
        run_id: int | None = None,
        prune_at: int = PRUNE_AT,
    ) -> None:
        self.journal, self.dest, self.run_id = journal, dest, run_id
        self._same_device = fsops.same_device(source, dest) if os.path.isdir(dest) else False
        self.claims: set[str] = set()
        self._least, self._prune_at = prune_at, prune_at

    @property
    def same_device(self) -> bool:
        return self._same_device

    def placed_with_hash(self, content_hash: str, earlier_runs_only: bool = False) -> Placed | None:
        before = self.run_id if earlier_runs_only else None
        return self.journal.placed_with_hash(content_hash, before_run=before)

    def slot(self, name: str, content_hash: str | None) -> Slot:
        if name in self.claims or self.journal.dest_taken(name):
            return Slot.TAKEN
        path = os.path.join(self.dest, name)
        if not os.path.lexists(path):
            return Slot.FREE
        if content_hash and os.path.isfile(path) and fsops.hash_file(path) == content_hash:
            return Slot.IDENTICAL
        return Slot.TAKEN

    def claim(self, name: str) -> None:
        self.claims.add(name)
        if len(self.claims) >= self._prune_at:
            self.claims = {c for c in self.claims if not self.journal.dest_taken(c)}
            self._prune_at = max(self._least, 2 * len(self.claims))

    def same_bytes(self, mine: str, theirs: str) -> bool | None:
        try:
            return fsops.same_bytes(mine, theirs)
        except FileNotFoundError:
            return None
