"""The moves ``imgorg similar`` makes inside DEST, journaled the same way.

``set-aside``: the lesser copies of each group (and the files that travel with them) move to
``DEST/Similar/<their path in DEST>``; nothing is deleted, and ``imgorg similar DEST --restore``
moves them back.

``re-file``: a copy dated from its group (``date_source: "similar"``) whose year folder was
another (the year it was forwarded, or the no-date folder) moves, with the files that travel
with it, to the same path below its new year folder (``_<n>`` added when that name is taken);
its journal row takes the new date, ``similar_to`` and place, so ``imgorg undo`` of its run
returns it to SOURCE from there.

Every move is journaled (table ``similar_moves``) as ``planned`` before the rename and ``done``
after it, in the same transaction that points the file's journal row at its new place, so
``imgorg verify`` keeps finding it. A move interrupted between the two is settled on the next
call from what the disk shows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from engine.policy.companions import family_growth, family_names
from engine.policy.date_precedence import DATE_RANK
from engine.policy.naming import Layout, with_suffix
from engine.records import DateSource
from engine.settings import SIMILAR_FOLDER
from engine.similar.groups import Group, date_flows
from engine.store.fsops import (
    DestinationExists,
    make_folders,
    rename_noreplace,
    sync_filesystem,
)

FOLDER = SIMILAR_FOLDER
ASIDE, REFILE = "set-aside", "re-file"  # the kinds of move

SCHEMA = """
CREATE TABLE IF NOT EXISTS similar_moves (
    id INTEGER PRIMARY KEY,
    old BLOB NOT NULL,
    new BLOB NOT NULL,
    keeper BLOB NOT NULL,
    state TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'set-aside',
    date TEXT,
    similar_to BLOB
);
"""
# Columns added since the table was first written (a move before them is a set-aside).
_ADDED = (
    ("kind", "TEXT NOT NULL DEFAULT 'set-aside'"),
    ("date", "TEXT"),
    ("similar_to", "BLOB"),
    ("run_id", "INTEGER"),  # the newest run when the move was made: undoing it moves it back
)


@dataclass(frozen=True, slots=True)
class Redate:
    """The date a re-filed file takes from its group."""

    date: str  # ISO 8601, as the group's best-dated member has it
    similar_to: str  # that member's source path


def ensure_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(similar_moves)")}
    for name, sql in _ADDED:
        if name not in columns:
            db.execute(f"ALTER TABLE similar_moves ADD COLUMN {name} {sql}")


def aside_path(rel: str, folder: str = FOLDER) -> str:
    return f"{folder}/{rel}"


def _riders(db: sqlite3.Connection) -> dict[str, list[str]]:
    """The companions (sidecars, pairs) placed beside each file, by the file's place in DEST:
    one pass over the journal (a query per file would read the whole table each time)."""
    rows = db.execute(
        "SELECT m.dest, c.dest FROM files AS c JOIN files AS m ON m.source_root = c.source_root "
        "AND m.source_rel = c.companion_of WHERE c.companion_of IS NOT NULL "
        "AND c.dest IS NOT NULL AND c.state = 'done' AND m.dest IS NOT NULL ORDER BY c.dest"
    )
    riders: dict[str, list[str]] = {}
    for main, rider in rows:
        riders.setdefault(os.fsdecode(main), []).append(os.fsdecode(rider))
    return riders


def _finish(
    db: sqlite3.Connection,
    move_id: int,
    old: str,
    new: str,
    state: str,
    redate: Redate | None = None,
) -> None:
    with db:
        db.execute("BEGIN")
        db.execute("UPDATE files SET dest = ? WHERE dest = ?", (os.fsencode(new), os.fsencode(old)))
        if redate is not None:
            db.execute(
                "UPDATE files SET date = ?, year = ?, date_source = ?, similar_to = ? "
                "WHERE dest = ? AND state = 'done'",
                (
                    redate.date,
                    dt.datetime.fromisoformat(redate.date).year,
                    DateSource.SIMILAR.value,
                    os.fsencode(redate.similar_to),
                    os.fsencode(new),
                ),
            )
        db.execute("UPDATE similar_moves SET state = ? WHERE id = ?", (state, move_id))


def _redate(kind: str, date: str | None, similar_to: bytes | None) -> Redate | None:
    if kind != REFILE or date is None or similar_to is None:
        return None
    return Redate(date, os.fsdecode(similar_to))


def settle(dest: str, db: sqlite3.Connection) -> None:
    """Close the moves an interrupted call left ``planned``."""
    ensure_schema(db)
    rows = db.execute(
        "SELECT id, old, new, kind, date, similar_to FROM similar_moves WHERE state = 'planned'"
    ).fetchall()
    for move_id, old_b, new_b, kind, date, similar_to in rows:
        old, new = os.fsdecode(old_b), os.fsdecode(new_b)
        if os.path.lexists(os.path.join(dest, new)) and not os.path.lexists(
            os.path.join(dest, old)
        ):
            _finish(db, move_id, old, new, "done", _redate(kind, date, similar_to))
        else:
            with db:
                db.execute("DELETE FROM similar_moves WHERE id = ?", (move_id,))


def _taken(dest: str, db: sqlite3.Connection, rel: str) -> bool:
    """Whether a file is at ``rel`` in DEST, or the journal holds that name for one."""
    if os.path.lexists(os.path.join(dest, rel)):
        return True
    held = db.execute(
        "SELECT 1 FROM files WHERE dest = ? AND state != 'undone' LIMIT 1", (os.fsencode(rel),)
    )
    return held.fetchone() is not None


def _run_folders(db: sqlite3.Connection, run_id: int) -> tuple[bool, str]:
    """Whether the run placed files as ``<year>/<path>`` (nested or flat, no rename template:
    a re-filed file then keeps its name below its new year), and its no-date folder."""
    row = db.execute("SELECT settings FROM runs WHERE id = ?", (run_id,)).fetchone()
    settings = json.loads(row[0]) if row else {}
    layouts = {layout.value for layout in Layout}
    by_year = settings.get("layout", Layout.NESTED.value) in layouts and not settings.get("rename")
    return by_year, str(settings.get("nodate_folder", "NoDate"))


def _refile_targets(
    db: sqlite3.Connection, groups: list[Group]
) -> Iterator[tuple[str, str, Redate, str]]:
    """(old, new year path, date, the member dated from) for each group member the group
    dates into another year."""
    runs: dict[int, tuple[bool, str]] = {}
    for group in groups:
        members = {m.path: m for m in group.members}
        for flow in date_flows(group):
            member, best = members[flow.path], members[flow.similar_to]
            if DATE_RANK[member.date_source] <= DATE_RANK[DateSource.SIMILAR]:
                continue  # dated by the file itself (or already by its group)
            row = db.execute(
                "SELECT year, run_id FROM files WHERE dest = ? AND state = 'done' "
                "AND status = 'placed' AND companion_of IS NULL",
                (os.fsencode(member.path),),
            ).fetchone()
            if row is None:
                continue
            if row[1] not in runs:
                runs[row[1]] = _run_folders(db, row[1])
            by_year, nodate = runs[row[1]]
            folder, _, below = member.path.partition("/")
            year = str(dt.datetime.fromisoformat(flow.date).year)
            if not by_year or not below or folder == year:
                continue
            if folder != (str(row[0]) if row[0] is not None else nodate):
                continue  # not where the run put it (set aside, or a folder of its own)
            redate = Redate(flow.date, best.source or best.path)
            yield member.path, f"{year}/{below}", redate, best.path


def _family_plan(
    dest: str,
    db: sqlite3.Connection,
    old: str,
    wanted: str,
    claimed: set[str],
    travelling: list[str],
) -> list[tuple[str, str]]:
    """(old, new) for the file at ``old`` and the files beside it that travel with it: the
    first of ``wanted``, ``wanted_1``, ... where every one of their names is free."""
    folder, name = os.path.split(old)
    riders = [r for r in travelling if os.path.dirname(r) == folder]
    reserve = family_growth(name, [os.path.basename(r) for r in riders])
    for n in itertools.count():  # ends: only so many names are taken
        target = with_suffix(wanted, n, reserve)
        new_folder, new_name = os.path.split(target)
        owns = family_names(new_name, name, [os.path.basename(r) for r in riders])
        plan = [(old, target)] + [
            (r, os.path.join(new_folder, own)) for r, own in zip(riders, owns, strict=True)
        ]
        if all(new not in claimed and not _taken(dest, db, new) for _, new in plan):
            claimed.update(new for _, new in plan)
            return plan
    raise AssertionError("itertools.count() ended")


def refile_count(db: sqlite3.Connection, groups: list[Group]) -> int:
    """How many photos ``refile`` would move into another year (their riders not counted)."""
    return sum(1 for _ in _refile_targets(db, groups))


def refile_plan(
    dest: str, db: sqlite3.Connection, groups: list[Group]
) -> list[tuple[str, str, str, Redate]]:
    """(old, new, the member dated from, date) for every file ``refile`` would move."""
    claimed: set[str] = set()
    plan: list[tuple[str, str, str, Redate]] = []
    riders = _riders(db)
    for old, wanted, redate, dated_from in _refile_targets(db, groups):
        for rel, new in _family_plan(dest, db, old, wanted, claimed, riders.get(old, [])):
            plan.append((rel, new, dated_from, redate))
    return plan


def refile(dest: str, db: sqlite3.Connection, groups: list[Group]) -> list[tuple[str, str]]:
    """Move every photo its group dates into another year (with the files that travel with it)
    below that year's folder; return (old, new) per file."""
    settle(dest, db)
    plan = refile_plan(dest, db, groups)
    if not plan:
        return []
    with db:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO similar_moves (old, new, keeper, state, kind, date, similar_to) "
            "VALUES (?, ?, ?, 'planned', ?, ?, ?)",
            (
                (
                    os.fsencode(o),
                    os.fsencode(n),
                    os.fsencode(k),
                    REFILE,
                    r.date,
                    os.fsencode(r.similar_to),
                )
                for o, n, k, r in plan
            ),
        )
    sync_filesystem(dest)
    return _carry_out(dest, db)


