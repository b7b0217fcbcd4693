"""What the merge-gate checks read (``checks.TestHealthFacts``): local store or server.

One facts object lives for one gate run, so the verdicts of a commit are computed once and
shared by the checks that read them (``tests.no_new_flaky`` and ``tests.determinism_hints``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from readiness.config import Settings
from readiness.testhealth.checks import RunFailures
from readiness.testhealth.client import RemoteTestHealth
from readiness.testhealth.detection.budget import RunDuration
from readiness.testhealth.experiments.hints import source_hints
from readiness.testhealth.model import QuarantineEntry, TestHealth, TestHints
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.views import health_from_view, quarantine_from_view

if TYPE_CHECKING:
    import httpx  # imported by the remote client only when it is used

# Runs looked at to name the newest distinct commits; CI jobs of one commit come in bursts.
_RECENT_RUNS = 50
# Runs the time budget reads from a server (its largest page): head's and the base commits'.
_BUDGET_RUNS = 1000


def _distinct(commits: Sequence[str | None], limit: int) -> list[str | None]:
    out: list[str | None] = []
    for commit in commits:
        if commit not in out:
            out.append(commit)
            if len(out) == limit:
                break
    return out


class GateFacts:
    """The testhealth service as the merge-gate checks read it (``checks.TestHealthFacts``)."""

    def __init__(self, service: TestHealthService) -> None:
        self.service = service
        self._health: dict[str | None, list[TestHealth]] = {}

    def latest_run_failures(self, commit: str | None) -> RunFailures | None:
        return self.service.latest_run_failures(commit)

    def health(self, commit: str | None) -> Sequence[TestHealth]:
        """Verdicts from the history up to the last run of ``commit`` (None: all of it)."""
        if commit not in self._health:
            found = self.service.health() if commit is None else self.service.health_at(commit)
            self._health[commit] = found
        return self._health[commit]

    def quarantine_entries(self) -> Sequence[QuarantineEntry]:
        return self.service.quarantine_entries()

    def recent_commits(self, limit: int) -> Sequence[str | None]:
        return _distinct([r.commit for r in self.service.runs(limit=_RECENT_RUNS)], limit)

    def hints_for_tests(self, test_ids: Collection[str]) -> Mapping[str, TestHints]:
        return self.service.hints_for_tests(test_ids)

    def run_durations(self, commit: str) -> Sequence[RunDuration]:
        return self.service.run_durations(commit)

    def base_commits(self, exclude: str | None, limit: int) -> Sequence[str]:
        return self.service.base_commits(exclude, limit)


class RemoteGateFacts:
    """The merge-gate facts (``checks.TestHealthFacts``) read from a shared server.

    Results and quarantine come from the server; determinism hints are read from the local
    checkout, which is where CI runs the gate.
    """

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.remote = RemoteTestHealth(settings, transport=transport)
        self._health: dict[str | None, list[TestHealth]] = {}
        self._runs: list[dict[str, Any]] | None = None

    def latest_run_failures(self, commit: str | None) -> RunFailures | None:
        params = {"commit": commit} if commit else {}
        data = self.remote.call("GET", "/gate/latest-run", params=params)
        if data is None or not data.get("run_keys"):
            return None
        return RunFailures(
            commit=data["commit"],
            run_keys=tuple(data["run_keys"]),
            tests=int(data["tests"]),
            failed=tuple(data["failed"]),
            quarantined_failed=tuple(data["quarantined_failed"]),
            collection_errors=tuple(data.get("collection_errors", ())),
            session_errors=tuple(data.get("session_errors", ())),
        )

    def health(self, commit: str | None) -> Sequence[TestHealth]:
        """Verdicts up to the last run of ``commit`` on the server (None: all of the history)."""
        if commit not in self._health:
            params = {"commit": commit} if commit is not None else {}
            views = self.remote.call("GET", "/health", params=params)
            self._health[commit] = [health_from_view(v) for v in views]
        return self._health[commit]

    def quarantine_entries(self) -> Sequence[QuarantineEntry]:
        return [quarantine_from_view(v) for v in self.remote.quarantine_list()]

    def recent_commits(self, limit: int) -> Sequence[str | None]:
        runs = self.remote.call("GET", "/runs", params={"limit": _RECENT_RUNS})
        return _distinct([r.get("commit") for r in runs], limit)

    def close(self) -> None:
        self.remote.close()

    def _budget_runs(self) -> list[dict[str, Any]]:
        """The server's newest runs that count toward the time budget (newest first)."""
        if self._runs is None:
            runs = self.remote.call("GET", "/runs", params={"limit": _BUDGET_RUNS})
            self._runs = [
                r for r in runs if not r.get("infra_failure") and r.get("provider") != "census"
            ]
        return self._runs

    def run_durations(self, commit: str) -> Sequence[RunDuration]:
        """Run durations of ``commit`` from the server's runs (no per-test durations)."""
        return [
            RunDuration(r.get("job"), float(r["duration_s"]))
            for r in self._budget_runs()
            if r.get("commit") == commit
        ]

    def base_commits(self, exclude: str | None, limit: int) -> Sequence[str]:
        branch = self.settings.default_branch
        commits = [
            r["commit"]
            for r in self._budget_runs()
            if r.get("branch") == branch and r.get("commit") and r["commit"] != exclude
        ]
        return [c for c in _distinct(commits, limit) if c is not None]

    def hints_for_tests(self, test_ids: Collection[str]) -> Mapping[str, TestHints]:
        return source_hints(self.settings.root, test_ids)
