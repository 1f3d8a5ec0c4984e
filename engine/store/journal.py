"""The SQLite journal in ``DEST/.imgorg/``: every decision, written as it is made.

A file's row is written ``planned`` before anything touches the disk and ``done`` once its
placed copy is durable, so a killed run can be resumed and audited, and a finished one undone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
import pathlib
import sqlite3
import time
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from engine.errors import DiskFull, JournalError, NewerJournal
from engine.policy.actions import RELEASABLE, Action
from engine.policy.naming import portable
from engine.records import Analysis, DateSource, Decision, Status
from engine.store import fsops

CACHE_KB = 32 * 1024  # SQLite's page cache: allocated only as the journal grows
LOCK_WAIT_SECONDS = 600.0  # a group commit holds the write lock for milliseconds
CHECKPOINT_WAIT_MS = 5000  # the last checkpoint waits this long for readers, then leaves the log
# PRAGMA user_version; 0 is the first release's schema (one row per source path), 1 the files
# table keyed by path alone (WITHOUT ROWID).
VERSION = 2
ORIGINALS = ".imgorg/originals"  # below DEST: the source bytes of re-encoded or rotated moves
UNDO_INCOMPLETE = "undo incomplete"  # a run's status while files it placed are left in DEST
PUT_BACK = (-1, -1)  # the size and time ``done_files`` gives a source a move took out of SOURCE


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the files table; ``keeps`` names the Decision attribute it stores."""

    name: str
    sql: str  # SQLite type and constraint
    keeps: str | None = None  # None: the journal's own bookkeeping


def _kept(attr: str, sql: str) -> Column:
    return Column(attr, sql, attr)


# In the order of the schema: tz_source, similar_to and source_mode (with source_uid and
# source_gid) came later and were added at the end (ALTER TABLE).
FILES = (
    Column("source_root", "BLOB NOT NULL"),
    Column("source_rel", "BLOB NOT NULL", "rel"),
    _kept("size", "INTEGER NOT NULL"),
    _kept("mtime_ns", "INTEGER NOT NULL"),
    _kept("status", "TEXT NOT NULL"),
    _kept("reason", "TEXT"),
    _kept("note", "TEXT"),
    _kept("dest", "BLOB"),
    _kept("year", "INTEGER"),
    _kept("date", "TEXT"),
    _kept("date_source", "TEXT NOT NULL"),
    _kept("hash", "TEXT"),
    _kept("duplicate_of", "BLOB"),
    _kept("bytes_out", "INTEGER NOT NULL"),
    _kept("compressed", "INTEGER NOT NULL"),
    _kept("rotated", "INTEGER NOT NULL"),
    _kept("quality", "INTEGER"),
    _kept("original_quality", "INTEGER"),
    _kept("encodes", "INTEGER NOT NULL"),
    _kept("out_hash", "TEXT"),
    _kept("action", "TEXT NOT NULL"),
    _kept("companion_of", "BLOB"),
    Column("state", "TEXT NOT NULL"),
    Column("source_removed", "INTEGER NOT NULL DEFAULT 0"),  # set once the source is gone
    Column("run_id", "INTEGER NOT NULL"),
    Column("seen_run", "INTEGER NOT NULL"),
    Column("original", "BLOB"),  # set when a transformed move's own bytes are kept
    _kept("tz_source", "TEXT"),
    _kept("similar_to", "BLOB"),
    # The source's permission bits and owner, read as it left SOURCE: undo gives them to a file
    # it writes back there (a copy of DEST's file has the placing run's, and undo's user's).
    Column("source_mode", "INTEGER"),
    Column("source_uid", "INTEGER"),
    Column("source_gid", "INTEGER"),
)
# What a decision knows that the journal does not keep (a report made from the journal goes
# without it); tests/test_journal.py checks every attribute is kept or named here.
NOT_KEPT = frozenset(
    {
        "camera",
        "staged",
        "copied",
        "cloned",
        "format",
        "position",
        "gps_time",
        "exiftool_missed",
        "orientation",
    }
    | {"companions", "found"}
    | {"ino", "ctime_ns", "twin_of", "same_as_placed"}  # matter only within the run that read it
    | {"similar"}  # near-duplicate signatures have their own table (engine/similar/store.py)
)
# What record() writes; the columns it leaves out are set later, by other calls.
_SET_LATER = ("source_removed", "original", "source_mode", "source_uid", "source_gid")
_WRITTEN = tuple(c.name for c in FILES if c.name not in _SET_LATER)
_COLUMNS = ", ".join(_WRITTEN)
_PLACES = ", ".join("?" * len(_WRITTEN))
_VERDICT = {f.name for f in dataclasses.fields(Decision)} - {"found"}  # the rest: Analysis
# Analysis.similar's type is imported only for type checking: the journal does not store it.
_TYPES = typing.get_type_hints(Analysis, localns={"Signature": object}) | typing.get_type_hints(
    Decision
)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Analysis)}


