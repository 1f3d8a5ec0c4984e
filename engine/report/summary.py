"""A run's closing numbers: what the console prints at the end, what the journal keeps (as JSON,
in ``runs.summary``) and what the HTML report and ``imgorg report`` read back.

The JSON form is a contract like the JSON Lines report: keys are only ever added. A summary read
back from an older journal lacks the newer keys: they take their defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_OMITTED_WHEN_NONE = {"omitted_when_none": True}


def _optional() -> Any:
    """A key written only when it has a value."""
    return field(default=None, metadata=_OMITTED_WHEN_NONE)


@dataclass
class Summary:
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # by status: every status, 0 or more
    companions: dict[str, int] = field(default_factory=dict)  # files travelling with a photo
    years: dict[str, int] = field(default_factory=dict)  # placed photos by year (or no-date folder)
    date_sources: dict[str, int] = field(default_factory=dict)  # placed photos by date source
    bytes_in: int = 0
    bytes_out: int = 0
    compressed: int = 0
    bytes_saved: int = 0
    skipped_small: int = 0  # skipped as smaller than --min-size
    seconds: float = 0.0
    files_per_second: float = 0.0
    imaging: str = ""  # the imaging library, as --version names it
    backend: str = ""
    workers: int = 0
    dry_run: bool = False
    plan: str | None = _optional()  # the folder ``imgorg plan`` wrote the plan to
    report: str | None = None  # the JSON Lines report
    run_id: int | None = None
    min_size: int = 0
    undated: int = 0  # placed photos in the no-date folder
    already_done: int = 0  # files an earlier run had finished
    settings: dict[str, Any] = field(default_factory=dict)  # the settings next steps depend on
    error_log: str | None = _optional()
    html: str | None = _optional()
    originals: int | None = _optional()  # kept originals of re-encoded or rotated moves
    originals_bytes: int | None = _optional()
    sources_kept: int | None = _optional()  # moved files whose source could not be removed
    cloned: int | None = _optional()  # copies made as reflink clones (no bytes written)
    # copies the workers wrote of files then not placed from them (duplicates), removed at once
    copies_discarded: int | None = _optional()
    # The run's row in the journal, added when a report is made from it (not in runs.summary):
    source: str | None = _optional()
    dest: str | None = _optional()
    mode: str | None = _optional()
    started: float | None = _optional()
    finished: float | None = _optional()
    runs: int | None = _optional()  # real runs the journal records
    runs_undone: int | None = _optional()  # of those, the runs undone since
    status: str | None = _optional()  # the run's: finished, interrupted, undone...

    def to_json(self) -> dict[str, Any]:
        """The JSON object the journal stores."""
        return {
            f.name: value
            for f in dataclasses.fields(self)
            if (value := getattr(self, f.name)) is not None or not f.metadata
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Summary:
        """A summary from its JSON form, from this release or an older one (missing keys take
        their defaults, a null where a value is expected too; unknown keys are left out)."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        return cls(
            **{
                key: value
                for key, value in (data or {}).items()
                if key in known and (value is not None or known[key].default is None)
            }
        )


def as_summary(summary: Summary | Mapping[str, Any] | None) -> Summary:
    """``summary`` itself, or the summary whose JSON form it is (a journal's ``runs.summary``)."""
    return summary if isinstance(summary, Summary) else Summary.from_json(summary)