def _carry_out(dest: str, db: sqlite3.Connection) -> list[tuple[str, str]]:
    """Make every planned move, each closed with its journal row; a name taken since it was
    planned, or a file gone from DEST since, is left as it is."""
    moved = []
    rows = db.execute(
        "SELECT id, old, new, kind, date, similar_to FROM similar_moves "
        "WHERE state = 'planned' ORDER BY id"
    ).fetchall()
    for move_id, old_b, new_b, kind, date, similar_to in rows:
        old, new = os.fsdecode(old_b), os.fsdecode(new_b)
        target = os.path.join(dest, new)
        _make_folders(dest, db, os.path.dirname(new), old)
        try:
            rename_noreplace(os.path.join(dest, old), target)
        except (DestinationExists, FileNotFoundError):
            with db:
                db.execute("DELETE FROM similar_moves WHERE id = ?", (move_id,))
            continue
        _finish(db, move_id, old, new, "done", _redate(kind, date, similar_to))
        if kind == REFILE:
            _remove_empty_parents(dest, old)
        moved.append((old, new))
    return moved


def set_aside(dest: str, db: sqlite3.Connection, groups: list[Group]) -> list[tuple[str, str]]:
    """Move every group's lesser copies under ``DEST/Similar``; return (old, new) per file."""
    settle(dest, db)
    plan: list[tuple[str, str, str]] = []
    riders = _riders(db)
    leaving = {m.path for g in groups for m in g.members[1:] if not m.path.startswith(FOLDER + "/")}
    leaving.update(r for path in list(leaving) for r in riders.get(path, []))
    for group in groups:
        for member in group.members[1:]:
            if member.path.startswith(FOLDER + "/"):
                continue  # set aside by an earlier call
            own = [r for r in riders.get(member.path, []) if not _shared(dest, r, leaving)]
            for rel in (member.path, *own):
                new = aside_path(rel)
                if not os.path.lexists(os.path.join(dest, new)):
                    plan.append((rel, new, group.keeper.path))
    if not plan:
        return []
    with db:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO similar_moves (old, new, keeper, state, run_id) VALUES (?, ?, ?, "
            "'planned', (SELECT max(id) FROM runs WHERE dry_run = 0))",
            ((os.fsencode(o), os.fsencode(n), os.fsencode(k)) for o, n, k in plan),
        )
    sync_filesystem(dest)
    return _carry_out(dest, db)


