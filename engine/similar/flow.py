"""Dates flow inside a group during ``organize --similar``: a photo without a camera date is
held back until every photo of the run has been analysed; if it is a copy of one that has a
better-founded date, it takes that date (``date_source: "similar"``, ``similar_to`` and the
note name the photo) and is placed in that year, so the messenger copy of a 2012 photo lands
in 2012."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

from engine.dates.timezone import IN_UTC
from engine.policy.date_precedence import DATE_RANK
from engine.policy.identical import keeper_order
from engine.policy.keeper import Rank
from engine.records import Analysis, DateSource, Status, TzSource, noted, unnoted
from engine.similar import store
from engine.similar.groups import date_flows, find_groups
from engine.similar.keeper import Member

_IN_DEST = "\x00"  # marks a member already in DEST: no path of this run starts with a NUL


class DateFlow:
    def __init__(self, threads: int = 0, db: sqlite3.Connection | None = None) -> None:
        self.threads = threads
        self.members: list[Member] = []
        self.held: dict[str, Analysis] = {}
        self.sources: dict[str, str] = {}
        self.hashes: dict[str, str] = {}  # of this run's photos
        self.kept: dict[str, tuple[Rank, str]] = {}  # by hash: the copy placed of its bytes
        if db is not None:
            self.members += in_dest(db)

    def offer(self, analysis: Analysis) -> bool:
        """Remember the photo's signature; True when it is held back (no camera date yet)."""
        if analysis.similar is None or analysis.status is not Status.PLACED:
            return False
        self.members.append(
            Member(
                analysis.rel,
                analysis.similar,
                analysis.date,
                analysis.date_source,
                analysis.rel,
                tz_source=analysis.tz_source,
            )
        )
        if analysis.hash is not None:
            self.hashes[analysis.rel] = analysis.hash
            copy = (keeper_order(analysis), analysis.rel)
            self.kept[analysis.hash] = min(self.kept.get(analysis.hash, copy), copy)
        if analysis.date_source is DateSource.EXIF:
            return False
        self.held[analysis.rel] = analysis
        return True

    def release(self, earlier: Callable[[str], str | None] = lambda _: None) -> list[Analysis]:
        """The held photos, dated from their groups where a group knows better; ``earlier``
        names the file an earlier run placed with a content hash, if any (its copies of this
        run are duplicates of it)."""
        if not self.held:
            return []
        for group in find_groups(self.members, self.threads):
            for flow in date_flows(group):
                analysis = self.held.get(flow.path)
                if (
                    analysis is None
                    or DATE_RANK[analysis.date_source] <= DATE_RANK[DateSource.SIMILAR]
                ):
                    continue
                when = dt.datetime.fromisoformat(flow.date)
                analysis.date, analysis.year = flow.date, when.year
                similar_to = self.source_of(self.kept_copy(flow.similar_to, earlier))
                analysis.date_source, analysis.similar_to = DateSource.SIMILAR, similar_to
                analysis.tz_source = flow.tz_source
                if flow.tz_source is not TzSource.NONE or not flow.date.endswith("+00:00"):
                    analysis.note = unnoted(analysis.note, IN_UTC)  # its own date's note
                note = f"dated from its near-duplicate {similar_to}"
                analysis.note = noted(analysis.note, note)
        held, self.held = list(self.held.values()), {}
        return held

    def kept_copy(self, path: str, earlier: Callable[[str], str | None]) -> str:
        """Of the byte-identical copies of a photo of this run, the one placed (the others are
        duplicates of it, engine/policy/keeper.py), or the one an earlier run placed, which
        all of them are duplicates of: the one a note names."""
        content = self.hashes.get(path)
        if content is None:
            return path
        return earlier(content) or self.kept[content][1]

    def source_of(self, path: str) -> str:
        """The source path of a member: a photo of this run, or one an earlier run placed."""
        if not path.startswith(_IN_DEST):
            return path
        if not self.sources:
            self.sources = {m.path: m.source or m.path[1:] for m in self.members}
        return self.sources[path]


def in_dest(db: sqlite3.Connection) -> list[Member]:
    """The photos earlier runs placed whose signatures the journal holds: a copy this run brings
    takes its date from an original already in DEST too."""
    store.ensure_schema(db)
    placed = store.placed_images(db)
    known = store.load(db, (p.content_hash for p in placed))
    return [
        Member(
            _IN_DEST + p.dest,
            known[p.content_hash],
            p.date,
            p.date_source,
            p.source,
            tz_source=p.tz_source,
        )
        for p in placed
        if p.content_hash in known
    ]
