"""The reports' reads of the journal, with SQLite doing the per-row work.

A report of a million files must cost the writer little: each line of the JSON Lines report is
written by SQLite (``printf`` and ``json_quote``, in C; the characters above ASCII are escaped
by the text codec as the line is written), the totals and the HTML page's counters are
``GROUP BY`` queries, and the page's bounded lists are windowed queries that return only the
rows the page shows. Python touches a row only where SQL cannot do the job: the reasons are
grouped by ``reason_kind`` (a regular expression) once per distinct reason.
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from engine.records import DateSource, Status, TzSource
from engine.report.html.aggregate import (
    DUP_GROUPS,
    DUP_MEMBERS,
    SHEET,
    Aggregate,
    DuplicateGroup,
    Entry,
    reason_kind,
)
from engine.store.journal import (
    NOT_STANDING_ONE_RUN,
    RUN_ORDER,
    RUN_ROWS,
    STANDING,
    STANDING_ONE_RUN,
    STANDING_ORDER,
    TZ_UNKNOWN,
    Journal,
)


@dataclass(frozen=True)
class Rows:
    """A set of journal rows and the order a report streams them in: ``where`` applies to
    ``files AS f`` with ``params``."""

    where: str
    params: tuple[Any, ...]
    order: str

    @classmethod
    def of_run(cls, run_id: int, source_root: str) -> Rows:
        """The files run ``run_id`` found under ``source_root`` (``Journal.decisions``)."""
        return cls(RUN_ROWS, (run_id, os.fsencode(source_root)), RUN_ORDER)

    @classmethod
    def standing(cls, one_run: bool = False) -> Rows:
        """What DEST holds after every run (``Journal.standing``); ``one_run``: the journal has
        seen only one run (``Journal.only_run``)."""
        return cls(STANDING_ONE_RUN if one_run else STANDING, (), STANDING_ORDER)

    @staticmethod
    def only_standing(journal: Journal) -> bool:
        """Whether every row of a one-run journal is one DEST holds (none undone, none a
        release): the run's own rows are then ``standing(one_run=True)``'s."""
        found = journal.db.execute(f"SELECT 1 FROM files WHERE {NOT_STANDING_ONE_RUN} LIMIT 1")
        return found.fetchone() is None

    def order_keys(self) -> str:
        """The order's columns, as ``key0``, ``key1``...: a query can rank rows by them."""
        return ", ".join(f"{c.strip()} AS key{i}" for i, c in enumerate(self.order.split(",")))

    def key_names(self) -> str:
        return ", ".join(f"key{i}" for i in range(len(self.order.split(","))))

    def select(self, columns: str, also: str = "", scan: bool = False) -> str:
        """``scan``: read the table in its own order and sort the rows taken, not walk the
        index of paths for the order, a look-up in the table for every row it holds (the
        better when a few rows of many are taken)."""
        table = "files AS f NOT INDEXED" if scan else "files AS f"
        return f"SELECT {columns} FROM {table} WHERE {self.where}" + (
            f" AND {also}" if also else ""
        )


# JSON Lines ----------------------------------------------------------------------------------
def _text(column: str, stored_as_bytes: bool = False) -> str:
    """A text or path column as a JSON string, or null (calling json_quote only for a value:
    most columns of most rows are empty)."""
    value = f"CAST({column} AS TEXT)" if stored_as_bytes else column
    return f"CASE WHEN {column} IS NULL THEN 'null' ELSE json_quote({value}) END"


def _path(column: str) -> str:
    return _text(column, stored_as_bytes=True)


def _number(column: str) -> str:
    return f"coalesce({column}, 'null')"


def _enum(column: str) -> str:
    """An enum's value (letters and dashes: nothing to escape)."""
    return f"'\"' || {column} || '\"'"


