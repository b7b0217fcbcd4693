"""JSON views of testhealth results, shared by the CLI (``--format json``) and the HTTP API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from readiness._common.canonical import jsonable_dict
from readiness._common.words import plural
from readiness.config import LinksSettings, fill_link
from readiness.testhealth.detection.impact import TestImpact
from readiness.testhealth.detection.model import HistoryEntry
from readiness.testhealth.detection.signals import FlakinessSignals
from readiness.testhealth.junit.rows import MAX_MESSAGE
from readiness.testhealth.model import (
    Classification,
    FailingOrder,
    FixVerification,
    IngestResult,
    QuarantineEntry,
    RuleHit,
    TestAnnotation,
    TestFigures,
    TestHealth,
    TestStatus,
)
from readiness.testhealth.store.runs import RunDetail, RunRow


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def figures_view(f: TestFigures) -> dict[str, Any]:
    """A test's figures as JSON (``flake_rate`` and its interval are null for a broken test)."""
    flake_interval = (
        None if f.flake_rate_low is None else [_r(f.flake_rate_low), _r(f.flake_rate_high)]
    )
    return {
        "runs": f.runs,
        "failures": f.failures,
        "failure_rate": _r(f.failure_rate),
        "failure_rate_interval": [_r(f.failure_rate_low), _r(f.failure_rate_high)],
        "failure_streak": f.streak,
        "flake_rate": _r(f.flake_rate),
        "flake_rate_interval": flake_interval,
    }


def health_view(h: TestHealth) -> dict[str, Any]:
    """One test's verdict; the keys scripts rely on come first."""
    return jsonable_dict(
        {
            "test_id": h.test_id,
            "status": h.status.value,
            **figures_view(h.figures),
            "rules": [
                {"rule": r.rule, "explanation": r.explanation, "evidence": r.evidence}
                for r in h.rules
            ],
            "is_new": h.is_new,
            "broken_since": h.broken_since,
            "first_seen": h.first_seen,
            "last_seen": h.last_seen,
            "mean_duration_s": round(h.mean_duration_s, 6),
            "failure_groups": [asdict(g) for g in h.failure_groups],
        }
    )


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _rate_cell(rate: float | None, interval: Sequence[float] | None) -> str:
    if rate is None or interval is None:
        return "–"
    low, high = interval
    return f"{_percent(rate)} ({_percent(low)}–{_percent(high)})"


def figure_cells(view: Mapping[str, Any]) -> dict[str, str]:
    """A test's figures as the words every surface prints, from its JSON view.

    ``tests flaky``, ``tests show`` and the dashboard all print these strings, so the same
    test reads the same everywhere: ``{"runs": "11", "failures": "11", "failure_rate":
    "100.0% (74.1%–100.0%)", "streak": "11", "flake_rate": "–"}`` for a test that failed its
    last 11 runs (a broken test has no flake rate).
    """
    return {
        "runs": str(view["runs"]),
        "failures": str(view["failures"]),
        "failure_rate": _rate_cell(view["failure_rate"], view["failure_rate_interval"]),
        "streak": str(view["failure_streak"]),
        "flake_rate": _rate_cell(view["flake_rate"], view["flake_rate_interval"]),
    }


def figures_sentence(cells: Mapping[str, str]) -> str:
    """``runs 11, failures 11, failure rate 100.0% (74.1%–100.0%), streak 11, flake rate –``:
    the figures of :func:`figure_cells` in one line (``tests flaky``, ``tests show``, the test
    page of the dashboard)."""
    return (
        f"runs {cells['runs']}, failures {cells['failures']}, failure rate "
        f"{cells['failure_rate']}, streak {cells['streak']}, flake rate {cells['flake_rate']}"
    )


def impact_view(i: TestImpact) -> dict[str, Any]:
    """What a test cost CI (see :mod:`readiness.testhealth.detection.impact`) as JSON."""
    return jsonable_dict(
        {
            "score": i.score,
            "ci_runs_failed": i.ci_runs_failed,
            "ci_runs_retried": i.ci_runs_retried,
            "in_run_retries": i.in_run_retries,
            "ci_reruns": i.ci_reruns,
            "ci_minutes_lost": round(i.ci_minutes_lost, 2),
            "local_runs_failed": i.local_runs_failed,
            "prs_affected": i.prs_affected,
            "branches_affected": i.branches_affected,
            "prs": list(i.prs),
            "branches": list(i.branches),
            "last_failed_at": i.last_failed_at,
        }
    )


