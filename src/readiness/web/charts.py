"""The dashboard's chart block: pure functions from numbers to a ``<figure>``, drawn by uPlot.

Each chart is a ``<figure>`` with its title as ``<figcaption>``, a chart container
(``role="img"``, named by the title, described by a one-sentence summary) that carries its data
and options as JSON in ``data-chart-data`` / ``data-chart-options``, and the same figures as a
table inside ``<details><summary>Data table</summary>``: what screen readers, keyboard users and
browsers without JavaScript read. ``static/charts.js`` finds the containers and draws them with the
vendored uPlot (axis titles, readable ticks, legend, tooltip, resizing with the card); the CSP
forbids inline script, so nothing here is code. Values are spelled by :mod:`web.chart_format`.

The public functions keep their first parameters; everything after ``title`` is keyword-only with
a default, so call sites written for earlier versions keep working.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from readiness.web.chart_format import (
    axis_title,
    format_day,
    format_value,
    nice_step,
    shorten,
)

PALETTE = ("#2f6fdf", "#e0703a", "#2a9d6f", "#9b59b6")
EMPTY = "No data yet."


def _chart_id(*parts: object) -> str:
    return "c" + hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such a value is a gap, like ``None``."""
    return value if value is not None and math.isfinite(value) else None


def _attr(value: Any) -> Markup:
    """``value`` as JSON, escaped for a double-quoted attribute (the browser unescapes it)."""
    return escape(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *, numeric_from: int = 1) -> str:
    cells = "".join(
        f'<th scope="col" class="num">{escape(h)}</th>'
        if i >= numeric_from
        else f'<th scope="col">{escape(h)}</th>'
        for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{escape(c)}</th>' if i == 0 else f'<td class="num">{escape(c)}</td>'
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        '<details class="chart-data"><summary>Data table</summary><div class="table-scroll">'
        f'<table class="data"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'
        "</div></details>"
    )


def _figure(
    kind: str,
    title: str,
    summary: str,
    *,
    data: Mapping[str, Any],
    options: Mapping[str, Any],
    table: str,
) -> Markup:
    cid = _chart_id(kind, title, json.dumps(data, sort_keys=True, default=str))
    parts = [
        f'<figure class="chart-block chart-{kind}" id="{cid}">',
        f"<figcaption>{escape(title)}</figcaption>",
        f'<div class="chart" role="img" aria-label="{escape(title)}" '
        f'aria-describedby="{cid}-d" data-chart="{kind}" '
        f'data-chart-data="{_attr(data)}" data-chart-options="{_attr(options)}"></div>',
        f'<p class="chart-summary" id="{cid}-d">{escape(summary)}</p>',
        table,
        "</figure>",
    ]
    # Every piece of caller text went through escape() on the way in.
    return Markup("".join(parts))  # noqa: S704 - built only from escaped text and JSON


def _empty(kind: str, title: str) -> Markup:
    return Markup(  # noqa: S704 - the title is escaped
        f'<figure class="chart-block chart-{kind} chart-empty">'
        f'<figcaption>{escape(title)}</figcaption><p class="empty">{EMPTY}</p></figure>'
    )


def _options(
    *,
    unit: str,
    y_label: str,
    x_label: str,
    y_min: float | None,
    y_max: float | None,
    height: int,
) -> dict[str, Any]:
    return {
        "unit": unit,
        "y_label": axis_title(y_label, unit),
        "x_label": x_label,
        "y_min": y_min,
        "y_max": y_max,
        "height": height,
        "colors": list(PALETTE),
    }


def line_chart(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 220,
    y_label: str = "",
    x_label: str = "",
    y_min: float | None = 0,
    y_max: float | None = None,
) -> Markup:
    """A line per series over shared x labels (e.g. days); ``None`` leaves a gap.

    ``unit`` is ``s`` (durations), ``%`` (0–100; pass ``y_max=100`` for a fixed scale) or a
    word; ``width`` is accepted for older callers and ignored: the chart fills its card.
    """
    del width
    n = len(x_labels)
    clean = {name: [_finite(v) for v in list(vs)[:n]] for name, vs in series.items()}
    if not n or not any(v is not None for vs in clean.values() for v in vs):
        return _empty("line", title)
    for vs in clean.values():
        vs.extend([None] * (n - len(vs)))
    summary = "; ".join(
        f"{name}: latest {format_value(seen[-1], unit)}, highest {format_value(max(seen), unit)}"
        for name, vs in clean.items()
        if (seen := [v for v in vs if v is not None])
    )
    span = f"{x_labels[0]} to {x_labels[-1]}" if n > 1 else x_labels[0]
    summary = f"{summary}; {_count(n, 'point')}, {span}."
    rows = [
        [label, *(format_value(vs[i], unit) for vs in clean.values())]
        for i, label in enumerate(x_labels)
    ]
    data = {
        "labels": list(x_labels),
        "ticks": [format_day(label) for label in x_labels],
        "series": [{"name": name, "values": vs} for name, vs in clean.items()],
    }
    options = _options(
        unit=unit, y_label=y_label, x_label=x_label, y_min=y_min, y_max=y_max, height=height
    )
    table = _table([x_label or "Point", *clean], rows)
    return _figure("line", title, summary, data=data, options=options, table=table)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    bar_height: int = 18,
    y_label: str = "",
    x_label: str = "",
    y_min: float | None = 0,
    y_max: float | None = None,
    series_name: str = "",
) -> Markup:
    """Horizontal bars, one per label (e.g. the slowest tests), measured from ``y_min``.

    The labels run down the side (long ones cut from the left; the legend, tooltip and table
    show them whole); ``y_label`` names the measured value, ``x_label`` the labels.
    """
    del width
    if not labels:
        return _empty("bar", title)
    clean = [_finite(v) for v in values]
    name = series_name or y_label or "Value"
    summary = ", ".join(
        f"{label}: {format_value(v, unit)}" for label, v in zip(labels, clean, strict=True)
    )
    data = {
        "labels": list(labels),
        "ticks": [shorten(label) for label in labels],
        "series": [{"name": name, "values": clean}],
    }
    options = _options(
        unit=unit,
        y_label=y_label,
        x_label=x_label,
        y_min=y_min,
        y_max=y_max,
        height=max(120, len(labels) * (bar_height + 14) + 70),
    )
    rows = [[label, format_value(v, unit)] for label, v in zip(labels, clean, strict=True)]
    table = _table([x_label or "Item", name], rows)
    return _figure("bar", title, summary + ".", data=data, options=options, table=table)