def _b(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def _s(blob: bytes | None) -> str | None:
    return None if blob is None else os.fsdecode(blob)


def _text(text: str | None) -> str | None:
    """A reason or note for a TEXT column: one that names a file whose name is not UTF-8
    (held as surrogates, as os.fsdecode gives it) shows those bytes escaped (``caf\\xe9``);
    SQLite would refuse the surrogates."""
    if text is None or text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


_FREE_TEXT = ("reason", "note")


def _decoder(attr: str, sql: str) -> Callable[[Any], Any] | None:
    """How a kept attribute comes back from its column (None: as it is). Paths are bytes, as
    the file system has them; an enum is its value, a NULL its attribute's default."""
    kind = _TYPES[attr]
    if sql.startswith("BLOB"):
        return _s
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        members = {member.value: member for member in kind} | {None: _DEFAULTS.get(attr)}
        return members.__getitem__
    if kind is bool:
        return bool
    return None


# record() reads every kept attribute of a decision in one call, puts the journal's own values
# between them and encodes in place only what SQLite cannot take as it is (paths, free text):
# it binds an enum of str as its value and a bool as an integer.
_READ_KEPT = attrgetter(
    *(c.keeps if c.keeps in _VERDICT else f"found.{c.keeps}" for c in FILES if c.keeps)
)
_OWN_PLACES = [i for i, c in enumerate(c for c in FILES if c.name in _WRITTEN) if not c.keeps]
_PATH_PLACES = [_WRITTEN.index(c.name) for c in FILES if c.keeps and c.sql.startswith("BLOB")]
_TEXT_PLACES = [_WRITTEN.index(name) for name in _FREE_TEXT]
# A row of SELECT {_COLUMNS}, read by name: the kept columns' places in it are resolved once
# (sqlite3.Row looks a name up column by column, and a row has 26 of them).
_PLACE = {name: i for i, name in enumerate(_WRITTEN)}
TZ_UNKNOWN = typing.cast(enum.Enum, _DEFAULTS["tz_source"]).value  # a NULL tz_source (older rows)
# The rows one run found under one SOURCE (parameters: run id, SOURCE as bytes), in path order.
# Read in the order they were written ("+": not through the index by path, a look-up per row),
# and sorted when a report wants them in path order: counting them costs half as much.
RUN_ROWS = "seen_run = ? AND +source_root = ?"
RUN_ORDER = "source_rel"
# Folder by folder: a folder's own files, then its subfolders (a path's folder is what rtrim
# leaves when it strips every character but '/' from the end, in byte order).
_TEXT_PATH = "CAST(source_rel AS TEXT)"
FOLDER_ORDER = f"rtrim({_TEXT_PATH}, replace({_TEXT_PATH}, '/', '')), source_rel"
# What DEST holds after every run (see Journal.standing), on ``files AS f``. A release names
# the file an earlier run placed, which stands for it.
_RELEASES = f"('{Action.RELEASE}', '{Action.RELEASE_KEPT}')"
STANDING = (
    f"state != 'undone' AND action NOT IN {_RELEASES} "
    "AND (status = 'placed' OR run_id = (SELECT max(run_id) FROM files AS g "
    f"WHERE g.state != 'undone' AND g.action NOT IN {_RELEASES} "
    "AND g.source_root = f.source_root AND g.source_rel = f.source_rel)) "
    # A later row naming the file an earlier one placed (a release the move run refused, a
    # copy placed there again) is that file, counted once.
    "AND NOT EXISTS (SELECT 1 FROM files AS h WHERE h.source_root = f.source_root "
    "AND h.source_rel = f.source_rel AND h.run_id < f.run_id AND h.state != 'undone' "
    "AND h.dest = f.dest)"
)
# The same when the journal has seen one run: each path is in it once, so no row of another run
# can stand for it (five times cheaper a row than STANDING's lookups of the other runs').
STANDING_ONE_RUN = f"state != 'undone' AND action NOT IN {_RELEASES}"
# A row of that run which is not what DEST holds: what makes its rows more than the standing ones.
NOT_STANDING_ONE_RUN = f"NOT ({STANDING_ONE_RUN})"
STANDING_ORDER = "source_root, source_rel, run_id"
# A placed file whose name in DEST holds its bytes: not a --mode symlink run's link, which points
# at a source that may be moved, remounted or formatted (a link is never the kept copy, but for
# a later symlink run of its SOURCE: links_with_hash).
_LINKS = "(" + ", ".join(f"'{a.value}'" for a in Action if a.symbolic) + ")"
_HOLDS_BYTES = f"action NOT IN {_LINKS}"
_KEPT_ATTRS = [c.keeps for c in FILES if c.keeps]
_KEPT_VALUES = itemgetter(*(_PLACE[c.name] for c in FILES if c.keeps))
_DECODE = [(c.keeps, decode) for c in FILES if c.keeps and (decode := _decoder(c.keeps, c.sql))]


# Rows are numbered in the order they are written (never reusing a number), so a group commit
# marks its files done by the ids insert_rows() gave them, not by looking up each path.
_FILES_TABLE = (
    "CREATE TABLE IF NOT EXISTS files (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    "
    + ",\n    ".join(f"{c.name} {c.sql}" for c in FILES)
    + "\n);\nCREATE UNIQUE INDEX IF NOT EXISTS files_by_path ON files "
    "(source_root, source_rel, run_id);"
)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    source BLOB NOT NULL,
    dest BLOB NOT NULL,
    mode TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    settings TEXT NOT NULL,
    summary TEXT,
    records_folders INTEGER NOT NULL DEFAULT 0
);
{_FILES_TABLE}
-- The state is left out of the indexes: marking a batch done then changes no index.
DROP INDEX IF EXISTS files_hash;
DROP INDEX IF EXISTS files_dest;
DROP INDEX IF EXISTS files_by_hash;
-- By run too: the copy a later run placed of some bytes is found without passing every earlier
-- row of those bytes (verify's look-up for each missing file).
CREATE INDEX IF NOT EXISTS files_by_hash_run ON files (hash, run_id) WHERE status = 'placed';
CREATE INDEX IF NOT EXISTS files_by_dest ON files (dest);
DROP INDEX IF EXISTS files_seen;
CREATE TABLE IF NOT EXISTS tidy (
    run_id INTEGER NOT NULL,
    old BLOB NOT NULL,
    new BLOB NOT NULL,
    state TEXT NOT NULL
);
-- The folders of DEST a run made (and undo may remove once empty), journaled before it made
-- them; a run whose records_folders is 0 (an earlier release's) did not say.
CREATE TABLE IF NOT EXISTS made_folders (
    run_id INTEGER NOT NULL,
    folder BLOB NOT NULL,
    PRIMARY KEY (run_id, folder)
) WITHOUT ROWID;
-- The modification time of each SOURCE folder a move run may take files out of, as it was when
-- the run began: undo sets it back once the files are back.
CREATE TABLE IF NOT EXISTS source_folders (
    run_id INTEGER NOT NULL,
    folder BLOB NOT NULL,
    mtime_ns INTEGER NOT NULL,
    PRIMARY KEY (run_id, folder)
) WITHOUT ROWID;
"""


# A move that wrote the file into DEST (not a release, whose file an earlier run placed).
_MOVED_INTO_DEST = tuple(a for a in Action if a.touches_dest and a.removes_source)


# A later run that finds a released file done says which run released it: a note's words
# "released by this run" (engine/stages/decide.py's, at its start or its end) become "released
# by run N", the row's run; nothing else of it changes (a path it names may hold those words).
_BY_THIS_RUN = "released by this run"
_AT_START = f"{_BY_THIS_RUN}: "
_AT_END = f"{_BY_THIS_RUN} once that file was checked to hold them"
_SAID_OF_ITS_RUN = (
    f"CASE WHEN substr(note, 1, {len(_AT_START)}) = '{_AT_START}' "
    f"THEN 'released by run ' || run_id || substr(note, {len(_BY_THIS_RUN) + 1}) "
    f"WHEN substr(note, -{len(_AT_END)}) = '{_AT_END}' "
    f"THEN substr(note, 1, length(note) - {len(_AT_END)}) || 'released by run ' || run_id "
    f"|| substr(note, -{len(_AT_END) - len(_BY_THIS_RUN)}) ELSE note END"
)


def _among(actions: Iterable[Action]) -> str:
    """SQL for "the action column is one of these"."""
    return "action IN (" + ", ".join(f"'{a.value}'" for a in actions) + ")"


def _upgrade(db: sqlite3.Connection) -> None:
    """Bring the schema to ``VERSION``, keeping every row of an older journal."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > VERSION:
        raise NewerJournal(
            f"the journal was written by a newer imgorg (schema {version}; this one reads "
            f"schema {VERSION} and older). Nothing was done: run that imgorg, or a later one, "
            "on this DEST"
        )
    has_files = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'files'"
    ).fetchone()
    if has_files:
        columns = {row["name"] for row in db.execute("PRAGMA table_info(files)")}
        if "tz_source" not in columns:  # written before time zones were recorded
            db.execute("ALTER TABLE files ADD COLUMN tz_source TEXT")
        if "similar_to" not in columns:  # written before near-duplicates dated photos
            db.execute("ALTER TABLE files ADD COLUMN similar_to BLOB")
        for column in ("source_mode", "source_uid", "source_gid"):
            if column not in columns:  # written before undo kept a source's mode and owner
                db.execute(f"ALTER TABLE files ADD COLUMN {column} INTEGER")
    runs = {row["name"] for row in db.execute("PRAGMA table_info(runs)")}
    if runs and "records_folders" not in runs:  # written before runs journaled their folders
        db.execute("ALTER TABLE runs ADD COLUMN records_folders INTEGER NOT NULL DEFAULT 0")
    if version == VERSION:
        db.executescript(SCHEMA)
        return
    script = "BEGIN;\n"
    if has_files:  # its indexes go with it, and their names are taken again below
        script += (
            "DROP INDEX IF EXISTS files_hash; DROP INDEX IF EXISTS files_dest;\n"
            "DROP INDEX IF EXISTS files_by_hash; DROP INDEX IF EXISTS files_by_dest;\n"
            "DROP INDEX IF EXISTS files_by_hash_run;\n"
            "ALTER TABLE files RENAME TO files_old;\n"
        )
    script += SCHEMA
    if has_files:
        # Version 0 has one row per source path, overwritten by every run, and no originals.
        original = "original" if version >= 1 else "NULL"
        script += (
            f"INSERT INTO files ({_COLUMNS}, source_removed, original) "
            f"SELECT {_COLUMNS}, source_removed, {original} FROM files_old "
            "ORDER BY run_id, source_root, source_rel;\nDROP TABLE files_old;\n"
        )
    script += f"PRAGMA user_version = {VERSION};\nCOMMIT;"
    db.executescript(script)


def original_path(run_id: int, rel: str) -> str:
    """Where a transformed moved file's own bytes are kept, relative to DEST: below its run's
    folder, at its source path as any disk takes it (``naming.portable``: an exFAT DEST
    refuses ``12:30.jpg``)."""
    return f"{ORIGINALS}/{run_id}/{portable(rel)}"


def original_paths(run_id: int, rel: str) -> list[str]:
    """Where a run may have kept that file's bytes: ``original_path``, and the source path
    as it is, where earlier versions kept it (a run killed before journaling it)."""
    return list(dict.fromkeys([original_path(run_id, rel), f"{ORIGINALS}/{run_id}/{rel}"]))


class SourceMode(typing.NamedTuple):
    """A source's permission bits and owner as it left SOURCE (the owner None in rows
    journaled before it was kept)."""

    bits: int
    uid: int | None = None
    gid: int | None = None


@dataclass(slots=True)
class Written:
    """A file the journal says is in DEST."""

    source_root: str
    rel: str
    dest: str
    hash: str | None
    out_hash: str | None
    action: Action
    source_removed: bool
    run_id: int
    size: int
    mtime_ns: int
    original: str | None  # where the source's own bytes are kept below DEST, if transformed
    source_mode: SourceMode | None = None  # as it left SOURCE, when journaled


@dataclass(frozen=True, slots=True)
class LeftCopy:
    """A file's copy in DEST that an earlier run placed and left the source beside."""

    dest: str  # below DEST
    hash: str  # the source's bytes it was made from
    out_hash: str  # the bytes DEST's file holds (other than ``hash``: re-encoded or turned)
    bytes_out: int
    run_id: int

    @property
    def transformed(self) -> bool:
        return self.out_hash != self.hash


@dataclass(frozen=True, slots=True)
class PlacedPhoto:
    """A photo an earlier run placed from SOURCE, for a sidecar that appeared since."""

    rel: str
    dest: str
    year: int | None
    date: str | None
    date_source: DateSource
    run_id: int


@dataclass(slots=True)
class Placed:
    """A placed file found by its content hash."""

    source_root: str
    rel: str
    dest: str
    date_source: DateSource
    transformed: bool  # the placed bytes differ from the source's (re-encoded or rotated)
    state: str
    out_hash: str | None = None  # the bytes the run wrote in DEST, where known

    def readable_at(self, dest: str) -> list[str]:
        """Where its bytes can still be read, best first: its source path (which may hold
        another file since: a name reused), then its copy in DEST when that holds the source's
        own bytes."""
        paths = [os.path.join(self.source_root, self.rel)]
        if not self.transformed:
            paths.append(os.path.join(dest, self.dest))
        return paths


def check_readable(path: str) -> None:
    """Refuse a journal file that SQLite would misread: empty, damaged or not a database."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return
    if size == 0 and not os.path.exists(path + "-wal"):
        raise JournalError(f"the journal {path} is empty (0 bytes): it records nothing")
    try:
        rows = _quick_check(path, "ro")
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc):
            raise JournalError(f"the journal {path} is unreadable ({exc})") from exc
        # A run killed with an unmerged write-ahead log: only a writer may recover it.
        try:
            rows = _quick_check(path, "rw")
        except sqlite3.DatabaseError as again:
            raise JournalError(f"the journal {path} is unreadable ({again})") from again
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"the journal {path} is unreadable ({exc})") from exc
    if rows != [("ok",)]:
        problems = "; ".join(str(r[0]) for r in rows[:3])
        raise JournalError(f"the journal {path} is damaged ({problems})")


def _quick_check(path: str, mode: str) -> list[tuple[str]]:
    db = sqlite3.connect(f"file:{path}?mode={mode}", uri=True)
    try:
        return db.execute("PRAGMA quick_check").fetchall()
    finally:
        db.close()


_PLACED_COLUMNS = (
    "source_root, source_rel, dest, date_source, out_hash != hash AS transformed, state, "
    "coalesce(out_hash, hash) AS out_hash"
)


def _placed(row: sqlite3.Row) -> Placed:
    """A ``Placed`` of a row read as ``_PLACED_COLUMNS`` name them."""
    return Placed(
        source_root=os.fsdecode(row["source_root"]),
        rel=os.fsdecode(row["source_rel"]),
        dest=os.fsdecode(row["dest"]),
        date_source=DateSource(row["date_source"]),
        transformed=bool(row["transformed"]),
        state=row["state"],
        out_hash=row["out_hash"],
    )


def rows(
    run_id: int, source_root: str, decisions: Iterable[Decision], state: str
) -> list[list[Any]]:
    """The journal's rows for these decisions, as ``Journal.insert_rows`` writes them (made by
    the writer, written by whichever process carries out the group commit)."""
    own = {"source_root": _b(source_root), "state": state, "run_id": run_id, "seen_run": run_id}
    own_values = [(place, own[_WRITTEN[place]]) for place in _OWN_PLACES]
    made = []
    for decision in decisions:
        values = list(_READ_KEPT(decision))
        for place, value in own_values:
            values.insert(place, value)
        for place in _PATH_PLACES:
            path = values[place]
            if path is not None:
                values[place] = os.fsencode(path)
        for place in _TEXT_PLACES:
            values[place] = _text(values[place])
        made.append(values)
    return made


def _stretches(ids: list[int]) -> Iterator[tuple[int, int]]:
    """Ascending ``ids`` as (first, last) of each run of consecutive ones."""
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[i - 1] + 1:
            yield ids[start], ids[i - 1]
            start = i


def _connect(path: str) -> sqlite3.Connection:
    """A connection that writes the journal at ``path``, beside others (the writer's and the
    placer processes'): each waits its turn for the write lock."""
    db = sqlite3.connect(path, isolation_level=None, timeout=LOCK_WAIT_SECONDS)
    db.execute("PRAGMA journal_mode=WAL")
    # The placer process syncs the whole filesystem between "planned" and the renames and again
    # before "done" (engine/stages/commit.py): that makes the journal durable at the points that
    # matter, so SQLite need not fsync each commit itself; close() makes the last ones so.
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA wal_autocheckpoint=10000")
    # Rows arrive in no key order: with SQLite's default 2 MB cache, every batch read its
    # pages back from the file (8 reads and 12 writes per file on a 20,000-file run).
    db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
    return db


class Journal:
    def __init__(
        self, connection: sqlite3.Connection, path: str | None = None, upgrade: bool = True
    ) -> None:
        self.db = connection
        self.db.row_factory = sqlite3.Row
        self.path = path
        if not upgrade:
            return
        try:
            _upgrade(self.db)
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorcode == sqlite3.SQLITE_FULL:  # the upgrade copies the files table
                raise DiskFull(
                    f"DEST has no room to bring its journal up to date ({exc}); it is kept as it "
                    "was. Nothing was done: free some space and run the same command again"
                ) from exc
            raise JournalError(f"the journal cannot be read or upgraded ({exc})") from exc

    @classmethod
    def open(cls, path: str) -> Journal:
        """Open (or create) the journal at ``path``, after checking that it is intact."""
        check_readable(path)
        return cls(_connect(path), path)

    @classmethod
    def beside(cls, path: str) -> Journal:
        """Another connection to the journal a run has opened (``open``: checked, upgraded),
        for a placer process to write its group commits: no check, no upgrade, and closed
        without a checkpoint (the run's own connection makes the last one)."""
        return cls(_connect(path), upgrade=False)

    @classmethod
    def reader(cls, path: str) -> Journal:
        """The journal at ``path``, opened read-only beside the run that writes it (a worker
        looking up what earlier runs placed): no check, no schema upgrade, nothing written."""
        db = sqlite3.connect(f"{pathlib.Path(path).absolute().as_uri()}?mode=ro", uri=True)
        return cls(db, upgrade=False)

    @classmethod
    def in_memory(cls, copy_of: str | None = None) -> Journal:
        """A scratch journal for a dry run, starting from DEST's real one when there is one."""
        db = sqlite3.connect(":memory:", isolation_level=None)
        if copy_of and os.path.exists(copy_of):
            check_readable(copy_of)
            source = sqlite3.connect(f"file:{copy_of}?mode=ro", uri=True)
            source.backup(db)
            source.close()
        return cls(db)

    def close(self) -> None:
        """Close, with every commit on disk: checkpoint the WAL into the file and fsync it."""
        try:
            # A full disk may refuse even this: the next run then settles by the disk.
            if self.path is not None:
                with contextlib.suppress(sqlite3.Error, OSError):
                    # A truncating checkpoint waits for every reader (a worker, someone browsing
                    # the journal): briefly, not the long wait for the write lock.
                    self.db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
                    self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    fsops.fsync_path(self.path)
                    fsops.fsync_path(os.path.dirname(self.path) or ".")
        finally:
            self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for everything written inside (nested ones join it)."""
        if self.db.in_transaction:
            yield
            return
        with self.db:
            # IMMEDIATE: the placer processes write the journal too (engine/stages/commit.py);
            # a transaction that read first and then wrote could find another's commit between.
            self.db.execute("BEGIN IMMEDIATE")
            yield

    # runs -------------------------------------------------------------------
    def begin_run(self, source: str, dest: str, mode: str, dry_run: bool, settings: dict) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (source, dest, mode, dry_run, started, status, settings, "
            "records_folders) VALUES (?, ?, ?, ?, ?, 'running', ?, 1)",
            (_b(source), _b(dest), mode, int(dry_run), time.time(), json.dumps(settings)),
        )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, summary: dict) -> None:
        self.db.execute(
            "UPDATE runs SET finished = ?, status = ?, summary = ? WHERE id = ?",
            (time.time(), status, json.dumps(summary), run_id),
        )

    def interrupt_last_run(self) -> None:
        """Mark the newest run interrupted if it has not ended (stopped before its run id was
        known to the caller: during the walk, say)."""
        self.db.execute(
            "UPDATE runs SET finished = ?, status = 'interrupted' "
            "WHERE id = (SELECT MAX(id) FROM runs) AND status = 'running'",
            (time.time(),),
        )

    def run_info(self, run_id: int) -> dict[str, object]:
        row = self.db.execute(
            "SELECT source, dest, mode, dry_run, started, finished, status, settings, summary "
            "FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        info: dict[str, object] = dict(zip(row.keys(), row, strict=True))
        info["source"], info["dest"] = _s(row["source"]), _s(row["dest"])
        info["settings"] = json.loads(row["settings"])
        info["summary"] = json.loads(row["summary"]) if row["summary"] else None
        return info

    def last_run(self, include_dry: bool = False) -> int | None:
        row = self.db.execute(
            "SELECT max(id) FROM runs" + ("" if include_dry else " WHERE dry_run = 0")
        ).fetchone()
        return row[0] if row and row[0] is not None else None

    # files ------------------------------------------------------------------
    # A file has one row per run that decided about it (key: SOURCE root, path, run), so a
    # later file at the same path never erases the record of an earlier one. Updates by
    # (root, path) apply to the newest row of that path.
    _LATEST = (
        "run_id = (SELECT max(run_id) FROM files AS newer "
        "WHERE newer.source_root = files.source_root AND newer.source_rel = files.source_rel)"
    )

    def kept_in_source_earlier(self, run_id: int, source_root: str) -> int:
        """How many of the files run ``run_id`` found done by an earlier run were placed by
        one that left their sources in SOURCE (a copy or link run): a move run does not take
        them out."""
        row = self.db.execute(
            f"SELECT count(*) FROM files WHERE {RUN_ROWS} AND run_id < ? AND state = 'done' "
            f"AND NOT {_among(a for a in Action if a.removes_source)}",
            (run_id, _b(source_root), run_id),
        ).fetchone()
        return int(row[0])

    def placed_earlier_by_run(self, run_id: int, source_root: str) -> dict[int, tuple[int, dict]]:
        """Of the files run ``run_id`` found done by an earlier run, those that run placed:
        how many, and that run's settings, by run."""
        counts = self.db.execute(
            f"SELECT run_id, count(*) FROM files WHERE {RUN_ROWS} AND run_id < ? "
            "AND status = 'placed' GROUP BY run_id",
            (run_id, _b(source_root), run_id),
        ).fetchall()
        found = {}
        for earlier, count in counts:
            row = self.db.execute("SELECT settings FROM runs WHERE id = ?", (earlier,)).fetchone()
            try:
                settings = json.loads(row[0]) if row is not None and row[0] else {}
            except ValueError:  # a journal edited by hand
                settings = {}
            found[int(earlier)] = (int(count), settings if isinstance(settings, dict) else {})
        return found

    def left_in_source(self, source_root: str) -> set[str]:
        """Files of this SOURCE an earlier run finished and left there, for a move run to take
        out: placed (copied, or identical bytes found at their name; a damaged file set aside
        too), or found duplicates of a placed file and not written (a move run sets those aside
        in the duplicates folder)."""
        rows = self.db.execute(
            "SELECT source_rel FROM files WHERE source_root = ? AND state = 'done' "
            "AND source_removed = 0 AND ((status IN ('placed', 'corrupt') AND dest IS NOT NULL "
            f"AND {_among(RELEASABLE)}) OR (status = 'duplicate' AND dest IS NULL)) "
            f"AND {self._LATEST}",
            (_b(source_root),),
        )
        return {os.fsdecode(rel) for (rel,) in rows}

    def taken_dates_of(
        self, source_root: str, folder: str, stems: Iterable[str], undated: bool = False
    ) -> list[tuple[str, str | None, str, str | None, str | None]]:
        """Each file of SOURCE's ``folder`` (not its subfolders; ``""``: SOURCE itself) named
        ``stem.*`` for one of ``stems`` (as spelt) a run took out of SOURCE with a date (placed,
        or set aside as a duplicate or damaged: dated as if placed), or is taking out (planned:
        a move within one filesystem takes it out of SOURCE before it is journaled done), and
        is not undone: its path below SOURCE, date, date source, where the date's offset came
        from and its path in DEST (the run's DEST joined), newest run first; with ``undated``, the
        undated ones too. Each stem is one look-up in the index by path, whatever else the
        folder holds."""
        found = []
        for stem in stems:
            start = os.fsencode(os.path.join(folder, f"{stem}."))
            rows = self.db.execute(
                "SELECT source_rel, date, date_source, tz_source, dest, "
                "(SELECT dest FROM runs WHERE runs.id = files.run_id) FROM files "
                "WHERE source_root = ? AND source_rel >= ? AND source_rel < ? "
                "AND state IN ('planned', 'done') "
                "AND status IN ('placed', 'duplicate', 'corrupt') "
                "AND (date IS NOT NULL OR ?) ORDER BY source_rel, run_id DESC",
                (_b(source_root), start, start + b"\xff", undated),
            )
            for rel, date, source, zone, placed, root in rows:
                name = os.fsdecode(rel)
                at = (
                    os.path.join(os.fsdecode(root), os.fsdecode(placed))
                    if placed and root
                    else None
                )
                if os.path.dirname(name) == folder:
                    found.append((name, date, source, zone, at))
        return found

    def left_copy(
        self, source_root: str, rel: str, content_hash: str, before_run: int
    ) -> LeftCopy | None:
        """The copy in DEST an earlier run placed of this very file (path and bytes: the hash
        its row records is ``content_hash``), leaving the source in SOURCE, or moving it out of
        SOURCE (the file is back there: put back by the user); None if none."""
        row = self.db.execute(
            "SELECT dest, hash, out_hash, bytes_out, run_id, action FROM files "
            "WHERE source_root = ? AND source_rel = ? AND run_id < ? AND state = 'done' "
            "AND status IN ('placed', 'corrupt') AND dest IS NOT NULL "
            f"AND ((source_removed = 0 AND {_among(RELEASABLE)}) "
            f"OR (source_removed = 1 AND {_among(_MOVED_INTO_DEST)})) "
            "ORDER BY run_id DESC LIMIT 1",
            (_b(source_root), _b(rel), before_run),
        ).fetchone()
        if row is None or row["hash"] != content_hash or row["out_hash"] is None:
            return None
        return LeftCopy(
            os.fsdecode(row["dest"]), row["hash"], row["out_hash"], row["bytes_out"], row["run_id"]
        )

    def own_copy(
        self, source_root: str, rel: str, content_hash: str, before_run: int
    ) -> str | None:
        """The name below DEST of this very file's placed copy (path and bytes: the hash of the
        newest done row of its path, before run ``before_run``, is ``content_hash``)."""
        row = self.db.execute(
            "SELECT dest, hash FROM files WHERE source_root = ? AND source_rel = ? "
            "AND run_id < ? AND state = 'done' AND status = 'placed' AND dest IS NOT NULL "
            "ORDER BY run_id DESC LIMIT 1",
            (_b(source_root), _b(rel), before_run),
        ).fetchone()
        if row is None or row["hash"] != content_hash:
            return None
        return os.fsdecode(row["dest"])

    def own_link(self, source_root: str, rel: str, before_run: int) -> tuple[str, str] | None:
        """Where the newest done row of this file, before run ``before_run``, has a symbolic
        link to it (a --mode symlink run's): its name below DEST and the hash of the bytes the
        file held then; None when that row is no link's."""
        row = self.db.execute(
            "SELECT dest, hash, action IN " + _LINKS + " AS linked FROM files "
            "WHERE source_root = ? AND source_rel = ? "
            "AND run_id < ? AND state = 'done' AND status = 'placed' AND dest IS NOT NULL "
            "ORDER BY run_id DESC LIMIT 1",
            (_b(source_root), _b(rel), before_run),
        ).fetchone()
        if row is None or not row["linked"] or row["hash"] is None:
            return None
        return os.fsdecode(row["dest"]), row["hash"]

    def own_set_aside(
        self, source_root: str, rel: str, before_run: int
    ) -> tuple[str, str, bool] | None:
        """Where the newest done row of this file with a name in DEST, before run
        ``before_run``, set it aside as damaged: that name, the hash of the bytes the file held
        then, and whether the name is a symbolic link to it; None when that row placed it."""
        row = self.db.execute(
            "SELECT dest, hash, status, action IN " + _LINKS + " AS linked FROM files "
            "WHERE source_root = ? AND source_rel = ? AND run_id < ? AND state = 'done' "
            "AND dest IS NOT NULL ORDER BY run_id DESC LIMIT 1",
            (_b(source_root), _b(rel), before_run),
        ).fetchone()
        if row is None or row["status"] != "corrupt" or row["hash"] is None:
            return None
        return os.fsdecode(row["dest"]), row["hash"], bool(row["linked"])

    def companions_placed(
        self, source_root: str, photo: str, folder: str, before_run: int
    ) -> list[tuple[str, str]]:
        """The files earlier runs (before run ``before_run``) placed travelling with SOURCE's
        photo ``photo`` in DEST's ``folder`` (not its subfolders): each one's path below SOURCE
        and its name below DEST (``+source_root``: read by the index of names, the folder's
        rows alone)."""
        prefix = os.fsencode(folder) + b"/" if folder else b""
        rows = self.db.execute(
            "SELECT source_rel, dest FROM files WHERE dest >= ? AND dest < ? "
            "AND +source_root = ? AND companion_of = ? AND run_id < ? AND state = 'done' "
            "AND status = 'placed'",
            (
                prefix,
                prefix[:-1] + b"0" if prefix else b"\xff" * 8,
                _b(source_root),
                _b(photo),
                before_run,
            ),
        )
        found = [(os.fsdecode(r["source_rel"]), os.fsdecode(r["dest"])) for r in rows]
        return [(rel, dest) for rel, dest in found if os.path.dirname(dest) == folder]

    def placed_photos_in(self, source_root: str, folder: str) -> list[PlacedPhoto]:
        """The photos (not companions) earlier runs placed from this folder of SOURCE (not its
        subfolders) that are still in DEST, newest run first."""
        prefix = os.fsencode(folder) + b"/" if folder else b""
        rows = self.db.execute(
            "SELECT source_rel, dest, year, date, date_source, run_id FROM files "
            "WHERE source_root = ? AND source_rel >= ? AND source_rel < ? AND state = 'done' "
            "AND status = 'placed' AND dest IS NOT NULL AND companion_of IS NULL "
            "ORDER BY run_id DESC",
            (_b(source_root), prefix, prefix[:-1] + b"0" if prefix else b"\xff" * 8),
        )
        return [
            PlacedPhoto(
                os.fsdecode(r["source_rel"]),
                os.fsdecode(r["dest"]),
                r["year"],
                r["date"],
                DateSource(r["date_source"]),
                r["run_id"],
            )
            for r in rows
            if os.path.dirname(os.fsdecode(r["source_rel"])) == folder
        ]

    def done_files(self, source_root: str, move: bool = False) -> dict[str, tuple[int, int]]:
        """Files of this SOURCE whose decision is complete: rel -> (size, mtime_ns). For a
        ``move`` run, one whose source left SOURCE (moved, or released) maps to ``PUT_BACK``:
        found there again, the user put it back (from a backup, say), and the run takes it out
        again."""
        rows = self.db.execute(
            "SELECT source_rel, size, mtime_ns, "
            f"source_removed = 1 OR action = '{Action.MOVE_RENAME}' FROM files "
            "WHERE source_root = ? AND state = 'done' "
            f"AND status IN ('placed', 'duplicate', 'corrupt') AND {self._LATEST}",
            (_b(source_root),),
        )
        return {
            os.fsdecode(rel): PUT_BACK if move and gone else (size, mtime)
            for rel, size, mtime, gone in rows
        }

    def placed_copies(self, source_root: str) -> Iterator[tuple[str, str]]:
        """The files of this SOURCE whose newest row is done and placed (a copy, a rewritten
        copy, a link, identical bytes found at the name, a release): (source path, its name
        below DEST), in the order of those names."""
        rows = self.db.execute(
            "SELECT source_rel, dest FROM files WHERE source_root = ? AND state = 'done' "
            f"AND status = 'placed' AND dest IS NOT NULL AND {self._LATEST} ORDER BY dest",
            (_b(source_root),),
        )
        for rel, dest in rows:
            yield os.fsdecode(rel), os.fsdecode(dest)

    # The files of a SOURCE whose newest row is a done duplicate that stayed in SOURCE (copy
    # mode), with each placed file holding their bytes in DEST (parameter: SOURCE as bytes).
    _KEPT_DUPLICATES = (
        "FROM files AS d JOIN files AS p ON p.hash = d.hash "
        "WHERE d.source_root = ? AND d.state = 'done' AND d.status = 'duplicate' "
        "AND d.dest IS NULL AND d.run_id = (SELECT max(run_id) FROM files AS newer "
        "WHERE newer.source_root = d.source_root AND newer.source_rel = d.source_rel) "
        "AND p.status = 'placed' AND p.state != 'undone' AND p.dest IS NOT NULL "
        f"AND p.{_HOLDS_BYTES}"
    )

    def keepers_of_duplicates(self, source_root: str) -> Iterator[str]:
        """The names below DEST of the placed files that this SOURCE's duplicates (left in
        SOURCE) repeat, each once, in order."""
        rows = self.db.execute(
            f"SELECT DISTINCT p.dest {self._KEPT_DUPLICATES} ORDER BY p.dest",
            (_b(source_root),),
        )
        for (dest,) in rows:
            yield os.fsdecode(dest)

    def duplicates_kept_only_at(self, source_root: str, names: set[str]) -> set[str]:
        """This SOURCE's duplicates left in SOURCE whose bytes DEST holds, by the journal, only
        at ``names`` (a few names: looked up one by one)."""
        hashes: set[str] = set()
        for name in names:
            rows = self.db.execute(
                f"SELECT hash FROM files WHERE dest = ? AND status = 'placed' "
                f"AND state != 'undone' AND hash IS NOT NULL AND {_HOLDS_BYTES}",
                (os.fsencode(name),),
            )
            hashes.update(digest for (digest,) in rows)
        only_there = [
            digest
            for digest in hashes
            if all(
                os.fsdecode(dest) in names
                for (dest,) in self.db.execute(
                    "SELECT dest FROM files WHERE hash = ? AND status = 'placed' "
                    f"AND state != 'undone' AND dest IS NOT NULL AND {_HOLDS_BYTES}",
                    (digest,),
                )
            )
        ]
        found: set[str] = set()
        for start in range(0, len(only_there), 500):
            chunk = only_there[start : start + 500]
            rows = self.db.execute(
                "SELECT source_rel FROM files WHERE source_root = ? AND state = 'done' "
                "AND status = 'duplicate' AND dest IS NULL "
                f"AND hash IN ({', '.join('?' * len(chunk))}) AND {self._LATEST}",
                (_b(source_root), *chunk),
            )
            found.update(os.fsdecode(rel) for (rel,) in rows)
        return found

    def placed_in_years(self, source_root: str) -> Iterator[tuple[str, str, int]]:
        """The photos (not their companions) of this SOURCE that runs placed in a year folder
        and that are still there: (source path, destination, year)."""
        rows = self.db.execute(
            "SELECT source_rel, dest, year FROM files WHERE source_root = ? "
            "AND status = 'placed' AND state = 'done' AND dest IS NOT NULL "
            "AND year IS NOT NULL AND companion_of IS NULL",
            (_b(source_root),),
        )
        for rel, dest, year in rows:
            yield os.fsdecode(rel), os.fsdecode(dest), int(year)

    def mark_seen(self, run_id: int, source_root: str, rels: Iterable[str]) -> None:
        """Run ``run_id`` found these files done by an earlier run: their rows are its report's
        too, and what a note says "this run" did is said of the run that did it."""
        self._per_file(
            f"UPDATE files SET seen_run = {int(run_id)}, note = {_SAID_OF_ITS_RUN}",
            ((source_root, r) for r in rels),
        )

    def record(
        self, run_id: int, source_root: str, decisions: Iterable[Decision], state: str
    ) -> range:
        """Write each decision's row (replacing the one it had in this run, if any); returns
        the ids of the rows written, in order."""
        return self.insert_rows(rows(run_id, source_root, decisions, state))

    def insert_rows(self, rows: Iterable[list[Any]]) -> range:
        """Write rows made by ``rows`` (replacing those of the same path and run); returns
        their ids, in order: each row is numbered one more than the last."""
        with self.transaction():
            first = self._last_id() + 1
            self.db.executemany(
                f"INSERT OR REPLACE INTO files ({_COLUMNS}) VALUES ({_PLACES})", rows
            )
            return range(first, self._last_id() + 1)

    def _last_id(self) -> int:
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'files'").fetchone()
        return int(row[0]) if row else 0

    def mark_done_ids(self, run_id: int, ids: list[int]) -> int:
        """Mark ``done`` the rows of ``ids`` (ids ``insert_rows`` gave, ascending) that are still
        planned, a sweep per stretch of consecutive ids; returns how many it marked. A row
        written again since has another id, and is not among them."""
        marked = 0
        with self.transaction():
            for first, last in _stretches(ids):
                marked += self.db.execute(
                    "UPDATE files SET state = 'done' "
                    "WHERE id >= ? AND id <= ? AND run_id = ? AND state = 'planned'",
                    (first, last, run_id),
                ).rowcount
        return marked

    def _per_file(
        self, statement: str, keys: Iterable[tuple[str, str]], run_id: int | None = None
    ) -> None:
        """Run ``statement`` on the row of every (root, rel) key, in one transaction: the row
        of run ``run_id``, or the newest row of that path."""
        which = self._LATEST if run_id is None else f"run_id = {int(run_id)}"
        with self.transaction():
            self.db.executemany(
                f"{statement} WHERE source_root = ? AND source_rel = ? AND {which}",
                ((os.fsencode(root), os.fsencode(rel)) for root, rel in keys),
            )

    def mark_done(self, source_root: str, rels: Iterable[str], run_id: int | None = None) -> None:
        self._per_file("UPDATE files SET state = 'done'", ((source_root, r) for r in rels), run_id)

    def mark_source_removed(
        self,
        source_root: str,
        rels: Iterable[str],
        run_id: int | None = None,
        originals: dict[str, str] | None = None,
        modes: dict[str, SourceMode] | None = None,
    ) -> None:
        """The sources of ``rels`` are gone from SOURCE; ``originals`` (rel -> path below DEST)
        says where the original bytes of a transformed file are kept, ``modes`` (rel -> its
        permission bits and owner) what mode the source had."""
        rels = list(rels)
        which = self._LATEST if run_id is None else f"run_id = {int(run_id)}"
        root = os.fsencode(source_root)
        with self.transaction():
            self._per_file(
                "UPDATE files SET source_removed = 1", ((source_root, r) for r in rels), run_id
            )
            self.db.executemany(
                "UPDATE files SET original = ? "
                f"WHERE source_root = ? AND source_rel = ? AND {which}",
                (
                    (os.fsencode(path), root, os.fsencode(rel))
                    for rel, path in (originals or {}).items()
                ),
            )
            self.db.executemany(
                "UPDATE files SET source_mode = ?, source_uid = ?, source_gid = ? "
                f"WHERE source_root = ? AND source_rel = ? AND {which}",
                ((*mode, root, os.fsencode(rel)) for rel, mode in (modes or {}).items()),
            )

    def forget(self, keys: Iterable[tuple[str, str]], run_id: int | None = None) -> None:
        self._per_file("DELETE FROM files", keys, run_id)

    def links_with_hash(self, source_root: str, content_hash: str, before_run: int) -> list[Placed]:
        """The files of this SOURCE that runs before ``before_run`` linked into DEST (a
        --mode symlink run's links) when they held this content, each once, by source path."""
        rows = self.db.execute(
            "SELECT source_rel, dest, date_source FROM files WHERE hash = ? AND status = 'placed' "
            f"AND state = 'done' AND run_id < ? AND source_root = ? AND action IN {_LINKS} "
            "ORDER BY source_rel, run_id DESC",
            (content_hash, before_run, _b(source_root)),
        )
        found: dict[str, Placed] = {}
        for row in rows:
            rel = os.fsdecode(row["source_rel"])
            found.setdefault(
                rel,
                Placed(
                    source_root=source_root,
                    rel=rel,
                    dest=os.fsdecode(row["dest"]),
                    date_source=DateSource(row["date_source"]),
                    transformed=False,
                    state="done",
                ),
            )
        return list(found.values())

    def placed_with_hash(
        self,
        content_hash: str,
        before_run: int | None = None,
        still_there: Callable[[Placed], bool] | None = None,
    ) -> Placed | None:
        """The first placed file with this content; only those of earlier runs if asked. With
        ``still_there``, the first it accepts (a file placed again after an earlier copy was
        lost), else the first."""
        rows = self.db.execute(
            f"SELECT {_PLACED_COLUMNS} FROM files "
            f"WHERE hash = ? AND status = 'placed' AND state != 'undone' AND {_HOLDS_BYTES} "
            "AND run_id < ? "
            "ORDER BY source_root, source_rel, run_id DESC" + ("" if still_there else " LIMIT 1"),
            (content_hash, before_run if before_run is not None else 2**62),
        )
        first = None
        for row in rows:
            placed = _placed(row)
            if still_there is None or still_there(placed):
                return placed
            first = first or placed
        return first

    def placed_beside(
        self, content_hash: str, photo: Placed, before_run: int | None
    ) -> Placed | None:
        """A file with this content that runs before ``before_run`` placed travelling with
        ``photo``: its row names that photo by its path below their SOURCE or (adopted from
        another SOURCE) by its whole path; where ``photo`` is itself a RAW or video that
        travelled with a photo, one travelling with that photo (its family's)."""
        row = self.db.execute(
            f"SELECT {_PLACED_COLUMNS} FROM files "
            f"WHERE hash = ? AND status = 'placed' AND state != 'undone' AND {_HOLDS_BYTES} "
            "AND run_id < ? AND ((source_root = ? AND companion_of = ?) OR companion_of = ? "
            "OR (source_root = ? AND companion_of = (SELECT companion_of FROM files "
            "WHERE source_root = ? AND source_rel = ? AND companion_of IS NOT NULL "
            "ORDER BY run_id DESC LIMIT 1))) "
            "ORDER BY source_root, source_rel, run_id DESC LIMIT 1",
            (
                content_hash,
                before_run if before_run is not None else 2**62,
                _b(photo.source_root),
                _b(photo.rel),
                _b(os.path.join(photo.source_root, photo.rel)),
                _b(photo.source_root),
                _b(photo.source_root),
                _b(photo.rel),
            ),
        ).fetchone()
        return None if row is None else _placed(row)

    def bytes_at(self, names: Iterable[str]) -> dict[str, tuple[str, int]]:
        """For each of ``names`` (below DEST) that a done placed row wrote a file at (not a
        symbolic link): the hash and size of the bytes it wrote there, by its newest such row."""
        held: dict[str, tuple[str, int]] = {}
        for name in names:
            row = self.db.execute(
                "SELECT coalesce(out_hash, hash), bytes_out FROM files WHERE dest = ? "
                "AND state = 'done' AND status = 'placed' AND bytes_out IS NOT NULL "
                f"AND coalesce(out_hash, hash) IS NOT NULL AND {_HOLDS_BYTES} "
                "ORDER BY run_id DESC LIMIT 1",
                (os.fsencode(name),),
            ).fetchone()
            if row is not None:
                held[name] = (row[0], row[1])
        return held

    def placed_again(
        self, content_hash: str | None, dest: str, run_id: int
    ) -> tuple[str, int] | None:
        """Where a run after ``run_id`` placed these bytes again under another name than
        ``dest`` (the copy there gone), and which run: the first such copy."""
        row = self.db.execute(
            "SELECT dest, run_id FROM files WHERE hash = ? AND status = 'placed' "
            f"AND state = 'done' AND run_id > ? AND dest IS NOT NULL AND dest != ? "
            f"AND {_HOLDS_BYTES} AND action NOT IN {_RELEASES} ORDER BY run_id LIMIT 1",
            (content_hash, run_id, os.fsencode(dest)),
        ).fetchone()
        return None if row is None else (os.fsdecode(row[0]), row[1])

    def holds_other(self, name: str, placed_at: str) -> bool:
        """Whether a row not undone names ``name`` (below DEST) as where the file of another
        source is than the one a row placed at ``placed_at`` (a later run's release of that
        source against its copy at ``name`` is the same file)."""
        row = self.db.execute(
            "SELECT 1 FROM files AS f WHERE f.dest = ? AND f.state != 'undone' AND NOT EXISTS "
            "(SELECT 1 FROM files AS g WHERE g.dest = ? AND g.source_root = f.source_root "
            "AND g.source_rel = f.source_rel) LIMIT 1",
            (os.fsencode(name), os.fsencode(placed_at)),
        ).fetchone()
        return row is not None

    def names_held(self) -> Iterator[str]:
        """Every name below DEST a file of the journal holds (or is planned to), undone ones
        left out."""
        rows = self.db.execute(
            "SELECT dest FROM files WHERE dest IS NOT NULL AND state != 'undone'"
        )
        for (dest,) in rows:
            yield os.fsdecode(dest)

    def placed_hashes(self) -> Iterator[str]:
        """The content hash of every placed file not undone that holds its bytes in DEST."""
        return self._hashes(f"status = 'placed' AND {_HOLDS_BYTES}")

    def linked_hashes(self) -> Iterator[str]:
        """The content hash of every file a --mode symlink run linked (not undone)."""
        return self._hashes(f"status = 'placed' AND action IN {_LINKS}")

    def hashes_in_dest(self) -> Iterator[str]:
        """The content hash of every file a run put in DEST (a corrupt one set aside too) that
        is not undone (streamed)."""
        return self._hashes("dest IS NOT NULL")

    def _hashes(self, which: str) -> Iterator[str]:
        rows = self.db.execute(
            f"SELECT hash FROM files WHERE {which} AND state != 'undone' AND hash IS NOT NULL"
        )
        for (digest,) in rows:
            yield digest

    def unfinished(self) -> list[tuple[str, Decision, int]]:
        """Rows left ``planned`` by an interrupted run: (source_root, decision, run_id)."""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM files WHERE state = 'planned'").fetchall()
        return [(os.fsdecode(r["source_root"]), _decision(r), r["run_id"]) for r in rows]

    def moved_not_removed(self) -> list[tuple[str, Decision, int]]:
        """Done moves whose source the journal does not yet call removed: (root, decision, run)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM files WHERE state = 'done' AND source_removed = 0 "
            f"AND {_among(a for a in Action if a.removes_source)}"
        ).fetchall()
        return [(os.fsdecode(r["source_root"]), _decision(r), r["run_id"]) for r in rows]

    def decisions(
        self,
        run_id: int,
        source_root: str,
        status: Status | None = None,
        by_folder: bool = False,
    ) -> Iterator[Decision]:
        """Every file this run found under ``source_root`` (only those of ``status`` if
        given), in byte order of the path, or ``by_folder``: each folder's files together."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM files WHERE {RUN_ROWS} "
            + ("AND status = ? " if status else "")
            + f"ORDER BY {FOLDER_ORDER if by_folder else RUN_ORDER}",
            (run_id, _b(source_root), *([status.value] if status else [])),
        )
        for row in rows:
            yield _decision(row)

    def standing(self) -> Iterator[Decision]:
        """Every file of every run that was not undone: what DEST holds and what was left.
        A source path found by several runs counts once, by its latest verdict, besides the
        files earlier runs placed from it (they are still in DEST)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM files AS f WHERE {STANDING} ORDER BY {STANDING_ORDER}"
        )
        for row in rows:
            yield _decision(row)

    def only_run(self, run_id: int) -> bool:
        """Whether ``run_id`` is the one run this journal has seen (a dry run included)."""
        ids = self.db.execute("SELECT id FROM runs LIMIT 2").fetchall()
        return [row[0] for row in ids] == [run_id]

    def run_count(self, status: str | None = None) -> int:
        """Real runs (not dry runs), or those of one ``status`` ("undone")."""
        query = "SELECT count(*) FROM runs WHERE dry_run = 0"
        if status is None:
            return int(self.db.execute(query).fetchone()[0])
        return int(self.db.execute(query + " AND status = ?", (status,)).fetchone()[0])

    def dests_under(self, folder: str) -> list[str]:
        prefix = os.fsencode(folder) + b"/"
        rows = self.db.execute(
            "SELECT dest FROM files WHERE dest >= ? AND dest < ?", (prefix, prefix[:-1] + b"0")
        )
        return [os.fsdecode(r[0]) for r in rows]

    def dest_years(self) -> set[str]:
        rows = self.db.execute(
            "SELECT DISTINCT year FROM files WHERE status = 'placed' AND year IS NOT NULL"
        )
        return {str(r[0]) for r in rows}

    # verify, undo, finalize ---------------------------------------------------------
    def written(self, run_ids: Iterable[int] | None = None) -> list[Written]:
        """Files in DEST by the journal's account (all runs, or only ``run_ids``), read in full
        before anyone acts on them."""
        return list(self.each_written(run_ids))

    def each_written(self, run_ids: Iterable[int] | None = None) -> Iterator[Written]:
        """``written`` one file at a time, in DEST path order (a file an earlier run placed
        before the release of its source): a million files' rows are never held at once. The
        reader changes nothing meanwhile but the state of rows it has read (undo)."""
        query = _WRITTEN_ROWS
        params: tuple[int, ...] = ()
        if run_ids is not None:
            ids = tuple(run_ids)
            query += f" AND run_id IN ({', '.join('?' * len(ids))})"
            params = ids
        cursor = self.db.cursor()
        cursor.row_factory = None
        for row in cursor.execute(query + " ORDER BY dest, run_id", params):
            yield _written(row)

    def released_later(self, source_root: str, rel: str, run_id: int) -> Written | None:
        """The newest release of this source by a run after ``run_id`` that is not undone
        (the undo of its run gave up on it: the source is still out of SOURCE)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        row = cursor.execute(
            f"{_WRITTEN_ROWS} AND source_root = ? AND source_rel = ? AND run_id > ? "
            f"AND action IN {_RELEASES} ORDER BY run_id DESC LIMIT 1",
            (os.fsencode(source_root), os.fsencode(rel), run_id),
        ).fetchone()
        return None if row is None else _written(row)

    def moved_after(self, run_id: int) -> bool:
        """Whether a real move run came after run ``run_id`` (one that may have released a
        file it placed: ``released_later`` is worth asking)."""
        row = self.db.execute(
            "SELECT 1 FROM runs WHERE id > ? AND mode = 'move' AND dry_run = 0 LIMIT 1",
            (run_id,),
        ).fetchone()
        return row is not None

    def runs_to_undo(self) -> list[int]:
        """The last real run that changed anything in DEST, with the interrupted runs it
        resumed (same SOURCE, just before). A run that found everything done is passed over,
        and so is, for a later run, one whose undo ended incomplete: the next undo retries it
        alone (with the runs it had resumed), not with the later run."""
        wrote = {
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT run_id FROM files "
                f"WHERE state = 'done' AND {_among(a for a in Action if a.changes_anything)} "
                "AND dest IS NOT NULL"
            )
        }
        rows = self.db.execute(
            "SELECT id, source, status FROM runs WHERE dry_run = 0 AND status != 'undone' "
            "ORDER BY id DESC"
        ).fetchall()
        changed = [r for r in rows if r[0] in wrote]
        if not changed:
            return []
        last = changed[0]
        ids = [last[0]]
        for run_id, source, status in rows:
            if run_id >= last[0]:
                continue
            if source != last[1] or status in ("finished", UNDO_INCOMPLETE):
                break
            ids.append(run_id)
        return ids

    def incomplete_before(self, run_ids: list[int]) -> list[int]:
        """The runs before ``run_ids`` whose undo ended incomplete, newest first."""
        rows = self.db.execute(
            "SELECT id FROM runs WHERE status = ? AND id < ? ORDER BY id DESC",
            (UNDO_INCOMPLETE, min(run_ids)),
        )
        return [row[0] for row in rows]

    def mark_unwritten_undone(self, run_ids: Iterable[int]) -> None:
        """The verdicts of ``run_ids`` that put nothing in DEST (a duplicate, a skip) are
        undone with their runs: no report counts them, a later run decides those files anew."""
        ids = tuple(run_ids)
        with self.transaction():
            self.db.execute(
                "UPDATE files SET state = 'undone' WHERE state = 'done' AND dest IS NULL "
                f"AND run_id IN ({', '.join('?' * len(ids))})",
                ids,
            )

    def undo_verdicts_on(self, run_ids: Iterable[int]) -> None:
        """Mark undone the rows of the runs after ``run_ids`` (runs their undo passed over: they
        changed nothing) that stood on the copies these runs placed and undo removed: "already
        placed (or set aside) by an earlier run" or identical bytes found at such a copy's name,
        a duplicate of such a copy's bytes. The next run decides those files anew (and places
        them)."""
        ids = tuple(run_ids)
        places = ", ".join("?" * len(ids))
        removed = (
            f"FROM files AS u WHERE u.run_id IN ({places}) AND u.state = 'undone' "
            "AND u.status IN ('placed', 'corrupt') AND u.dest IS NOT NULL"
        )
        with self.transaction():
            self.db.execute(
                "UPDATE files SET state = 'undone' WHERE run_id > ? AND state = 'done' AND ("
                "(status IN ('placed', 'corrupt') "
                f"AND action IN ('{Action.NONE}', '{Action.LINKED}') AND dest IN (SELECT u.dest "
                f"{removed})) OR (status = 'duplicate' AND dest IS NULL AND hash IN "
                f"(SELECT u.hash {removed})))",
                (max(ids), *ids, *ids),
            )

    def mark_undone(self, keys: Iterable[tuple[str, str, int]]) -> None:
        with self.transaction():
            self.db.executemany(
                "UPDATE files SET state = 'undone' "
                "WHERE source_root = ? AND source_rel = ? AND run_id = ?",
                ((os.fsencode(root), os.fsencode(rel), run) for root, rel, run in keys),
            )

    def kept_originals(self) -> list[tuple[tuple[str, str, int], str, int]]:
        """Every kept original: ((root, rel, run), path below DEST, size)."""
        rows = self.db.execute(
            "SELECT source_root, source_rel, run_id, original, size FROM files "
            "WHERE original IS NOT NULL AND state = 'done' "
            f"AND {_among(a for a in Action if a.keeps_original)} ORDER BY original"
        ).fetchall()
        return [
            (
                (os.fsdecode(r["source_root"]), os.fsdecode(r["source_rel"]), r["run_id"]),
                os.fsdecode(r["original"]),
                r["size"],
            )
            for r in rows
        ]

    def clear_originals(self, keys: Iterable[tuple[str, str, int]]) -> None:
        """The kept originals of these rows were deleted (``imgorg finalize``)."""
        with self.transaction():
            self.db.executemany(
                "UPDATE files SET original = NULL "
                "WHERE source_root = ? AND source_rel = ? AND run_id = ?",
                ((os.fsencode(root), os.fsencode(rel), run) for root, rel, run in keys),
            )

    def record_made_folders(self, run_id: int, folders: Iterable[str]) -> None:
        """These folders of DEST (relative to it) did not exist before run ``run_id``, which is
        about to make them."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO made_folders (run_id, folder) VALUES (?, ?)",
                ((run_id, os.fsencode(folder)) for folder in folders),
            )

    def made_folders(self, run_ids: Iterable[int]) -> list[str] | None:
        """The folders of DEST these runs made; None when one of them is an earlier release's,
        which did not journal its folders."""
        ids = tuple(run_ids)
        places = ", ".join("?" * len(ids))
        silent = self.db.execute(
            f"SELECT 1 FROM runs WHERE id IN ({places}) AND records_folders = 0 LIMIT 1", ids
        ).fetchone()
        if silent is not None:
            return None
        rows = self.db.execute(
            f"SELECT DISTINCT folder FROM made_folders WHERE run_id IN ({places})", ids
        )
        return [os.fsdecode(folder) for (folder,) in rows]

    def record_source_folders(self, run_id: int, folders: Iterable[tuple[str, int]]) -> None:
        """The modification times of SOURCE's folders (relative to it) before run ``run_id``
        takes files out of them."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO source_folders (run_id, folder, mtime_ns) VALUES (?, ?, ?)",
                ((run_id, os.fsencode(folder), mtime_ns) for folder, mtime_ns in folders),
            )

    def source_folder_times(self, run_ids: Iterable[int]) -> list[tuple[str, int]]:
        """The SOURCE folders (absolute paths) these runs journaled, with their modification
        times before each run, newest run first: set in that order, each folder ends with the
        time it had before the earliest of them."""
        ids = tuple(run_ids)
        places = ", ".join("?" * len(ids))
        rows = self.db.execute(
            "SELECT runs.source, source_folders.folder, source_folders.mtime_ns "
            "FROM source_folders JOIN runs ON runs.id = source_folders.run_id "
            f"WHERE source_folders.run_id IN ({places}) ORDER BY source_folders.run_id DESC",
            ids,
        )
        return [
            (os.path.join(os.fsdecode(root), os.fsdecode(folder)), mtime_ns)
            for root, folder, mtime_ns in rows
        ]

    def folders_made_for_nothing(self) -> list[str]:
        """The folders of DEST made by runs that placed nothing there (killed before their first
        file was journaled done, say), which no undo takes back."""
        rows = self.db.execute(
            "SELECT DISTINCT folder FROM made_folders WHERE run_id IN ("
            "SELECT id FROM runs WHERE dry_run = 0 AND status != 'undone' AND id NOT IN ("
            "SELECT DISTINCT run_id FROM files WHERE state = 'done' AND dest IS NOT NULL "
            f"AND {_among(a for a in Action if a.changes_anything)}))"
        )
        return [os.fsdecode(folder) for (folder,) in rows]

    def set_run_status(self, run_ids: Iterable[int], status: str) -> None:
        with self.transaction():
            self.db.executemany(
                "UPDATE runs SET status = ? WHERE id = ?", ((status, i) for i in run_ids)
            )

    # tidy ---------------------------------------------------------------------
    def record_tidy(self, run_id: int, moves: list[tuple[str, str]]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT INTO tidy (run_id, old, new, state) VALUES (?, ?, ?, 'planned')",
                ((run_id, os.fsencode(a), os.fsencode(b)) for a, b in moves),
            )

    def pending_tidy(self) -> list[tuple[str, str]]:
        rows = self.db.execute("SELECT old, new FROM tidy WHERE state = 'planned' ORDER BY rowid")
        return [(os.fsdecode(a), os.fsdecode(b)) for a, b in rows]

    def apply_tidy(self, old: str, new: str) -> None:
        """Point every row under folder ``old`` at ``new`` and close the tidy step, atomically;
        ``new`` (made by the move) counts among the folders its run made."""
        old_b, new_b = os.fsencode(old) + b"/", os.fsencode(new) + b"/"
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO made_folders (run_id, folder) SELECT run_id, new FROM tidy "
                "WHERE old = ? AND new = ? AND state = 'planned'",
                (os.fsencode(old), os.fsencode(new)),
            )
            self.db.execute(
                "UPDATE files SET dest = CAST(? || substr(dest, ?) AS BLOB) "
                "WHERE dest >= ? AND dest < ?",
                (new_b, len(old_b) + 1, old_b, old_b[:-1] + b"0"),
            )
            self.db.execute(
                "UPDATE tidy SET state = 'done' WHERE old = ? AND new = ? AND state = 'planned'",
                (os.fsencode(old), os.fsencode(new)),
            )


