"""What the merge-gate checks read (``checks.TestHealthFacts``): local store or server."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from readiness.config import Settings
from readiness.testhealth.checks import RunFailures
from readiness.testhealth.client import RemoteTestHealth
from readiness.testhealth.experiments.hints import source_hints
from readiness.testhealth.model import QuarantineEntry, TestHealth, TestHints
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.store import runs as store
from readiness.testhealth.views import health_from_view, quarantine_from_view

if TYPE_CHECKING:
    import httpx  # imported by the remote client only when it is used


class GateFacts:
    """The testhealth service as the merge-gate checks read it (``checks.TestHealthFacts``)."""

    def __init__(self, service: TestHealthService) -> None:
        self.service = service

    def latest_run_failures(self, commit: str | None) -> RunFailures | None:
        return self.service.latest_run_failures(commit)

    def health(self, commit: str | None) -> Sequence[TestHealth]:
        """Verdicts from the history up to the last run of ``commit`` (None: all of it)."""
        if commit is None:
            return self.service.health()
        until = store.last_run_at(
            self.service.stores.state, project=self.service.project, commit=commit
        )
        return [] if until is None else self.service.health(until=until)

    def quarantine_entries(self) -> Sequence[QuarantineEntry]:
        return self.service.quarantine_entries()

    def hints_for_tests(self, test_ids: Collection[str]) -> Mapping[str, TestHints]:
        return self.service.hints_for_tests(test_ids)


class RemoteGateFacts:
    """The merge-gate facts (``checks.TestHealthFacts``) read from a shared server.

    Results and quarantine come from the server; determinism hints are read from the local
    checkout, which is where CI runs the gate.
    """

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.remote = RemoteTestHealth(settings, transport=transport)

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
        )

    def health(self, commit: str | None) -> Sequence[TestHealth]:
        return [health_from_view(v) for v in self.remote.call("GET", "/health")]

    def quarantine_entries(self) -> Sequence[QuarantineEntry]:
        return [quarantine_from_view(v) for v in self.remote.quarantine_list()]

    def close(self) -> None:
        self.remote.close()

    def hints_for_tests(self, test_ids: Collection[str]) -> Mapping[str, TestHints]:
        return source_hints(self.settings.root, test_ids)
