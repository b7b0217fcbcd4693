"""Flaky system or flaky test? The signals of handbook 19.7, as an explained hint. Pure.

A flaky *test* has a flaw of its own (a timing assumption, shared state, a dependency on its
environment); a flaky *system* is correct test code catching a real race or leak in the code
under test. Quarantining the second hides a production bug. From one test's runs of the
detection window (:class:`~.impact.TestRun`) this weighs four signals, each leaning to the
system, to the test, neither (``neutral``) or unknown (too little evidence, and it says what
would settle it):

1. **Failure kind**: wrong values (assertion mismatches) can be a real race; timeouts, lost
   connections and out-of-memory errors are usually the environment.
2. **Spread** over CI and local runs, jobs, runners (``--tag runner=NAME``) and environments
   (the other tags): failing only in some places is an environmental dependency of the test;
   failing everywhere points to the code. A place counts with ``MIN_RUNS_PER_PLACE`` runs;
   "only there" needs the clean places' runs to be unlikely by chance: ``(1 − p)^n < CHANCE``
   with ``p`` the failure rate over the places compared and ``n`` the clean places' runs.
3. **Load**: are the runs it failed in longer (the run's duration without the test's own
   time) than the runs it passed in? A one-sided Mann-Whitney U test (:mod:`.ranks`) with at
   least ``MIN_LOAD_RUNS`` runs on each side; ``p < LOAD_ALPHA`` leans to the system (a race
   that surfaces under contention).
4. **Source**: the static determinism hints of :mod:`..experiments.hints` (sleeps, hard-coded
   ports, shared state, clock reads) make the test the likely culprit.

The verdict is the side more signals lean to; a tie, or no lean, is "not enough evidence".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Literal

from readiness._common.words import plural, plural_noun
from readiness.testhealth.detection.impact import TestRun
from readiness.testhealth.detection.ranks import mann_whitney_greater

#: Failing executions needed before their kinds are weighed.
MIN_FAILURES = 3
#: Share of the failures one side's kinds need (wrong values, or environment kinds).
KIND_SHARE = 0.7
#: Runs a place (CI or local, a job, a runner, an environment) needs to be compared.
MIN_RUNS_PER_PLACE = 3
#: Below this chance, clean places are not luck: the failures are confined to the others.
CHANCE = 0.05
#: Runs with a failure, and runs without, needed to compare their durations.
MIN_LOAD_RUNS = 5
#: Significance of the load comparison (one-sided Mann-Whitney U).
LOAD_ALPHA = 0.05

Lean = Literal["system", "test", "neutral", "unknown"]
VERDICT_SYSTEM = "flaky system"
VERDICT_TEST = "flaky test"
VERDICT_UNKNOWN = "not enough evidence"

_OOM = re.compile(r"MemoryError|out of memory|\bOOM(?:Killed)?\b|cannot allocate memory", re.I)
_ENVIRONMENT_KINDS = ("timeout", "connection", "out of memory")
_KIND_NOUNS = {
    "wrong value": "wrong value",
    "timeout": "timeout",
    "connection": "lost connection",
    "out of memory": "out-of-memory error",
    "error": "other error",
}


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal: which way it leans and why, in words and in figures."""

    name: str  # "failure kind" | "spread" | "load" | "source"
    lean: Lean
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlakinessSignals:
    """The hint for one test: a verdict, the sentence that explains it, and its signals."""

    test_id: str
    verdict: str  # VERDICT_SYSTEM | VERDICT_TEST | VERDICT_UNKNOWN
    explanation: str
    signals: tuple[Signal, ...]


def failure_family(kind: str | None, message: str | None) -> str:
    """``wrong value``, ``timeout``, ``connection``, ``out of memory`` or ``error``."""
    if kind == "assertion":
        return "wrong value"
    if kind in ("timeout", "connection"):
        return kind
    if message and _OOM.search(message):
        return "out of memory"
    return "error"


