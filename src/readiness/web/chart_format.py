"""How charts spell numbers: durations, percentages, counts and day labels, for people.

Pure functions, mirrored exactly by ``static/charts.js`` (the axis ticks, legend and tooltips the
browser draws); a test runs both on the same cases. The rules: three significant digits at most,
no trailing zeros, the unit a person would say (``0.411`` s is ``411 ms``, ``75`` s is
``1 min 15 s``), and percentages of 0–100 (``97.5%``).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MINUTE = 60
HOUR = 3600
DAY = 86400
# Steps a person counts durations in (charts.js uses the same for its ticks).
DURATION_STEPS = (
    *(m * 10.0**e for e in range(-3, 1) for m in (1, 2, 5)),
    10, 15, 20, 30, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
    HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY,
)  # fmt: skip


def _fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, halves away from zero, no trailing zeros.

    Rounds the float's exact binary value like JavaScript's ``toFixed`` does, so that the
    browser's ticks and the server's tables agree digit for digit.
    """
    exact = Decimal(value)  # precision for any float: ~310 integer digits, ~330 decimals
    text = f"{exact.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP, Context(prec=800)):f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def _significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, without trailing zeros or exponent."""
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    return _fixed(value, max(0, digits - 1 - magnitude))


def format_number(value: float) -> str:
    """A count or plain number: ``1,234``, ``12``, ``1.5``, ``0.123`` (three significant digits)."""
    if abs(value) >= 1000:
        return f"{int(_fixed(value, 0)):,}"
    return _significant(value)


def format_duration(seconds: float) -> str:
    """``411 ms``, ``1.5 s``, ``59.9 s``, ``1 min 15 s``, ``2 h 5 min``: the unit a person says."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds == 0:
        return "0 s"
    if seconds < 1:
        ms = float(_significant(seconds * 1000))
        if ms < 1000:  # 0.9996 s rounds to 1000 ms: say 1 s instead
            return f"{_significant(ms)} ms"
    if seconds < MINUTE:
        s = float(_significant(seconds))
        if s < MINUTE:
            return f"{_significant(s)} s"
    whole = int(_fixed(seconds, 0))
    if whole < HOUR:
        minutes, rest = divmod(whole, MINUTE)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    minutes = int(_fixed(seconds / MINUTE, 0))
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def format_percent(value: float) -> str:
    """A percentage of 0–100: ``97.5%``, ``100%``, ``33.3%``; a tiny non-zero one ``<0.1%``."""
    if 0 < abs(value) < 0.05:
        return "<0.1%" if value > 0 else ">-0.1%"
    return _fixed(value, 1) + "%"


def format_value(value: float | None, unit: str = "") -> str:
    """``value`` in its unit: ``s`` durations, ``%`` percentages, else a number and the unit."""
    if value is None or not math.isfinite(value):
        return "–"
    if unit == "s":
        return format_duration(value)
    if unit == "%":
        return format_percent(value)
    number = format_number(value)
    return f"{number} {unit}" if unit else number


def format_day(label: str) -> str:
    """An ISO day ``2026-03-01`` as ``1 Mar`` for an axis tick; any other label unchanged."""
    found = _DAY.match(label)
    if not found or not 1 <= int(found.group(2)) <= 12:
        return label
    return f"{int(found.group(3))} {_MONTHS[int(found.group(2)) - 1]}"


def shorten(label: str, limit: int = 24) -> str:
    """A long label (a test id) cut from the left to ``limit`` characters: its end says most."""
    return label if len(label) <= limit else "…" + label[-(limit - 1) :]


def axis_title(label: str, unit: str) -> str:
    """An axis title with its unit: ``Pass rate (%)``; durations carry their unit on each tick."""
    if not label:
        return ""
    return f"{label} ({unit})" if unit and unit != "s" else label


def nice_step(rough: float, unit: str = "") -> float:
    """The smallest round step at least ``rough``: 1, 2, 2.5 or 5 × 10ⁿ; for durations (``s``)
    one of :data:`DURATION_STEPS` (``15 s``, ``1 min``, ``5 min``, never ``100 s``)."""
    if not rough > 0 or not math.isfinite(rough):
        return 1.0
    if unit == "s" and rough <= DURATION_STEPS[-1]:
        return float(next(step for step in DURATION_STEPS if step >= rough * (1 - 1e-9)))
    if unit == "s":
        return nice_step(rough / DAY) * DAY
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough * (1 - 1e-9))
