"""Hand-made inline SVG charts (line, bars, share bars): no scripts, no external files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

# Red is kept out of the series colours: on these charts it means "anomaly".
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563", "#65a30d")
GRID = "#e5e7eb"
AXIS_TEXT = "#6b7280"


def compact(value: float | None) -> str:
    """1234567 -> '1.2M'; None -> '–' (unknown, never shown as 0)."""
    if value is None:
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{sign}{value / limit:.1f}{suffix}"
    return f"{sign}{value:.0f}" if value == int(value) else f"{sign}{value:.2f}"


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>' + "".join(body) + "</svg>"
    )


@dataclass(frozen=True)
class Band:
    """A shaded time span on a line chart (an anomalous week)."""

    start: datetime
    end: datetime
    label: str


def line_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    title: str,
    color: str = PALETTE[0],
    bands: Sequence[Band] = (),
    width: int = 520,
    height: int = 190,
) -> str:
    """A time series with min/max labels, week bands shaded red."""
    left, right, top, bottom = 56, 10, 26, 26
    body = [f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>']
    if len(points) < 2:
        body.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12" '
            f'fill="{AXIS_TEXT}">not enough usable snapshots</text>'
        )
        return _svg(width, height, title, body)
    t0 = points[0][0].timestamp()
    t1 = max(points[-1][0].timestamp(), t0 + 1)
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    if high == low:
        high = low + 1
    plot_w = width - left - right
    plot_h = height - top - bottom

    def x(when: datetime) -> float:
        return left + plot_w * (min(max(when.timestamp(), t0), t1) - t0) / (t1 - t0)

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    for band in bands:
        x0, x1 = x(band.start), x(band.end)
        if x1 - x0 > 0.5:
            body.append(
                f'<rect class="anomaly-band" x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" '
                f'height="{plot_h}" fill="#fecaca" opacity="0.6"><title>{escape(band.label)}'
                "</title></rect>"
            )
    for value in (low, (low + high) / 2, high):
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 4}" y="{y(value) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="{AXIS_TEXT}">{compact(value)}</text>'
        )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for i, (t, v) in enumerate(points)
    )
    body.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
    for when, anchor in ((points[0][0], "start"), (points[-1][0], "end")):
        body.append(
            f'<text x="{x(when):.1f}" y="{height - 8}" font-size="10" text-anchor="{anchor}" '
            f'fill="{AXIS_TEXT}">{when:%b %d}</text>'
        )
    return _svg(width, height, title, body)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    color: str
    note: str = ""


def bar_chart(
    bars: Sequence[Bar], *, title: str, unit: str = "%", width: int = 760, signed: bool = True
) -> str:
    """Horizontal bars around a zero line (negative values go left); unknown values say so.
    `signed`: values are changes, shown with their sign (+5.0%); else levels (5.0%)."""
    row_h, top, label_w, value_w = 24, 30, 150, 150
    height = top + row_h * max(1, len(bars)) + 10
    known = [b.value for b in bars if b.value is not None]
    low = min([0.0, *known])
    high = max([0.0, *known])
    span = (high - low) or 1.0
    plot_w = width - label_w - value_w
    zero = label_w + plot_w * (0 - low) / span
    body = [f'<text x="4" y="18" font-size="13" font-weight="600">{escape(title)}</text>']
    body.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top - 4}" y2="{height - 6}" '
        f'stroke="{AXIS_TEXT}"/>'
    )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{escape(bar.label)}</text>"
        )
        if bar.value is None:
            body.append(
                f'<text x="{zero + 6:.1f}" y="{y + 15}" font-size="11" fill="{AXIS_TEXT}">'
                "no data</text>"
            )
            continue
        end = label_w + plot_w * (bar.value - low) / span
        x0, w = min(zero, end), abs(end - zero)
        body.append(
            f'<rect class="bar" x="{x0:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" '
            f'height="{row_h - 8}" fill="{bar.color}"><title>{escape(bar.label)}: '
            f"{bar.value:.1f}{unit}</title></rect>"
        )
        sign = "+" if signed and bar.value >= 0 else ""
        shown = f"{sign}{bar.value:.1f}{unit}" if unit else sign + compact(bar.value)
        text = f"{shown} {bar.note}".strip()
        body.append(
            f'<text x="{width - value_w + 6}" y="{y + 15}" font-size="11">{escape(text)}</text>'
        )
    return _svg(width, height, title, body)


@dataclass(frozen=True)
class ShareRow:
    label: str
    parts: Sequence[tuple[str, float]]  # (hashtag, share 0..1)


def share_chart(rows: Sequence[ShareRow], *, title: str, width: int = 760) -> str:
    """100 % stacked bars (one per row, e.g. this week and last week) with a legend."""
    row_h, top, label_w = 30, 30, 110
    names = list(dict.fromkeys(name for row in rows for name, _ in row.parts))
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    legend_y = top + row_h * max(1, len(rows)) + 8
    height = legend_y + 22
    plot_w = width - label_w - 10
    body = [f'<text x="4" y="18" font-size="13" font-weight="600">{escape(title)}</text>']
    for i, row in enumerate(rows):
        y = top + i * row_h
        body.append(
            f'<text x="{label_w - 6}" y="{y + 18}" font-size="12" text-anchor="end">'
            f"{escape(row.label)}</text>"
        )
        x = float(label_w)
        for name, share in row.parts:
            w = plot_w * max(share, 0.0)
            if w <= 0:
                continue
            body.append(
                f'<rect class="share" x="{x:.1f}" y="{y + 4}" width="{w:.1f}" '
                f'height="{row_h - 10}" fill="{colors[name]}"><title>#{escape(name)}: '
                f"{share:.1%}</title></rect>"
            )
            if w > 44:
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 19}" font-size="11" fill="#fff" '
                    f'text-anchor="middle">{share:.0%}</text>'
                )
            x += w
    x = float(label_w)
    for name in names:
        body.append(
            f'<rect x="{x:.1f}" y="{legend_y}" width="12" height="12" fill="{colors[name]}"/>'
            f'<text x="{x + 16:.1f}" y="{legend_y + 11}" font-size="11">#{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return _svg(width, height, title, body)


@dataclass(frozen=True)
class Line:
    label: str
    points: Sequence[tuple[datetime, float]]  # (when, share 0..1)
    color: str


def share_lines_chart(
    lines: Sequence[Line], *, title: str, width: int = 520, height: int = 190
) -> str:
    """Shares (0..1) over time on a fixed 0–100 % axis, a line and dots per series, a legend;
    fixed so that a move from 10 % to 12 % does not fill the chart like a collapse."""
    left, right, top, bottom = 56, 10, 26, 40
    body = [f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>']
    times = sorted(t for line in lines for t, _ in line.points)
    if len(set(times)) < 2:
        body.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12" '
            f'fill="{AXIS_TEXT}">not enough days with scored comments</text>'
        )
        return _svg(width, height, title, body)
    t0, t1 = times[0].timestamp(), max(times[-1].timestamp(), times[0].timestamp() + 1)
    plot_w = width - left - right
    plot_h = height - top - bottom

    def x(when: datetime) -> float:
        return left + plot_w * (when.timestamp() - t0) / (t1 - t0)

    def y(share: float) -> float:
        return top + plot_h * (1 - min(max(share, 0.0), 1.0))

    for share in (0.0, 0.5, 1.0):
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(share):.1f}" y2="{y(share):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 4}" y="{y(share) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="{AXIS_TEXT}">{share:.0%}</text>'
        )
    for line in lines:
        if not line.points:
            continue
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for i, (t, v) in enumerate(line.points)
        )
        body.append(f'<path d="{path}" fill="none" stroke="{line.color}" stroke-width="2"/>')
        body.extend(
            f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="{line.color}">'
            f"<title>{escape(line.label)} {t:%b %d}: {v:.1%}</title></circle>"
            for t, v in line.points
        )
    for when, anchor in ((times[0], "start"), (times[-1], "end")):
        body.append(
            f'<text x="{x(when):.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="{anchor}" fill="{AXIS_TEXT}">{when:%b %d}</text>'
        )
    lx = float(left)
    for line in lines:
        body.append(
            f'<rect x="{lx:.1f}" y="{height - 14}" width="12" height="12" fill="{line.color}"/>'
            f'<text x="{lx + 16:.1f}" y="{height - 4}" font-size="11">{escape(line.label)}</text>'
        )
        lx += 28 + 7 * len(line.label)
    return _svg(width, height, title, body)
