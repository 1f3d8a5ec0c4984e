"""The sections of the page, each a function of the aggregate (and the links, the summary)."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable

from engine.policy.date_precedence import PRECEDENCE
from engine.records import DateSource, Status, TzSource
from engine.report.html.aggregate import (
    BUSIEST_YEARS,
    DUP_GROUPS_OPEN,
    GALLERY_CARDS,
    SHEET,
    Aggregate,
    DuplicateGroup,
    Entry,
    Listing,
)
from engine.report.html.charts import Bar, bar_chart, legend, stacked_line
from engine.report.html.text import Links, duration, esc, num, percent
from engine.report.summary import Summary
from engine.sizes import format_size

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
    DateSource.ORIGINAL: "original of an edited copy",
    DateSource.EXIF: "EXIF",
    DateSource.QUICKTIME: "video container",
    DateSource.XMP: "XMP in the file",
    DateSource.IPTC: "IPTC",
    DateSource.TAKEOUT: "Takeout JSON",
    DateSource.XMP_SIDECAR: "XMP sidecar",
    DateSource.COMPANION: "its RAW or Live Photo video",
    DateSource.GPS: "GPS date stamp (camera clock never set)",
    DateSource.SIMILAR: "a near-duplicate's camera date",
    DateSource.FILENAME: "file name",
    DateSource.EXIF_MODIFIED: "EXIF last-changed date",
    DateSource.EXIFTOOL: "exiftool (maker notes)",
    DateSource.CLOCK_DEFAULT: "a camera clock's default date: may be wrong",
    DateSource.FOLDER: "folder name",
    DateSource.MTIME: "modification time",
    DateSource.NONE: "none",
}
TZ_LABEL = {
    TzSource.EXIF_OFFSET: "EXIF offset",
    TzSource.QUICKTIME: "Apple video offset",
    TzSource.GPS_POSITION: "time zone at the GPS position",
    TzSource.GPS_TIME: "GPS time against local time",
    TzSource.FILENAME: "UTC date against the local time in the file name",
    TzSource.NONE: "none known (local time as written, or UTC)",
}


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
    order = (*PRECEDENCE, DateSource.NONE)
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


def zones_section(agg: Aggregate) -> str:
    """Where the UTC offsets of the dated photos came from (see the README's time-zone rule)."""
    parts = [(f"tz-{tz.value}", TZ_LABEL[tz], agg.zones.get(tz, 0)) for tz in TzSource]
    return (
        '<section id="zones"><h2>Time zones</h2><p class="muted">Dates are local capture times; '
        "the UTC offset of each dated photo came from the first of these that the file had.</p>"
        f"{legend(parts, sum(agg.zones.values()), zeros=True)}</section>"
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
    more = f'<p class="more">and {num(rest)} more — {see_report(links)}</p>' if rest > 0 else ""
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
            f'<p class="more">and {num(rest)} more duplicates in other groups — '
            f"{see_report(links)}</p>"
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


def similar_photos_section(links: Links) -> str:
    from engine.similar.html import similar_section

    return similar_section(links.thumbs_dir, esc, links)


def see_report(links: Links) -> str:
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
    more = f'<p class="more">and {num(rest)} more — {see_report(links)}</p>' if rest > 0 else ""
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
        more = f'<p class="more">and {num(rest)} more — {see_report(links)}</p>' if rest > 0 else ""
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


def verdicts(agg: Aggregate, summary: Summary) -> str:
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


def header(summary: Summary) -> str:
    source, dest = summary.source, summary.dest
    where = ""
    if source or dest:
        where = (
            f'<p class="where"><span class="path">{esc(source or "SOURCE")}</span> → '
            f'<span class="path">{esc(dest or "DEST")}</span></p>'
        )
    bits = []
    if summary.runs:
        undone = f" ({esc(summary.runs_undone)} undone)" if summary.runs_undone else ""
        bits.append(f"{esc(summary.runs)} runs{undone}")
    if summary.run_id is not None:
        undone = " (undone)" if summary.status == "undone" else ""
        bits.append(f"last run {esc(summary.run_id)}{undone}")
    if summary.mode:
        bits.append(esc(summary.mode))
    if summary.dry_run:
        bits.append("dry run")
    finished = summary.finished
    if isinstance(finished, int | float):
        bits.append(dt.datetime.fromtimestamp(finished).strftime("finished %Y-%m-%d %H:%M"))
    return f'<header><h1>imgorg report</h1>{where}<p class="muted">{" · ".join(bits)}</p></header>'


def nav(agg: Aggregate) -> str:
    items = [
        ("last-run", "Last run", None),
        ("totals", "DEST", None),
        ("years", "Years", None),
        ("year-view", "Year by year", None),
        ("dates", "Date sources", None),
        ("zones", "Time zones", None),
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