_WRITTEN_ROWS = (
    "SELECT source_root, source_rel, dest, hash, out_hash, action, source_removed, run_id, "
    "size, mtime_ns, original, source_mode, source_uid, source_gid FROM files "
    "WHERE state = 'done' AND dest IS NOT NULL"
)


def _written(row: tuple[Any, ...]) -> Written:
    """A row of ``_WRITTEN_ROWS`` as the file it says is in DEST."""
    (root, rel, dest, hash_, out_hash, action, removed, run_id, size, mtime, original) = row[:11]
    mode, uid, gid = row[11:]
    return Written(
        source_root=os.fsdecode(root),
        rel=os.fsdecode(rel),
        dest=os.fsdecode(dest),
        hash=hash_,
        out_hash=out_hash,
        action=Action(action),
        source_removed=bool(removed),
        run_id=run_id,
        size=size,
        mtime_ns=mtime,
        original=_s(original),
        source_mode=None if mode is None else SourceMode(mode, uid, gid),
    )


def _decision(row: sqlite3.Row) -> Decision:
    """A row of ``SELECT {_COLUMNS}`` back as the decision it recorded."""
    facts: dict[str, Any] = dict(zip(_KEPT_ATTRS, _KEPT_VALUES(row), strict=True))
    for attr, decode in _DECODE:
        facts[attr] = decode(facts[attr])
    return Decision(facts.pop("rel"), **facts)
