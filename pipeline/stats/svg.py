"""Charts as SVG strings, drawn on the server: no JavaScript, nothing from a CDN, so a page
showing them works offline. Pure functions of their arguments.

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>`` (screen
readers read both), with axis labels, a legend, and a ``<title>`` on every point and bar
(its value, as a tooltip). All text is escaped. The colours have a contrast of at least 4.5:1
on the white background, and on the dark one a ``prefers-color-scheme: dark`` style switches
to (tests/test_stats.py checks both).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from typing import Sequence

# (light, dark): text and series colours, each ≥ 4.5:1 on its background
BACKGROUND = ("#ffffff", "#121212")
TEXT = ("#333333", "#e6e6e6")
GRID = ("#d0d0d0", "#3a3a3a")  # decoration only (no text on it)
PALETTE = (("#1d4ed8", "#93c5fd"), ("#047857", "#6ee7b7"), ("#b45309", "#fcd34d"),
           ("#b91c1c", "#fca5a5"), ("#6d28d9", "#c4b5fd"))

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 64  # the plot area's margins (legend and x labels below)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int | float, ...]


def _style() -> str:
    def rules(k: int) -> str:
        out = [f".bg{{fill:{BACKGROUND[k]}}}", f".tx{{fill:{TEXT[k]};font:12px sans-serif}}",
               f".ax{{stroke:{TEXT[k]}}}", f".gr{{stroke:{GRID[k]}}}"]
        for i, colours in enumerate(PALETTE):
            out.append(f".c{i}{{fill:{colours[k]};stroke:{colours[k]}}}")
        return "".join(out)

    return (f"<style>{rules(0)}.ln{{fill:none;stroke-width:2}}"
            f"@media (prefers-color-scheme: dark){{{rules(1)}}}</style>")


def nice_max(value: float) -> int:
    """The smallest of 1, 2, 5 × 10^k that is ≥ ``value`` and ≥ 4: a round top for the y axis."""
    top = 1
    while True:
        for m in (1, 2, 5):
            if m * top >= max(value, 4):
                return m * top
        top *= 10


def _chart_id(title: str, labels: Sequence[str]) -> str:
    return "ch" + hashlib.sha256((title + "\0" + "\0".join(labels)).encode()).hexdigest()[:10]


def _frame(title: str, desc: str, labels: Sequence[str], series: Sequence[Series], top: int, chart_id: str,
           y_label: str) -> list[str]:
    ident = escape(chart_id, quote=True)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
           f'height="{HEIGHT}" role="img" aria-labelledby="{ident}-t {ident}-d">',
           f'<title id="{ident}-t">{escape(title)}</title>', f'<desc id="{ident}-d">{escape(desc)}</desc>',
           _style(), f'<rect class="bg" x="0" y="0" width="{WIDTH}" height="{HEIGHT}"/>']
    plot_h = HEIGHT - TOP - BOTTOM
    for k in range(5):  # y grid and labels: 0, top/4, ..., top
        value = top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        out.append(f'<line class="gr" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        text = f"{value:g}" if value != int(value) else str(int(value))
        out.append(f'<text class="tx y-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    out.append(f'<line class="ax" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>')
    out.append(f'<line class="ax" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>')
    if y_label:
        out.append(f'<text class="tx" x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
                   f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>')
    x = LEFT
    for i, s in enumerate(series):  # the legend, in one row under the x labels
        colour = f"c{i % len(PALETTE)}"
        out.append(f'<rect class="{colour} legend" x="{x}" y="{HEIGHT - 18}" width="10" height="10"/>')
        out.append(f'<text class="tx legend-label" x="{x + 14}" y="{HEIGHT - 9}">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name)
    return out


def _x_labels(labels: Sequence[str], xs: Sequence[float]) -> list[str]:
    step = max(1, -(-len(labels) // 8))  # at most about 8 labels, so they never overlap
    y = HEIGHT - BOTTOM + 16
    return [f'<text class="tx x-label" x="{x:.1f}" y="{y}" text-anchor="middle">{escape(label)}</text>'
            for i, (label, x) in enumerate(zip(labels, xs)) if i % step == 0 or i == len(labels) - 1]


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    if not series or not labels:
        raise ValueError("a chart needs at least one series and one label")
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels")
        if any(v < 0 for v in s.values):
            raise ValueError(f"series {s.name!r} has a negative value")


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, desc: str, y_label: str = "",
               chart_id: str | None = None) -> str:
    """One line per series over ``labels`` (the x axis), a point with a tooltip per value."""
    _check(labels, series)
    top = nice_max(max(max(s.values) for s in series))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(labels)
    xs = [LEFT + (plot_w * (i + 0.5) / n) for i in range(n)]
    out = _frame(title, desc, labels, series, top, chart_id or _chart_id(title, labels), y_label)
    for k, s in enumerate(series):
        colour = f"c{k % len(PALETTE)}"
        pts = [(x, TOP + plot_h - plot_h * v / top) for x, v in zip(xs, s.values)]
        out.append(f'<polyline class="{colour} ln" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>')
        for label, v, (x, y) in zip(labels, s.values, pts):
            out.append(f'<circle class="{colour} point" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                       f'<title>{escape(f"{label}: {s.name} {v:g}")}</title></circle>')
    out.extend(_x_labels(labels, xs))
    out.append("</svg>")
    return "".join(out)


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, desc: str, y_label: str = "",
              chart_id: str | None = None) -> str:
    """Grouped bars: per label one bar per series, each with a tooltip of its value."""
    _check(labels, series)
    top = nice_max(max(max(s.values) for s in series))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n, m = len(labels), len(series)
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8 / m)
    xs = [LEFT + slot * (i + 0.5) for i in range(n)]
    out = _frame(title, desc, labels, series, top, chart_id or _chart_id(title, labels), y_label)
    for k, s in enumerate(series):
        colour = f"c{k % len(PALETTE)}"
        for i, (label, v) in enumerate(zip(labels, s.values)):
            h = plot_h * v / top
            x = LEFT + slot * i + slot * 0.1 + bar_w * k
            out.append(f'<rect class="{colour} bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
                       f'height="{h:.1f}"><title>{escape(f"{label}: {s.name} {v:g}")}</title></rect>')
    out.extend(_x_labels(labels, xs))
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ the subscriber charts


def _week_labels(weeks) -> list[str]:
    return [w.start.isoformat() for w in weeks]


def active_chart(weeks) -> str:
    """Active subscribers at the end of each week (``weeks``: figures.subscriber_weeks)."""
    labels = _week_labels(weeks)
    last = weeks[-1].active if weeks else 0
    return line_chart(labels, [Series("Active subscribers", tuple(w.active for w in weeks))],
                      title="Active subscribers per week",
                      desc=f"{len(weeks)} weeks from {labels[0] if labels else ''}; {last} active now.",
                      y_label="subscribers", chart_id="active-subscribers")


def changes_chart(weeks) -> str:
    """New confirmations, unsubscribes, bounces and complaints per week."""
    labels = _week_labels(weeks)
    series = [Series("New confirmations", tuple(w.confirmed for w in weeks)),
              Series("Unsubscribes", tuple(w.unsubscribed for w in weeks)),
              Series("Bounces", tuple(w.bounced for w in weeks)),
              Series("Complaints", tuple(w.complained for w in weeks))]
    totals = ", ".join(f"{s.name.lower()} {sum(s.values)}" for s in series)
    return bar_chart(labels, series, title="Subscribers gained and lost per week",
                     desc=f"{len(weeks)} weeks from {labels[0] if labels else ''}: {totals}.",
                     y_label="subscribers", chart_id="subscriber-changes")


def clicks_chart(figures) -> str:
    """Clicks per link of one issue (``figures``: an IssueFigures with clicks), in link order."""
    clicks = list(figures.clicks or ())
    if not clicks:
        raise ValueError(f"issue {figures.number} has no counted clicks")
    labels = [str(c.index) for c in clicks]
    top = max(clicks, key=lambda c: c.clicks)
    return bar_chart(labels, [Series("Clicks", tuple(c.clicks for c in clicks))],
                     title=f"Clicks per link, issue {figures.number}",
                     desc=f"{len(clicks)} links, {sum(c.clicks for c in clicks)} clicks; most: link {top.index} "
                          f"({top.url}), {top.clicks}.", y_label="clicks", chart_id=f"clicks-{figures.number}")
