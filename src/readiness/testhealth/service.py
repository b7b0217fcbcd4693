"""testhealth use cases: the only API the CLI, the server, the gate and the plugin call.

Wires the pure rules (``core``), the parser/ingest and queries (``ingest``, ``queries``), the
quarantine file (``quarantine``) and the audit trail. Time comes from the injected clock.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy.engine import Connection

from readiness._common.clock import Clock, storable_date_problem
from readiness._common.words import plural
from readiness.audit.service import record, relay_after_commit
from readiness.config import Settings
from readiness.errors import InputError, NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.checks import RunFailures
from readiness.testhealth.detection.budget import RunDuration
from readiness.testhealth.detection.model import Cluster, SuiteHealth
from readiness.testhealth.model import (
    MAX_ATTEMPT,
    FailingOrder,
    FixVerification,
    IngestResult,
    Outcome,
    QuarantineEntry,
    RunMeta,
    TestAnnotation,
    TestHealth,
    TestHints,
    TestStatus,
)
from readiness.testhealth.quarantine.book import QuarantineBackend, QuarantineBook
from readiness.testhealth.store import runs as store
from readiness.testhealth.store import tables
from readiness.testhealth.store.listing import RunQuery

if TYPE_CHECKING:
    from readiness.testhealth.detection.impact import TestImpact
    from readiness.testhealth.impact import TestTriage
    from readiness.testhealth.junit.reader import BinaryReader


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
        project: str | None = None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.clock = clock
        self.actor = actor
        self.quarantine_backend = quarantine_backend
        # The project every read and write is scoped to; the server passes the request's.
        self.project = project or settings.project
        self._project_ready = False
        self.th = settings.testhealth
        self.quarantine = QuarantineBook(
            settings=settings,
            stores=stores,
            clock=clock,
            actor=actor,
            backend=quarantine_backend,
            project=self.project,
        )
        from readiness.testhealth.annotations import AnnotationBook

        self.annotations = AnnotationBook(
            stores=stores,
            clock=clock,
            actor=actor,
            project=self.project,
            require_known=self.quarantine.require_known,
        )

    def ensure_project(self) -> None:
        """Create this service's project on its first write (every write path calls this).

        Reads never create it. The server admits requests for existing projects only, so
        there this is a look-up; locally, the first ingest of a checkout creates its project.
        """
        if self._project_ready:
            return
        from readiness.projects.service import ProjectService

        ProjectService(stores=self.stores, clock=self.clock, actor=self.actor).ensure(self.project)
        self._project_ready = True

    # ----------------------------------------------------------------- ingest

    def ingest_bytes(self, data: bytes | BinaryIO, *, source: str, meta: RunMeta) -> IngestResult:
        """Ingest one JUnit XML document (bytes or a binary stream) in one transaction."""
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
        return self.ingest_many([(stream, source)], meta=meta)[0]

    def ingest_many(
        self, items: Sequence[tuple[BinaryReader, str]], *, meta: RunMeta
    ) -> list[IngestResult]:
        """Ingest ``(stream, source)`` documents as runs in one transaction: all, or none.

        A malformed document stores nothing; the error names every malformed one
        (``JUnitParseError`` for a single document, ``JUnitReportsError`` for several).
        """
        from readiness.testhealth.ingest.pipeline import IngestOptions, ingest_many

        if meta.timestamp is not None and (problem := storable_date_problem(meta.timestamp)):
            raise InputError(
                f"run timestamp: {problem}; give the time the run started",
                details={"field": "timestamp", "got": meta.timestamp.isoformat()},
            )
        if not 1 <= meta.attempt <= MAX_ATTEMPT:
            raise InputError(
                f"attempt must be from 1 to {MAX_ATTEMPT} (got {meta.attempt}); give the CI "
                "attempt with --attempt, or leave it to the CI environment",
                details={"field": "attempt", "got": meta.attempt},
            )
        self.ensure_project()

        options = IngestOptions(
            meta=meta,
            project=self.project,
            now=self.clock.now(),
            infra_failure_ratio=self.th.infra_failure_ratio,
            infra_min_tests=self.th.infra_min_tests,
            max_field_bytes=self.th.max_field_bytes,
        )
        from readiness.testhealth import notices

        before = notices.statuses_before_ingest(self)  # None unless a webhook listens
        results = ingest_many(self.stores.state, items, options, on_stored=self._audit_runs(meta))
        relay_after_commit(self.stores, self.clock)
        notices.notify_status_changes(self, before, results)  # after the commit; rows only
        return results

    def ingest_files(self, paths: Sequence[Path], *, meta: RunMeta) -> list[IngestResult]:
        """Ingest JUnit XML files in one transaction: every file is stored, or none.

        Unreadable and malformed files are all named in one error; nothing is stored then.
        """
        from readiness.testhealth.ingest.files import open_reports

        with ExitStack() as stack:
            return self.ingest_many(open_reports(stack, paths), meta=meta)

    # -------------------------------------------------------------- detection

    def health(
        self, *, test_id: str | None = None, until: datetime | None = None
    ) -> list[TestHealth]:
        """Every known test (or one) with its status, flake rate and the rules that fired.

        ``until`` judges the history as it stood then (runs started at or before it).
        """
        from readiness.testhealth.detection.rules import assess
        from readiness.testhealth.store.evidence_cache import cached_evidence

        evidence = cached_evidence(
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
        return sorted(found, key=lambda h: (order[h.status], -h.figures.failure_rate, h.test_id))

    def flaky_impact(
        self, *, sort: str = "impact", include_healthy: bool = False
    ) -> list[tuple[TestHealth, TestImpact]]:
        """:meth:`flaky` (every test with ``include_healthy``), each with what it cost CI, in
        the order ``sort`` names: ``impact`` (default), ``failure-rate``, ``name``,
        ``last-seen``. See :mod:`readiness.testhealth.detection.impact`."""
        from readiness.testhealth.impact import flaky_impact

        return flaky_impact(self, sort=sort, include_healthy=include_healthy)

    def impacts(self, test_ids: Iterable[str]) -> dict[str, TestImpact]:
        """What each of ``test_ids`` cost CI over the window (see :meth:`flaky_impact`)."""
        from readiness.testhealth.impact import impacts

        return impacts(self, list(test_ids))

    def triage(self, test_id: str) -> TestTriage:
        """One test's impact and its flaky-system-or-flaky-test hint with the signals behind it
        (see :mod:`readiness.testhealth.detection.signals`); NotFoundError for an unknown id."""
        from readiness.testhealth.impact import test_triage

        return test_triage(self, test_id)

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

    def failing_orders(self, test_id: str, *, limit: int = 5) -> list[FailingOrder]:
        """The orders ``test_id`` ran in when it failed, from its ``limit`` newest failing runs.

        Each is cut to the tests that ran before it in its own process (pytest-xdist worker);
        a run ingested without an order has ``before=None`` and keeps its seed.
        """
        from readiness.testhealth.ingest.writer import _test_key
        from readiness.testhealth.store.orders import load_failing_orders

        if limit < 1:
            raise InputError(f"failing_orders: limit must be at least 1 (got {limit})")
        return load_failing_orders(
            self.stores.state, project=self.project, test_key=_test_key(test_id), limit=limit
        )

    def suite_health(self, *, days: int = 14) -> SuiteHealth:
        """The five suite-health metrics over the last ``days`` days."""
        from readiness.testhealth.detection.suite import suite_health
        from readiness.testhealth.store.history import load_suite_health_inputs

        now = self.clock.now()
        since = now - timedelta(days=days)
        inputs = load_suite_health_inputs(self.stores.state, project=self.project, since=since)
        inputs = replace(inputs, quarantine=inputs.quarantine + self.quarantine.file_spans())
        day_list = [(since + timedelta(days=n + 1)).date() for n in range(days)]
        return suite_health(
            inputs,
            slow_share=self.th.slow_share,
            days=day_list,
            time_budget_s=self.th.time_budget_s,
        )

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

    def runs_page(self, query: RunQuery) -> tuple[list[store.RunRow], int]:
        """One page of runs, filtered and sorted in the database, and how many match."""
        from readiness.testhealth.store.listing import page_runs

        return page_runs(self.stores.state, project=self.project, query=query)

    def branches(self) -> list[str]:
        """The branches runs were recorded on, most recently run first."""
        from readiness.testhealth.store.listing import branches

        return branches(self.stores.state, project=self.project)

    def failed_on_branch(self, branch: str, *, since: datetime | None = None) -> set[str]:
        """The tests that failed at least once in a run of ``branch`` (since ``since``)."""
        from readiness.testhealth.store.listing import failed_on_branch

        return failed_on_branch(self.stores.state, project=self.project, branch=branch, since=since)

    def owners(self, test_ids: Iterable[str]) -> dict[str, str | None]:
        """Who owns each test: its quarantine entry's owner, else the first CODEOWNERS owner of
        its file (None when neither names one)."""
        from readiness.testhealth.quarantine.codeowners import find_codeowners, parse_codeowners

        named = {e.test_id: e.owner for e in self.quarantine_entries() if e.owner}
        found = find_codeowners(self.settings.root)
        codeowners = parse_codeowners(found.read_text(encoding="utf-8")) if found else None
        by_file: dict[str, str | None] = {}

        def of_file(path: str) -> str | None:
            if codeowners is None:
                return None
            if path not in by_file:
                owners = codeowners.owners_for(path)
                by_file[path] = owners[0] if owners else None
            return by_file[path]

        return {t: named.get(t) or of_file(t.split("::", 1)[0]) for t in test_ids}

    def run_detail(
        self, run_key: str, *, each_side: int = 3, max_failures: int = 100
    ) -> store.RunDetail:
        """One run's failures (the first ``max_failures`` by test id), each with the test's
        ``each_side`` runs before and after it; NotFoundError for an unknown run."""
        from readiness.testhealth.store.history import load_history_around

        found = store.find_run(self.stores.state, project=self.project, run_key=run_key)
        if found is None:
            raise NotFoundError(
                f"run {run_key!r} is unknown in project {self.project!r}; "
                "the runs page lists the recent runs"
            )
        run_id, run = found
        failures = store.run_failures(self.stores.state, run_id)
        with self.stores.state.connect() as conn:
            shown = tuple(
                (
                    f,
                    tuple(
                        load_history_around(
                            conn,
                            test_key=f.test_key,
                            project=self.project,
                            run_id=run_id,
                            started_at=run.started_at,
                            each_side=each_side,
                        )
                    ),
                )
                for f in failures[:max_failures]
            )
        return store.RunDetail(run=run, failed_tests=len(failures), failures=shown)

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
        allow_unknown: bool = False,
    ) -> QuarantineEntry:
        """Quarantine ``test_id`` (it still runs; its failures stop blocking) and record why.

        A test id no ingested run has shown is refused as a likely typo (NotFoundError naming
        the closest known ids) unless ``allow_unknown``.
        """
        self.ensure_project()
        if owner is None and (annotation := self.annotations.get(test_id)) is not None:
            owner = annotation.owner  # the test's owner, before CODEOWNERS
        return self.quarantine.add(
            test_id,
            reason=reason,
            owner=owner,
            issue=issue,
            expires=expires,
            allow_unknown=allow_unknown,
        )

    def quarantine_remove(self, test_id: str, *, reason: str) -> None:
        """Take ``test_id`` out of quarantine and record why."""
        self.ensure_project()
        self.quarantine.remove(test_id, reason=reason)

    def quarantine_history(self, *, test_id: str | None = None) -> list[dict[str, Any]]:
        """Who changed the quarantine list, when and why (newest first)."""
        return self.quarantine.history(test_id=test_id)

    # ------------------------------------------------------- owner and issue

    def annotation(self, test_id: str) -> TestAnnotation | None:
        """The owner and issue the server holds for ``test_id`` (None: never set)."""
        return self.annotations.get(test_id)

    def set_owner(self, test_id: str, owner: str) -> TestAnnotation:
        """Set or change the owner of ``test_id`` (audited as ``tests.owner.set``)."""
        self.ensure_project()
        return self.annotations.set_owner(test_id, owner)

    def link_issue(self, test_id: str, issue: str) -> TestAnnotation:
        """Link the issue tracking ``test_id`` (audited as ``tests.issue.linked``)."""
        self.ensure_project()
        return self.annotations.link_issue(test_id, issue)

    def _audit_runs(self, meta: RunMeta) -> Callable[[Connection, Sequence[IngestResult]], None]:
        """The events of the stored runs, written in the ingest's transaction."""

        def write(conn: Connection, results: Sequence[IngestResult]) -> None:
            for result in results:
                if result.duplicate:
                    continue
                record(
                    conn,
                    clock=self.clock,
                    actor=self.actor,
                    action="tests.run.ingested",
                    target_type="run",
                    target_id=result.run_key,
                    details={
                        "project": self.project,
                        "source": result.source,
                        "results": result.results,
                        "commit": meta.commit,
                        "branch": meta.branch,
                        "run_id": meta.run_id,
                        "pr": meta.pr,
                    },
                )

        return write

    def record_fix_verification(self, outcome: FixVerification) -> FixVerification:
        """Store a verification; a "fixed" verdict releases the test from quarantine."""
        self.ensure_project()
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
            record(
                conn,
                clock=self.clock,
                actor=self.actor,
                action="tests.fix.verified",
                target_type="test",
                target_id=outcome.test_id,
                details={
                    "project": self.project,
                    "verdict": outcome.verdict,
                    "runs": outcome.runs,
                    "failures": outcome.failures,
                    "required_runs": outcome.required_runs,
                    "flake_rate": outcome.flake_rate,
                    "experiments": outcome.experiments,
                },
            )
        relay_after_commit(self.stores, self.clock)
        if outcome.verdict == "fixed" and any(
            e.test_id == outcome.test_id for e in self.quarantine_entries()
        ):
            self.quarantine.remove(
                outcome.test_id,
                reason=f"fix verified: {plural(outcome.runs, 'run')} without a failure",
                action="fixed",
            )
        return outcome

    def latest_run_failures(self, commit: str | None) -> RunFailures | None:
        """Final outcomes of the latest run of every CI job of ``commit`` (None: newest commit).

        Failures of tests in (unexpired) quarantine are listed apart: they never block. A
        collection or session error always blocks: the tests behind it never ran.
        """
        chosen = store.latest_runs_of(self.stores.state, project=self.project, commit=commit)
        if not chosen:
            return None
        run_ids = [run_id for run_id, _ in chosen]
        outcomes = store.final_outcomes(self.stores.state, run_ids)
        errors = store.collector_errors(self.stores.state, run_ids)
        now = self.clock.now()
        quarantined = {e.test_id for e in self.quarantine_entries() if not e.is_expired(now)}
        failing = sorted(k for k, o in outcomes.items() if o.is_failure)
        ignored = {k for k in failing if k in quarantined and k not in errors}
        return RunFailures(
            commit=commit,
            run_keys=tuple(key for _, key in chosen),
            tests=len(outcomes),
            failed=tuple(k for k in failing if k not in ignored),
            quarantined_failed=tuple(k for k in failing if k in ignored),
            collection_errors=tuple(
                k for k in failing if errors.get(k) == store.COLLECTION_FAILURE
            ),
            session_errors=tuple(k for k in failing if errors.get(k) == store.SESSION_ERROR),
        )

    def health_at(self, commit: str) -> list[TestHealth]:
        """Verdicts from the history up to the newest run of ``commit``; empty without one."""
        until = store.last_run_at(self.stores.state, project=self.project, commit=commit)
        return [] if until is None else self.health(until=until)

    def run_durations(self, commit: str) -> list[RunDuration]:
        """The budget-counted runs of ``commit`` (census runs and infra failures left out)."""
        from readiness.testhealth.store.budget import load_run_durations

        return load_run_durations(self.stores.state, project=self.project, commit=commit)

    def base_commits(self, exclude: str | None, limit: int) -> list[str]:
        """The ``limit`` newest default-branch commits with budget-counted runs, but ``exclude``."""
        from readiness.testhealth.store.budget import recent_branch_commits

        return recent_branch_commits(
            self.stores.state,
            project=self.project,
            branch=self.settings.default_branch,
            exclude=exclude,
            limit=limit,
        )

    def hints_for_tests(self, test_ids: Iterable[str]) -> dict[str, TestHints]:
        """Static determinism hints of each test whose source file is in the project."""
        from readiness.testhealth.experiments.hints import source_hints

        return source_hints(self.settings.root, test_ids)
