"""Finishing what an interrupted run left: temporary files, half-placed batches, unremoved
sources of verified moves, a tidy step in progress. Runs before every real run."""

from __future__ import annotations

import os
import shutil

from engine import fsops
from engine.journal import Journal
from engine.placement import remove_verified_source


def recover(journal: Journal, dest: str, stage_dir: str) -> int:
    """Bring DEST and the journal back in step; return how many files were settled."""
    shutil.rmtree(stage_dir, ignore_errors=True)
    settled = 0
    forget = []
    finished: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    for root, decision, _source_removed in journal.unfinished():
        if decision.dest is None or decision.action == "none":
            forget.append((root, decision.rel))
            continue
        final = os.path.join(dest, decision.dest)
        fsops.remove_quietly(fsops.temp_name(final))
        if os.path.isfile(final) and fsops.hash_file(final) == decision.out_hash:
            finished.setdefault(root, []).append(decision.rel)
            if decision.action == "move-rename" and not os.path.lexists(
                os.path.join(root, decision.rel)
            ):
                removed.setdefault(root, []).append(decision.rel)
            settled += 1
        else:
            forget.append((root, decision.rel))
    journal.forget(forget)
    for root, rels in finished.items():
        journal.mark_done(root, rels)
    for root, rels in removed.items():
        journal.mark_source_removed(root, rels)
    for root, decision in journal.moved_not_removed():
        assert decision.dest is not None
        if remove_verified_source(root, decision, os.path.join(dest, decision.dest)):
            journal.mark_source_removed(root, [decision.rel])
    return settled