def _kinds_signal(runs: Sequence[TestRun]) -> Signal:
    counts: dict[str, int] = {}
    for run in runs:
        messages = (*run.failure_messages, *([""] * len(run.failure_kinds)))
        for kind, message in zip(run.failure_kinds, messages, strict=False):
            family = failure_family(kind, message)
            counts[family] = counts.get(family, 0) + 1
    total = sum(counts.values())
    evidence: dict[str, Any] = {"failures": total, "kinds": dict(sorted(counts.items()))}
    if total < MIN_FAILURES:
        return Signal(
            "failure kind",
            "unknown",
            f"{plural(total, 'failure')} recorded; their kinds are weighed from {MIN_FAILURES} on",
            evidence,
        )
    wrong = counts.get("wrong value", 0)
    environment = sum(counts.get(k, 0) for k in _ENVIRONMENT_KINDS)
    if wrong >= KIND_SHARE * total:
        return Signal(
            "failure kind",
            "system",
            f"{wrong} of {plural(total, 'failure')} are wrong values (assertion mismatches): "
            "a wrong result can come from a real race in the code",
            evidence,
        )
    if environment >= KIND_SHARE * total:
        return Signal(
            "failure kind",
            "test",
            f"{environment} of {plural(total, 'failure')} are timeouts, lost connections or "
            "out-of-memory errors: usually the environment (a slow or busy machine, the "
            "network), which points to the test",
            evidence,
        )
    mix = ", ".join(
        plural(n, _KIND_NOUNS[k]) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return Signal(
        "failure kind",
        "neutral",
        f"mixed failure kinds ({mix}): neither wrong values nor environment errors reach "
        f"{KIND_SHARE:.0%}",
        evidence,
    )


@dataclass(frozen=True, slots=True)
class _Place:
    runs: int
    failures: int


_DIMENSIONS: tuple[tuple[str, str, Callable[[TestRun], str | None]], ...] = (
    ("location", "place", lambda r: "CI" if r.ci else "local"),
    ("job", "job", lambda r: r.job),
    ("runner", "runner", lambda r: r.runner),
    ("environment", "environment", lambda r: r.environment),
)


def _names(values: Sequence[str]) -> str:
    shown = ", ".join(values[:3])
    return shown if len(values) <= 3 else f"{shown} and {len(values) - 3} more"


def _spread_finding(
    dimension: str, noun: str, places: dict[str, _Place]
) -> tuple[Lean, str, dict[str, Any]] | None:
    """What one dimension says, or None when it has fewer than two places to compare."""
    compared = {k: v for k, v in sorted(places.items()) if v.runs >= MIN_RUNS_PER_PLACE}
    runs = sum(p.runs for p in compared.values())
    failures = sum(p.failures for p in compared.values())
    if len(compared) < 2 or failures == 0:
        return None
    failing = [k for k, p in compared.items() if p.failures]
    clean_runs = sum(p.runs for p in compared.values() if not p.failures)
    rate = failures / runs
    chance = (1 - rate) ** clean_runs
    evidence = {
        "places": {k: {"runs": p.runs, "failures": p.failures} for k, p in compared.items()},
        "chance": round(chance, 4) if clean_runs else None,
    }
    tally = ", ".join(f"{k} {p.failures} of {p.runs}" for k, p in compared.items())
    if not clean_runs:
        where = (
            "both in CI and locally"
            if dimension == "location"
            else (f"on all {len(compared)} {plural_noun(len(compared), noun)}")
        )
        return "system", f"fails {where} ({tally}): failing everywhere points to the code", evidence
    if dimension == "location":
        only = "in CI" if failing == ["CI"] else "locally"
        other = "local runs" if failing == ["CI"] else "CI runs"
        head = f"fails only {only} ({tally})"
        clean = f"{clean_runs} {other} without a failure"
    else:
        head = f"fails on {len(failing)} of {plural(len(compared), noun)} ({tally})"
        clean = f"{plural(clean_runs, 'run')} on the others without a failure"
    odds = f"at its {rate:.0%} failure rate a chance of {chance:.1%}"
    if chance < CHANCE:
        return "test", f"{head}; {clean}, {odds}: an environmental dependency of the test", evidence
    return "neutral", f"{head}, but {clean} could be luck ({odds})", evidence


def _spread_signal(runs: Sequence[TestRun]) -> Signal:
    findings: list[tuple[Lean, str]] = []
    evidence: dict[str, Any] = {}
    for dimension, noun, value_of in _DIMENSIONS:
        places: dict[str, _Place] = {}
        for run in runs:
            value = value_of(run)
            if value is None:
                continue
            seen = places.get(value, _Place(0, 0))
            places[value] = _Place(seen.runs + 1, seen.failures + run.failed_any)
        found = _spread_finding(dimension, noun, places)
        if found is not None:
            findings.append(found[:2])
            evidence[dimension] = found[2]
    if not findings:
        return Signal(
            "spread",
            "unknown",
            f"no spread to compare: it needs two places (CI and local, jobs, runners or "
            f"environments) with {MIN_RUNS_PER_PLACE} runs each and a failure among them; "
            "ingest local runs too, or tag runs with --tag runner=NAME",
            evidence,
        )
    leans = [lean for lean, _ in findings]
    lean: Lean = "test" if "test" in leans else "system" if "system" in leans else "neutral"
    text = "; ".join(sentence for _, sentence in findings)
    return Signal("spread", lean, text, evidence)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def _load_signal(runs: Sequence[TestRun]) -> Signal:
    # The load of a run: its duration without the test's own time (a test that times out
    # lengthens its run by itself). A run with nothing else in it says nothing about load.
    loads = [(r.run_duration_s - r.test_duration_s, r.failed_any) for r in runs]
    failed = [load for load, failing in loads if load > 0 and failing]
    passed = [load for load, failing in loads if load > 0 and not failing]
    evidence: dict[str, Any] = {"failing_runs": len(failed), "passing_runs": len(passed)}
    if len(failed) < MIN_LOAD_RUNS or len(passed) < MIN_LOAD_RUNS:
        return Signal(
            "load",
            "unknown",
            f"comparing run durations needs {MIN_LOAD_RUNS} runs with a failure and "
            f"{MIN_LOAD_RUNS} without, with other tests in them (has {len(failed)} and "
            f"{len(passed)})",
            evidence,
        )
    test = mann_whitney_greater(failed, passed)
    slow, fast = median(failed), median(passed)
    evidence |= {"median_failing_s": slow, "median_passing_s": fast, "p": round(test.p, 4)}
    if test.p < LOAD_ALPHA:
        return Signal(
            "load",
            "system",
            f"runs it failed in were longer: a median {_duration(slow)} against "
            f"{_duration(fast)} (Mann-Whitney p = {test.p:.3f}); failing more under load is "
            "what a real race does under contention",
            evidence,
        )
    return Signal(
        "load",
        "neutral",
        f"no link with load: runs it failed in took a median {_duration(slow)}, runs it "
        f"passed in {_duration(fast)} (Mann-Whitney p = {test.p:.2f})",
        evidence,
    )


def _source_signal(hints: Sequence[str] | None) -> Signal:
    if hints is None:
        return Signal(
            "source",
            "unknown",
            "its source is not at hand to look for sleeps, hard-coded ports, shared state "
            "or clock reads",
        )
    if not hints:
        return Signal(
            "source",
            "neutral",
            "no sleep, hard-coded port, shared state, clock read or unseeded random in its source",
            {"hints": []},
        )
    kinds = sorted(set(hints))
    return Signal(
        "source",
        "test",
        f"its source has {plural(len(hints), 'determinism hint')} ({', '.join(kinds)}): "
        "a test that sleeps, shares state or reads the clock is the likely culprit",
        {"hints": kinds},
    )


def _points(n: int) -> str:
    return f"{plural(n, 'signal')} {'points' if n == 1 else 'point'}"


def flakiness_signals(
    test_id: str, runs: Sequence[TestRun], *, hints: Sequence[str] | None = None
) -> FlakinessSignals:
    """The hint for ``test_id`` from its runs of the window (every run, passing ones too) and
    the kinds of its static determinism hints (None: its source is not at hand)."""
    counted = [r for r in runs if r.counted]
    signals = (
        _kinds_signal(counted),
        _spread_signal(counted),
        _load_signal(counted),
        _source_signal(hints),
    )
    system = sum(s.lean == "system" for s in signals)
    test = sum(s.lean == "test" for s in signals)
    if not any(r.failed_any for r in counted):
        verdict, text = (
            VERDICT_UNKNOWN,
            (
                "Not enough evidence: it did not fail in the detection window, so there is "
                "nothing to tell apart."
            ),
        )
    elif all(r.failed_any for r in counted):
        verdict, text = (
            VERDICT_UNKNOWN,
            (
                "Not enough evidence: it failed in every run it had, so it is broken, not "
                "flaky: fix what fails."
            ),
        )
    elif system > test:
        verdict, text = (
            VERDICT_SYSTEM,
            (
                f"Looks like a flaky system: {_points(system)} to the code under test and "
                f"{test} to the test. Before quarantining, look for a real race or leak in the "
                "code: a quarantine would hide it."
            ),
        )
    elif test > system:
        verdict, text = (
            VERDICT_TEST,
            (
                f"Looks like a flaky test: {_points(test)} to the test and {system} to the code "
                "under test. Fix the test: isolate its data, wait on conditions, stub the "
                "network, inject the clock."
            ),
        )
    elif test:
        verdict, text = (
            VERDICT_UNKNOWN,
            (
                f"Not enough evidence: the signals disagree ({test} to the test, {system} to the "
                "code under test). Spend half an hour on the failure mode before quarantining."
            ),
        )
    else:
        verdict, text = (
            VERDICT_UNKNOWN,
            (
                "Not enough evidence: no signal leans either way yet. Ingest more runs, local "
                "runs, or runs tagged with --tag runner=NAME."
            ),
        )
    return FlakinessSignals(test_id=test_id, verdict=verdict, explanation=text, signals=signals)