def flaky_entry_view(h: TestHealth, i: TestImpact) -> dict[str, Any]:
    """An entry of the flaky list: the test's verdict and, under ``impact``, its cost."""
    return {**health_view(h), "impact": impact_view(i)}


def signals_view(s: FlakinessSignals) -> dict[str, Any]:
    """The flaky-system-or-flaky-test hint and each signal behind it, in words and figures."""
    return jsonable_dict(
        {
            "verdict": s.verdict,
            "explanation": s.explanation,
            "signals": [
                {
                    "name": g.name,
                    "lean": g.lean,
                    "explanation": g.explanation,
                    "evidence": g.evidence,
                }
                for g in s.signals
            ],
        }
    )


def _minutes(minutes: float) -> str:
    if minutes == 0:
        return "0 min"
    return f"{minutes:.1f} min" if minutes < 1 else f"{minutes:.0f} min"


def impact_cells(impact: Mapping[str, Any]) -> dict[str, str]:
    """A test's impact (its :func:`impact_view`) as the words every surface prints:
    ``{"score": "25.0", "failed": "1 CI run failed", "retried": "2 retried", "lost": "10 min
    lost", "prs": "1 PR", "branches": "2 branches", "last_failed": "2026-03-01 11:00"}``."""
    last = impact.get("last_failed_at")
    return {
        "score": f"{float(impact['score']):.1f}",
        "failed": f"{plural(int(impact['ci_runs_failed']), 'CI run')} failed",
        "retried": f"{impact['ci_runs_retried']} retried",
        "lost": f"{_minutes(float(impact['ci_minutes_lost']))} lost",
        "prs": plural(int(impact["prs_affected"]), "PR"),
        "branches": plural(int(impact["branches_affected"]), "branch"),
        "last_failed": str(last)[:16].replace("T", " ") if last else "never",
    }


def impact_row(i: TestImpact) -> dict[str, str]:
    """The context the flaky table's impact cell and ``_signals.html`` read as ``impact``:
    :func:`impact_cells` plus ``summary``, their :func:`impact_sentence`."""
    cells = impact_cells(impact_view(i))
    return {**cells, "summary": impact_sentence(cells)}


def impact_sentence(cells: Mapping[str, str]) -> str:
    """``1 CI run failed · 2 retried · 10 min lost · 1 PR · 2 branches``: the cells of
    :func:`impact_cells` in one line (the flaky list's impact column, ``tests show``)."""
    return " · ".join(cells[k] for k in ("failed", "retried", "lost", "prs", "branches"))


def quarantine_view(e: QuarantineEntry) -> dict[str, Any]:
    return jsonable_dict(
        {
            "test_id": e.test_id,
            "owner": e.owner,
            "reason": e.reason,
            "issue": e.issue,
            "created": e.created,
            "expires": e.expires,
            "created_by": e.created_by,
            "source": e.source,
        }
    )


def annotation_view(test_id: str, a: TestAnnotation | None) -> dict[str, Any]:
    """The owner and issue the server holds for ``test_id`` (nulls when never set)."""
    return jsonable_dict(
        {
            "test_id": test_id,
            "owner": a.owner if a else None,
            "issue": a.issue if a else None,
            "set_by": a.set_by if a else None,
            "set_at": a.set_at if a else None,
        }
    )


def ingest_view(r: IngestResult) -> dict[str, Any]:
    return jsonable_dict(asdict(r))


def fix_view(v: FixVerification) -> dict[str, Any]:
    return jsonable_dict(asdict(v))


def classification_view(c: Classification) -> dict[str, Any]:
    return jsonable_dict(
        {
            "test_id": c.test_id,
            "label": c.label,
            "polluters": list(c.polluters),
            "hints": [asdict(h) for h in c.hints],
            "failure_kind": c.failure_kind,
            "evidence": c.evidence,
            "pytest_runs": c.pytest_runs,
            "search_runs": c.search_runs,
            "runs": c.runs,
        }
    )


def failing_order_view(o: FailingOrder) -> dict[str, Any]:
    """One order a test failed in; ``before`` is null when the run stored no order."""
    return jsonable_dict(
        {
            "run_key": o.run_key,
            "started_at": o.started_at,
            "commit": o.commit,
            "seed": o.seed,
            "suite": o.suite,
            "before": list(o.before) if o.before is not None else None,
        }
    )


