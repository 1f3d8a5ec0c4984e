"""``set-aside``: the lesser copies of each group (and the files that travel with them) move to
``DEST/Similar/<their path in DEST>``; nothing is deleted, and ``imgorg similar DEST --restore``
moves them back.

Every move is journaled (table ``similar_moves``) as ``planned`` before the rename and ``done``
after it, in the same transaction that points the file's journal row at its new place, so
``imgorg verify`` keeps finding it. A move interrupted between the two is settled on the next
call from what the disk shows.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3

from engine.similar.groups import Group
from engine.store.fsops import rename_noreplace, sync_filesystem

FOLDER = "Similar"

SCHEMA = """
CREATE TABLE IF NOT EXISTS similar_moves (
    id INTEGER PRIMARY KEY,
    old BLOB NOT NULL,
    new BLOB NOT NULL,
    keeper BLOB NOT NULL,
    state TEXT NOT NULL
);
"""


def aside_path(rel: str, folder: str = FOLDER) -> str:
    return f"{folder}/{rel}"


def _travelling_with(db: sqlite3.Connection, dest_rel: str) -> list[str]:
    """The companions (sidecars, pairs) placed beside the file at ``dest_rel``."""
    rows = db.execute(
        "SELECT c.dest FROM files AS m JOIN files AS c ON c.source_root = m.source_root "
        "AND c.companion_of = m.source_rel WHERE m.dest = ? AND c.dest IS NOT NULL "
        "AND c.state = 'done' ORDER BY c.dest",
        (os.fsencode(dest_rel),),
    )
    return [os.fsdecode(r[0]) for r in rows]


def _finish(db: sqlite3.Connection, move_id: int, old: str, new: str, state: str) -> None:
    with db:
        db.execute("BEGIN")
        db.execute("UPDATE files SET dest = ? WHERE dest = ?", (os.fsencode(new), os.fsencode(old)))
        db.execute("UPDATE similar_moves SET state = ? WHERE id = ?", (state, move_id))


def settle(dest: str, db: sqlite3.Connection) -> None:
    """Close the moves an interrupted call left ``planned``."""
    db.executescript(SCHEMA)
    rows = db.execute("SELECT id, old, new FROM similar_moves WHERE state = 'planned'").fetchall()
    for move_id, old_b, new_b in rows:
        old, new = os.fsdecode(old_b), os.fsdecode(new_b)
        if os.path.lexists(os.path.join(dest, new)) and not os.path.lexists(
            os.path.join(dest, old)
        ):
            _finish(db, move_id, old, new, "done")
        else:
            with db:
                db.execute("DELETE FROM similar_moves WHERE id = ?", (move_id,))


def set_aside(dest: str, db: sqlite3.Connection, groups: list[Group]) -> list[tuple[str, str]]:
    """Move every group's lesser copies under ``DEST/Similar``; return (old, new) per file."""
    settle(dest, db)
    plan: list[tuple[str, str, str]] = []
    for group in groups:
        for member in group.members[1:]:
            if member.path.startswith(FOLDER + "/"):
                continue  # set aside by an earlier call
            for rel in (member.path, *_travelling_with(db, member.path)):
                new = aside_path(rel)
                if not os.path.lexists(os.path.join(dest, new)):
                    plan.append((rel, new, group.keeper.path))
    if not plan:
        return []
    with db:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO similar_moves (old, new, keeper, state) VALUES (?, ?, ?, 'planned')",
            ((os.fsencode(o), os.fsencode(n), os.fsencode(k)) for o, n, k in plan),
        )
    sync_filesystem(dest)
    moved = []
    rows = db.execute("SELECT id, old, new FROM similar_moves WHERE state = 'planned' ORDER BY id")
    for move_id, old_b, new_b in rows.fetchall():
        old, new = os.fsdecode(old_b), os.fsdecode(new_b)
        target = os.path.join(dest, new)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        rename_noreplace(os.path.join(dest, old), target)
        _finish(db, move_id, old, new, "done")
        moved.append((old, new))
    return moved


def restore(dest: str, db: sqlite3.Connection) -> list[tuple[str, str]]:
    """Move every set-aside file back where it was; return (from, to) per file."""
    settle(dest, db)
    rows = db.execute(
        "SELECT id, old, new FROM similar_moves WHERE state = 'done' ORDER BY id DESC"
    ).fetchall()
    restored = []
    for move_id, old_b, new_b in rows:
        old, new = os.fsdecode(old_b), os.fsdecode(new_b)
        rename_noreplace(os.path.join(dest, new), os.path.join(dest, old))
        _finish(db, move_id, new, old, "restored")
        restored.append((new, old))
        _remove_empty_parents(dest, new)
    return restored


def _remove_empty_parents(dest: str, rel: str) -> None:
    folder = os.path.dirname(rel)
    while folder:
        with contextlib.suppress(OSError):
            os.rmdir(os.path.join(dest, folder))
        if os.path.lexists(os.path.join(dest, folder)):
            return
        folder = os.path.dirname(folder)
