"""Finishing what an interrupted run left: temporary files, half-placed batches, sources whose
removal the journal missed, unremoved sources of verified moves, a tidy step in progress.

``reconcile`` (journal and disk in step; in SOURCE it only finishes the renames a killed move
planned for the companions of a photo it had renamed into DEST) runs before undo, verify and
finalize; ``recover`` (that, then completing the moves) before every real run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from engine.policy.actions import Action, SourceAfter, Writes
from engine.records import Decision
from engine.stages.commit import Changed, copy_verified, unchanged
from engine.stages.release import CANNOT_REMOVE, keep_original, remove_source, source_mode
from engine.stages.tidy import finish_pending
from engine.store import fsops
from engine.store.journal import Journal, original_path, original_paths


def reconcile(journal: Journal, dest: str) -> int:
    """Bring the journal in step with DEST and SOURCE; return how many files were settled."""
    finish_pending(dest, journal)
    settled = 0
    placed: set[tuple[str, str, int]] = set()  # (root, rel, run) of the rows settled as done
    behind: list[tuple[str, Decision, int]] = []  # companions still in SOURCE, renames planned
    for root, decision, run_id in journal.unfinished():
        if decision.action.releases:
            settled += _settle_release(journal, dest, root, decision, run_id)
            continue
        if decision.dest is None or not decision.action.touches_dest:
            journal.forget([(root, decision.rel)], run_id)
            continue
        final = os.path.join(dest, decision.dest)
        fsops.remove_quietly(fsops.temp_name(final))
        if fsops.holds(final, decision.out_hash) or renamed_away(root, decision, final):
            journal.mark_done(root, [decision.rel], run_id)
            placed.add((root, decision.rel, run_id))
            settled += 1
        elif decision.companion_of is not None and decision.action in FOLLOWING:
            behind.append((root, decision, run_id))
        else:
            journal.forget([(root, decision.rel)], run_id)
    settled += _follow_their_photos(journal, dest, behind, placed)
    settle_removed_sources(journal, dest)
    return settled


def settle_removed_sources(
    journal: Journal, dest: str, on_disk: Callable[[str, str], str] = os.path.join
) -> None:
    """A run killed after removing sources but before journaling it: the disk says what
    happened. ``on_disk(dest, rel)`` is where DEST's file journaled at ``rel`` is now."""
    for root, decision, run_id in journal.moved_not_removed():
        assert decision.dest is not None
        if os.path.lexists(os.path.join(root, decision.rel)):
            continue
        kept = kept_original(dest, decision, run_id) if decision.action.keeps_original else None
        if kept is not None:
            journal.mark_source_removed(root, [decision.rel], run_id, {decision.rel: kept})
        elif fsops.holds(on_disk(dest, decision.dest), decision.out_hash):
            journal.mark_source_removed(root, [decision.rel], run_id)


def kept_original(dest: str, decision: Decision, run_id: int) -> str | None:
    """Where below DEST a run kept ``decision``'s own bytes (``original_paths``), if it did."""
    for path in original_paths(run_id, decision.rel):
        if fsops.holds(os.path.join(dest, path), decision.hash):
            return path
    return None


def _settle_release(journal: Journal, dest: str, root: str, decision: Decision, run_id: int) -> int:
    """A release a killed run planned, settled by the disk (``settle_release``); one whose
    source is still in SOURCE leaves no copy of its original below DEST (across filesystems
    it is copied there before the source is unlinked): the next move run keeps its own."""
    if settle_release(journal, dest, root, decision, run_id):
        return 1
    if decision.action.keeps_original:
        _drop_copied_original(dest, os.path.join(root, decision.rel), decision, run_id)
    return 0


def settle_release(journal: Journal, dest: str, root: str, decision: Decision, run_id: int) -> bool:
    """The journal's side of a release a killed run planned (True): done if its source is gone
    (it went only after the earlier run's copy verified; a transformed one's bytes kept below
    DEST), else forgotten (False): the source is still in SOURCE, and the next move run decides
    about it again. Reads the disk, writes only the journal."""
    if os.path.lexists(os.path.join(root, decision.rel)):
        journal.forget([(root, decision.rel)], run_id)
        return False
    kept = kept_original(dest, decision, run_id) if decision.action.keeps_original else None
    originals = None if kept is None else {decision.rel: kept}
    with journal.transaction():
        journal.mark_source_removed(root, [decision.rel], run_id, originals)
        journal.mark_done(root, [decision.rel], run_id)
    return True


