"""A run people can see: one self-contained HTML file summing up a run.

The decisions are streamed once into an ``Aggregate`` (counters and bounded lists only, so a run
of a million files costs a few megabytes), then ``render`` turns that and the run's summary into
a single page: inline CSS, inline SVG charts, a few lines of inline script, a Content-Security-
Policy that forbids every network request, and relative links to the placed files and to the
thumbnails in ``thumbs_dir``. Usually written to ``DEST/.imgorg/report.html``.

    write_html_report(path, summary, journal.decisions(run_id, source), thumbs_dir, report_jsonl)
    write_run_report(path, journal, run_id, thumbs_dir, report_jsonl)  # the same, from a journal
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
import re
import urllib.parse
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.records import DateSource, Decision, Status
from engine.report.summary import Summary, as_summary
from engine.sizes import format_size

if TYPE_CHECKING:
    from engine.store.journal import Journal

GALLERY_CARDS = 60  # per gallery (errors, corrupt, undated): cards with a thumbnail
GALLERY_ROWS = 400  # per gallery: further files as rows of a collapsed table
LEFT_ROWS = 200  # per status (skipped, ignored): paths in a collapsed table
DUP_GROUPS = 100  # duplicate groups listed
DUP_GROUPS_OPEN = 15  # of which shown without expanding
DUP_MEMBERS = 8  # duplicates listed per group
REASONS = 40  # distinct reasons counted per status; the rest count as "other reasons"
PLACED_MEMORY = 20_000  # recently placed files remembered to link a duplicate to its kept copy
BUSIEST_YEARS = 6  # years given a per-month chart
SHEET = 12  # photos per year on the year view's contact sheet
NOTES = 200  # placed files with a note, listed in "For information"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATUS_LABEL = {
    Status.PLACED: "Placed",
    Status.DUPLICATE: "Duplicates",
    Status.CORRUPT: "Corrupt",
    Status.SKIPPED: "Skipped",
    Status.IGNORED: "Ignored",
    Status.ERROR: "Errors",
}
SOURCE_LABEL = {
    DateSource.EXIF: "EXIF",
    DateSource.QUICKTIME: "video container",
    DateSource.XMP: "XMP in the file",
    DateSource.IPTC: "IPTC",
    DateSource.EXIFTOOL: "exiftool (maker notes)",
    DateSource.TAKEOUT: "Takeout JSON",
    DateSource.XMP_SIDECAR: "XMP sidecar",
    DateSource.ORIGINAL: "original of an edited copy",
    DateSource.FILENAME: "file name",
    DateSource.FOLDER: "folder name",
    DateSource.MTIME: "modification time",
    DateSource.NONE: "none",
}
_DETAIL = re.compile(r"\s*\([^()]*[\d/\\][^()]*\)")


def reason_kind(reason: str | None) -> str:
    """A reason without its per-file details (sizes, paths, counts), to group files by."""
    return _DETAIL.sub("", reason or "no reason given").strip() or "no reason given"


CSP = (
    "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%234c51bf'/%3E%3Cpath d='M3 12l3-4 2 3 2-2 3 "
    "3z' fill='white'/%3E%3C/svg%3E"
)


# text ----------------------------------------------------------------------------------------
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F) if c != 0x09}


def clean(text: object) -> str:
    """Text safe to write as UTF-8: undecodable bytes and control characters as ``\\xNN``."""
    value = str(text)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = value.encode("utf-8", "surrogateescape")  # os.fsdecode's stand-ins
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "backslashreplace")
        value = raw.decode("utf-8", "backslashreplace")
    return value.translate(_CONTROLS)


def esc(text: object) -> str:
    """Text for HTML content or a quoted attribute value."""
    return html.escape(clean(text), quote=True)


def url_path(path: str) -> str:
    """A relative path as a URL: the file's real bytes, percent-encoded."""
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "backslashreplace")
    return urllib.parse.quote(raw.replace(os.sep.encode(), b"/"), safe="/")


def num(n: int | float) -> str:
    return f"{n:,}" if isinstance(n, int) else f"{n:,.1f}"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def percent(part: int | float, whole: int | float) -> str:
    if not whole:
        return "0 %"
    share = 100 * part / whole
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


# aggregation ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Entry:
    """A file shown by name: in a gallery or in a list."""

    rel: str
    reason: str | None
    dest: str | None
    hash: str | None
    size: int


@dataclass
class Listing:
    """The first files of one kind, and how many there were."""

    limit: int
    entries: list[Entry] = field(default_factory=list)
    total: int = 0

    def add(self, decision: Decision, reason: str | None) -> None:
        self.total += 1
        if len(self.entries) < self.limit:
            self.entries.append(
                Entry(decision.rel, reason, decision.dest, decision.hash, decision.size)
            )


@dataclass
class Reasons:
    """Reasons and their counts, with at most ``limit`` distinct ones."""

    limit: int = REASONS
    counts: Counter[str] = field(default_factory=Counter)
    other: int = 0

    def add(self, reason: str | None) -> None:
        key = reason_kind(reason)[:200]
        if key in self.counts or len(self.counts) < self.limit:
            self.counts[key] += 1
        else:
            self.other += 1


@dataclass
class DuplicateGroup:
    """A kept copy and (the first few of) its byte-identical duplicates."""

    kept: str  # the kept copy's source path (absolute when an earlier run placed it)
    hash: str | None
    kept_dest: str | None = None
    members: list[Entry] = field(default_factory=list)
    count: int = 0
    bytes: int = 0


