"""The flaky list's pure filters: time ranges and which tests each filter keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from readiness.testhealth.lists import FLAKY, FlakyRow, parse_since, select_flaky
from readiness.testhealth.model import TestFigures, TestHealth, TestStatus
from readiness.web.tables import TableQueryError

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("all", None),
        ("7d", datetime(2026, 3, 3, 9, 30, tzinfo=UTC)),
        ("30d", datetime(2026, 2, 8, 9, 30, tzinfo=UTC)),
        ("1d", datetime(2026, 3, 9, 9, 30, tzinfo=UTC)),
        ("2026-03-02", datetime(2026, 3, 2, tzinfo=UTC)),
    ],
)
def test_a_time_range_names_the_moment_it_starts(text: str, expected: datetime | None) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["0d", "36501d", "7", "d", "7 days", "2026-02-30", "0001-01-01", "2026-3-1", "-7d"]
)
def test_anything_else_is_a_422_naming_the_forms_it_takes(text: str) -> None:
    with pytest.raises(TableQueryError, match=r"^query parameter 'since': .* is not a time range"):
        parse_since(text, NOW)


def _test(test_id: str, status: TestStatus, last_seen: datetime | None) -> TestHealth:
    figures = TestFigures(1, 0, 0.0, 0.0, 0.8, 0, 0.0, 0.0, 0.8)
    return TestHealth(test_id, status, figures, None, last_seen, is_new=False)


TESTS = [
    _test("a::broken", TestStatus.BROKEN, datetime(2026, 3, 9, tzinfo=UTC)),
    _test("b::healthy", TestStatus.HEALTHY, datetime(2026, 3, 1, tzinfo=UTC)),
    _test("c::fixed", TestStatus.FIXED, None),
]
OWNERS = {"a::broken": "@Pay", "b::healthy": "team-b", "c::fixed": None}


def _kept(since: datetime | None = None, on_branch: set[str] | None = None, **f: str) -> list[str]:
    rows = select_flaky(
        TESTS, FLAKY.view(filters=f), owners=OWNERS, failed_on_branch=on_branch, since=since
    )
    return [r.test.test_id for r in rows]


def test_without_a_status_the_healthy_tests_are_left_out() -> None:
    assert _kept() == ["a::broken", "c::fixed"]
    assert _kept(status="all") == ["a::broken", "b::healthy", "c::fixed"]
    assert _kept(status="healthy") == ["b::healthy"]


def test_an_owner_matches_whole_ignoring_case_and_the_at_sign() -> None:
    assert _kept(status="all", owner="pay") == ["a::broken"]
    assert _kept(status="all", owner="@TEAM-B") == ["b::healthy"]
    assert _kept(status="all", owner="team") == []


def test_a_time_range_leaves_out_tests_never_seen_or_seen_before_it() -> None:
    assert _kept(datetime(2026, 3, 2, tzinfo=UTC), status="all") == ["a::broken"]


def test_the_branch_filter_keeps_the_tests_that_failed_there() -> None:
    assert _kept(None, {"b::healthy", "z::gone"}, status="all") == ["b::healthy"]
    assert _kept(None, set(), status="all") == []


def test_each_row_carries_its_owner() -> None:
    rows = select_flaky(TESTS, FLAKY.view(), owners=OWNERS, failed_on_branch=None, since=None)
    assert rows == [FlakyRow(TESTS[0], "@Pay"), FlakyRow(TESTS[2], None)]
