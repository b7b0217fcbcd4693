"""testhealth use cases: the only API the CLI, the server, the gate and the plugin call.

Wires the pure rules (``core``), the parser/ingest and queries (``ingest``, ``queries``), the
quarantine file (``quarantine``) and the audit trail. Time comes from the injected clock.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from readiness._common.clock import Clock
from readiness.audit.service import record_event
from readiness.config import Settings
from readiness.errors import InputError, NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.checks import RunFailures
from readiness.testhealth.detection.model import Cluster, SuiteHealth
from readiness.testhealth.model import (
    FixVerification,
    IngestResult,
    Outcome,
    QuarantineEntry,
    RunMeta,
    TestHealth,
    TestHints,
    TestStatus,
)
from readiness.testhealth.quarantine.book import QuarantineBackend, QuarantineBook
from readiness.testhealth.store import runs as store
from readiness.testhealth.store import tables

if TYPE_CHECKING:
    pass


class TestHealthService:
    """Flaky-test management for one project on one pair of stores."""

    __test__ = False

    def __init__(
        self,
        *,
        settings: Settings,
        stores: Stores,
        clock: Clock,
        actor: str = "cli",
        quarantine_backend: QuarantineBackend = "file",
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.clock = clock
        self.actor = actor
        self.quarantine_backend = quarantine_backend
        self.project = settings.project
        self.th = settings.testhealth
        self.quarantine = QuarantineBook(
            settings=settings, stores=stores, clock=clock, actor=actor, backend=quarantine_backend
        )

    # ----------------------------------------------------------------- ingest

    def ingest_bytes(self, data: bytes | BinaryIO, *, source: str, meta: RunMeta) -> IngestResult:
        """Ingest one JUnit XML document (bytes or a binary stream) in one transaction."""
        from readiness.testhealth.ingest.pipeline import ingest_stream

        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
        result = ingest_stream(
            self.stores.state,
            stream,
            source=source,
            meta=meta,
            project=self.project,
            now=self.clock.now(),
            infra_failure_ratio=self.th.infra_failure_ratio,
            infra_min_tests=self.th.infra_min_tests,
            max_field_bytes=self.th.max_field_bytes,
        )
        if not result.duplicate:
            record_event(
                self.stores.audit,
                clock=self.clock,
                actor=self.actor,
                action="tests.run.ingested",
                target=result.run_key,
                details={
                    "source": source,
                    "results": result.results,
                    "commit": meta.commit,
                    "branch": meta.branch,
                    "run_id": meta.run_id,
                },
            )
        return result

    def ingest_files(self, paths: Sequence[Path], *, meta: RunMeta) -> list[IngestResult]:
        """Ingest each file in its own transaction; a bad file stops before the next one."""
        results = []
        for path in paths:
            try:
                handle = path.open("rb")
            except OSError as exc:
                raise InputError(
                    f"JUnit XML {path}: cannot be read ({exc.strerror}); check the path"
                ) from exc
            with handle:
                results.append(self.ingest_bytes(handle, source=str(path), meta=meta))
        return results

    # -------------------------------------------------------------- detection

    def health(
        self, *, test_id: str | None = None, until: datetime | None = None
    ) -> list[TestHealth]:
        """Every known test (or one) with its status, flake rate and the rules that fired.

        ``until`` judges the history as it stood then (runs started at or before it).
        """
        from readiness.testhealth.detection.rules import assess
        from readiness.testhealth.store.evidence import load_evidence

        evidence = load_evidence(
            self.stores.state,
            project=self.project,
            default_branch=self.settings.default_branch,
            window_runs=self.th.window_runs,
            test_key=test_id,
            until=until,
        )
        verdicts = assess(
            evidence,
            settings=self.th,
            quarantine=self.quarantine_entries(),
            now=self.clock.now(),
        )
        if test_id is not None and not verdicts:
            raise NotFoundError(
                f"test {test_id!r} has no recorded results; "
                "check the id with `readiness tests flaky --all`"
            )
        return verdicts

    def flaky(self) -> list[TestHealth]:
        """The tests that need attention: flaky, broken or quarantined (worst first)."""
        order = {
            TestStatus.BROKEN: 0,
            TestStatus.FLAKY: 1,
            TestStatus.QUARANTINED: 2,
            TestStatus.FIXED: 3,
        }
        found = [h for h in self.health() if h.status in order]
        return sorted(found, key=lambda h: (order[h.status], -h.flake_rate, h.test_id))

    def known_test_ids(self) -> list[str]:
        """Every test id ever seen (the pytest plugin's early flake detection uses it)."""
        return store.known_test_keys(self.stores.state, project=self.project)

    def test_history(self, test_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` runs of one test, newest first, each with its attempts."""
        from readiness.testhealth.store.history import load_test_history

        return [
            {
                "run_key": h.run_key,
                "started_at": h.started_at,
                "commit": h.commit,
                "branch": h.branch,
                "run_id": h.ci_run_id,
                "ci_attempt": h.ci_attempt,
                "infra_failure": h.infra_failure,
                "attempts": [Outcome(o).name.lower() for o in h.outcomes],
                "duration_s": h.duration_s,
                "message": h.message,
            }
            for h in load_test_history(self.stores.state, self.project, test_id, limit)
        ]

    def suite_health(self, *, days: int = 14) -> SuiteHealth:
        """The five suite-health metrics over the last ``days`` days."""
        from readiness.testhealth.detection.suite import suite_health
        from readiness.testhealth.store.history import load_suite_health_inputs

        now = self.clock.now()
        since = now - timedelta(days=days)
        inputs = load_suite_health_inputs(self.stores.state, project=self.project, since=since)
        inputs = replace(inputs, quarantine=inputs.quarantine + self.quarantine.file_spans())
        day_list = [(since + timedelta(days=n + 1)).date() for n in range(days)]
        return suite_health(inputs, slow_share=self.th.slow_share, days=day_list)

    def clusters(self) -> list[Cluster]:
        """Tests that fail together in the same runs: one outage is one item."""
        from readiness.testhealth.detection.suite import cluster_co_failures
        from readiness.testhealth.store.history import load_clusters_input

        failing = load_clusters_input(
            self.stores.state, project=self.project, window_runs=self.th.window_runs
        )
        return list(cluster_co_failures(failing))

    def report(self) -> dict[str, Any]:
        """Suite health plus co-failure clusters, as ``readiness tests report`` shows them."""
        return {
            "suite_health": asdict(self.suite_health()),
            "clusters": [asdict(c) for c in self.clusters()],
        }

    def runs(self, *, limit: int = 50) -> list[store.RunRow]:
        """The most recent ingested runs."""
        return store.list_runs(self.stores.state, project=self.project, limit=limit)

    # ------------------------------------------------------------- quarantine

    def quarantine_entries(self) -> list[QuarantineEntry]:
        """The active quarantine list: the reviewed file plus entries held by the server."""
        return self.quarantine.entries()

    def quarantine_add(
        self,
        test_id: str,
        *,
        reason: str,
        owner: str | None = None,
        issue: str | None = None,
        expires: datetime | None = None,
    ) -> QuarantineEntry:
        """Quarantine ``test_id`` (it still runs; its failures stop blocking) and record why."""
        return self.quarantine.add(
            test_id, reason=reason, owner=owner, issue=issue, expires=expires
        )

    def quarantine_remove(self, test_id: str, *, reason: str) -> None:
        """Take ``test_id`` out of quarantine and record why."""
        self.quarantine.remove(test_id, reason=reason)

    def quarantine_history(self, *, test_id: str | None = None) -> list[dict[str, Any]]:
        """Who changed the quarantine list, when and why (newest first)."""
        return self.quarantine.history(test_id=test_id)

    def record_fix_verification(self, outcome: FixVerification) -> FixVerification:
        """Store a verification; a "fixed" verdict releases the test from quarantine."""
        with self.stores.state.begin() as conn:
            conn.execute(
                tables.fix_verifications.insert().values(
                    project=self.project,
                    test_key=outcome.test_id,
                    at=self.clock.now(),
                    actor=self.actor,
                    flake_rate=outcome.flake_rate,
                    required_runs=outcome.required_runs,
                    runs=outcome.runs,
                    failures=outcome.failures,
                    verdict=outcome.verdict,
                )
            )
        record_event(
            self.stores.audit,
            clock=self.clock,
            actor=self.actor,
            action="tests.fix.verified",
            target=outcome.test_id,
            details={
                "verdict": outcome.verdict,
                "runs": outcome.runs,
                "failures": outcome.failures,
                "required_runs": outcome.required_runs,
                "flake_rate": outcome.flake_rate,
            },
        )
        if outcome.verdict == "fixed" and any(
            e.test_id == outcome.test_id for e in self.quarantine_entries()
        ):
            self.quarantine.remove(
                outcome.test_id,
                reason=f"fix verified: {outcome.runs} runs without a failure",
                action="fixed",
            )
        return outcome

    def latest_run_failures(self, commit: str | None) -> RunFailures | None:
        """Final outcomes of the latest run of every CI job of ``commit`` (None: newest commit).

        Failures of tests in (unexpired) quarantine are listed apart: they never block.
        """
        chosen = store.latest_runs_of(self.stores.state, project=self.project, commit=commit)
        if not chosen:
            return None
        outcomes = store.final_outcomes(self.stores.state, [run_id for run_id, _ in chosen])
        now = self.clock.now()
        quarantined = {e.test_id for e in self.quarantine_entries() if not e.is_expired(now)}
        failing = sorted(k for k, o in outcomes.items() if o.is_failure)
        return RunFailures(
            commit=commit,
            run_keys=tuple(key for _, key in chosen),
            tests=len(outcomes),
            failed=tuple(k for k in failing if k not in quarantined),
            quarantined_failed=tuple(k for k in failing if k in quarantined),
        )

    def hints_for_tests(self, test_ids: Iterable[str]) -> dict[str, TestHints]:
        """Static determinism hints of each test whose source file is in the project."""
        from readiness.testhealth.experiments.hints import source_hints

        return source_hints(self.settings.root, test_ids)
