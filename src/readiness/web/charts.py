"""Server-rendered SVG charts: pure functions from numbers to accessible markup, no JS.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` summarising the data,
and every point or bar carries its own ``<title>`` so hovering shows the exact value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

PALETTE = ("#2f6fdf", "#e0703a", "#2a9d6f", "#9b59b6")
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _chart_id(*parts: object) -> str:
    return "c" + hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


def _svg(parts: list[str]) -> Markup:
    # Every piece of caller text went through escape() on the way in; numbers are formatted.
    return Markup("".join(parts))  # noqa: S704 - built only from escaped text and numbers


def _open(cid: str, title: str, desc: str, *, width: int, height: int, cls: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{cid}-t {cid}-d">'
        f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(desc)}</desc>'
    )


def _empty(title: str, width: int, height: int, cls: str) -> Markup:
    cid = _chart_id(title, "empty")
    return _svg(
        [
            _open(cid, title, "no data yet", width=width, height=height, cls=cls),
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" {_FONT} '
            'fill="#777">no data yet</text></svg>',
        ]
    )


def line_chart(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 220,
) -> Markup:
    """A line per series over shared x labels (e.g. days); ``None`` leaves a gap."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if not x_labels or not values:
        return _empty(title, width, height, "line")
    left, right, top, bottom = 48, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    hi = max(values) or 1.0
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / hi)

    desc = "; ".join(
        f"{name}: latest {_fmt(last)}{unit}, max {_fmt(max(vs_clean))}{unit}"
        for name, vs in series.items()
        if (vs_clean := [v for v in vs if v is not None]) and (last := vs_clean[-1]) is not None
    )
    cid = _chart_id(title, tuple(x_labels), tuple((k, tuple(v)) for k, v in series.items()))
    out = [_open(cid, title, desc, width=width, height=height, cls="line")]
    for frac in (0.0, 0.5, 1.0):
        gy = top + plot_h * (1 - frac)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" '
            'stroke="#e4e4e4"/>'
            f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" {_FONT} '
            f'fill="#555">{_fmt(hi * frac)}{escape(unit)}</text>'
        )
    step = max(1, n // 6)
    for i in range(0, n, step):
        out.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" {_FONT} '
            f'fill="#555">{escape(x_labels[i])}</text>'
        )
    for k, (name, vs) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for i, v in enumerate(vs[:n]):
            if v is None:
                segments.append([])
                continue
            segments[-1].append(f"{x(i):.1f},{y(v):.1f}")
        for seg in segments:
            if len(seg) > 1:
                out.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                    f'points="{" ".join(seg)}"/>'
                )
        for i, v in enumerate(vs[:n]):
            if v is not None:
                out.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                    f"<title>{escape(name)} {escape(x_labels[i])}: {_fmt(v)}{escape(unit)}"
                    "</title></circle>"
                )
        lx = left + k * 110
        out.append(
            f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="{height - 5}" {_FONT} fill="#333">{escape(name)}</text>'
        )
    out.append("</svg>")
    return _svg(out)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    bar_height: int = 18,
) -> Markup:
    """Horizontal bars, one per label (e.g. the slowest tests), longest value = full width."""
    if not labels:
        return _empty(title, width, 60, "bar")
    label_w, gap = 260, 6
    height = len(labels) * (bar_height + gap) + gap
    hi = max(values) or 1.0
    desc = ", ".join(f"{lab}: {_fmt(v)}{unit}" for lab, v in zip(labels, values, strict=True))
    cid = _chart_id(title, tuple(labels), tuple(values))
    out = [_open(cid, title, desc, width=width, height=height, cls="bar")]
    avail = width - label_w - 60
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        top = gap + i * (bar_height + gap)
        shown = label if len(label) <= 40 else "…" + label[-39:]
        w = max(1.0, avail * value / hi)
        out.append(
            f'<text x="{label_w - 6}" y="{top + bar_height - 5}" text-anchor="end" {_FONT} '
            f'fill="#333">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{top}" width="{w:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {_fmt(value)}{escape(unit)}</title>'
            f'</rect><text x="{label_w + w + 4:.1f}" y="{top + bar_height - 5}" {_FONT} '
            f'fill="#333">{_fmt(value)}{escape(unit)}</text>'
        )
    out.append("</svg>")
    return _svg(out)


def histogram_bins(values: Sequence[float], bins: int) -> list[tuple[float, float, int]]:
    """Equal-width bins ``(low, high, count)`` covering ``values``; the last bin is closed."""
    if not values or bins < 1:
        return []
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    return [(lo + i * width, lo + (i + 1) * width, c) for i, c in enumerate(counts)]


def histogram(
    values: Sequence[float],
    *,
    title: str,
    bins: int = 10,
    unit: str = "",
    width: int = 640,
    height: int = 200,
) -> Markup:
    """Vertical bars counting ``values`` per equal-width bin (a distribution)."""
    edges = histogram_bins(values, bins)
    if not edges:
        return _empty(title, width, height, "histogram")
    left, bottom, top = 36, 32, 10
    plot_w, plot_h = width - left - 10, height - top - bottom
    most = max(c for _, _, c in edges) or 1
    bw = plot_w / len(edges)
    desc = f"{len(values)} values from {_fmt(edges[0][0])}{unit} to {_fmt(edges[-1][1])}{unit}"
    cid = _chart_id(title, tuple(values), bins)
    out = [_open(cid, title, desc, width=width, height=height, cls="histogram")]
    for i, (lo, hi, count) in enumerate(edges):
        h = plot_h * count / most
        bx = left + i * bw
        out.append(
            f'<rect x="{bx + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bw - 2:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[2]}"><title>{_fmt(lo)} to {_fmt(hi)}{escape(unit)}: '
            f"{count}</title></rect>"
        )
    for i in (0, len(edges)):
        edge = edges[0][0] if i == 0 else edges[-1][1]
        out.append(
            f'<text x="{left + i * bw:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'{_FONT} fill="#555">{_fmt(edge)}{escape(unit)}</text>'
        )
    out.append(
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" {_FONT} fill="#555">{most}</text>'
        "</svg>"
    )
    return _svg(out)


def sparkline(values: Sequence[float], *, title: str, width: int = 120, height: int = 24) -> Markup:
    """A tiny trend line without axes, for tables and headline numbers."""
    if not values:
        return _empty(title, width, height, "sparkline")
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    n = len(values)
    pts = " ".join(
        f"{(width - 4) * (i / (n - 1) if n > 1 else 0.5) + 2:.1f},"
        f"{height - 2 - (height - 4) * (v - lo) / span:.1f}"
        for i, v in enumerate(values)
    )
    desc = f"{n} points from {_fmt(values[0])} to {_fmt(values[-1])}"
    cid = _chart_id(title, tuple(values))
    return _svg(
        [
            _open(cid, title, desc, width=width, height=height, cls="sparkline"),
            f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="1.5" points="{pts}"/>',
            "</svg>",
        ]
    )