def histogram_bins(
    values: Sequence[float], bins: int, *, round_in: str | None = None
) -> list[tuple[float, float, int]]:
    """Equal-width bins ``(low, high, count)`` covering ``values``; the last bin is closed.

    With ``round_in`` (a unit: ``s``, ``%``, ``""``) the width is a round step in that unit and
    the edges its multiples (``0 s, 15 s, 30 s``), so at most ``bins + 1`` bins; without it,
    exactly ``bins`` bins from the lowest value to the highest.
    """
    if not values or bins < 1:
        return []
    lo, hi = min(values), max(values)
    if round_in is None:
        start, width, count = lo, (hi - lo) / bins or 1.0, bins
    else:
        width = nice_step((hi - lo) / bins, round_in)
        start = math.floor(lo / width) * width
        count = max(1, math.ceil((hi - start) / width - 1e-9))
    counts = [0] * count
    for v in values:
        counts[max(0, min(count - 1, int((v - start) / width)))] += 1
    return [(start + i * width, start + (i + 1) * width, c) for i, c in enumerate(counts)]


def histogram(
    values: Sequence[float],
    *,
    title: str,
    bins: int = 10,
    unit: str = "",
    width: int = 640,
    height: int = 220,
    y_label: str = "Count",
    x_label: str = "",
    y_min: float | None = 0,
    y_max: float | None = None,
) -> Markup:
    """Vertical bars counting ``values`` per equal-width bin (a distribution).

    ``unit`` is the unit of the values (the bins' edges); the bars are counts.
    """
    del width
    edges = histogram_bins([v for v in values if math.isfinite(v)], bins, round_in=unit)
    if not edges:
        return _empty("histogram", title)
    ranges = [f"{format_value(lo, unit)} – {format_value(hi, unit)}" for lo, hi, _ in edges]
    busiest = max(range(len(edges)), key=lambda i: edges[i][2])
    summary = (
        f"{_count(sum(c for _, _, c in edges), 'value')} from {format_value(edges[0][0], unit)} to "
        f"{format_value(edges[-1][1], unit)}; the most ({edges[busiest][2]}) in "
        f"{ranges[busiest]}."
    )
    data = {
        "labels": ranges,
        # The axis marks the bins' edges: one more tick than bars.
        "ticks": [format_value(lo, unit) for lo, _, _ in edges]
        + [format_value(edges[-1][1], unit)],
        "series": [{"name": y_label or "Count", "values": [c for _, _, c in edges]}],
    }
    options = _options(
        unit="", y_label=y_label, x_label=x_label, y_min=y_min, y_max=y_max, height=height
    )
    options["value_unit"] = unit
    rows = [[r, str(c)] for r, (_, _, c) in zip(ranges, edges, strict=True)]
    table = _table([x_label or "Range", y_label or "Count"], rows)
    return _figure("histogram", title, summary, data=data, options=options, table=table)


def sparkline(
    values: Sequence[float], *, title: str, width: int = 120, height: int = 24, unit: str = ""
) -> Markup:
    """A tiny trend line without axes, for tables and headline numbers (inline SVG, no JS).

    Phrasing content, so it fits inside a sentence; its ``<title>`` (its accessible name, and
    what hovering shows) is the title and the figures: first, latest, lowest, highest.
    """
    clean = [v for v in values if math.isfinite(v)]
    if not clean:
        return Markup(  # noqa: S704 - the title is escaped
            f'<span class="sparkline empty" role="img" aria-label="{escape(title)}: no data yet">'
            "no data yet</span>"
        )
    lo, hi = min(clean), max(clean)
    n = len(clean)

    def y(v: float) -> float:  # a flat series is a line through the middle
        return height / 2 if hi == lo else height - 2 - (height - 4) * (v - lo) / (hi - lo)

    pts = " ".join(
        f"{(width - 4) * (i / (n - 1) if n > 1 else 0.5) + 2:.1f},{y(v):.1f}"
        for i, v in enumerate(clean)
    )
    desc = (
        f"{_count(n, 'point')}: first {format_value(clean[0], unit)}, "
        f"latest {format_value(clean[-1], unit)}, "
        f"lowest {format_value(lo, unit)}, highest {format_value(hi, unit)}"
    )
    cid = _chart_id("sparkline", title, tuple(clean))
    return Markup(  # noqa: S704 - built only from escaped text and numbers
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{cid}-t">'
        f'<title id="{cid}-t">{escape(title)}: {escape(desc)}</title>'
        f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="1.5" points="{pts}"/></svg>'
    )