# report_line (engine/report/jsonl.py), key by key, in its order, as json.dumps writes it.
_LINE_PARTS = (
    ("source", "json_quote(CAST(source_rel AS TEXT))"),
    ("status", _enum("status")),
    ("dest", _path("dest")),
    ("year", _number("year")),
    ("date", _text("date")),
    ("date_source", _enum("date_source")),
    ("tz_source", _enum(f"coalesce(tz_source, '{TZ_UNKNOWN}')")),
    ("similar_to", _path("similar_to")),
    ("hash", _text("hash")),
    ("duplicate_of", _path("duplicate_of")),
    ("bytes_in", "size"),
    ("bytes_out", "CASE WHEN length(dest) > 0 THEN bytes_out ELSE 0 END"),
    (
        "compressed",
        "CASE WHEN compressed AND quality IS NULL THEN '\"lossless\"' "
        "WHEN compressed THEN 'true' ELSE 'false' END",
    ),
    ("rotated", "CASE WHEN rotated THEN 'true' ELSE 'false' END"),
    ("quality", _number("quality")),
    ("original_quality", _number("original_quality")),
    ("encodes", "encodes"),
    ("reason", _text("reason")),
    ("note", _text("note")),
    ("companion_of", _path("companion_of")),
)
LINE_KEYS = tuple(key for key, _ in _LINE_PARTS)
_FORMAT = "{" + ", ".join(f'"{key}": %s' for key in LINE_KEYS) + "}\n"
# SQLite's JSON escapes what json.dumps escapes below 0x7f: DEL is escaped here, and every
# character above it by ``ESCAPE_ABOVE_ASCII`` as the line is written (Python's JSON writes
# them all as \uXXXX; SQLite leaves them as they are).
_SQL_LINE = (
    f"replace(printf('{_FORMAT}', {', '.join(value for _, value in _LINE_PARTS)}), "
    "char(127), '\\u007f')"
)
ESCAPE_ABOVE_ASCII = "imgorg-json-escape"


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """The ``\\uXXXX`` escapes json.dumps writes for the characters ``error`` is about (a
    character beyond the first plane as its two surrogates, as JSON has it)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escapes = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escapes.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            escapes.append(f"\\u{code:04x}")
    return "".join(escapes), error.end


codecs.register_error(ESCAPE_ABOVE_ASCII, _json_escape)
# A path that is not UTF-8 comes out of SQLite as the bytes it is: decoded as os.fsdecode
# decodes it (the bytes that are not UTF-8 as lone surrogates, which json.dumps escapes).
_FS_TEXT = functools.partial(str, encoding="utf-8", errors="surrogateescape")


def write_report_lines(path: str, journal: Journal, rows: Rows) -> None:
    """Write the JSON Lines report of ``rows`` to ``path``, one line per file: the text
    ``json.dumps(report_line(decision))`` makes (engine/report/jsonl.py), all made by SQLite
    and the text codec, not a Python call per file."""
    query = f"{rows.select(_SQL_LINE)} ORDER BY {rows.order}"
    db = journal.db
    text_factory = db.text_factory
    db.text_factory = _FS_TEXT
    try:
        with open(path, "w", encoding="ascii", errors=ESCAPE_ABOVE_ASCII) as handle:
            handle.writelines(_first_column(journal, query, rows.params))
    finally:
        db.text_factory = text_factory


def _cursor(journal: Journal, query: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
    """``query``'s rows as plain tuples (not the journal's named rows: they cost more)."""
    cursor = journal.db.cursor()
    cursor.row_factory = None
    return cursor.execute(query, params)


def _first_column(journal: Journal, query: str, params: tuple[Any, ...]) -> Iterator[Any]:
    return map(itemgetter(0), _cursor(journal, query, params))


# the run's totals ----------------------------------------------------------------------------
_MAIN = "companion_of IS NULL"
# "+status": a placed photo is never looked up through the index of placed hashes (a partial
# index SQLite would otherwise pick for "status = 'placed'": a scan by it visits the rows in
# hash order, each a lookup of its own, ten times slower than the scan in path order).
_PLACED_MAIN = f"+status = 'placed' AND {_MAIN}"
_WRITTEN_OUT = "CASE WHEN length(dest) > 0 THEN bytes_out ELSE 0 END"


@dataclass(frozen=True, slots=True)
class TotalsGroup:
    """Files of one status (photos or the files travelling with them), and for placed photos
    one year and one date source: what ``Totals`` adds up."""

    companion: bool
    status: Status
    year: int | None
    date_source: DateSource | None
    files: int
    bytes_in: int
    bytes_out: int
    compressed: int
    bytes_saved: int
    skipped_small: int

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> TotalsGroup:
        rider, status, year, source, files, bytes_in, bytes_out, *sums, _first = row
        compressed, saved, small = (value or 0 for value in sums)
        date_source = None if source is None else DateSource(source)
        return cls(
            bool(rider),
            Status(status),
            year,
            date_source,
            files,
            bytes_in,
            bytes_out,
            compressed,
            saved,
            small,
        )


def totals_groups(journal: Journal, rows: Rows, small_reason: str) -> list[TotalsGroup]:
    """``rows`` (one run's, ``Rows.of_run``: in path order) counted by SQLite, the groups in
    the order of their first file (a count by first appearance comes out as a stream of the
    files would make it)."""
    query = rows.select(
        f"companion_of IS NOT NULL, status, "
        f"CASE WHEN {_PLACED_MAIN} THEN year END AS y, "
        f"CASE WHEN {_PLACED_MAIN} THEN date_source END AS source, count(*), sum(size), "
        f"sum({_WRITTEN_OUT}), sum(compressed != 0), "
        "sum(CASE WHEN compressed THEN size - bytes_out ELSE 0 END), "
        "sum(status = 'skipped' AND substr(reason, 1, ?) = ?), "
        f"min({rows.order.split(',')[0]}) AS first"
    )
    cursor = _cursor(
        journal,
        f"{query} GROUP BY 1, 2, 3, 4 ORDER BY first",
        (len(small_reason), small_reason, *rows.params),
    )
    return [TotalsGroup.of(row) for row in cursor]


# the HTML page's aggregate ----------------------------------------------------------------------
def _counters(journal: Journal, rows: Rows, agg: Aggregate) -> None:
    """Every count of the page, from two GROUP BYs: the placed photos by year, date source,
    time zone, month and quality; every other file by status alone."""
    month = "substr(date, 6, 2)"
    if_compressed = "CASE WHEN compressed THEN {} ELSE 0 END"
    placed = rows.select(
        "0, status, year, date_source, "
        f"CASE WHEN year IS NOT NULL THEN coalesce(tz_source, '{TZ_UNKNOWN}') END, "
        f"CASE WHEN year IS NOT NULL AND {month} GLOB '[0-9][0-9]' "
        f"THEN CAST({month} AS INTEGER) END, "
        "CASE WHEN compressed THEN quality END, CASE WHEN compressed THEN original_quality END, "
        f"count(*), sum(size), sum({_WRITTEN_OUT}), sum({if_compressed.format(1)}), "
        f"sum({if_compressed.format('size')}), sum({if_compressed.format('bytes_out')}), "
        "sum(rotated != 0), sum(length(note) > 0)",
        _PLACED_MAIN,
    )
    others = rows.select(
        "companion_of IS NOT NULL, status, NULL, NULL, NULL, NULL, NULL, NULL, "
        f"count(*), sum(size), sum({_WRITTEN_OUT}), 0, 0, 0, 0, 0",
        f"NOT ({_PLACED_MAIN})",
    )
    groups = [
        *_cursor(journal, f"{placed} GROUP BY 3, 4, 5, 6, 7, 8", rows.params),
        *_cursor(journal, f"{others} GROUP BY 1, 2", rows.params),
    ]
    groups.sort(key=_group_order)  # as one GROUP BY of them all: each count made in its order
    for row in groups:
        rider, status, year, source, zone, month, quality, original = row[:8]
        files, size, written, squeezed, squeezed_in, squeezed_out, rotated, noted = row[8:]
        state = Status(status)
        agg.files += files
        agg.bytes_in += size
        agg.bytes_out += written
        if rider:
            agg.companions[state] += files
            continue
        agg.counts[state] += files
        if state is Status.DUPLICATE:
            agg.duplicate_bytes += size
        if state is not Status.PLACED:
            continue
        agg.years[year] += files
        agg.sources[year, DateSource(source)] += files
        if zone is not None:
            agg.zones[TzSource(zone)] += files
        if month is not None:
            agg.months[year, month] += files
        agg.compressed += squeezed or 0
        agg.compressed_in += squeezed_in or 0
        agg.compressed_out += squeezed_out or 0
        if squeezed and quality is not None:
            agg.qualities[quality] += squeezed
        if squeezed and original is not None:
            agg.original_qualities[original] += squeezed
        agg.rotated += rotated or 0
        agg.noted.total += noted or 0


def _group_order(row: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    """SQLite's order of ``row``'s first eight columns: NULL first."""
    return tuple((value is not None, value) for value in row[:8])


def _entries(journal: Journal, rows: Rows, agg: Aggregate) -> None:
    """The first files of each listing, in the order of ``rows``."""
    kinds = {
        Status.ERROR.value: agg.errors,
        Status.CORRUPT.value: agg.corrupt,
        Status.SKIPPED.value: agg.skipped,
        Status.IGNORED.value: agg.ignored,
        "undated": agg.undated,
        "noted": agg.noted,
    }
    left = ", ".join(f"'{s}'" for s in kinds if s not in ("undated", "noted"))
    keys = rows.order_keys()
    by_kind = (
        rows.select(
            f"CASE WHEN status = 'placed' THEN 'undated' ELSE status END AS kind, id, {keys}",
            f"{_MAIN} AND (status IN ({left}) OR (status = 'placed' AND year IS NULL))",
        )
        + " UNION ALL "
        + rows.select(f"'noted', id, {keys}", f"{_PLACED_MAIN} AND length(note) > 0")
    )
    limits = " ".join(f"WHEN '{k}' THEN {listing.limit}" for k, listing in kinds.items())
    # Ranked by their paths alone; the few rows shown are read whole by their ids.
    query = (
        "SELECT kind, CASE kind WHEN 'noted' THEN f.note WHEN 'undated' THEN NULL "
        "ELSE f.reason END, f.source_rel, f.dest, f.hash, f.size FROM (SELECT kind, id, "
        f"row_number() OVER (PARTITION BY kind ORDER BY {rows.key_names()}) AS place "
        f"FROM ({by_kind})) AS ranked JOIN files AS f ON f.id = ranked.id "
        f"WHERE place <= CASE kind {limits} END ORDER BY kind, place"
    )
    for kind, why, rel, dest, content, size in _cursor(journal, query, rows.params * 2):
        kinds[kind].entries.append(Entry(os.fsdecode(rel), why, _decoded(dest), content, size))
    agg.errors.total = agg.count(Status.ERROR)
    agg.corrupt.total = agg.count(Status.CORRUPT)
    agg.skipped.total = agg.count(Status.SKIPPED)
    agg.ignored.total = agg.count(Status.IGNORED)
    agg.undated.total = agg.years.get(None, 0)


def _decoded(blob: bytes | None) -> str | None:
    return None if blob is None else os.fsdecode(blob)


def _reasons(journal: Journal, rows: Rows, agg: Aggregate) -> None:
    """The reasons of the files left and the notes of the placed photos, grouped by kind.
    SQLite hands over each file's (status, reason) in order and ``Counter`` counts them
    (in C, each distinct pair keyed where it first came): ``reason_kind`` then runs once a
    distinct reason, in that order, which admits the same kinds a stream of the files would."""
    left = ", ".join(f"'{s.value}'" for s in agg.reasons)
    query = rows.select(
        "CASE status WHEN 'placed' THEN 'noted' ELSE status END, "
        "CASE status WHEN 'placed' THEN note ELSE reason END",
        f"{_MAIN} AND (status IN ({left}) OR (status = 'placed' AND length(note) > 0))",
        scan=True,
    )
    seen = Counter(_cursor(journal, f"{query} ORDER BY {rows.order}", rows.params))
    for (kind, reason), count in seen.items():
        reasons = agg.notes if kind == "noted" else agg.reasons[Status(kind)]
        key = reason_kind(reason)[:200]
        if key in reasons.counts or len(reasons.counts) < reasons.limit:
            reasons.counts[key] += count
        else:
            reasons.other += count


def _duplicates(journal: Journal, rows: Rows, agg: Aggregate) -> None:
    """The first ``DUP_GROUPS`` kept copies the duplicates name, in the order of their first
    duplicate, each with its first ``DUP_MEMBERS`` duplicates, their count and size, and where
    the kept copy was placed (the last placed photo of that path)."""
    query = f"""
        WITH dups AS ({
        rows.select(
            "coalesce(duplicate_of, CAST('?' AS BLOB)) AS kept, source_rel, reason, dest, hash, "
            f"size, row_number() OVER (ORDER BY {rows.order}) AS place",
            f"status = 'duplicate' AND {_MAIN}",
            scan=True,
        )
    }),
        groups AS (SELECT kept, min(place) AS first, count(*) AS n, sum(size) AS bytes
            FROM dups GROUP BY kept ORDER BY first LIMIT {DUP_GROUPS})
        SELECT kept, n, bytes, source_rel, reason, dest, hash, size FROM (
            SELECT dups.*, first, n, bytes,
                row_number() OVER (PARTITION BY kept ORDER BY place) AS member
            FROM dups JOIN groups USING (kept))
        WHERE member <= {DUP_MEMBERS} ORDER BY first, member"""
    groups = agg.groups
    for kept, count, size_sum, rel, reason, dest, content, size in _cursor(
        journal, query, rows.params
    ):
        name = os.fsdecode(kept)
        group = groups.get(name)
        if group is None:
            group = groups[name] = DuplicateGroup(name, content, count=count, bytes=size_sum)
        group.members.append(Entry(os.fsdecode(rel), reason, _decoded(dest), content, size))
    if not groups:
        return
    kept_paths = [os.fsencode(name) for name in groups]
    placed = rows.select(
        "source_rel, dest",
        f"{_PLACED_MAIN} AND length(dest) > 0 "
        f"AND source_rel IN ({', '.join('?' * len(kept_paths))})",
    )
    for rel, dest in _cursor(
        journal, f"{placed} ORDER BY {rows.order}", (*rows.params, *kept_paths)
    ):
        groups[os.fsdecode(rel)].kept_dest = os.fsdecode(dest)


def _sheets(journal: Journal, rows: Rows, agg: Aggregate) -> None:
    """Per year, the first ``SHEET`` placed photos that have a thumbnail."""
    for year in agg.years:
        if year is not None:
            agg.sheets[year] = []
    if not agg.thumbs:
        return
    query = rows.select(
        f"year, source_rel, dest, hash, size, row_number() OVER "
        f"(PARTITION BY year ORDER BY {rows.order}) AS place",
        f"{_PLACED_MAIN} AND year IS NOT NULL AND hash IN (SELECT value FROM json_each(?))",
    )
    thumbs = json.dumps(sorted(agg.thumbs))
    cursor = _cursor(
        journal,
        f"SELECT * FROM ({query}) WHERE place <= {SHEET} ORDER BY year, place",
        (*rows.params, thumbs),
    )
    for year, rel, dest, content, size, _place in cursor:
        agg.sheets[year].append(Entry(os.fsdecode(rel), None, _decoded(dest), content, size))


def aggregate_rows(
    journal: Journal, rows: Rows, thumbs: frozenset[str] = frozenset(), counts_only: bool = False
) -> Aggregate:
    """What ``aggregate`` makes of a stream of the decisions of ``rows``, made by SQLite
    (every count of it only, when ``counts_only``); before ``resolve``."""
    agg = Aggregate(thumbs=thumbs)
    _counters(journal, rows, agg)
    if counts_only:
        return agg
    _entries(journal, rows, agg)
    _reasons(journal, rows, agg)
    _duplicates(journal, rows, agg)
    _sheets(journal, rows, agg)
    return agg
