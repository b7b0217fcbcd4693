"""The dashboard partials of triage render the hint, each signal and the impact cells."""

from __future__ import annotations

from datetime import UTC, datetime

from readiness.testhealth.detection.impact import TestImpact
from readiness.testhealth.detection.signals import FlakinessSignals, Signal
from readiness.testhealth.pages import TEMPLATES
from readiness.testhealth.views import impact_row, signals_view
from readiness.web.pages import make_templates

IMPACT = TestImpact(
    "t",
    ci_runs_failed=3,
    ci_runs_retried=2,
    ci_seconds_lost=840.0,
    prs_affected=2,
    branches_affected=1,
    last_failed_at=datetime(2026, 3, 9, 14, 5, tzinfo=UTC),
    score=58.0,
)
SIGNALS = FlakinessSignals(
    "t",
    "flaky test",
    "Looks like a flaky test: <2> signals point to the test.",
    (
        Signal("failure kind", "test", "3 of 3 failures are timeouts"),
        Signal("load", "unknown", "comparing run durations needs 5 runs"),
    ),
)


def render(name: str, **context: object) -> str:
    env = make_templates([TEMPLATES]).env
    return env.get_template(f"testhealth/{name}").render(**context)


def test_impact_row_is_the_cells_and_their_sentence() -> None:
    assert impact_row(IMPACT) == {
        "score": "58.0",
        "failed": "3 CI runs failed",
        "retried": "2 retried",
        "lost": "14 min lost",
        "prs": "2 PRs",
        "branches": "1 branch",
        "last_failed": "2026-03-09 14:05",
        "summary": "3 CI runs failed · 2 retried · 14 min lost · 2 PRs · 1 branch",
    }


def test_the_signals_partial_renders_the_hint_escaped_and_each_signal() -> None:
    html = render("_signals.html", signals=signals_view(SIGNALS), impact=impact_row(IMPACT))
    verdict = '<p class="verdict verdict-flaky-test">Looks like a flaky test: &lt;2&gt; signals'
    assert verdict in html
    assert "<strong>Impact 58.0</strong> — 3 CI runs failed · 2 retried · 14 min lost" in html
    assert '<span class="badge lean-test">points to the test</span>' in html
    assert '<span class="badge lean-unknown">not enough evidence</span>' in html
    assert "3 of 3 failures are timeouts" in html


def test_the_signals_partial_without_signals_says_so() -> None:
    html = render("_signals.html", signals=None)
    assert "No signals: the test has no recorded runs in the detection window." in html
