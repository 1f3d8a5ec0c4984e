"""The JSON Lines report (one object per file found under SOURCE) and the run's totals.

The report is a contract other tools rely on: keys are only ever added, never renamed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.records import Decision, Status
from engine.report.queries import Rows, totals_groups, write_report_lines
from engine.report.summary import Summary

if TYPE_CHECKING:
    from engine.store.journal import Journal

SMALL = "smaller than --min-size"  # how a reason for a size skip begins


def report_line(decision: Decision) -> dict[str, Any]:
    return {
        "source": decision.rel,
        "status": decision.status.value,
        "dest": decision.dest,
        "year": decision.year,
        "date": decision.date,
        "date_source": decision.date_source.value,
        "tz_source": decision.tz_source.value,
        "similar_to": decision.similar_to,
        "hash": decision.hash,
        "duplicate_of": decision.duplicate_of,
        "bytes_in": decision.size,
        "bytes_out": decision.bytes_out if decision.dest else 0,
        "compressed": compression(decision),
        "rotated": decision.rotated,
        "quality": decision.quality,
        "original_quality": decision.original_quality,
        "encodes": decision.encodes,
        "reason": decision.reason,
        "note": decision.note,
        "companion_of": decision.companion_of,
    }


def compression(decision: Decision) -> bool | str:
    """``"lossless"`` (rewritten by jpegtran, pixels untouched), ``True`` (re-encoded at
    ``quality``) or ``False``. A lossless rewrite is the one compressed file without a quality."""
    if decision.compressed and decision.quality is None:
        return "lossless"
    return decision.compressed


@dataclass
class Totals:
    counts: Counter[str] = field(default_factory=Counter)
    years: Counter[str] = field(default_factory=Counter)
    date_sources: Counter[str] = field(default_factory=Counter)
    bytes_in: int = 0
    bytes_out: int = 0
    compressed: int = 0
    bytes_saved: int = 0
    files: int = 0
    companions: Counter[str] = field(default_factory=Counter)
    skipped_small: int = 0

    @classmethod
    def of_run(cls, journal: Journal, run_id: int, source_root: str, nodate_folder: str) -> Totals:
        """The files run ``run_id`` found under ``source_root``, counted by SQLite; the files
        that travel with a photo are counted apart, not as photos."""
        totals = cls()
        for group in totals_groups(journal, Rows.of_run(run_id, source_root), SMALL):
            totals.files += group.files
            totals.bytes_in += group.bytes_in
            totals.bytes_out += group.bytes_out
            if group.companion:
                totals.companions[group.status.value] += group.files
                continue
            totals.counts[group.status.value] += group.files
            totals.skipped_small += group.skipped_small
            if group.status is Status.PLACED:
                totals.years[str(group.year) if group.year else nodate_folder] += group.files
                assert group.date_source is not None
                totals.date_sources[group.date_source.value] += group.files
                totals.compressed += group.compressed
                totals.bytes_saved += group.bytes_saved
        return totals

    def summary(self, **run: Any) -> Summary:
        """These totals as a run's summary, with the facts of the run (``Summary`` fields)."""
        return Summary(
            files=self.files,
            counts={s.value: self.counts.get(s.value, 0) for s in Status},
            companions=dict(self.companions),
            years=dict(sorted(self.years.items())),
            date_sources=dict(self.date_sources),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            compressed=self.compressed,
            bytes_saved=self.bytes_saved,
            skipped_small=self.skipped_small,
            **run,
        )


def write_report(
    path: str | None, journal: Journal, run_id: int, source_root: str, nodate_folder: str
) -> Totals:
    """Write the report of the files run ``run_id`` found under ``source_root`` (when a path
    is given), streamed from the journal, and total them."""
    if path:
        temp = f"{path}.part"
        write_report_lines(temp, journal, Rows.of_run(run_id, source_root))
        os.replace(temp, path)
    return Totals.of_run(journal, run_id, source_root, nodate_folder)


def append_error_log(path: str, decisions: Iterable[Decision], stamp: str) -> int:
    lines = [
        f"{stamp}\t{d.status.value}\t{d.rel!r}\t{d.reason}\n"
        for d in decisions
        if d.status is Status.ERROR
    ]
    if lines:
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.writelines(lines)
    return len(lines)