def failing_order_from_view(view: Mapping[str, Any]) -> FailingOrder:
    """Rebuild a :class:`FailingOrder` from its JSON view (what the server sends)."""
    before = view.get("before")
    return FailingOrder(
        run_key=str(view["run_key"]),
        started_at=datetime.fromisoformat(view["started_at"]),
        commit=view.get("commit"),
        seed=view.get("seed"),
        suite=view.get("suite"),
        before=tuple(str(t) for t in before) if before is not None else None,
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _figures_from_view(view: Mapping[str, Any]) -> TestFigures:
    low, high = view["failure_rate_interval"]
    flake = view.get("flake_rate")
    flake_low, flake_high = view.get("flake_rate_interval") or (None, None)
    return TestFigures(
        runs=int(view["runs"]),
        failures=int(view["failures"]),
        failure_rate=float(view["failure_rate"]),
        failure_rate_low=float(low),
        failure_rate_high=float(high),
        streak=int(view["failure_streak"]),
        flake_rate=None if flake is None else float(flake),
        flake_rate_low=None if flake_low is None else float(flake_low),
        flake_rate_high=None if flake_high is None else float(flake_high),
    )


def health_from_view(view: Mapping[str, Any]) -> TestHealth:
    """Rebuild a :class:`TestHealth` from its JSON view (what the server sends)."""
    return TestHealth(
        test_id=view["test_id"],
        status=TestStatus(view["status"]),
        figures=_figures_from_view(view),
        first_seen=_when(view.get("first_seen")),
        last_seen=_when(view.get("last_seen")),
        is_new=bool(view.get("is_new")),
        rules=tuple(
            RuleHit(r["rule"], r["explanation"], dict(r.get("evidence") or {}))
            for r in view.get("rules") or []
        ),
        broken_since=view.get("broken_since"),
        mean_duration_s=float(view.get("mean_duration_s") or 0.0),
    )


def quarantine_from_view(view: Mapping[str, Any]) -> QuarantineEntry:
    """Rebuild a :class:`QuarantineEntry` from its JSON view."""
    created = _when(view["created"])
    expires = _when(view["expires"])
    if created is None or expires is None:
        raise ValueError(f"quarantine entry {view.get('test_id')!r} lacks created/expires")
    return QuarantineEntry(
        test_id=view["test_id"],
        owner=view.get("owner"),
        reason=view["reason"],
        issue=view.get("issue"),
        created=created,
        expires=expires,
        created_by=view.get("created_by") or "unknown",
        source=view.get("source") or "server",
    )


def _safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL (a CI's own link is shown only then), else None."""
    if url is None:
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def run_links(run: RunRow, links: LinksSettings) -> dict[str, str | None]:
    """The CI job, commit and pull-request links of a run: the CI's own URL of the run when it
    is http(s), else the ``links`` templates filled with the run's (URL-quoted) fields."""
    values = {
        "commit": run.commit,
        "branch": run.branch,
        "pr": run.pr,
        "run_id": run.ci_run_id,
        "job": run.job,
        "attempt": run.attempt,
    }
    return {
        "ci_run": _safe_url(run.url) or fill_link(links.ci_run, values),
        "commit": fill_link(links.commit, values),
        "pull_request": fill_link(links.pull_request, values),
    }


def _positions(history: Sequence[HistoryEntry], run: RunRow) -> list[str]:
    """Where each entry of a newest-first history stands relative to ``run``: the entries
    listed above it are ``after`` it, those below ``before`` (the store's order, ties included)."""
    keys = [h.run_key for h in history]
    here = keys.index(run.run_key) if run.run_key in keys else len(keys)
    return [
        "after" if n < here else "this run" if n == here else "before" for n in range(len(keys))
    ]


def run_detail_view(detail: RunDetail, links: LinksSettings) -> dict[str, Any]:
    """One run, its links and its failures, each with the test's history around the run
    (newest first, each entry placed ``after``, ``this run`` or ``before``)."""
    run = detail.run
    return jsonable_dict(
        {
            "run": asdict(run),
            "links": run_links(run, links),
            "failed_tests": detail.failed_tests,
            "failures": [
                {
                    "test_id": f.test_key,
                    "attempts": [o.name.lower() for o in f.outcomes],
                    "kind": f.kind,
                    "message": f.message,
                    "message_cut": f.message is not None and len(f.message) >= MAX_MESSAGE,
                    "history": [
                        {
                            "position": position,
                            "run_key": h.run_key,
                            "started_at": h.started_at,
                            "commit": h.commit,
                            "branch": h.branch,
                            "attempts": [o.name.lower() for o in h.outcomes],
                        }
                        for h, position in zip(history, _positions(history, run), strict=True)
                    ],
                }
                for f, history in detail.failures
            ],
        }
    )
