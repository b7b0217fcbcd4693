"""Gate history: what one stored gate evaluation holds, and the trends read from many (pure).

Every ``readiness gate`` run is stored (``gate.store``) so a team sees how often its gates pass
and how long they take, per project. A stored run keeps each check's id, status and summary:
enough to read why a gate failed months later, without the evidence (which can be large and is
in the CI job's own output).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Any

from readiness.gate.model import GateReport
from readiness.gate.runner import verdict

SUMMARY_LENGTH = 500  # a summary names a few tests; longer ones are cut with an ellipsis
REVISION_LENGTH = 64  # a SHA-256 object name


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One check of a stored gate run."""

    id: str
    status: str
    summary: str


@dataclass(frozen=True, slots=True)
class GateRun:
    """One stored gate evaluation. ``id`` is ``None`` until it is stored."""

    project: str
    gate: str
    commit: str | None
    base: str | None
    verdict: str
    checks: tuple[CheckLine, ...]
    duration_s: float
    at: datetime
    by: str
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON data: the API's shape of a gate run."""
        return {
            "id": self.id,
            "project": self.project,
            "gate": self.gate,
            "commit": self.commit,
            "base": self.base,
            "verdict": self.verdict,
            "checks": [{"id": c.id, "status": c.status, "summary": c.summary} for c in self.checks],
            "duration_s": round(self.duration_s, 3),
            "at": self.at.isoformat(),
            "by": self.by,
        }


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gate_run_of(
    report: GateReport, *, project: str, duration_s: float, at: datetime, by: str
) -> GateRun:
    """The stored form of ``report``: its verdict and every check's status and summary."""
    return GateRun(
        project=project,
        gate=report.gate.value,
        commit=report.head[:REVISION_LENGTH] if report.head else None,
        base=report.base[:REVISION_LENGTH] if report.base else None,
        verdict=verdict(report),
        checks=tuple(
            CheckLine(o.id, o.result.status.value, _cut(o.result.summary, SUMMARY_LENGTH))
            for o in report.outcomes
        ),
        duration_s=max(0.0, duration_s),
        at=at,
        by=by,
    )


@dataclass(frozen=True, slots=True)
class DayTrend:
    """The gate runs of one UTC day: how many, how many passed, their median duration."""

    day: date
    runs: int
    passed: int
    median_duration_s: float

    @property
    def pass_rate(self) -> float:
        """Share of the day's runs whose verdict was ``pass`` (0.0 to 1.0)."""
        return self.passed / self.runs


def daily_trend(runs: Iterable[GateRun]) -> list[DayTrend]:
    """One :class:`DayTrend` per UTC day that has runs, oldest first."""
    days: dict[date, list[GateRun]] = {}
    for run in runs:
        days.setdefault(run.at.date(), []).append(run)
    return [_day(day, days[day]) for day in sorted(days)]


def _day(day: date, runs: Sequence[GateRun]) -> DayTrend:
    return DayTrend(
        day=day,
        runs=len(runs),
        passed=sum(1 for r in runs if r.verdict == "pass"),
        median_duration_s=float(median(r.duration_s for r in runs)),
    )
