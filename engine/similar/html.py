"""The HTML report's "Similar photos" section, from ``similar.jsonl`` beside the page's
thumbnails folder: each group side by side, keeper first, with sizes, qualities and dates."""

from __future__ import annotations

import json
import os
from typing import Any

GROUPS_OPEN = 20  # groups shown before the rest fold into a <details>
GROUPS_MAX = 500  # groups written into the page at all; the JSON Lines file has every one
STYLE = (
    "<style>.similar-group{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0;padding:8px;"
    "border:1px solid var(--line);border-radius:10px}.similar-card{margin:0;width:190px;"
    "font-size:13px;overflow-wrap:anywhere}.similar-card img.mini,.similar-card .ph.mini"
    "{width:100%;height:140px;object-fit:contain}.similar-card[data-role=kept]"
    "{outline:2px solid #2a7;border-radius:6px}</style>"
)


def read_groups(path: str) -> list[list[dict[str, Any]]]:
    groups: dict[int, list[dict[str, Any]]] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                groups.setdefault(record["group"], []).append(record)
    except (OSError, ValueError, KeyError):
        return []
    return [groups[number] for number in sorted(groups)]


def similar_section(thumbs_dir: str | None, esc: Any, links: Any) -> str:
    """The section, or nothing when no near-duplicate search was run for this report."""
    if thumbs_dir is None:
        return ""
    path = os.path.join(os.path.dirname(os.path.abspath(thumbs_dir)), "similar.jsonl")
    if not os.path.isfile(path):
        return ""
    groups = read_groups(path)
    if not groups:
        return (
            '<section id="similar"><h2>Similar photos</h2><p class="muted">No resized, '
            "re-encoded or converted copies were found.</p></section>"
        )
    copies = sum(len(g) - 1 for g in groups)
    rows = [_group(g, esc, links) for g in groups[:GROUPS_MAX]]
    body = "".join(rows[:GROUPS_OPEN])
    if len(rows) > GROUPS_OPEN:
        body += (
            f"<details><summary>{len(rows) - GROUPS_OPEN} more groups</summary>"
            + "".join(rows[GROUPS_OPEN:])
            + "</details>"
        )
    if len(groups) > GROUPS_MAX:
        body += f'<p class="more">and {len(groups) - GROUPS_MAX} more groups in similar.jsonl</p>'
    return (
        f'<section id="similar">{STYLE}<h2>Similar photos <span class="count">{copies}</span></h2>'
        f'<p class="muted">{len(groups)} photos have resized, re-encoded or converted copies in '
        f"DEST ({copies} lesser copies). The first of each group is the one to keep: the most "
        "pixels, then a JPEG with its camera date, then the best JPEG quality, then GPS.</p>"
        f"{body}</section>"
    )


def _group(members: list[dict[str, Any]], esc: Any, links: Any) -> str:
    cards = "".join(_card(m, esc, links) for m in members)
    return f'<div class="similar-group" data-group="{members[0]["group"]}">{cards}</div>'


def _card(member: dict[str, Any], esc: Any, links: Any) -> str:
    thumb = links.thumb(member.get("content_hash"))
    img = (
        f'<img class="mini" src="{esc(thumb)}" alt="" data-thumb="1">'
        if thumb
        else '<div class="ph mini">no preview</div>'
    )
    role = "kept" if member["kept"] else ("set aside" if member.get("set_aside_to") else "copy")
    quality = f"q{member['quality']}" if member.get("quality") else "—"
    date = member.get("date") or "no date"
    source = member.get("date_source") or "none"
    where = member.get("set_aside_to") or member["dest"]
    dated_from, refiled_from = member.get("date_from"), member.get("refiled_from")
    origin = f" from {esc(dated_from)}" if dated_from else ""
    if refiled_from:
        origin += f"; moved here from {esc(refiled_from)}"
    return (
        f'<figure class="similar-card" data-role="{esc(role)}">{img}<figcaption>'
        f"<b>{esc(role)}</b> · {member['width']}×{member['height']} · {esc(quality)}<br>"
        f'<span class="path" title="{esc(where)}">{esc(where)}</span><br>'
        f'<span class="muted small date">{esc(date)} ({esc(source)}{origin})</span>'
        "</figcaption></figure>"
    )
