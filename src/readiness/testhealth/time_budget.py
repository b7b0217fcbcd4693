"""The gate check ``tests.time_budget``: the fast suite stays under its budget, and a change
does not add more than ``time_budget_added_s`` to it (handbook Part XII: "fail the build if the
fast suite exceeds a time budget (e.g. 5 minutes)"; "a CI warning that flags any PR adding more
than 30 seconds to the fast suite").

- ``fail`` when head's suite duration is above ``time_budget_s`` (exactly at it passes);
- ``warn`` when it is more than ``time_budget_added_s`` above the median suite duration of the
  newest ``time_budget_base_commits`` default-branch commits (exactly that much passes), naming
  the tests that added the most time;
- missing evidence (no run of head, no default-branch run to compare with) fails as every
  testhealth check does (``--allow-missing`` turns it into a warning).

How a duration is measured is in :mod:`readiness.testhealth.detection.budget`. Pure: the facts
are read through :class:`TimeBudgetFacts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import Any, Protocol

from readiness.errors import GateError
from readiness.gate.model import CheckResult, CheckStatus, Gate, GateContext
from readiness.testhealth.detection.budget import RunDuration, added_time, seconds, suite_duration
from readiness.testhealth.missing_evidence import missing_run

SERVICE_NAME = "testhealth"


class TimeBudgetFacts(Protocol):
    """What ``tests.time_budget`` reads (the testhealth gate facts implement it)."""

    def recent_commits(self, limit: int) -> Sequence[str | None]: ...
    def run_durations(self, commit: str) -> Sequence[RunDuration]:
        """Budget-counted runs of ``commit`` (no census run, no infrastructure failure)."""
        ...

    def base_commits(self, exclude: str | None, limit: int) -> Sequence[str]:
        """The newest default-branch commits with such runs, ``exclude`` left out."""
        ...


def _added_text(added: float, branch: str, base: float) -> str:
    if added > 0:
        return f"{seconds(added)} more than {branch}'s median ({seconds(base)})"
    if added < 0:
        return f"{seconds(-added)} less than {branch}'s median ({seconds(base)})"
    return f"as long as {branch}'s median ({seconds(base)})"


class TimeBudgetCheck:
    """Fails over the suite's time budget; warns when a change adds too much time to it."""

    __test__ = False

    id: str = "tests.time_budget"
    title: str = "The fast suite stays within its time budget"
    checklist_item: str = (
        "Add CI guardrails: fail the build if the fast suite exceeds a time budget (e.g., 5 "
        "minutes). Set a CI warning that flags any PR adding more than 30 seconds to the fast "
        "suite."
    )
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        facts = context.services.get(SERVICE_NAME)
        if facts is None:
            raise GateError(
                f"gate context has no {SERVICE_NAME!r} service; register the testhealth plugin"
            )
        return self._judge(context, facts)

    def _judge(self, context: GateContext, facts: TimeBudgetFacts) -> CheckResult:
        th = context.settings.testhealth
        branch = context.settings.default_branch
        recent = facts.recent_commits(3)
        head = context.head or next((c for c in recent if c is not None), None)
        head_runs = facts.run_durations(head) if head is not None else []
        if not head_runs:
            return missing_run(context.settings, head, recent, "test run")
        duration = suite_duration(head_runs)
        base_ids = facts.base_commits(head, th.time_budget_base_commits)
        base_runs = [facts.run_durations(c) for c in base_ids]
        base = float(median(suite_duration(r) for r in base_runs)) if base_runs else None
        added = None if base is None else duration - base
        top = added_time(head_runs, base_runs)
        evidence: dict[str, Any] = {
            "commit": head,
            "duration_s": round(duration, 3),
            "budget_s": th.time_budget_s,
            "base_branch": branch,
            "base_commits": list(base_ids),
            "base_median_s": None if base is None else round(base, 3),
            "added_s": None if added is None else round(added, 3),
            "added_limit_s": th.time_budget_added_s,
            "jobs": len({r.job for r in head_runs}),
            "runs": len(head_runs),
            "most_added": [{"test_id": t.test_id, "added_s": round(t.added_s, 3)} for t in top],
        }
        named = ", ".join(f"{t.test_id} (+{seconds(t.added_s)})" for t in top)
        budget = seconds(th.time_budget_s)
        if duration > th.time_budget_s:
            also = f"; {_added_text(added, branch, base)}" if added is not None and base else ""
            return CheckResult(
                CheckStatus.FAIL,
                f"The suite took {seconds(duration)}, {seconds(duration - th.time_budget_s)} "
                f"over its {budget} budget{also}",
                evidence,
                remediation=(
                    "Make the slowest tests faster (fakes instead of real services, no sleeps) "
                    "or move them to the full suite"
                    + (f"; added the most: {named}." if named else ".")
                ),
            )
        if base is None or added is None:
            return CheckResult(
                CheckStatus.FAIL,
                f"The suite took {seconds(duration)} of its {budget} budget; no run of "
                f"{branch} is recorded to compare with",
                evidence,
                remediation=(
                    f"Ingest the test reports of {branch} too (`readiness tests ingest "
                    f"report.xml --branch {branch}` in its CI), so that a change's added time "
                    "can be measured."
                ),
                missing_evidence=True,
            )
        within = (
            f"The suite took {seconds(duration)} of its {budget} budget, "
            f"{_added_text(added, branch, base)}"
        )
        if added > th.time_budget_added_s:
            return CheckResult(
                CheckStatus.WARN,
                f"{within}: over the {seconds(th.time_budget_added_s)} a change may add",
                evidence,
                remediation=(
                    f"Added the most: {named}. Could they be unit tests with fakes, or belong "
                    "in the full suite?"
                    if named
                    else "Find the tests that added the most time (`readiness tests report` "
                    "lists the slowest): could they be unit tests with fakes, or belong in the "
                    "full suite?"
                ),
            )
        return CheckResult(CheckStatus.PASS, within, evidence)


def time_budget_checks() -> list[TimeBudgetCheck]:
    """``tests.time_budget``, for ``checks.testhealth_checks``."""
    return [TimeBudgetCheck()]


__all__ = ["TimeBudgetCheck", "TimeBudgetFacts", "time_budget_checks"]
