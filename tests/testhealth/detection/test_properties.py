"""Invariants of the statistics and of detection, checked with Hypothesis."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from readiness.testhealth.detection.rules import flip_verdict
from readiness.testhealth.detection.stats import required_runs, wilson_interval
from readiness.testhealth.detection.suite import cluster_co_failures

counts = st.integers(min_value=1, max_value=10_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
rates = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
alphas = st.floats(min_value=1e-6, max_value=0.999, allow_nan=False)


@given(counts)
def test_wilson_interval_brackets_the_observed_rate_inside_zero_one(fn: tuple[int, int]) -> None:
    failures, n = fn
    low, high = wilson_interval(failures, n)
    assert 0.0 <= low <= failures / n <= high <= 1.0


@given(counts, st.integers(min_value=2, max_value=50))
def test_wilson_interval_narrows_as_runs_grow_at_the_same_rate(
    fn: tuple[int, int], factor: int
) -> None:
    failures, n = fn
    low, high = wilson_interval(failures, n)
    low_k, high_k = wilson_interval(failures * factor, n * factor)
    assert high_k - low_k < high - low


@given(rates, rates, alphas)
def test_required_runs_never_grows_with_the_flake_rate(p1: float, p2: float, alpha: float) -> None:
    lo, hi = sorted((p1, p2))
    assert required_runs(lo, alpha, 1, 10**6) >= required_runs(hi, alpha, 1, 10**6)


@given(rates, alphas, alphas)
def test_required_runs_never_grows_with_alpha(p: float, a1: float, a2: float) -> None:
    lo, hi = sorted((a1, a2))
    assert required_runs(p, lo, 1, 10**6) >= required_runs(p, hi, 1, 10**6)


@given(rates, alphas, st.integers(1, 100), st.integers(0, 1000))
def test_required_runs_stays_within_its_bounds(p: float, a: float, lo: int, extra: int) -> None:
    assert lo <= required_runs(p, a, lo, lo + extra) <= lo + extra


@given(st.lists(st.booleans(), max_size=80))
def test_flip_rate_is_a_proportion_of_the_changes(seq: list[bool]) -> None:
    v = flip_verdict(seq, activation=0.2, resolution=0.05, min_runs=8)
    assert v.flips == sum(a != b for a, b in itertools.pairwise(seq))
    assert 0.0 <= v.rate <= 1.0


@given(st.booleans(), st.integers(0, 80))
def test_a_constant_outcome_is_never_flaky(outcome: bool, n: int) -> None:
    assert flip_verdict([outcome] * n, activation=0.2, resolution=0.05, min_runs=2).flaky is False


@given(st.lists(st.booleans(), min_size=8, max_size=60))
def test_a_rate_at_or_above_activation_is_always_flaky(seq: list[bool]) -> None:
    v = flip_verdict(seq, activation=0.2, resolution=0.05, min_runs=8)
    if v.rate >= 0.2:
        assert v.flaky is True
    if v.rate <= 0.05:
        assert v.flaky is False


@given(
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3),
        st.frozensets(st.integers(0, 12), min_size=1, max_size=6),
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_clusters_do_not_depend_on_input_order(
    failing: dict[str, frozenset[int]], rnd: random.Random
) -> None:
    items = list(failing.items())
    rnd.shuffle(items)
    assert cluster_co_failures(dict(items)) == cluster_co_failures(failing)
