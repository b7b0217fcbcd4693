"""Triage use cases: what each flaky or broken test costs, and flaky system or flaky test.

Wires :mod:`.detection.impact` and :mod:`.detection.signals` (pure) to their store
(:mod:`.store.impact`) for :class:`~readiness.testhealth.service.TestHealthService`, whose
``flaky_impact`` and ``signals`` methods are the API the surfaces call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.errors import NotFoundError
from readiness.testhealth.detection.impact import SORT_KEYS, TestImpact, impact_of, sort_by
from readiness.testhealth.detection.signals import FlakinessSignals, flakiness_signals
from readiness.testhealth.model import TestHealth

if TYPE_CHECKING:
    from readiness.testhealth.service import TestHealthService


@dataclass(frozen=True, slots=True)
class TestTriage:
    """One test's impact and its flaky-system-or-flaky-test hint."""

    __test__ = False

    impact: TestImpact
    signals: FlakinessSignals


def check_sort(sort: str) -> str:
    """``sort`` when it is one of :data:`SORT_KEYS`; InputError naming them otherwise."""
    sort_by([], sort, test_id=str, impact=lambda _: TestImpact(""), failure_rate=lambda _: 0.0)
    return sort


def flaky_impact(
    service: TestHealthService, *, sort: str = "impact", include_healthy: bool = False
) -> list[tuple[TestHealth, TestImpact]]:
    """The tests needing attention (every test with ``include_healthy``), each with its impact,
    in the order ``sort`` names (one of :data:`SORT_KEYS`; impact first by default)."""
    from readiness.testhealth.store.impact import load_test_runs

    check_sort(sort)
    found = service.health() if include_healthy else service.flaky()
    runs = load_test_runs(
        service.stores.state,
        project=service.project,
        default_branch=service.settings.default_branch,
        window_runs=service.th.window_runs,
        test_keys=None if include_healthy else [h.test_id for h in found],
        failing_only=True,
    )
    pairs = [(h, impact_of(h.test_id, runs.get(h.test_id, ()))) for h in found]
    return sort_by(
        pairs,
        sort,
        test_id=lambda p: p[0].test_id,
        impact=lambda p: p[1],
        failure_rate=lambda p: p[0].figures.failure_rate,
    )


def impacts(service: TestHealthService, test_ids: list[str]) -> dict[str, TestImpact]:
    """The impact of each of ``test_ids`` (one query over their failing runs of the window)."""
    from readiness.testhealth.store.impact import load_test_runs

    if not test_ids:
        return {}
    runs = load_test_runs(
        service.stores.state,
        project=service.project,
        default_branch=service.settings.default_branch,
        window_runs=service.th.window_runs,
        test_keys=test_ids,
        failing_only=True,
    )
    return {t: impact_of(t, runs.get(t, ())) for t in test_ids}


def hint_kinds(root: Path, test_id: str) -> list[str] | None:
    """Kinds of the static determinism hints of ``test_id`` (None: its source is not under
    ``root``)."""
    from readiness.testhealth.experiments.hints import source_hints
    from readiness.testhealth.experiments.source_index import SourceIndex, parse_test_id

    found = source_hints(root, [test_id]).get(test_id)
    if found is not None:
        return [h.kind for h in found.hints]
    ref = parse_test_id(test_id)
    if ref is None or SourceIndex(root).find(ref) is None:
        return None
    return []  # located, and nothing in it


def test_triage(service: TestHealthService, test_id: str) -> TestTriage:
    """Impact and signals of one test from its runs of the window; NotFoundError if unknown."""
    from readiness.testhealth.ingest.writer import _test_key
    from readiness.testhealth.store.impact import load_test_runs, test_key_known

    key = _test_key(test_id)
    if not test_key_known(service.stores.state, project=service.project, test_key=key):
        raise NotFoundError(
            f"test {test_id!r} has no recorded results; "
            "check the id with `readiness tests flaky --all`"
        )
    runs = load_test_runs(
        service.stores.state,
        project=service.project,
        default_branch=service.settings.default_branch,
        window_runs=service.th.window_runs,
        test_keys=[key],
    ).get(key, [])
    hints = hint_kinds(service.settings.root, test_id)
    return TestTriage(
        impact=impact_of(key, runs), signals=flakiness_signals(key, runs, hints=hints)
    )


test_triage.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

__all__ = [
    "SORT_KEYS",
    "TestTriage",
    "check_sort",
    "flaky_impact",
    "hint_kinds",
    "impacts",
    "test_triage",
]
