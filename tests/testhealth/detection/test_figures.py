"""A test's figures: one computation from the evidence the rules read (issue 6, 1.5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.config import TestHealthSettings
from readiness.errors import InputError
from readiness.testhealth.detection.figures import test_figures as figures_of
from readiness.testhealth.detection.model import TestEvidence
from readiness.testhealth.detection.rules import assess_one
from readiness.testhealth.model import TestFigures, TestStatus

NOW = datetime(2026, 3, 10, tzinfo=UTC)
SETTINGS = TestHealthSettings(broken_streak=3)


def health_of(window: str) -> TestFigures:
    ev = TestEvidence(
        "t::w",
        runs=sum(c != "-" for c in window),
        failures=sum(c in "FR" for c in window),
        window=window,
        window_commits=tuple(f"c{i}" for i in range(len(window))),
    )
    return assess_one(ev, settings=SETTINGS, quarantine=[], now=NOW).figures


def test_a_test_failing_11_of_11_shows_its_failure_rate_and_streak_and_no_flake_rate() -> None:
    f = health_of("F" * 11)

    assert (f.runs, f.failures, f.failure_rate, f.streak, f.flake_rate) == (11, 11, 1.0, 11, None)
    assert (round(f.failure_rate_low, 4), f.failure_rate_high) == (0.7412, 1.0)
    assert (f.flake_rate_low, f.flake_rate_high) == (None, None)


def test_a_flaky_test_s_flake_rate_is_its_failure_rate_with_the_same_interval() -> None:
    f = health_of("PPFPPPPPPF")

    assert (f.runs, f.failures, f.streak) == (10, 2, 1)
    assert (f.flake_rate, f.flake_rate_low, f.flake_rate_high) == (
        f.failure_rate,
        f.failure_rate_low,
        f.failure_rate_high,
    )


def test_figures_refuse_a_streak_longer_than_the_failures() -> None:
    with pytest.raises(InputError, match="streak=3, failures=2, runs=5"):
        figures_of(5, 2, 3, broken_streak=3)


@given(st.text(alphabet="PFR-", max_size=80))
def test_figures_agree_with_the_window_they_come_from(window: str) -> None:
    f = health_of(window)
    ran = [c for c in window if c != "-"]
    status = assess_one(
        TestEvidence("t", f.runs, f.failures, window=window, window_commits=("c",) * len(window)),
        settings=SETTINGS,
        quarantine=[],
        now=NOW,
    ).status

    assert 0 <= f.streak <= f.failures <= f.runs == len(ran)
    assert f.failure_rate_low <= f.failure_rate <= f.failure_rate_high
    assert (f.flake_rate is None) == (f.streak >= 3) == (status is TestStatus.BROKEN)