def _drop_copied_original(dest: str, source: str, decision: Decision, run_id: int) -> None:
    """Remove the copy of a source's bytes a killed release made below DEST (its temporary
    file, or the copy itself when the source in SOURCE still holds those very bytes), and the
    folders that leaves empty."""
    run_folder = os.path.join(dest, original_path(run_id, "")).rstrip(os.sep)
    for path in original_paths(run_id, decision.rel):
        kept = os.path.join(dest, path)
        fsops.remove_quietly(fsops.temp_name(kept))
        if fsops.holds(kept, decision.hash) and fsops.holds(source, decision.hash):
            fsops.remove_quietly(kept)
        folder = os.path.dirname(kept)
        while folder.startswith(run_folder):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)


def _follow_their_photos(
    journal: Journal,
    dest: str,
    behind: list[tuple[str, Decision, int]],
    placed: set[tuple[str, str, int]],
) -> int:
    """Place the RAW, video or sidecars of a photo a killed move had already put in DEST, where
    it planned them: forgotten, they were left in SOURCE without their photo (an XMP then
    stays there as 'sidecar without its photo', a RAW goes to NoDate/ alone). Each is renamed
    (or across filesystems copied, verified, and its source later removed as any move's) only
    while it is the file analysed; the others are forgotten, and the resume decides them
    again."""
    moved = []
    for root, decision, run_id in behind:
        assert decision.dest is not None and decision.companion_of is not None
        final = os.path.join(dest, decision.dest)
        if (root, decision.companion_of, run_id) in placed and _place_unchanged(
            os.path.join(root, decision.rel), decision, final
        ):
            moved.append((root, decision.rel, run_id))
        else:
            journal.forget([(root, decision.rel)], run_id)
    if moved:
        fsops.sync_filesystem(dest)
    for root, rel, run_id in moved:
        journal.mark_done(root, [rel], run_id)
    return len(moved)


def _place_unchanged(source: str, decision: Decision, final: str) -> bool:
    temp = None
    try:
        if not unchanged(source, decision) or fsops.hash_file(source) != decision.hash:
            return False
        fsops.make_folders(os.path.dirname(final))
        if decision.action.writes is Writes.RENAME_SOURCE:
            fsops.rename_noreplace(source, final)
            return True
        temp, _cloned = copy_verified(source, final, decision)
        fsops.rename_noreplace(temp, final)
    except (OSError, Changed):  # gone, changed, replaced by a folder, its name taken meanwhile
        if temp is not None:
            fsops.remove_quietly(temp)
        return False
    return True


# A moved photo's companions: renamed into DEST on one filesystem, copied across two (a companion
# is never re-encoded or turned).
FOLLOWING = (Action.MOVE_RENAME, Action.MOVE_COPY)


def renamed_away(root: str, decision: Decision, final: str) -> bool:
    """Whether a source renamed into DEST (a move on one filesystem) left SOURCE with that
    rename though ``final`` does not hold the bytes placed: changed there since (an editor in
    DEST between the killed run and this one), or deleted from there. DEST held the only copy,
    so its row is kept and verify and undo name it, never forgotten as if never placed."""
    return (
        decision.action.writes is Writes.RENAME_SOURCE
        and (os.path.isfile(final) or not os.path.lexists(final))
        and not os.path.lexists(os.path.join(root, decision.rel))
    )


def recover(
    journal: Journal, dest: str, stage_dir: str, still_in_source: list[Decision] | None = None
) -> int:
    """Reconcile, then finish every verified move whose source is still in SOURCE; those whose
    source cannot be removed (a locked folder) go to ``still_in_source``, why in their note."""
    shutil.rmtree(stage_dir, ignore_errors=True)
    settled = reconcile(journal, dest)
    for root, decision, run_id in journal.moved_not_removed():
        assert decision.dest is not None
        final = os.path.join(dest, decision.dest)
        after = decision.action.source_after
        mode = source_mode(os.path.join(root, decision.rel))
        modes = {decision.rel: mode} if mode is not None else None
        if after is SourceAfter.KEPT_BELOW_DEST:
            kept = kept_original(dest, decision, run_id) or original_path(run_id, decision.rel)
            if keep_original(root, decision, final, os.path.join(dest, kept)):
                journal.mark_source_removed(
                    root, [decision.rel], run_id, {decision.rel: kept}, modes
                )
        elif after is SourceAfter.UNLINKED:
            why = remove_source(root, decision, final)
            if why is None:
                journal.mark_source_removed(root, [decision.rel], run_id, modes=modes)
            elif still_in_source is not None and why.startswith(CANNOT_REMOVE):
                decision.note = f"placed, but its source was not removed: {why}"
                still_in_source.append(decision)
        # RENAMED_AWAY: the rename took the source; a file there now is another one
    return settled
