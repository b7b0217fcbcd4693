"""The one-sided Mann-Whitney U test: known values, ties, and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.errors import InputError
from readiness.testhealth.detection.ranks import mann_whitney_greater, midranks


def test_midranks_share_the_mean_rank_of_ties() -> None:
    assert midranks([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]


def test_fully_separated_samples_give_the_textbook_u_and_p() -> None:
    found = mann_whitney_greater([6.0, 7.0, 8.0, 9.0, 10.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    # U = 25 of 25; z = (25 - 12.5 - 0.5) / sqrt(25 * 11 / 12) = 2.5067...
    assert found.u == 25.0
    assert round(found.p, 6) == 0.006093


def test_all_equal_values_have_no_evidence() -> None:
    assert mann_whitney_greater([1.0, 1.0], [1.0, 1.0, 1.0]).p == 1.0


def test_an_empty_sample_is_an_input_error() -> None:
    with pytest.raises(InputError, match="both samples need a value"):
        mann_whitney_greater([], [1.0])


samples = st.lists(st.integers(0, 20).map(float), min_size=1, max_size=15)


@given(samples, samples)
def test_u_is_between_zero_and_n1_n2_and_p_is_a_probability(x: list[float], y: list[float]) -> None:
    found = mann_whitney_greater(x, y)
    assert 0 <= found.u <= len(x) * len(y)
    assert 0.0 <= found.p <= 1.0


@given(samples, samples)
def test_it_agrees_with_scipy_when_it_is_installed(x: list[float], y: list[float]) -> None:
    stats = pytest.importorskip("scipy.stats")
    ours = mann_whitney_greater(x, y)
    theirs = stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic")
    assert ours.u == pytest.approx(theirs.statistic)
    if ours.p < 1.0:
        assert ours.p == pytest.approx(theirs.pvalue, abs=1e-9)
