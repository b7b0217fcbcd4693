"""Moments on a command line: every option spells dates and day counts the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.when import MAX_DAYS, parse_expiry, parse_moment
from readiness.errors import InputError

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_number_of_days_counts_from_now() -> None:
    assert parse_expiry("90d", now=NOW) == datetime(2026, 5, 30, 9, 30, tzinfo=UTC)


def test_a_date_is_midnight_utc() -> None:
    assert parse_expiry("2026-04-30", now=NOW) == datetime(2026, 4, 30, tzinfo=UTC)


def test_a_datetime_keeps_its_zone_and_a_naive_one_is_utc() -> None:
    plus_two = timezone(timedelta(hours=2))

    assert parse_expiry("2026-04-30T12:00:00+02:00", now=NOW) == datetime(
        2026, 4, 30, 12, tzinfo=plus_two
    )
    assert parse_moment("2026-04-30T12:00", option="--timestamp") == datetime(
        2026, 4, 30, 12, tzinfo=UTC
    )


@pytest.mark.parametrize("value", ["soon", "90", "90 days", "2026-13-01", "d"])
def test_anything_else_names_both_spellings(value: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_expiry(value, now=NOW)

    assert caught.value.message == (
        f"--expires {value}: expected a date such as 2026-04-30 or a number of days such as 90d"
    )


@pytest.mark.parametrize("value", ["0d", "36501d", "99999999999999999999d"])
def test_a_day_count_outside_a_hundred_years_is_refused(value: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_expiry(value, now=NOW)

    assert caught.value.message == f"--expires {value}: the number of days must be from 1 to 36500"


def test_a_timestamp_that_is_no_date_says_what_is_expected() -> None:
    with pytest.raises(InputError) as caught:
        parse_moment("yesterday", option="--timestamp")

    assert caught.value.message == (
        "--timestamp yesterday: expected an ISO date or datetime, e.g. 2026-04-30"
    )


@given(st.integers(min_value=1, max_value=MAX_DAYS))
def test_n_days_is_exactly_n_days_after_now(n: int) -> None:
    assert parse_expiry(f"{n}d", now=NOW) - NOW == timedelta(days=n)
