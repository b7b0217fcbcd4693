"""How charts spell values: exactly, at every threshold, the same in Python and in the browser."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.web import chart_format
from readiness.web.chart_format import (
    DURATION_STEPS,
    axis_title,
    format_day,
    format_duration,
    format_number,
    format_percent,
    format_value,
    nice_step,
    shorten,
)

CHARTS_JS = Path(chart_format.__file__).parent / "static" / "charts.js"

DURATIONS = [
    (0.0, "0 s"),
    (0.0004, "0.4 ms"),
    (0.0125, "12.5 ms"),
    (0.411, "411 ms"),
    (0.9994, "999 ms"),
    (0.9996, "1 s"),  # would round to 1000 ms
    (1.0, "1 s"),
    (1.5, "1.5 s"),
    (12.25, "12.3 s"),  # halves round up, as JavaScript's toFixed does
    (59.94, "59.9 s"),
    (59.96, "1 min"),  # would round to 60 s
    (60.0, "1 min"),
    (75.0, "1 min 15 s"),
    (119.6, "2 min"),
    (3599.4, "59 min 59 s"),
    (3599.6, "1 h"),
    (3600.0, "1 h"),
    (3725.0, "1 h 2 min"),
    (7200.0, "2 h"),
    (-0.5, "-500 ms"),
]
PERCENTS = [
    (0.0, "0%"),
    (0.04, "<0.1%"),
    (0.05, "0.1%"),
    (-0.04, ">-0.1%"),
    (12.25, "12.3%"),
    (12.35, "12.3%"),  # 12.35 is 12.3499… in binary
    (33.333, "33.3%"),
    (97.5, "97.5%"),
    (99.96, "100%"),
    (100.0, "100%"),
]
NUMBERS = [
    (0.0, "0"),
    (0.000_123_4, "0.000123"),
    (0.123, "0.123"),
    (1.5, "1.5"),
    (12.0, "12"),
    (999.4, "999"),
    (999.6, "1000"),
    (1000.0, "1,000"),
    (1234.5, "1,235"),
    (1_234_567.0, "1,234,567"),
]
VALUES = [
    (None, "s", "–"),
    (float("nan"), "%", "–"),
    (float("inf"), "", "–"),
    (0.411, "s", "411 ms"),
    (97.5, "%", "97.5%"),
    (3.0, "", "3"),
    (3.0, "tests", "3 tests"),
]
DAYS = [
    ("2026-03-01", "1 Mar"),
    ("2026-12-31", "31 Dec"),
    ("2026-13-01", "2026-13-01"),
    ("2026-W12", "2026-W12"),
    ("", ""),
]


@pytest.mark.parametrize(("seconds", "expected"), DURATIONS)
def test_a_duration_is_spelled_in_the_unit_a_person_says(seconds: float, expected: str) -> None:
    assert format_duration(seconds) == expected


@pytest.mark.parametrize(("value", "expected"), PERCENTS)
def test_a_percentage_has_one_decimal_at_most(value: float, expected: str) -> None:
    assert format_percent(value) == expected


@pytest.mark.parametrize(("value", "expected"), NUMBERS)
def test_a_number_has_three_significant_digits_and_thousands_separators(
    value: float, expected: str
) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(("value", "unit", "expected"), VALUES)
def test_a_value_is_spelled_by_its_unit_and_a_missing_one_is_a_dash(
    value: float | None, unit: str, expected: str
) -> None:
    assert format_value(value, unit) == expected


@pytest.mark.parametrize(("label", "expected"), DAYS)
def test_an_iso_day_becomes_day_and_month_and_anything_else_stays(
    label: str, expected: str
) -> None:
    assert format_day(label) == expected


def test_a_long_label_is_cut_from_the_left_to_the_limit() -> None:
    assert shorten("abcdefghij", 5) == "…ghij"
    assert shorten("abcde", 5) == "abcde"


def test_an_axis_title_names_its_unit_except_durations_whose_ticks_carry_it() -> None:
    assert [axis_title("Pass rate", "%"), axis_title("Duration", "s"), axis_title("", "%")] == [
        "Pass rate (%)",
        "Duration",
        "",
    ]


@pytest.mark.parametrize(
    ("rough", "unit", "expected"),
    [
        (0.0, "", 1.0),
        (0.3, "", 0.5),
        (0.7, "", 1.0),
        (2.1, "", 2.5),
        (23.0, "", 25.0),
        (50.0, "", 50.0),
        (0.0004, "s", 0.001),
        (0.3, "s", 0.5),
        (12.0, "s", 15.0),
        (40.0, "s", 60.0),
        (61.0, "s", 120.0),
        (100.0, "s", 120.0),  # never 100 s: 1 min 40 s is not a round step
        (4000.0, "s", 7200.0),
        (90_000.0, "s", 172_800.0),
    ],
)
def test_a_round_step_is_the_smallest_a_person_counts_in_above_the_rough_one(
    rough: float, unit: str, expected: float
) -> None:
    assert nice_step(rough, unit) == pytest.approx(expected, rel=1e-12)


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_no_duration_has_more_than_three_significant_digits_below_a_minute(seconds: float) -> None:
    text = format_duration(seconds)
    if text.endswith((" ms", " s")) and "min" not in text:
        digits = text.split()[0].replace(".", "").lstrip("0")
        assert len(digits) <= 3


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is missing: the browser's copy of the rules is not checked")
    return node


def test_the_browser_spells_every_case_exactly_as_the_server_does() -> None:
    cases: dict[str, list[list[Any]]] = {
        "duration": [[s] for s, _ in DURATIONS],
        "percent": [[v] for v, _ in PERCENTS],
        "number": [[v] for v, _ in NUMBERS],
        "value": [[v, u] for v, u, _ in VALUES],
        "day": [[label] for label, _ in DAYS],
        "shorten": [["abcdefghij", 5], ["abcde", 5]],
    }
    # Beyond the thresholds: a spread of magnitudes, from microseconds to days.
    rng = random.Random(7)
    spread = [
        round(rng.uniform(0, 10) * 10 ** rng.randint(-5, 5), rng.randint(0, 9)) for _ in range(400)
    ]
    cases["duration"] += [[v] for v in spread]
    cases["percent"] += [[v / 1000] for v in spread]
    cases["number"] += [[v] for v in spread]
    # JSON's NaN and Infinity are JavaScript literals too: the script is code, not JSON.
    script = (
        f"const f = require({json.dumps(str(CHARTS_JS))});"
        f"const cases = {json.dumps(cases)};"
        "const out = {};"
        "for (const [name, args] of Object.entries(cases))"
        "  out[name] = args.map(a => f[name](...a));"
        "out.steps = f.durationSteps;"
        "process.stdout.write(JSON.stringify(out));"
    )
    result = subprocess.run(
        [_node(), "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(result.stdout) == {
        "duration": [format_duration(*a) for a in cases["duration"]],
        "percent": [format_percent(*a) for a in cases["percent"]],
        "number": [format_number(*a) for a in cases["number"]],
        "value": [format_value(*a) for a in cases["value"]],
        "day": [format_day(label) for label, _ in DAYS],
        "shorten": ["…ghij", "abcde"],
        "steps": pytest.approx(list(DURATION_STEPS), rel=1e-12),
    }
