"""A run people can see: one self-contained HTML file summing up a run.

The decisions are streamed once into an ``Aggregate`` (counters and bounded lists only, so a run
of a million files costs a few megabytes), then ``render`` turns that and the run's summary into
a single page: inline CSS, inline SVG charts, a few lines of inline script, a Content-Security-
Policy that forbids every network request, and relative links to the placed files and to the
thumbnails in ``thumbs_dir``. Usually written to ``DEST/.imgorg/report.html``.

    write_html_report(path, summary, journal.decisions(run_id, source), thumbs_dir, report_jsonl)
    write_run_report(path, journal, run_id, thumbs_dir, report_jsonl)  # the same, from a journal

The rooms: ``aggregate`` (the streaming counters), ``charts`` (inline SVG), ``sections`` (one
function per part of the page), ``page`` (the page and the two writers), ``text`` (escaping,
numbers, relative links); the CSS and the script are package data (report.css, report.js).
"""

from engine.report.html.aggregate import (
    BUSIEST_YEARS,
    DUP_GROUPS,
    DUP_GROUPS_OPEN,
    DUP_MEMBERS,
    GALLERY_CARDS,
    GALLERY_ROWS,
    LEFT_ROWS,
    NOTES,
    REASONS,
    SHEET,
    Aggregate,
    aggregate,
    reason_kind,
)
from engine.report.html.charts import bar_chart, legend, nice_step, stacked_line
from engine.report.html.page import render, write_html_report, write_run_report
from engine.report.html.sections import SOURCE_LABEL, STATUS_LABEL
from engine.report.html.text import Links, clean, duration, esc, num, percent, url_path

PLACED_MEMORY = 20_000  # recently placed files remembered to link a duplicate to its kept copy

__all__ = [
    "BUSIEST_YEARS",
    "DUP_GROUPS",
    "DUP_GROUPS_OPEN",
    "DUP_MEMBERS",
    "GALLERY_CARDS",
    "GALLERY_ROWS",
    "LEFT_ROWS",
    "NOTES",
    "PLACED_MEMORY",
    "REASONS",
    "SHEET",
    "SOURCE_LABEL",
    "STATUS_LABEL",
    "Aggregate",
    "Links",
    "aggregate",
    "bar_chart",
    "clean",
    "duration",
    "esc",
    "legend",
    "nice_step",
    "num",
    "percent",
    "reason_kind",
    "render",
    "stacked_line",
    "url_path",
    "write_html_report",
    "write_run_report",
]
