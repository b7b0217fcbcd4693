"""``readiness.testing``: the helpers users put in their own tests must themselves be right."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readiness.testhealth.junit.reader import iter_cases
from readiness.testhealth.model import Outcome, RunMeta, TestStatus
from readiness.testing import (
    FrozenClock,
    captured_audit_events,
    junit_xml,
    memory_stores,
    memory_testhealth,
)


def test_junit_xml_reads_back_with_every_attempt_in_order() -> None:
    xml = junit_xml(
        {
            "tests/test_a.py::test_ok": "passed",
            "tests/test_a.py::test_retry": ["failed", "passed"],
            "tests/test_b.py::test_down": ["error", "failed"],
            "tests/test_b.py::test_skip": "skipped",
        }
    )

    cases = [(c.test_id, c.attempt, c.outcome) for c in iter_cases(io.BytesIO(xml), "x.xml")]

    assert cases == [
        ("tests/test_a.py::test_ok", 0, Outcome.PASSED),
        ("tests/test_a.py::test_retry", 0, Outcome.FAILED),
        ("tests/test_a.py::test_retry", 1, Outcome.PASSED),
        ("tests/test_b.py::test_down", 0, Outcome.ERROR),
        ("tests/test_b.py::test_down", 1, Outcome.FAILED),
        ("tests/test_b.py::test_skip", 0, Outcome.SKIPPED),
    ]


def test_junit_xml_refuses_an_unknown_outcome() -> None:
    with pytest.raises(ValueError, match=r"unknown outcome 'flaky' for t\.py::x"):
        junit_xml({"t.py::x": "flaky"})


def test_memory_testhealth_judges_a_retry_pass_as_flaky_and_audits_the_ingest(
    tmp_path: Path,
) -> None:
    clock = FrozenClock(datetime(2026, 5, 4, 8, tzinfo=UTC))
    service = memory_testhealth(tmp_path, clock=clock, actor="tester")

    service.ingest_bytes(
        junit_xml({"tests/t.py::test_x": ["failed", "passed"]}),
        source="r1.xml",
        meta=RunMeta(commit="c1", branch="main", run_id="1"),
    )

    [health] = service.health()
    events = captured_audit_events(service.stores, action_prefix="tests.")
    assert (health.test_id, health.status) == ("tests/t.py::test_x", TestStatus.FLAKY)
    # A retry pass is also a pass and a failure on one commit: both rules say so.
    assert [r.rule for r in health.rules] == ["same-commit", "retry-pass"]
    assert [(e.actor_id, e.action, e.occurred_at) for e in events] == [
        ("tester", "tests.run.ingested", clock.now())
    ]


def test_memory_stores_are_separate_and_start_empty() -> None:
    first, second = memory_stores(), memory_stores()

    assert captured_audit_events(first) == []
    assert first.state.url.database is None
    assert first.state is not second.state


def test_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    before = clock.now()
    clock.advance(timedelta(minutes=5))

    assert clock.now() - before == timedelta(minutes=5)
    with pytest.raises(ValueError, match="needs an aware datetime"):
        FrozenClock(datetime(2026, 1, 1))
