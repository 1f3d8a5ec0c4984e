"""Dates flow inside a group during ``organize --similar``: a photo without a camera date is
held back until every photo of the run has been analysed; if it is a copy of one that has a
better-founded date, it takes that date (``date_source: "similar"``, ``similar_to`` and the
note name the photo) and is placed in that year, so the messenger copy of a 2012 photo lands
in 2012."""

from __future__ import annotations

import datetime as dt

from engine.policy.date_precedence import DATE_RANK
from engine.records import Analysis, DateSource, Status
from engine.similar.groups import date_flows, find_groups
from engine.similar.keeper import Member


class DateFlow:
    def __init__(self, threads: int = 0) -> None:
        self.threads = threads
        self.members: list[Member] = []
        self.held: dict[str, Analysis] = {}

    def offer(self, analysis: Analysis) -> bool:
        """Remember the photo's signature; True when it is held back (no camera date yet)."""
        if analysis.similar is None or analysis.status is not Status.PLACED:
            return False
        self.members.append(
            Member(
                analysis.rel, analysis.similar, analysis.date, analysis.date_source, analysis.rel
            )
        )
        if analysis.date_source is DateSource.EXIF:
            return False
        self.held[analysis.rel] = analysis
        return True

    def release(self) -> list[Analysis]:
        """The held photos, dated from their groups where a group knows better."""
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
                analysis.date_source, analysis.similar_to = DateSource.SIMILAR, flow.similar_to
                note = f"dated from its near-duplicate {flow.similar_to}"
                analysis.note = f"{analysis.note}; {note}" if analysis.note else note
        held, self.held = list(self.held.values()), {}
        return held
