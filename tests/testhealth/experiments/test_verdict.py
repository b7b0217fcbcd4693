"""The labels and the fix verdict, from outcomes alone (pure), and the fix-verification floor."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.config import TestHealthSettings
from readiness.errors import InputError
from readiness.testhealth.experiments.verdict import (
    AloneVerdict,
    alone_verdict,
    fix_verdict,
    order_label,
    summary,
    tips,
    untipped_label,
)
from readiness.testhealth.experiments.verify import runs_to_verify
from readiness.testhealth.model import Outcome

PASS, FAIL, ERROR, SKIP = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED
T = "tests/test_a.py::test_a"

runs = st.lists(st.sampled_from([PASS, FAIL, ERROR]), min_size=1, max_size=10)


@given(runs, runs)
def test_passing_and_failing_alone_is_non_order_dependent_whatever_the_second_runs(
    first: list[Outcome], second: list[Outcome]
) -> None:
    mixed = [PASS, FAIL, *first]

    assert alone_verdict(T, mixed, second) == AloneVerdict("non-order-dependent", False)


@given(st.integers(1, 10), runs)
def test_passing_alone_and_failing_on_a_second_run_is_non_idempotent(
    n: int, second: list[Outcome]
) -> None:
    assert alone_verdict(T, [PASS] * n, [*second, FAIL]) == AloneVerdict("non-idempotent", False)


def test_always_passing_alone_leaves_the_label_to_the_orders() -> None:
    assert alone_verdict(T, [PASS, PASS, PASS], [PASS, PASS, PASS]) == AloneVerdict(None, False)


def test_always_failing_alone_leaves_the_label_to_the_orders_which_must_make_it_pass() -> None:
    assert alone_verdict(T, [FAIL, ERROR, FAIL], [FAIL, FAIL, FAIL]) == AloneVerdict(None, True)


def test_skips_alone_are_not_runs() -> None:
    assert alone_verdict(T, [SKIP, PASS, SKIP], [None, PASS, None]) == AloneVerdict(None, False)


def test_a_test_that_never_ran_alone_is_an_input_error_naming_what_happened() -> None:
    with pytest.raises(InputError) as raised:
        alone_verdict(T, [None, SKIP], [None, None])

    assert str(raised.value) == (
        "test 'tests/test_a.py::test_a' did not run (outcomes alone: not-run,skipped); "
        "check the id with `pytest --collect-only -q` and that it is not skipped"
    )


@pytest.mark.parametrize(
    ("fails_alone", "outcome", "tipped"),
    [
        (False, FAIL, True),
        (False, ERROR, True),
        (False, PASS, False),
        (False, SKIP, False),
        (False, None, False),
        (True, PASS, True),
        (True, FAIL, False),
        (True, SKIP, False),
    ],
)
def test_an_order_tips_the_test_only_with_a_run_that_differs_from_alone(
    fails_alone: bool, outcome: Outcome | None, tipped: bool
) -> None:
    assert tips(fails_alone, outcome) is tipped


@pytest.mark.parametrize(
    ("fails_alone", "again", "label"),
    [
        (False, FAIL, "order-dependent-victim"),
        (False, PASS, "non-order-dependent"),
        (False, None, "non-order-dependent"),
        (True, PASS, "brittle"),
        (True, FAIL, "non-order-dependent"),
    ],
)
def test_an_order_that_tips_the_test_again_is_order_dependence(
    fails_alone: bool, again: Outcome | None, label: str
) -> None:
    assert order_label(fails_alone, again) == label


@pytest.mark.parametrize(
    ("fails_alone", "known", "label"),
    [
        (True, False, "broken"),
        (True, True, "broken"),
        (False, False, "stable"),
        (False, True, "non-order-dependent"),
    ],
)
def test_no_order_tipping_the_test_is_broken_stable_or_a_replayed_failure_that_passed(
    fails_alone: bool, known: bool, label: str
) -> None:
    assert untipped_label(fails_alone, failed_in_known_order=known) == label


@given(st.lists(st.sampled_from([PASS, FAIL, ERROR, SKIP]), max_size=80), st.integers(1, 60))
def test_a_fix_is_verified_only_by_enough_runs_without_a_failure(
    outcomes: list[Outcome], required: int
) -> None:
    counted = [o for o in outcomes if o is not SKIP]
    clean = not any(o.is_failure for o in counted)

    verdict = fix_verdict(outcomes, required)

    assert verdict == ("fixed" if clean and len(counted) >= required else "still-flaky")


def test_skipped_runs_do_not_count_towards_the_required_runs() -> None:
    assert fix_verdict([PASS] * 49 + [SKIP], 50) == "still-flaky"


def test_the_summary_names_each_run_in_order() -> None:
    assert summary([PASS, FAIL, None, ERROR]) == "passed,failed,not-run,error"


# -- the fix-verification floor (handbook 19.7 step 4: 50-100 runs) -------------------------

DEFAULTS = TestHealthSettings()
CROSSING = 1 - 0.05 ** (1 / 50)  # the flake rate whose statistical n is exactly 50


def test_the_default_floor_is_fifty_runs() -> None:
    assert DEFAULTS.fix_min_runs == 50


def test_a_one_percent_flake_needs_299_runs() -> None:
    assert runs_to_verify(0.01, DEFAULTS) == 299


def test_at_the_crossing_rate_the_statistics_ask_exactly_the_floor() -> None:
    assert runs_to_verify(CROSSING, DEFAULTS) == 50


def test_just_below_the_crossing_rate_the_statistics_ask_one_more_than_the_floor() -> None:
    assert runs_to_verify(math.nextafter(CROSSING, 0), DEFAULTS) == 51


def test_above_the_crossing_rate_the_floor_holds() -> None:
    # ceil(ln 0.05 / ln 0.8) = 14 clean runs would do statistically; the handbook asks 50.
    assert runs_to_verify(0.2, DEFAULTS) == 50


def test_a_five_percent_flake_needs_59_runs() -> None:
    assert runs_to_verify(0.05, DEFAULTS) == 59


@given(st.floats(0.0001, 0.9999))
def test_the_runs_to_verify_never_fall_below_the_floor_nor_the_statistics(p: float) -> None:
    n = runs_to_verify(p, DEFAULTS)

    assert n >= 50
    assert n >= min(DEFAULTS.fix_max_runs, math.ceil(math.log(0.05) / math.log1p(-p)))
