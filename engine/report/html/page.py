"""The whole page: its head, the sections in order, the data blob, and the two ways to write it
(from a stream of decisions, or from a journal). The CSS and the script are the package's
``report.css`` and ``report.js``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.records import Decision, Status
from engine.report import queries
from engine.report.html.aggregate import Aggregate, aggregate
from engine.report.html.sections import (
    attention_section,
    compression_section,
    duplicates_section,
    header,
    last_run_section,
    left_section,
    nav,
    notes_section,
    see_report,
    similar_photos_section,
    sources_section,
    totals_section,
    verdicts,
    year_view_section,
    years_section,
    zones_section,
)
from engine.report.html.text import Links, esc
from engine.report.summary import Summary, as_summary

if TYPE_CHECKING:
    from engine.store.journal import Journal, Placed

CSP = (
    "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%234c51bf'/%3E%3Cpath d='M3 12l3-4 2 3 2-2 3 "
    "3z' fill='white'/%3E%3C/svg%3E"
)


def _data_blob(agg: Aggregate, summary: Summary) -> str:
    data = {
        "files": agg.files,
        "counts": {s.value: agg.count(s) for s in Status},
        "years": {
            ("none" if y is None else str(y)): c
            for y, c in sorted(agg.years.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        },
        "bytes_in": agg.bytes_in,
        "bytes_out": agg.bytes_out,
        "compressed": agg.compressed,
        "bytes_saved": agg.compressed_in - agg.compressed_out,
        "run_id": summary.run_id,
        "imgorg": __version__,
    }
    text = json.dumps(data, sort_keys=True).replace("<", "\\u003c")
    return f'<script type="application/json" id="imgorg-data">{text}</script>'


def render(
    agg: Aggregate, summary: Summary, links: Links, last: Aggregate | None = None
) -> Iterator[str]:
    """The page, in pieces: DEST as it stands (``agg``), and what the last run did (``last``)."""
    title = "imgorg report" + (f" — run {summary.run_id}" if summary.run_id else "")
    yield (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="{ICON}"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body><main>"
    )
    yield header(summary)
    yield verdicts(agg, summary)
    yield nav(agg)
    yield last_run_section(last, summary)
    yield totals_section(agg, summary)
    yield years_section(agg)
    yield year_view_section(agg, links)
    yield sources_section(agg)
    yield zones_section(agg)
    yield compression_section(agg)
    yield duplicates_section(agg, links)
    yield similar_photos_section(links)
    yield attention_section(agg, links)
    yield left_section(agg, links)
    yield notes_section(agg, links)
    report = f" Every file, one JSON object a line: {see_report(links)}." if links.report else ""
    yield (
        f'<footer class="muted">Written by imgorg {esc(__version__)}.{report} This page works '
        "offline and loads nothing from the network.</footer></main>"
        f"{_data_blob(agg, summary)}<script>{SCRIPT}</script></body></html>\n"
    )


class _AllOfThem(tuple[Decision, ...]):
    pass


SAME_AS_ALL = _AllOfThem()  # as last_run: the run is all the journal holds


def write_html_report(
    path: str,
    summary: Summary | Mapping[str, Any] | None,
    decisions: Iterable[Decision],
    thumbs_dir: str | None,
    report_jsonl: str | None = None,
    *,
    dest_of_hash: Callable[[str], str | None] | None = None,
    last_run: Iterable[Decision] | None = None,
) -> None:
    """Stream ``decisions`` once and write the report page to ``path`` (atomically).

    ``summary`` is the run's summary (or its JSON form, ``runs.summary`` in the journal),
    optionally with ``source``, ``dest``, ``mode`` and ``finished``; missing keys are
    tolerated. Placed files are linked relative to the page (``summary.dest``, else the page's
    parent folder: the page is expected at ``DEST/.imgorg/report.html``). ``dest_of_hash``
    finds where the kept copy of a duplicate was placed when the stream showed it too long
    before (see ``write_run_report``).
    """
    agg = aggregate(decisions, _thumb_hashes(thumbs_dir))
    last = agg if last_run is SAME_AS_ALL else None
    if last_run is not None and last is None:
        last = aggregate(last_run)
    _write_page(path, as_summary(summary), agg, last, dest_of_hash, thumbs_dir, report_jsonl)


def _write_page(
    path: str,
    summary: Summary,
    agg: Aggregate,
    last: Aggregate | None,
    dest_of_hash: Callable[[str], str | None] | None,
    thumbs_dir: str | None,
    report_jsonl: str | None,
) -> None:
    agg.resolve(dest_of_hash)
    if last is not None and last is not agg:
        last.resolve(None)
    report = report_jsonl or (summary.report if isinstance(summary.report, str) else None)
    links = Links.build(path, summary, thumbs_dir, report)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temp = f"{path}.part"
    with open(temp, "w", encoding="utf-8", errors="backslashreplace") as handle:
        for piece in render(agg, summary, links, last):
            handle.write(piece)
    os.replace(temp, path)


def _thumb_hashes(thumbs_dir: str | None) -> frozenset[str]:
    if not thumbs_dir or not os.path.isdir(thumbs_dir):
        return frozenset()
    return frozenset({n[:-4] for n in os.listdir(thumbs_dir) if n.endswith(".jpg")})


def write_run_report(
    path: str,
    journal: Journal,
    run_id: int,
    thumbs_dir: str | None = None,
    report_jsonl: str | None = None,
) -> None:
    """``write_html_report`` of DEST as the journal has it after run ``run_id`` (every run's
    files), with that run's paths, mode, times and activity."""
    info = journal.run_info(run_id)
    stored = info.get("summary")
    summary = Summary.from_json(stored if isinstance(stored, dict) else None)
    for key in ("source", "dest", "mode", "started", "finished", "status"):
        if getattr(summary, key) is None:
            setattr(summary, key, info.get(key))
    if not isinstance(stored, dict) or "dry_run" not in stored:
        summary.dry_run = bool(info.get("dry_run"))
    if summary.run_id is None:
        summary.run_id = run_id
    summary.runs = journal.run_count()
    summary.runs_undone = journal.run_count("undone")

    dest = str(info["dest"])

    def in_dest(placed: Placed) -> bool:  # not a copy since lost (and placed again)
        return os.path.lexists(os.path.join(dest, placed.dest))

    def dest_of_hash(content_hash: str) -> str | None:
        placed = journal.placed_with_hash(content_hash, still_there=in_dest)
        return placed.dest if placed else None

    # SQLite counts and picks what the page shows; with one run in the journal, DEST holds
    # what that run did (unless it released files or was undone): one aggregate serves both.
    one_run = journal.only_run(run_id)
    standing = queries.Rows.standing(one_run)
    agg = queries.aggregate_rows(journal, standing, _thumb_hashes(thumbs_dir))
    last = agg
    if not one_run or not queries.Rows.only_standing(journal):
        run = queries.Rows.of_run(run_id, str(info["source"]))
        last = queries.aggregate_rows(journal, run, counts_only=True)
    _write_page(path, summary, agg, last, dest_of_hash, thumbs_dir, report_jsonl)


SCRIPT = files(__package__).joinpath("report.js").read_text(encoding="utf-8")
STYLE = files(__package__).joinpath("report.css").read_text(encoding="utf-8")
