"""The placement actions (engine/policy/actions.py): one row of behaviour each, stored in the
journal as the strings every release has written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.policy.actions import (
    BEHAVIOUR,
    Action,
    SourceAfter,
    Undo,
    Writes,
    choose,
)
from engine.records import Decision, Status
from engine.store.journal import Journal

# What journals written by earlier releases hold in their action column.
STORED = {"none", "copy", "staged", "move-copy", "move-staged", "move-rename"}
# --mode hardlink / symlink, and a symlink run's file found at its earlier link ("linked")
LINKS = {"hardlink", "symlink", "linked"}
RELEASES = {"release", "release-kept"}  # a move run taking out what a copy run placed


def test_every_action_has_one_row_and_keeps_its_journal_string() -> None:
    assert set(BEHAVIOUR) == set(Action)
    assert {a.value for a in Action} == STORED | LINKS | RELEASES
    assert all(Action(text).value == text for text in STORED)


def test_the_rows_say_what_each_action_does() -> None:
    table = {a.value: (a.writes, a.needs_space, a.source_after, a.undo) for a in Action}
    assert table == {
        "none": (Writes.NOTHING, False, SourceAfter.STAYS, Undo.NOTHING),
        "copy": (Writes.COPY, True, SourceAfter.STAYS, Undo.REMOVE_OR_RETURN),
        "staged": (Writes.STAGED_FILE, False, SourceAfter.STAYS, Undo.REMOVE_OR_RETURN),
        "move-copy": (Writes.COPY, True, SourceAfter.UNLINKED, Undo.REMOVE_OR_RETURN),
        "move-staged": (
            Writes.STAGED_FILE,
            False,
            SourceAfter.KEPT_BELOW_DEST,
            Undo.RETURN_ORIGINAL,
        ),
        "move-rename": (
            Writes.RENAME_SOURCE,
            False,
            SourceAfter.RENAMED_AWAY,
            Undo.REMOVE_OR_RETURN,
        ),
        "hardlink": (Writes.HARD_LINK, False, SourceAfter.STAYS, Undo.REMOVE_OR_RETURN),
        "symlink": (Writes.SYMBOLIC_LINK, False, SourceAfter.STAYS, Undo.REMOVE_LINK),
        "linked": (Writes.NOTHING, False, SourceAfter.STAYS, Undo.NOTHING),
        "release": (Writes.NOTHING, False, SourceAfter.UNLINKED, Undo.COPY_BACK),
        "release-kept": (Writes.NOTHING, False, SourceAfter.KEPT_BELOW_DEST, Undo.COPY_BACK),
    }
    # only what copies the source's bytes needs room for them; a staged file is there already
    assert {a for a in Action if a.needs_space} == {a for a in Action if a.writes is Writes.COPY}
    assert [a for a in Action if a.keeps_original] == [Action.MOVE_STAGED, Action.RELEASE_KEPT]
    # DEST's name a symbolic link to the source: made now, or found there again by a symlink run
    assert [a for a in Action if a.symbolic] == [Action.SYMLINK, Action.LINKED]


@pytest.mark.parametrize(
    ("move", "staged", "same_device", "action"),
    [
        (False, False, False, Action.COPY),
        (False, False, True, Action.COPY),
        (False, True, True, Action.STAGED),
        (True, False, True, Action.MOVE_RENAME),
        (True, False, False, Action.MOVE_COPY),
        (True, True, True, Action.MOVE_STAGED),
        (True, True, False, Action.MOVE_STAGED),
    ],
)
def test_the_action_follows_mode_staged_output_and_filesystem(
    move: bool, staged: bool, same_device: bool, action: Action
) -> None:
    assert choose(move, staged, same_device) is action


def test_the_journal_round_trips_every_action(tmp_path: Path) -> None:
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run("/src", "/dest", "move", False, {})
    decisions = [
        Decision(f"{a.value}.jpg", Status.PLACED, dest=f"2015/{a.value}.jpg", action=a)
        for a in Action
    ]
    journal.record(run_id, "/src", decisions, "planned")
    stored = dict(journal.db.execute("SELECT source_rel, action FROM files").fetchall())
    assert {os.fsdecode(rel): text for rel, text in stored.items()} == {
        f"{a.value}.jpg": a.value for a in Action
    }
    assert {d.rel: d.action for _root, d, _run in journal.unfinished()} == {
        d.rel: d.action for d in decisions
    }
    journal.mark_done("/src", [d.rel for d in decisions], run_id)
    journal.mark_seen(run_id, "/src", [d.rel for d in decisions])
    read = list(journal.decisions(run_id, "/src"))
    assert all(type(d.action) is Action for d in read)
    assert {d.rel: d.action for d in read} == {d.rel: d.action for d in decisions}
    assert {w.rel: w.action for w in journal.written()} == {d.rel: d.action for d in decisions}
    moved = {d.action for _root, d, _run in journal.moved_not_removed()}
    assert moved == {a for a in Action if a.removes_source}
    journal.close()
