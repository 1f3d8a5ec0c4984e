"""The JSON Lines report (one object per file found under SOURCE) and the run's totals.

The report is a contract other tools rely on: keys are only ever added, never renamed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.records import Decision, Status
from engine.report.summary import Summary

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

    def add(self, decision: Decision, nodate_folder: str) -> None:
        """Count a file; the files that travel with a photo are counted apart, not as photos."""
        self.files += 1
        self.bytes_in += decision.size
        if decision.dest:
            self.bytes_out += decision.bytes_out
        if decision.companion_of is not None:
            self.companions[decision.status.value] += 1
            return
        self.counts[decision.status.value] += 1
        if decision.status is Status.SKIPPED and (decision.reason or "").startswith(SMALL):
            self.skipped_small += 1
        if decision.status is Status.PLACED:
            self.years[str(decision.year) if decision.year else nodate_folder] += 1
            self.date_sources[decision.date_source.value] += 1
            if decision.compressed:
                self.compressed += 1
                self.bytes_saved += decision.size - decision.bytes_out

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


def write_report(path: str | None, decisions: Iterable[Decision], nodate_folder: str) -> Totals:
    """Stream decisions into the report (when a path is given) and total them."""
    totals = Totals()
    if not path:
        for decision in decisions:
            totals.add(decision, nodate_folder)
        return totals
    temp = f"{path}.part"
    with open(temp, "w", encoding="ascii") as handle:
        for decision in decisions:
            totals.add(decision, nodate_folder)
            handle.write(json.dumps(report_line(decision)) + "\n")
    os.replace(temp, path)
    return totals


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