def _shared(dest: str, rider: str, leaving: set[str]) -> bool:
    """A sidecar named for a stem (``DSCN0010.xmp``) that a file staying beside it bears too
    (``DSCN0010.jpg``, the kept original, beside its set-aside ``DSCN0010.png``): it stays."""
    folder, name = os.path.split(rider)
    stem = os.path.splitext(name)[0]
    try:
        names = os.listdir(os.path.join(dest, folder))
    except OSError:
        return False
    return any(
        other != name
        and os.path.splitext(other)[0] == stem
        and os.path.join(folder, other) not in leaving
        for other in names
    )


def restore(
    dest: str, db: sqlite3.Connection, runs: list[int] | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """Move every set-aside file back where it was (or those set aside while one of ``runs``
    was the newest: what undoing them reverses), each with the files that travel with it;
    return (from, to) per file moved, and the files left in ``Similar/`` because a name of
    theirs has been taken since (a later run placed another file there)."""
    settle(dest, db)
    rows = db.execute(
        "SELECT id, old, new, run_id FROM similar_moves WHERE state = 'done' AND kind = ? "
        "ORDER BY id DESC",
        (ASIDE,),
    ).fetchall()
    rows = [row[:3] for row in rows if runs is None or row[3] in runs]
    moves = {os.fsdecode(new): (move_id, os.fsdecode(old)) for move_id, old, new in rows}
    if not moves:
        return [], []
    riders = _riders(db)
    carried = {r for new in moves for r in riders.get(new, []) if r in moves}
    restored, left = [], []
    for new in moves:
        if new in carried:
            continue  # goes back with the photo it travels with
        family = [new, *(r for r in riders.get(new, []) if r in moves)]
        if any(_taken(dest, db, moves[f][1]) for f in family):
            left.extend(family)
            continue
        for rel in family:
            move_id, old = moves[rel]
            rename_noreplace(os.path.join(dest, rel), os.path.join(dest, old))
            _finish(db, move_id, rel, old, "restored")
            restored.append((rel, old))
            _remove_empty_parents(dest, rel)
    return restored, left


def _make_folders(dest: str, db: sqlite3.Connection, folder: str, moving: str) -> None:
    """Make ``folder`` (below DEST) with its missing parents for the file at ``moving``,
    journaled first as folders the newest run made. The run that placed that file, which may be
    older, made them too, and the folders above them that a later run made: undoing it takes
    the file out of them, then removes them once they are empty."""
    missing: list[str] = []
    above: list[str] = []
    while folder:
        (above if os.path.isdir(os.path.join(dest, folder)) else missing).append(folder)
        folder = os.path.dirname(folder)
    moved_by = os.fsencode(moving)
    with db:
        db.execute("BEGIN")
        db.executemany(
            "INSERT OR IGNORE INTO made_folders (run_id, folder) SELECT max(id), ? FROM runs "
            "WHERE dry_run = 0 HAVING max(id) IS NOT NULL",
            ((os.fsencode(f),) for f in missing),
        )
        db.executemany(
            "INSERT OR IGNORE INTO made_folders (run_id, folder) "
            "SELECT run_id, ?1 FROM files WHERE dest = ?2 AND (?3 OR EXISTS ("
            "SELECT 1 FROM runs CROSS JOIN made_folders AS later ON later.run_id = runs.id "
            "WHERE runs.id > files.run_id AND later.folder = ?1))",
            ((os.fsencode(f), moved_by, f in missing) for f in [*missing, *above]),
        )
    if missing:
        make_folders(os.path.join(dest, missing[0]))


def _remove_empty_parents(dest: str, rel: str) -> None:
    folder = os.path.dirname(rel)
    while folder:
        with contextlib.suppress(OSError):
            os.rmdir(os.path.join(dest, folder))
        if os.path.lexists(os.path.join(dest, folder)):
            return
        folder = os.path.dirname(folder)
