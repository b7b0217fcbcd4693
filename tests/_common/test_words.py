"""Counts in words: one commit, two commits, no commits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.words import kind_of, plural, plural_noun, shown


@pytest.mark.parametrize(("n", "expected"), [(0, "0 commits"), (1, "1 commit"), (2, "2 commits")])
def test_a_count_of_commits_is_singular_only_for_one(n: int, expected: str) -> None:
    assert plural(n, "commit") == expected


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("entry", ["0 entries", "1 entry", "2 entries"]),
        ("fix", ["0 fixes", "1 fix", "2 fixes"]),
        ("day", ["0 days", "1 day", "2 days"]),
        ("match", ["0 matches", "1 match", "2 matches"]),
        (
            "quarantine entry",
            ["0 quarantine entries", "1 quarantine entry", "2 quarantine entries"],
        ),
    ],
)
def test_regular_english_plurals(noun: str, expected: list[str]) -> None:
    assert [plural(n, noun) for n in (0, 1, 2)] == expected


def test_an_irregular_plural_is_given() -> None:
    assert [plural(n, "child", "children") for n in (0, 1, 2)] == [
        "0 children",
        "1 child",
        "2 children",
    ]


@given(st.integers(min_value=0, max_value=10**9))
def test_the_count_is_printed_as_it_is_and_only_one_is_singular(n: int) -> None:
    count, _, noun = plural(n, "run").partition(" ")

    assert (int(count), noun) == (n, "run" if n == 1 else "runs")
    assert plural_noun(n, "run") == noun


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("next month", '"next month"'),
        (None, "nothing"),
        (True, "true"),
        (42, "42"),
        ([1, "a"], '[1, "a"]'),
        ({"port": "x"}, '{port = "x"}'),
        (date(2026, 3, 31), "2026-03-31"),
        (datetime(2026, 3, 31, 12, 0, tzinfo=UTC), "2026-03-31T12:00:00+00:00"),
    ],
)
def test_a_value_is_shown_as_toml_would_write_it(value: object, expected: str) -> None:
    assert shown(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x", "a string"),
        (3, "an integer"),
        (1.5, "a number"),
        (False, "a boolean"),
        (date(2026, 3, 31), "a date"),
        (datetime(2026, 3, 31, tzinfo=UTC), "a date and time"),
        ([], "an array"),
        ({}, "a table"),
    ],
)
def test_a_value_is_named_by_its_toml_kind(value: object, expected: str) -> None:
    assert kind_of(value) == expected
