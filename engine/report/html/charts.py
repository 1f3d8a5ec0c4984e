"""Inline SVG charts: bars with gridlines and labels, a stacked line, and their legend."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.report.html.text import esc, num, percent


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