@dataclass
class Aggregate:
    """Everything the page shows, fed one decision at a time; bounded whatever the run's size."""

    files: int = 0
    counts: Counter[Status] = field(default_factory=Counter)
    bytes_in: int = 0
    bytes_out: int = 0
    years: Counter[int | None] = field(default_factory=Counter)
    months: Counter[tuple[int, int]] = field(default_factory=Counter)
    sources: Counter[tuple[int | None, DateSource]] = field(default_factory=Counter)
    compressed: int = 0
    compressed_in: int = 0
    compressed_out: int = 0
    qualities: Counter[int] = field(default_factory=Counter)
    original_qualities: Counter[int] = field(default_factory=Counter)
    rotated: int = 0
    companions: Counter[Status] = field(default_factory=Counter)  # by status
    duplicate_bytes: int = 0
    groups: dict[str, DuplicateGroup] = field(default_factory=dict)
    placed_memory: OrderedDict[str, str] = field(default_factory=OrderedDict)
    errors: Listing = field(default_factory=lambda: Listing(GALLERY_CARDS + GALLERY_ROWS))
    corrupt: Listing = field(default_factory=lambda: Listing(GALLERY_CARDS + GALLERY_ROWS))
    undated: Listing = field(default_factory=lambda: Listing(GALLERY_CARDS + GALLERY_ROWS))
    skipped: Listing = field(default_factory=lambda: Listing(LEFT_ROWS))
    ignored: Listing = field(default_factory=lambda: Listing(LEFT_ROWS))
    noted: Listing = field(default_factory=lambda: Listing(NOTES))
    notes: Reasons = field(default_factory=Reasons)
    thumbs: frozenset[str] = frozenset()  # content hashes that have a thumbnail
    sheets: dict[int, list[Entry]] = field(default_factory=dict)
    reasons: dict[Status, Reasons] = field(
        default_factory=lambda: {
            s: Reasons() for s in (Status.CORRUPT, Status.SKIPPED, Status.IGNORED, Status.ERROR)
        }
    )

    def add(self, d: Decision) -> None:
        status = d.status
        self.files += 1
        self.bytes_in += d.size
        if d.dest:
            self.bytes_out += d.bytes_out
        if d.companion_of is not None:  # travels with its photo; not a photo of its own
            self.companions[status] += 1
            return
        self.counts[status] += 1
        if status is Status.PLACED:
            self._placed(d)
        elif status is Status.DUPLICATE:
            self._duplicate(d)
        else:
            self.reasons[status].add(d.reason)
            if status is Status.CORRUPT:
                self.corrupt.add(d, d.reason)
            elif status is Status.ERROR:
                self.errors.add(d, d.reason)
            elif status is Status.SKIPPED:
                self.skipped.add(d, d.reason)
            else:
                self.ignored.add(d, d.reason)

    def _placed(self, d: Decision) -> None:
        year = d.year
        self.years[year] += 1
        self.sources[year, d.date_source] += 1
        if d.note:
            self.notes.add(d.note)
            self.noted.add(d, d.note)
        if year is None:
            self.undated.add(d, None)
        else:
            sheet = self.sheets.setdefault(year, [])
            if len(sheet) < SHEET and d.hash in self.thumbs:
                sheet.append(Entry(d.rel, None, d.dest, d.hash, d.size))
        if year is not None and d.date and len(d.date) >= 7 and d.date[5:7].isdigit():
            self.months[year, int(d.date[5:7])] += 1
        if d.compressed:
            self.compressed += 1
            self.compressed_in += d.size
            self.compressed_out += d.bytes_out
            if d.quality is not None:
                self.qualities[d.quality] += 1
            if d.original_quality is not None:
                self.original_qualities[d.original_quality] += 1
        if d.rotated:
            self.rotated += 1
        if d.dest:
            group = self.groups.get(d.rel)
            if group is not None:
                group.kept_dest = d.dest
            memory = self.placed_memory
            memory[d.rel] = d.dest
            if len(memory) > PLACED_MEMORY:
                memory.popitem(last=False)

    def _duplicate(self, d: Decision) -> None:
        self.duplicate_bytes += d.size
        kept = d.duplicate_of or "?"
        group = self.groups.get(kept)
        if group is None:
            if len(self.groups) >= DUP_GROUPS:
                return
            group = self.groups[kept] = DuplicateGroup(kept, d.hash)
            group.kept_dest = self.placed_memory.get(kept)
        group.count += 1
        group.bytes += d.size
        if len(group.members) < DUP_MEMBERS:
            group.members.append(Entry(d.rel, d.reason, d.dest, d.hash, d.size))

    def resolve(self, dest_of_hash: Callable[[str], str | None] | None) -> None:
        """Find the placed copy of every listed group whose kept copy the stream did not show."""
        self.placed_memory.clear()
        if dest_of_hash is None:
            return
        for group in self.groups.values():
            if group.kept_dest is None and group.hash:
                group.kept_dest = dest_of_hash(group.hash)

    def count(self, status: Status) -> int:
        return self.counts.get(status, 0)

    @property
    def placed(self) -> int:
        return self.count(Status.PLACED)

    @property
    def listed_duplicates(self) -> int:
        return sum(g.count for g in self.groups.values())


def aggregate(decisions: Iterable[Decision], thumbs: Iterable[str] = ()) -> Aggregate:
    """``thumbs``: the content hashes that have a thumbnail (for the year view)."""
    agg = Aggregate(thumbs=frozenset(thumbs))
    add = agg.add
    for decision in decisions:
        add(decision)
    return agg


# links ---------------------------------------------------------------------------------------
@dataclass
class Links:
    """Relative URLs from the page's folder to DEST, the thumbnails and the JSON Lines report."""

    dest: str | None  # URL prefix of DEST, None when placed files are not to be linked
    thumbs_dir: str | None
    thumbs: str | None  # URL prefix of thumbs_dir
    report: str | None  # URL of the JSON Lines report
    report_name: str | None

    @classmethod
    def build(
        cls, path: str, summary: Summary, thumbs_dir: str | None, report: str | None
    ) -> Links:
        here = os.path.dirname(os.path.abspath(path))
        dest: str | None = ".."
        if summary.dry_run:
            dest = None
        elif isinstance(summary.dest, str):
            dest = _relative(summary.dest, here)
        thumbs = _relative(thumbs_dir, here) if thumbs_dir else None
        return cls(
            dest=dest,
            thumbs_dir=thumbs_dir,
            thumbs=thumbs,
            report=_relative(report, here) if report else None,
            report_name=os.path.basename(report) if report else None,
        )

    def placed(self, dest: str | None) -> str | None:
        if self.dest is None or not dest:
            return None
        return f"{self.dest}/{url_path(dest)}" if self.dest else url_path(dest)

    def thumb(self, content_hash: str | None) -> str | None:
        if self.thumbs_dir is None or self.thumbs is None or not content_hash:
            return None
        if not os.path.isfile(os.path.join(self.thumbs_dir, f"{content_hash}.jpg")):
            return None
        name = urllib.parse.quote(f"{content_hash}.jpg")
        return f"{self.thumbs}/{name}" if self.thumbs else name


def _relative(target: str, here: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(target), here)
    except ValueError:  # another drive
        return "file://" + url_path(os.path.abspath(target))
    return "" if rel == "." else url_path(rel)


# charts --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Bar:
    key: str  # the value of the chart's data attribute, e.g. a year
    label: str  # axis label
    parts: tuple[tuple[str, int], ...]  # (series, value), stacked from the bottom
    title: str  # tooltip
    may_clip: bool = False  # may be cut off when it dwarfs the others

    @property
    def total(self) -> int:
        return sum(v for _, v in self.parts)


