"""Signatures kept in DEST's journal, in their own table, keyed by the placed file's content
hash and the signature's name and version (a new version is simply computed again)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from engine.formats.kinds import HEIF_EXTENSIONS, IMAGE_EXTENSIONS, extension
from engine.records import DateSource, TzSource
from engine.similar.signature import HASH_NAME, HASH_VERSION, Signature

SCHEMA = """
CREATE TABLE IF NOT EXISTS similar_hashes (
    content_hash TEXT NOT NULL,
    hash_name TEXT NOT NULL,
    hash_version INTEGER NOT NULL,
    phash INTEGER NOT NULL,
    thumb BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    capture TEXT,
    gps INTEGER NOT NULL,
    quality INTEGER,
    PRIMARY KEY (content_hash, hash_name, hash_version)
) WITHOUT ROWID;
"""

_SIGNED = 1 << 63  # SQLite integers are signed 64-bit


@dataclass(frozen=True, slots=True)
class PlacedImage:
    source: str
    dest: str
    content_hash: str
    date: str | None
    date_source: DateSource
    tz_source: TzSource = TzSource.NONE


def ensure_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def placed_images(db: sqlite3.Connection) -> list[PlacedImage]:
    """Every still image the journal says is in DEST (companions apart), in byte order of DEST."""
    rows = db.execute(
        "SELECT source_rel, dest, out_hash, date, date_source, tz_source FROM files "
        "WHERE status = 'placed' AND state = 'done' AND dest IS NOT NULL "
        "AND companion_of IS NULL AND out_hash IS NOT NULL ORDER BY dest"
    )
    images = IMAGE_EXTENSIONS + HEIF_EXTENSIONS
    found = []
    for source, dest, content_hash, date, date_source, tz_source in rows:
        dest_text = os.fsdecode(dest)
        if extension(dest_text) in images:
            found.append(
                PlacedImage(
                    os.fsdecode(source),
                    dest_text,
                    content_hash,
                    date,
                    DateSource(date_source),
                    TzSource(tz_source or TzSource.NONE.value),
                )
            )
    return found


def load(db: sqlite3.Connection, hashes: Iterable[str]) -> dict[str, Signature]:
    wanted = set(hashes)
    rows = db.execute(
        "SELECT content_hash, phash, thumb, width, height, capture, gps, quality "
        "FROM similar_hashes WHERE hash_name = ? AND hash_version = ?",
        (HASH_NAME, HASH_VERSION),
    )
    return {
        row[0]: Signature(row[1] % (1 << 64), row[2], row[3], row[4], row[5], bool(row[6]), row[7])
        for row in rows
        if row[0] in wanted
    }


def save(db: sqlite3.Connection, signatures: dict[str, Signature]) -> None:
    with db:
        db.execute("BEGIN IMMEDIATE")  # placer processes write the journal during a run too
        db.executemany(
            "INSERT OR REPLACE INTO similar_hashes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    key,
                    HASH_NAME,
                    HASH_VERSION,
                    s.phash - (1 << 64) if s.phash >= _SIGNED else s.phash,
                    s.thumb,
                    s.width,
                    s.height,
                    s.capture,
                    int(s.gps),
                    s.quality,
                )
                for key, s in signatures.items()
            ),
        )