def nice_step(peak: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` gridlines."""
    raw = max(peak, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return max(1.0, float(factor * power))
    return float(10 * power)


def bar_chart(bars: list[Bar], attr: str, label: str, width: int = 960, height: int = 240) -> str:
    """A (stacked) bar chart as inline SVG; every bar carries ``data-<attr>`` and its count.

    A bar marked ``may_clip`` that dwarfs the others (the undated photos, say) is drawn cut off
    at the top, so that the others stay readable; its label still gives its full count.
    """
    if not bars:
        return '<p class="muted">Nothing to show.</p>'
    box = Box(width, height, left=52 if width > 400 else 30)
    top_value, step = _scale(bars)
    slot = box.plot_w / len(bars)
    every = max(1, math.ceil(max(len(b.label) for b in bars) * 6.5 / slot))
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(label)}" preserveAspectRatio="xMidYMid meet">',
        _gridlines(box, top_value, step),
    ]
    for i, bar in enumerate(bars):
        out.append(_bar(box, bar, attr, i, slot, top_value, _labelled(bars, i, every)))
    bottom = box.top + box.plot_h
    out.append(
        f'<line class="axis" x1="{box.left}" x2="{width - box.right}" y1="{bottom}" '
        f'y2="{bottom}"/></svg>'
    )
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Box:
    """A chart's size and the margins around its plot area."""

    width: int
    height: int
    left: int = 52
    right: int = 8
    top: int = 18
    bottom: int = 26

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom


def _labelled(bars: list[Bar], i: int, every: int) -> bool:
    """Whether bar ``i`` gets its axis label: every ``every``-th, and always a clippable one."""
    if bars[i].may_clip:
        return True
    if every > 1 and i + 1 < len(bars) and bars[i + 1].may_clip:
        return False  # make room for the clippable bar's label
    return i % every == 0


def _scale(bars: list[Bar]) -> tuple[float, float]:
    """The value at the top of the plot, and the gridline step."""
    peak: float = max(b.total for b in bars) or 1
    regular = max((b.total for b in bars if not b.may_clip), default=0)
    if regular and peak > 2 * regular:
        peak = regular * 1.25
    step = nice_step(peak)
    return step * math.ceil(peak / step), step


def _gridlines(box: Box, top_value: float, step: float) -> str:
    out = []
    tick = 0.0
    while tick <= top_value + 1e-9:
        y = box.top + box.plot_h - box.plot_h * tick / top_value
        out.append(
            f'<line class="grid" x1="{box.left}" x2="{box.width - box.right}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="tick" x="{box.left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{_short(tick)}</text>'
        )
        tick += step
    return "".join(out)


def _bar(
    box: Box, bar: Bar, attr: str, i: int, slot: float, top_value: float, labelled: bool
) -> str:
    bar_w = min(slot * 0.74, 60)
    x = box.left + slot * i + (slot - bar_w) / 2
    total = bar.total
    shrink = min(1.0, top_value / total) if total else 1.0
    out = [
        f'<g class="bar{" clipped" if shrink < 1 else ""}" data-{attr}="{esc(bar.key)}" '
        f'data-count="{total}"><title>{esc(bar.title)}</title>'
        f'<rect class="hit" x="{box.left + slot * i:.1f}" y="{box.top}" width="{slot:.1f}" '
        f'height="{box.plot_h}"/>'
    ]
    base = float(box.top + box.plot_h)
    for series, value in bar.parts:
        if value <= 0:
            continue
        h = max(box.plot_h * value / top_value * shrink, 1.0)
        base -= h
        out.append(
            f'<rect class="s-{series}" data-part="{series}" data-count="{value}" '
            f'x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2"/>'
        )
    if shrink < 1:
        y = box.top + 10
        out.append(
            f'<path class="cut" d="M{x - 2:.1f} {y + 4} l{bar_w + 4:.1f} -6 '
            f'M{x - 2:.1f} {y + 10} l{bar_w + 4:.1f} -6"/>'
        )
    if total and (shrink < 1 or slot >= 6.5 * len(num(total)) + 4):
        out.append(
            f'<text class="value" x="{x + bar_w / 2:.1f}" y="{base - 4:.1f}" '
            f'text-anchor="middle">{num(total)}</text>'
        )
    if labelled:
        out.append(
            f'<text class="label" x="{x + bar_w / 2:.1f}" y="{box.height - 8}" '
            f'text-anchor="middle">{esc(bar.label)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:,.0f}"


def stacked_line(parts: list[tuple[str, str, int]], attr: str) -> str:
    """One horizontal bar split by share: (series, label, value)."""
    total = sum(v for _, _, v in parts) or 1
    out = ['<svg class="share" viewBox="0 0 1000 24" preserveAspectRatio="none" role="img">']
    x = 0.0
    for series, label, value in parts:
        if value <= 0:
            continue
        w = 1000 * value / total
        out.append(
            f'<rect class="s-{series}" data-{attr}="{series}" x="{x:.2f}" y="0" '
            f'width="{w:.2f}" height="24"><title>{esc(label)}: {num(value)} '
            f"({percent(value, total)})</title></rect>"
        )
        x += w
    out.append("</svg>")
    return "".join(out)


def legend(parts: list[tuple[str, str, int]], total: int, zeros: bool = False) -> str:
    items = "".join(
        f'<li data-legend="{series}" data-count="{value}"><i class="s-{series}"></i>'
        f'{esc(label)} <b>{num(value)}</b> <span class="muted">{percent(value, total)}</span></li>'
        for series, label, value in parts
        if value or zeros
    )
    return f'<ul class="legend">{items}</ul>'


# page ----------------------------------------------------------------------------------------
def _year_keys(years: Iterable[int | None]) -> list[int]:
    """The years to draw: every year between the first and last, unless that is too many."""
    known = sorted(y for y in years if y is not None)
    if not known:
        return []
    if known[-1] - known[0] <= 60:
        return list(range(known[0], known[-1] + 1))
    return known


def years_section(agg: Aggregate) -> str:
    keys = _year_keys(agg.years)
    bars = [
        Bar(str(y), str(y), (("year", agg.years.get(y, 0)),), f"{y}: {num(agg.years.get(y, 0))}")
        for y in keys
    ]
    undated = agg.years.get(None, 0)
    if undated:
        title = f"no date: {num(undated)}"
        bars.append(Bar("none", "no date", (("nodate", undated),), title, may_clip=True))
    rows = "".join(
        f'<tr data-year="{b.key}"><td>{esc(b.label)}</td><td class="n">{num(b.total)}</td></tr>'
        for b in bars
        if b.total
    )
    busiest = sorted((y for y in agg.years if y is not None), key=lambda y: (-agg.years[y], y))[
        :BUSIEST_YEARS
    ]
    months = "".join(_month_chart(agg, year) for year in sorted(busiest))
    return (
        '<section id="years"><h2>Photos per year</h2>'
        f'<p class="muted">{num(agg.placed)} placed photos'
        f"{f', {num(undated)} of them without a date' if undated else ''}"
        f"{_companions_placed(agg)}.</p>"
        f"{bar_chart(bars, 'year', 'photos per year')}"
        f'<details><summary>as a table</summary><table class="compact"><thead><tr><th>year</th>'
        f'<th class="n">photos</th></tr></thead><tbody>{rows}</tbody></table></details>'
        + (
            f'<h3>Per month in the busiest years</h3><div class="months">{months}</div>'
            if months
            else ""
        )
        + "</section>"
    )


def _companions_placed(agg: Aggregate) -> str:
    placed = agg.companions[Status.PLACED]
    if not placed:
        return ""
    return f"; {num(placed)} files that travel with a photo (RAW, Live Photo videos, sidecars)"


def _month_chart(agg: Aggregate, year: int) -> str:
    bars = [
        Bar(
            f"{year}-{m:02d}",
            MONTHS[m - 1],
            (("year", agg.months.get((year, m), 0)),),
            f"{MONTHS[m - 1]} {year}: {num(agg.months.get((year, m), 0))}",
        )
        for m in range(1, 13)
    ]
    known = sum(b.total for b in bars)
    missing = agg.years[year] - known
    note = f'<p class="muted small">{num(missing)} without a month</p>' if missing > 0 else ""
    return (
        f'<figure data-month-year="{year}"><figcaption><b>{year}</b> '
        f'<span class="muted">{num(agg.years[year])} photos</span></figcaption>'
        f"{bar_chart(bars, 'month', f'photos per month in {year}', 300, 150)}{note}</figure>"
    )


def sources_section(agg: Aggregate) -> str:
    keys: list[int | None] = list(_year_keys(agg.years))
    if agg.years.get(None):
        keys.append(None)
    order = tuple(DateSource)
    bars = []
    for year in keys:
        parts = tuple((s.value, agg.sources.get((year, s), 0)) for s in order)
        label = "no date" if year is None else str(year)
        title = f"{label}: " + ", ".join(
            f"{SOURCE_LABEL[s]} {num(v)}" for s, (_, v) in zip(order, parts, strict=True) if v
        )
        bars.append(Bar("none" if year is None else str(year), label, parts, title, year is None))
    totals = [
        (s.value, SOURCE_LABEL[s], sum(v for (_, src), v in agg.sources.items() if src is s))
        for s in order
    ]
    return (
        '<section id="dates"><h2>Where the dates came from</h2>'
        '<p class="muted">Each photo is dated by the first source that has a date, in this '
        "order; with none it goes to the no-date folder.</p>"
        f"{legend(totals, agg.placed, zeros=True)}"
        f"{bar_chart(bars, 'source-year', 'date sources per year')}"
        "</section>"
    )


def year_view_section(agg: Aggregate, links: Links) -> str:
    """Per year, a contact sheet of a sample of its photos (the thumbnails the workers made)."""
    years = sorted(y for y in agg.years if y is not None)
    if not years:
        return ""
    sheets = []
    for year in years:
        entries = agg.sheets.get(year, [])
        cells = "".join(_sheet_cell(e, links) for e in entries)
        if not cells:
            cells = '<p class="muted small">no sample thumbnails for this year</p>'
        sheets.append(
            f'<div class="sheet" data-sheet="{year}" data-count="{agg.years[year]}">'
            f'<h3>{year} <span class="muted small">{num(agg.years[year])} '
            f"photo{'' if agg.years[year] == 1 else 's'}</span></h3>"
            f'<div class="thumbs">{cells}</div></div>'
        )
    return (
        '<section id="year-view"><h2>Year by year</h2><p class="muted">A sample of the photos '
        f"of each year (at most {SHEET}), to see the archive, not only count it.</p>"
        + f'<div class="sheets">{"".join(sheets)}</div></section>'
    )


def _sheet_cell(entry: Entry, links: Links) -> str:
    thumb = links.thumb(entry.hash)
    if not thumb:
        return ""
    href = links.placed(entry.dest)
    img = f'<img src="{esc(thumb)}" alt="" data-thumb="1" decoding="async">'
    if href:
        img = f'<a href="{esc(href)}">{img}</a>'
    return f'<figure title="{esc(entry.rel)}">{img}</figure>'


def notes_section(agg: Aggregate, links: Links) -> str:
    """Notes on placed photos: information (a tag kept, a warning of the imaging library),
    not problems."""
    if not agg.noted.total:
        return ""
    rows = "".join(
        f'<tr data-note="{esc(r)}" data-count="{c}"><td>{esc(r)}</td><td class="n">{num(c)}</td>'
        "</tr>"
        for r, c in agg.notes.counts.most_common()
    )
    if agg.notes.other:
        rows += f'<tr><td class="muted">other notes</td><td class="n">{num(agg.notes.other)}</td>'
        rows += "</tr>"
    files = "".join(
        f'<tr data-file="noted"><td>{_path_cell(e.rel, links.placed(e.dest))}</td>'
        f'<td class="muted">{esc(e.reason or "")}</td></tr>'
        for e in agg.noted.entries
    )
    rest = agg.noted.total - len(agg.noted.entries)
    more = f'<p class="more">and {num(rest)} more — {_see(links)}</p>' if rest > 0 else ""
    return (
        '<section id="notes"><h2>For information</h2><p class="muted">Placed photos with a '
        "note. Nothing to fix: these say how a photo was handled.</p>"
        f'<table class="compact"><thead><tr><th>note</th><th class="n">photos</th></tr></thead>'
        f"<tbody>{rows}</tbody></table><details><summary>the photos</summary>"
        f"<table class='compact'><tbody>{files}</tbody></table>{more}</details></section>"
    )


def last_run_section(last: Aggregate | None, summary: Summary) -> str:
    """What the last run did, apart from what DEST holds."""
    if last is None:
        return ""
    earlier = int(summary.already_done or 0)
    new = max(0, last.files - earlier)
    shares = [(s.value, STATUS_LABEL[s], last.count(s)) for s in Status]
    counts = ", ".join(f"{label} {num(n)}" for _, label, n in shares if n)
    what = (
        f"{num(last.files)} files looked at: {num(earlier)} already done by an earlier run, "
        f"{num(new)} decided by this one."
        if earlier
        else f"{num(last.files)} files looked at."
    )
    return (
        f'<section id="last-run" data-files="{last.files}" data-new="{new}"><h2>Last run</h2>'
        f'<p>{esc(what)} <span class="muted">{esc(counts)}</span></p>'
        f'<div class="stats wide">{_run_stats(last, summary)}</div></section>'
    )


def compression_section(agg: Aggregate) -> str:
    if not agg.compressed:
        return (
            '<section id="compression"><h2>Compression</h2><p class="muted">No JPEG was '
            "re-encoded (none was above the size limit, re-encoding did not save enough, or "
            "compression was off).</p></section>"
        )
    saved, before, after = (
        agg.compressed_in - agg.compressed_out,
        agg.compressed_in,
        agg.compressed_out,
    )
    share = f"{percent(saved, before)} of their size"
    averages = ""
    if agg.original_qualities and agg.qualities:
        averages = (
            f" Originals averaged quality {_mean(agg.original_qualities):.0f}; "
            f"re-encodes {_mean(agg.qualities):.0f}."
        )
    return (
        '<section id="compression"><h2>Compression</h2><div class="stats wide">'
        + _stat("compressed", "JPEGs re-encoded", num(agg.compressed), agg.compressed)
        + _stat("bytes_saved", "Saved", format_size(saved), saved, share)
        + _stat("compressed_in", "Their size before", format_size(before), before)
        + _stat("compressed_out", "And after", format_size(after), after)
        + '</div><h3>JPEG quality chosen</h3><p class="muted">The lowest quality that meets the '
        f"size target, never below the floor.{averages}</p>"
        + bar_chart(_quality_bars(agg.qualities), "quality", "chosen JPEG qualities", 960, 200)
        + "</section>"
    )


def _quality_bars(qualities: Counter[int]) -> list[Bar]:
    if not qualities:
        return []
    return [
        Bar(str(q), str(q), (("quality", n),), f"quality {q}: {num(n)} files")
        for q in range(min(qualities), max(qualities) + 1)
        for n in (qualities.get(q, 0),)
    ]


def _mean(counter: Counter[int]) -> float:
    total = sum(counter.values())
    return sum(k * v for k, v in counter.items()) / total if total else 0.0


def _stat(key: str, label: str, shown: str, value: int | float, sub: str = "") -> str:
    sub_html = f'<div class="sub">{esc(sub)}</div>' if sub else ""
    return (
        f'<div class="stat" data-total="{esc(key)}" data-value="{value}">'
        f'<div class="k">{esc(label)}</div><div class="v">{esc(shown)}</div>{sub_html}</div>'
    )


def _path_cell(rel: str, href: str | None) -> str:
    folder, name = os.path.split(rel)
    folder_html = f'<span class="dir">{esc(folder)}/</span>' if folder else ""
    link = (
        f' <a href="{esc(href)}" class="open" title="open the placed file">open</a>' if href else ""
    )
    return f'<span class="path" title="{esc(rel)}">{folder_html}<b>{esc(name)}</b></span>{link}'


def duplicates_section(agg: Aggregate, links: Links) -> str:
    total = agg.count(Status.DUPLICATE)
    if not total:
        return (
            '<section id="duplicates"><h2>Duplicates</h2>'
            '<p class="muted">No byte-identical copies were found.</p></section>'
        )
    rows = [_group_row(group, links) for group in agg.groups.values()]
    shown, hidden = rows[:DUP_GROUPS_OPEN], rows[DUP_GROUPS_OPEN:]
    head = (
        '<table class="dups"><thead><tr><th>kept copy</th><th>its duplicates (not copied)</th>'
        '<th class="n">copies</th><th class="n">size</th></tr></thead><tbody>'
    )
    body = head + "".join(shown) + "</tbody></table>"
    if hidden:
        body += (
            f"<details><summary>{num(len(hidden))} more groups</summary>{head}"
            + "".join(hidden)
            + "</tbody></table></details>"
        )
    rest = total - agg.listed_duplicates
    if rest:
        body += (
            f'<p class="more">and {num(rest)} more duplicates in other groups — {_see(links)}</p>'
        )
    return (
        f'<section id="duplicates"><h2>Duplicates <span class="count">{num(total)}</span></h2>'
        f'<p class="muted">{num(total)} files were byte-identical (confirmed byte for byte) to '
        f"another one and were not copied again, saving {format_size(agg.duplicate_bytes)}."
        f"</p>{body}</section>"
    )


def _group_row(group: DuplicateGroup, links: Links) -> str:
    thumb = links.thumb(group.hash)
    img = f'<img class="mini" src="{esc(thumb)}" alt="" data-thumb="1">' if thumb else ""
    kept = _path_cell(group.kept, links.placed(group.kept_dest))
    if group.kept_dest:
        kept += f'<div class="muted small">→ {esc(group.kept_dest)}</div>'
    members = "".join(f"<li>{_path_cell(m.rel, links.placed(m.dest))}</li>" for m in group.members)
    more = group.count - len(group.members)
    if more > 0:
        members += f'<li class="muted">and {num(more)} more</li>'
    return (
        f'<tr data-kept="{esc(group.kept)}"><td><div class="kept">{img}<div>{kept}</div></div></td>'
        f'<td><ul class="plain">{members}</ul></td><td class="n">{num(group.count)}</td>'
        f'<td class="n">{format_size(group.bytes)}</td></tr>'
    )


def _see(links: Links) -> str:
    if links.report:
        return (
            f'see the JSON Lines report <a href="{esc(links.report)}">{esc(links.report_name)}</a>'
        )
    return "see the JSON Lines report (--report)"


GALLERIES = (
    (
        "errors",
        "Errors",
        "Could not be processed; still only in SOURCE. Fix the cause and run "
        "the same command again.",
    ),
    (
        "corrupt",
        "Corrupt",
        "Damaged, truncated or not really images; set aside, as they are, in "
        "the corrupted-files folder.",
    ),
    (
        "undated",
        "Without a date",
        "Sound photos with no date in EXIF or in the file name; placed in the no-date folder.",
    ),
)


def attention_section(agg: Aggregate, links: Links) -> str:
    parts = []
    for key, title, blurb in GALLERIES:
        listing: Listing = getattr(agg, key)
        if listing.total:
            parts.append(_gallery(key, title, blurb, listing, links))
    if not parts:
        return (
            '<section id="attention"><h2>Needs a look</h2><p class="muted">No errors, no corrupt '
            "files, every photo has a date.</p></section>"
        )
    return '<section id="attention"><h2>Needs a look</h2>' + "".join(parts) + "</section>"


def _gallery(key: str, title: str, blurb: str, listing: Listing, links: Links) -> str:
    cards = "".join(_card(e, key, links) for e in listing.entries[:GALLERY_CARDS])
    rows = listing.entries[GALLERY_CARDS:]
    table = ""
    if rows:
        table = (
            f'<details><summary>{num(len(rows))} more, as a list</summary><table class="compact">'
            "<tbody>"
            + "".join(
                f'<tr data-file="{key}"><td>{_path_cell(e.rel, links.placed(e.dest))}</td>'
                f'<td class="reason">{esc(e.reason or "")}</td></tr>'
                for e in rows
            )
            + "</tbody></table></details>"
        )
    rest = listing.total - len(listing.entries)
    more = f'<p class="more">and {num(rest)} more — {_see(links)}</p>' if rest > 0 else ""
    return (
        f'<details class="gallery" id="gallery-{key}" data-gallery="{key}" '
        f'data-total="{listing.total}" open><summary><h3>{esc(title)} '
        f'<span class="count {key}">{num(listing.total)}</span></h3></summary>'
        f'<p class="muted">{esc(blurb)}</p><div class="cards">{cards}</div>{table}{more}</details>'
    )


def _card(entry: Entry, key: str, links: Links) -> str:
    thumb = links.thumb(entry.hash)
    ext = os.path.splitext(entry.rel)[1].lstrip(".").upper()[:5] or "?"
    if thumb:
        picture = f'<img src="{esc(thumb)}" alt="" data-thumb="1" decoding="async">'
    else:
        picture = f'<div class="ph" data-placeholder="1"><span>{esc(ext)}</span>no preview</div>'
    folder, name = os.path.split(entry.rel)
    href = links.placed(entry.dest)
    link = f'<a class="open" href="{esc(href)}">open</a>' if href else ""
    reason = f'<div class="reason">{esc(entry.reason)}</div>' if entry.reason else ""
    return (
        f'<figure class="card" data-file="{key}" title="{esc(entry.rel)}">'
        f'<div class="pic">{picture}</div><figcaption><div class="name">{esc(name)}</div>'
        f'<div class="dir">{esc(folder or ".")}</div>{reason}'
        f'<div class="meta">{format_size(entry.size)} {link}</div></figcaption></figure>'
    )


def left_section(agg: Aggregate, links: Links) -> str:
    skipped, ignored = agg.count(Status.SKIPPED), agg.count(Status.IGNORED)
    if not skipped and not ignored:
        return ""
    blocks = []
    for status, listing in ((Status.SKIPPED, agg.skipped), (Status.IGNORED, agg.ignored)):
        if not listing.total:
            continue
        reasons = agg.reasons[status]
        reason_rows = "".join(
            f'<tr><td>{esc(r)}</td><td class="n">{num(c)}</td></tr>'
            for r, c in reasons.counts.most_common()
        )
        if reasons.other:
            reason_rows += (
                f'<tr><td class="muted">other reasons</td><td class="n">{num(reasons.other)}</td>'
                "</tr>"
            )
        paths = "".join(
            f'<tr data-file="{status.value}"><td>{_path_cell(e.rel, None)}</td>'
            f'<td class="reason">{esc(e.reason or "")}</td></tr>'
            for e in listing.entries
        )
        rest = listing.total - len(listing.entries)
        more = f'<p class="more">and {num(rest)} more — {_see(links)}</p>' if rest > 0 else ""
        blocks.append(
            f"<h3>{STATUS_LABEL[status]} <span class='count'>{num(listing.total)}</span></h3>"
            f'<table class="compact"><thead><tr><th>reason</th><th class="n">files</th></tr>'
            f"</thead><tbody>{reason_rows}</tbody></table>"
            f"<details><summary>the files</summary><table class='compact'><tbody>{paths}"
            f"</tbody></table>{more}</details>"
        )
    return (
        '<section id="left"><h2>Left in SOURCE</h2><p class="muted">These files were not copied '
        "to DEST on purpose (too small, links, not images, system junk). Check them before you "
        "delete the source.</p>" + "".join(blocks) + "</section>"
    )


def _problems(agg: Aggregate, summary: Summary) -> str:
    errors = agg.count(Status.ERROR)
    left = agg.count(Status.SKIPPED) + agg.count(Status.IGNORED)
    lines: list[tuple[str, str]] = []
    if summary.dry_run:
        lines.append(("info", "Dry run: nothing was written. This page shows the plan."))
    if errors:
        log = summary.error_log
        where = f" They are listed in {os.path.basename(log)}." if isinstance(log, str) else ""
        lines.append(
            (
                "bad",
                f"{num(errors)} files could not be processed and exist only in SOURCE — do not "
                "delete it yet. Fix the cause (see Needs a look) and run the same command again."
                + where,
            )
        )
    else:
        lines.append(("ok", f"All {num(agg.files)} files found under SOURCE are accounted for."))
    if left:
        lines.append(
            (
                "warn",
                f"{num(left)} files were left in SOURCE on purpose (not copied): see "
                "Left in SOURCE.",
            )
        )
    corrupt, undated = agg.count(Status.CORRUPT), agg.years.get(None, 0)
    if corrupt:
        lines.append(("warn", f"{num(corrupt)} damaged files were set aside as they are."))
    if undated:
        lines.append(("warn", f"{num(undated)} photos have no date and are in the no-date folder."))
    if agg.noted.total:
        lines.append(
            ("info", f"{num(agg.noted.total)} placed photos carry a note: see For information.")
        )
    problems = [(k, t) for k, t in lines if k in ("bad", "warn")]
    info = [(k, t) for k, t in lines if k not in ("bad", "warn")]
    blocks = []
    for name, group in (("problems", problems), ("information", info)):
        if group:
            blocks.append(
                f'<div class="verdict {name}" data-verdicts="{name}">'
                + "".join(
                    f'<p class="{kind}" data-verdict="{kind}">{esc(text)}</p>'
                    for kind, text in group
                )
                + "</div>"
            )
    return "".join(blocks)


def totals_section(agg: Aggregate, summary: Summary) -> str:
    shares = [(s.value, STATUS_LABEL[s], agg.count(s)) for s in Status]
    return (
        '<section id="totals"><h2>DEST as it stands</h2><p class="muted">Every file of every '
        'run into this DEST, as the journal records it.</p><div class="stats">'
        + _stat("files", "Files found", num(agg.files), agg.files)
        + "".join(_stat(key, label, num(n), n, percent(n, agg.files)) for key, label, n in shares)
        + "</div>"
        + stacked_line(shares, "status")
        + legend(shares, agg.files)
        + f'<div class="stats wide">{_size_stats(agg)}</div></section>'
    )


def _size_stats(agg: Aggregate) -> str:
    saved = agg.compressed_in - agg.compressed_out
    written = percent(agg.bytes_out, agg.bytes_in) + " of the size in"
    return (
        _stat("bytes_in", "Size in", format_size(agg.bytes_in), agg.bytes_in)
        + _stat("bytes_out", "Size written", format_size(agg.bytes_out), agg.bytes_out, written)
        + _stat(
            "bytes_saved",
            "Saved by compression",
            format_size(saved),
            saved,
            f"{num(agg.compressed)} JPEGs re-encoded",
        )
        + _stat(
            "duplicate_bytes",
            "Not copied (duplicates)",
            format_size(agg.duplicate_bytes),
            agg.duplicate_bytes,
        )
    )


def _run_stats(agg: Aggregate, summary: Summary) -> str:
    seconds = float(summary.seconds or 0.0)
    rate = float(summary.files_per_second or (agg.files / seconds if seconds else 0.0))
    workers, backend = summary.workers, summary.backend or "?"
    engine = f"{backend} × {workers}" if workers else str(backend)
    dry = bool(summary.dry_run)
    mode = "dry run" if dry else str(summary.mode or "real run")
    note = "nothing was written" if dry else ""
    if agg.rotated:
        note = f"{num(agg.rotated)} turned upright"
    return (
        _stat("seconds", "Time taken", duration(seconds), round(seconds, 3))
        + _stat("files_per_second", "Speed", f"{rate:,.0f}", round(rate, 1), "files per second")
        + _stat("workers", "Workers", engine, int(workers or 0), str(summary.imaging or ""))
        + _stat("dry_run" if dry else "mode", "Mode", mode, int(dry), note)
    )


def _header(summary: Summary) -> str:
    source, dest = summary.source, summary.dest
    where = ""
    if source or dest:
        where = (
            f'<p class="where"><span class="path">{esc(source or "SOURCE")}</span> → '
            f'<span class="path">{esc(dest or "DEST")}</span></p>'
        )
    bits = []
    if summary.runs:
        bits.append(f"{esc(summary.runs)} runs")
    if summary.run_id is not None:
        bits.append(f"last run {esc(summary.run_id)}")
    if summary.mode:
        bits.append(esc(summary.mode))
    if summary.dry_run:
        bits.append("dry run")
    finished = summary.finished
    if isinstance(finished, int | float):
        bits.append(dt.datetime.fromtimestamp(finished).strftime("finished %Y-%m-%d %H:%M"))
    return f'<header><h1>imgorg report</h1>{where}<p class="muted">{" · ".join(bits)}</p></header>'


def _nav(agg: Aggregate) -> str:
    items = [
        ("last-run", "Last run", None),
        ("totals", "DEST", None),
        ("years", "Years", None),
        ("year-view", "Year by year", None),
        ("dates", "Date sources", None),
        ("compression", "Compression", agg.compressed or None),
        ("duplicates", "Duplicates", agg.count(Status.DUPLICATE) or None),
        (
            "attention",
            "Needs a look",
            agg.count(Status.ERROR) + agg.count(Status.CORRUPT) + agg.years.get(None, 0) or None,
        ),
    ]
    if agg.count(Status.SKIPPED) + agg.count(Status.IGNORED):
        items.append(
            ("left", "Left in SOURCE", agg.count(Status.SKIPPED) + agg.count(Status.IGNORED))
        )
    if agg.noted.total:
        items.append(("notes", "For information", agg.noted.total))
    return (
        "<nav>"
        + "".join(
            f'<a href="#{k}">{esc(t)}{f" <span>{num(n)}</span>" if n else ""}</a>'
            for k, t, n in items
        )
        + "</nav>"
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
    yield _header(summary)
    yield _problems(agg, summary)
    yield _nav(agg)
    yield last_run_section(last, summary)
    yield totals_section(agg, summary)
    yield years_section(agg)
    yield year_view_section(agg, links)
    yield sources_section(agg)
    yield compression_section(agg)
    yield duplicates_section(agg, links)
    yield attention_section(agg, links)
    yield left_section(agg, links)
    yield notes_section(agg, links)
    report = f" Every file, one JSON object a line: {_see(links)}." if links.report else ""
    yield (
        f'<footer class="muted">Written by imgorg {esc(__version__)}.{report} This page works '
        "offline and loads nothing from the network.</footer></main>"
        f"{_data_blob(agg, summary)}<script>{SCRIPT}</script></body></html>\n"
    )


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
    summary = as_summary(summary)
    agg = aggregate(decisions, _thumb_hashes(thumbs_dir))
    agg.resolve(dest_of_hash)
    last = aggregate(last_run) if last_run is not None else None
    if last is not None:
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


def _thumb_hashes(thumbs_dir: str | None) -> set[str]:
    if not thumbs_dir or not os.path.isdir(thumbs_dir):
        return set()
    return {n[:-4] for n in os.listdir(thumbs_dir) if n.endswith(".jpg")}


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
    for key in ("source", "dest", "mode", "started", "finished"):
        if getattr(summary, key) is None:
            setattr(summary, key, info.get(key))
    if not isinstance(stored, dict) or "dry_run" not in stored:
        summary.dry_run = bool(info.get("dry_run"))
    if summary.run_id is None:
        summary.run_id = run_id
    summary.runs = journal.run_count()

    def dest_of_hash(content_hash: str) -> str | None:
        placed = journal.placed_with_hash(content_hash)
        return placed.dest if placed else None

    write_html_report(
        path,
        summary,
        journal.standing(),
        thumbs_dir,
        report_jsonl,
        dest_of_hash=dest_of_hash,
        last_run=journal.decisions(run_id, str(info["source"])),
    )


SCRIPT = """
document.addEventListener('error', function (e) {
  var img = e.target;
  if (!img || img.tagName !== 'IMG') return;
  var box = document.createElement('div');
  box.className = img.classList.contains('mini') ? 'ph mini' : 'ph';
  box.setAttribute('data-placeholder', 'missing');
  box.textContent = 'no preview';
  img.replaceWith(box);
}, true);
"""

STYLE = """
:root{--bg:#f6f7fb;--fg:#1a202c;--muted:#64748b;--card:#fff;--line:#e2e8f0;--accent:#4c51bf;
--placed:#2f855a;--duplicate:#3182ce;--corrupt:#dd6b20;--skipped:#94a3b8;--ignored:#cbd5e1;
--error:#c53030;--exif:#4c51bf;--filename:#38b2ac;--none:#a0aec0;--year:#4c51bf;--nodate:#a0aec0;
--quality:#805ad5;--quicktime:#d53f8c;--xmp:#ed8936;--iptc:#975a16;--takeout:#e53e3e;
--xmp-sidecar:#9f7aea;--folder:#68d391;--mtime:#718096;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f172a;--fg:#e2e8f0;--muted:#94a3b8;
--card:#1e293b;--line:#334155;--ignored:#475569;--skipped:#64748b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 20px 60px}
h1{margin:0;font-size:28px;letter-spacing:-.02em}h2{font-size:20px;margin:0 0 8px}
h3{font-size:16px;margin:18px 0 6px;display:inline-block}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;
margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.muted{color:var(--muted)}.small{font-size:12px}.n{text-align:right;font-variant-numeric:
tabular-nums}
.where{margin:6px 0 0;font-size:14px}.path{font-family:ui-monospace,"SF Mono",Menlo,Consolas,
monospace;font-size:13px;word-break:break-all}.path .dir{color:var(--muted)}
.verdict p{margin:8px 0;padding:10px 14px;border-radius:8px;border-left:4px solid;font-weight:500}
.verdict .ok{background:#f0fff4;border-color:var(--placed);color:#22543d}
.verdict .bad{background:#fff5f5;border-color:var(--error);color:#742a2a}
.verdict .warn{background:#fffaf0;border-color:var(--corrupt);color:#7b341e}
.verdict .info{background:#ebf8ff;border-color:var(--duplicate);color:#2a4365}
@media (prefers-color-scheme:dark){.verdict p{background:transparent!important;
color:inherit!important}}
nav{display:flex;flex-wrap:wrap;gap:6px;margin:14px 0 0}
nav a{padding:4px 10px;border-radius:999px;background:var(--card);border:1px solid var(--line);
color:inherit;text-decoration:none;font-size:13px}nav a span{color:var(--muted)}
nav a:hover{border-color:var(--accent)}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:10px;
margin:10px 0}
.stats.wide{grid-template-columns:repeat(auto-fill,minmax(230px,1fr))}
.stat{border:1px solid var(--line);border-radius:10px;padding:10px 12px}
.stat .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.stat .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap;
overflow:hidden;text-overflow:ellipsis}.stat .sub{font-size:12px;color:var(--muted)}
.stat[data-total=error]:not([data-value="0"]) .v{color:var(--error)}
.stat[data-total=corrupt]:not([data-value="0"]) .v{color:var(--corrupt)}
.stat[data-total=placed] .v{color:var(--placed)}
svg.share{width:100%;height:22px;border-radius:6px;display:block;margin:14px 0 6px}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:var(--line);stroke-width:1}svg .axis{stroke:var(--muted);stroke-width:1}
svg text{fill:var(--muted);font-size:11px}svg .value{fill:var(--fg);font-size:10px}
svg .hit{fill:transparent}svg .cut{stroke:var(--card);stroke-width:3;fill:none}
svg .bar:hover .hit{fill:rgba(127,127,127,.08)}
.s-placed{fill:var(--placed);background:var(--placed)}.s-duplicate{fill:var(--duplicate);
background:var(--duplicate)}.s-corrupt{fill:var(--corrupt);background:var(--corrupt)}
.s-skipped{fill:var(--skipped);background:var(--skipped)}.s-ignored{fill:var(--ignored);
background:var(--ignored)}.s-error{fill:var(--error);background:var(--error)}
.s-exif{fill:var(--exif);background:var(--exif)}.s-filename{fill:var(--filename);
background:var(--filename)}.s-none{fill:var(--none);background:var(--none)}
.s-quicktime{fill:var(--quicktime);background:var(--quicktime)}.s-xmp{fill:var(--xmp);
background:var(--xmp)}.s-iptc{fill:var(--iptc);background:var(--iptc)}.s-takeout{
fill:var(--takeout);background:var(--takeout)}.s-xmp-sidecar{fill:var(--xmp-sidecar);
background:var(--xmp-sidecar)}.s-folder{fill:var(--folder);background:var(--folder)}
.s-mtime{fill:var(--mtime);background:var(--mtime)}
.legend li[data-count="0"]{opacity:.55}
.verdict.problems{margin-top:14px}.verdict.information p{font-weight:400}
.sheets{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px}
.sheet{border:1px solid var(--line);border-radius:10px;padding:4px 10px 10px}
.sheet h3{margin:4px 0 6px}
.thumbs{display:grid;grid-template-columns:repeat(4,1fr);gap:4px}
.thumbs figure{margin:0;aspect-ratio:1;overflow:hidden;border-radius:6px;background:var(--bg)}
.thumbs img{width:100%;height:100%;object-fit:cover;display:block}
.s-year{fill:var(--year)}.s-nodate{fill:var(--nodate)}.s-quality{fill:var(--quality)}
.legend{list-style:none;padding:0;margin:4px 0 10px;display:flex;flex-wrap:wrap;gap:4px 18px;
font-size:13px}.legend i{display:inline-block;width:10px;height:10px;border-radius:3px;
margin-right:6px}
.months{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.months svg text.label{font-size:9.5px}
.months figure{margin:0;border:1px solid var(--line);border-radius:10px;padding:8px 10px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;
letter-spacing:.04em}th,td{padding:6px 8px;border-bottom:1px solid var(--line);
vertical-align:top}table.compact td{padding:3px 8px}
details>summary{cursor:pointer;color:var(--accent);margin:6px 0}
details.gallery>summary{color:inherit;list-style-position:outside;margin-left:16px}
.count{display:inline-block;min-width:24px;padding:0 8px;border-radius:999px;background:var(--line);
font-size:13px;font-weight:600;text-align:center}
.count.errors{background:var(--error);color:#fff}.count.corrupt{background:var(--corrupt);color:#fff}
ul.plain{list-style:none;margin:0;padding:0}ul.plain li{margin:0 0 2px}
.kept{display:flex;gap:8px;align-items:flex-start}
img.mini,.ph.mini{width:48px;height:48px;object-fit:cover;border-radius:6px;flex:none}
a{color:var(--accent)}a.open{font-size:12px;margin-left:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin:8px 0}
.card{margin:0;border:1px solid var(--line);border-radius:10px;overflow:hidden;
background:var(--card)}
.card .pic{aspect-ratio:4/3;background:var(--bg);display:flex;align-items:center;
justify-content:center}.card .pic img{width:100%;height:100%;object-fit:cover;display:block}
.ph{display:flex;flex-direction:column;align-items:center;justify-content:center;
color:var(--muted);font-size:11px;width:100%;height:100%;
background:repeating-linear-gradient(45deg,transparent 0 8px,rgba(127,127,127,.08) 8px 16px)}
.ph span{font-size:18px;font-weight:700;letter-spacing:.05em}
.card figcaption{padding:8px 10px;font-size:12px}
.card .name{font-weight:600;word-break:break-all;font-size:13px}
.card .dir{color:var(--muted);word-break:break-all;
font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:11px}
.card .reason,td.reason{color:var(--corrupt);margin-top:4px}.card .meta{color:var(--muted);
margin-top:4px}
p.more{color:var(--muted);font-style:italic}
footer{margin-top:24px;font-size:12px;text-align:center}
"""
