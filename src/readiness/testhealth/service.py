"""testhealth use cases: the only API the CLI, the server, the gate and the plugin call.

Wires the pure rules (``core``), the parser/ingest and queries (``ingest``, ``queries``), the
quarantine file (``quarantine``) and the audit trail. Time comes from the injected clock.
"""

from __future__ import annotations

import io
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

import sqlalchemy as sa

from readiness._common.clock import Clock, utc
from readiness.audit.service import record_event
from readiness.config import Settings
from readiness.errors import InputError, NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth import store, tables
from readiness.testhealth.checks import RunFailures, TestHints
from readiness.testhealth.metrics import Cluster, QuarantineSpan, SuiteHealth
from readiness.testhealth.model import (
    Classification,
    FixVerification,
    IngestResult,
    Outcome,
    QuarantineEntry,
    RunMeta,
    TestHealth,
    TestStatus,
)

if TYPE_CHECKING:
    from readiness.testhealth.experiments import PytestRunner

QuarantineBackend = Literal["file", "db"]


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

    # ----------------------------------------------------------------- ingest

    def ingest_bytes(self, data: bytes | BinaryIO, *, source: str, meta: RunMeta) -> IngestResult:
        """Ingest one JUnit XML document (bytes or a binary stream) in one transaction."""
        from readiness.testhealth.ingest import ingest_stream

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
        from readiness.testhealth.core import assess
        from readiness.testhealth.queries import load_evidence

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
        from readiness.testhealth.queries import load_test_history

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
        from readiness.testhealth.core import suite_health
        from readiness.testhealth.queries import load_suite_health_inputs

        now = self.clock.now()
        since = now - timedelta(days=days)
        inputs = load_suite_health_inputs(self.stores.state, project=self.project, since=since)
        inputs = replace(inputs, quarantine=inputs.quarantine + self._file_quarantine_spans())
        day_list = [(since + timedelta(days=n + 1)).date() for n in range(days)]
        return suite_health(inputs, slow_share=self.th.slow_share, days=day_list)

    def _file_quarantine_spans(self) -> tuple[QuarantineSpan, ...]:
        """Life spans of entries of the reviewed file, from the recorded changes.

        Entries written into the file by hand (no recorded change) count from their creation.
        """
        ev = tables.quarantine_events
        spans: list[QuarantineSpan] = []
        open_since: dict[str, datetime] = {}
        with self.stores.state.connect() as conn:
            rows = conn.execute(
                sa.select(ev.c.test_key, ev.c.action, ev.c.at, ev.c.details)
                .where(ev.c.project == self.project)
                .order_by(ev.c.at, ev.c.id)
            ).all()
        for key, action, at, details in rows:
            if (details or {}).get("backend", "file") != "file":
                continue
            if action == "add":
                open_since.setdefault(key, utc(at))
            elif key in open_since:
                spans.append(QuarantineSpan(key, open_since.pop(key), utc(at)))
        from readiness.testhealth.quarantine import load_quarantine_file

        for entry in load_quarantine_file(self._file_path()):
            spans.append(
                QuarantineSpan(entry.test_id, open_since.pop(entry.test_id, entry.created), None)
            )
        return tuple(spans)

    def clusters(self) -> list[Cluster]:
        """Tests that fail together in the same runs: one outage is one item."""
        from readiness.testhealth.core import cluster_co_failures
        from readiness.testhealth.queries import load_clusters_input

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

    def _file_path(self) -> Path:
        return self.settings.path(self.th.quarantine_file)

    def _db_entries(self) -> list[QuarantineEntry]:
        q = tables.quarantine
        with self.stores.state.connect() as conn:
            rows = conn.execute(
                sa.select(q)
                .where(q.c.project == self.project, q.c.removed_at.is_(None))
                .order_by(q.c.test_key)
            )
            return [
                QuarantineEntry(
                    test_id=r.test_key,
                    owner=r.owner,
                    reason=r.reason,
                    issue=r.issue,
                    created=utc(r.created_at),
                    expires=utc(r.expires_at),
                    created_by=r.created_by,
                    source="server",
                )
                for r in rows
            ]

    def quarantine_entries(self) -> list[QuarantineEntry]:
        """The active quarantine list: the reviewed file plus entries held by the server."""
        from readiness.testhealth.quarantine import load_quarantine_file

        merged: dict[str, QuarantineEntry] = {e.test_id: e for e in self._db_entries()}
        for entry in load_quarantine_file(self._file_path()):
            merged[entry.test_id] = entry  # the reviewed file wins
        return [merged[k] for k in sorted(merged)]

    def _default_owner(self, test_id: str) -> str | None:
        from readiness.testhealth.codeowners import find_codeowners, parse_codeowners

        found = find_codeowners(self.settings.root)
        if found is None:
            return None
        codeowners = parse_codeowners(found.read_text(encoding="utf-8"))
        owners = codeowners.owners_for(test_id.split("::", 1)[0])
        return owners[0] if owners else None

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
        if not reason.strip():
            raise InputError("quarantine needs a reason (--reason 'why it is quarantined')")
        now = self.clock.now()
        expiry = utc(expires) if expires else now + timedelta(days=self.th.quarantine_default_days)
        if expiry <= now:
            raise InputError(
                f"quarantine expiry {expiry.date().isoformat()} is not in the future; "
                "give a later --expires date"
            )
        entry = QuarantineEntry(
            test_id=test_id,
            owner=owner or self._default_owner(test_id),
            reason=reason.strip(),
            issue=issue,
            created=now,
            expires=expiry,
            created_by=self.actor,
            source=self.quarantine_backend,
        )
        if self.quarantine_backend == "file":
            from readiness.testhealth.quarantine import (
                add_entry,
                load_quarantine_file,
                write_quarantine_file,
            )

            path = self._file_path()
            write_quarantine_file(path, add_entry(load_quarantine_file(path), entry))
        else:
            q = tables.quarantine
            with self.stores.state.begin() as conn:
                conn.execute(
                    q.update()
                    .where(
                        q.c.project == self.project,
                        q.c.test_key == test_id,
                        q.c.removed_at.is_(None),
                    )
                    .values(removed_at=now, removed_by=self.actor, remove_reason="replaced")
                )
                conn.execute(
                    q.insert().values(
                        project=self.project,
                        test_key=test_id,
                        owner=entry.owner,
                        reason=entry.reason,
                        issue=issue,
                        created_at=now,
                        expires_at=expiry,
                        created_by=self.actor,
                    )
                )
        self._quarantine_event(
            test_id,
            "add",
            reason,
            {
                "owner": entry.owner,
                "issue": issue,
                "expires": expiry,
                "backend": self.quarantine_backend,
            },
        )
        return entry

    def quarantine_remove(self, test_id: str, *, reason: str, action: str = "remove") -> None:
        """Take ``test_id`` out of quarantine and record why."""
        if self.quarantine_backend == "file":
            from readiness.testhealth.quarantine import (
                load_quarantine_file,
                remove_entry,
                write_quarantine_file,
            )

            path = self._file_path()
            write_quarantine_file(path, remove_entry(load_quarantine_file(path), test_id))
        else:
            q = tables.quarantine
            with self.stores.state.begin() as conn:
                changed = conn.execute(
                    q.update()
                    .where(
                        q.c.project == self.project,
                        q.c.test_key == test_id,
                        q.c.removed_at.is_(None),
                    )
                    .values(
                        removed_at=self.clock.now(), removed_by=self.actor, remove_reason=reason
                    )
                ).rowcount
            if not changed:
                raise NotFoundError(
                    f"test {test_id!r} is not quarantined; see `readiness tests quarantine list`"
                )
        self._quarantine_event(test_id, action, reason, {"backend": self.quarantine_backend})

    def _quarantine_event(
        self, test_id: str, action: str, reason: str, details: Mapping[str, Any]
    ) -> None:
        from readiness._common.canonical import to_jsonable

        payload = to_jsonable(dict(details))
        with self.stores.state.begin() as conn:
            conn.execute(
                tables.quarantine_events.insert().values(
                    project=self.project,
                    test_key=test_id,
                    action=action,
                    actor=self.actor,
                    at=self.clock.now(),
                    reason=reason,
                    details=payload,
                )
            )
        record_event(
            self.stores.audit,
            clock=self.clock,
            actor=self.actor,
            action=f"tests.quarantine.{action}",
            target=test_id,
            details={"reason": reason, **payload},
        )

    def quarantine_history(self, *, test_id: str | None = None) -> list[dict[str, Any]]:
        """Who changed the quarantine list, when and why (newest first)."""
        ev = tables.quarantine_events
        query = sa.select(ev).where(ev.c.project == self.project).order_by(ev.c.id.desc())
        if test_id:
            query = query.where(ev.c.test_key == test_id)
        with self.stores.state.connect() as conn:
            return [
                {
                    "test_id": r.test_key,
                    "action": r.action,
                    "actor": r.actor,
                    "at": utc(r.at),
                    "reason": r.reason,
                    "details": r.details,
                }
                for r in conn.execute(query)
            ]

    # ------------------------------------------------- fix verification, classify

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
            self.quarantine_remove(
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
        return source_hints(self.settings.root, test_ids)


def source_hints(root: Path, test_ids: Iterable[str]) -> dict[str, TestHints]:
    """Determinism hints of the tests (among ``test_ids``) whose Python source is under ``root``."""
    from readiness.testhealth.hints import hints_for_file

    out: dict[str, TestHints] = {}
    for test_id in test_ids:
        relative = test_id.split("::", 1)[0]
        path = root / relative
        if path.is_file() and path.suffix == ".py":
            found = tuple(hints_for_file(path, test_id))
            if found:
                out[test_id] = TestHints(file=relative, hints=found)
    return out


def verify_fix_locally(
    settings: Settings,
    test_id: str,
    *,
    flake_rate: float,
    runs: int | None = None,
    rng: random.Random,
    runner: PytestRunner | None = None,
) -> FixVerification:
    """Rerun ``test_id`` in the project checkout as often as its flake rate demands.

    ``runs`` overrides the computed n = ceil(ln alpha / ln(1 - p)); ``runner`` defaults to a
    real :class:`~readiness.testhealth.experiments.PytestRunner` on ``settings.root``.
    """
    from readiness.testhealth.core import required_runs
    from readiness.testhealth.experiments import PytestRunner, verify_fix

    th = settings.testhealth
    needed = runs or required_runs(flake_rate, th.fix_alpha, th.fix_min_runs, th.fix_max_runs)
    real = runner or PytestRunner(settings.root)
    module_tests = real.collect([test_id.split("::", 1)[0]])
    outcome: FixVerification = verify_fix(
        real,
        test_id,
        needed,
        rng=rng,
        module_tests=module_tests,
        flake_rate=flake_rate,
        alpha=th.fix_alpha,
    )
    return outcome


def classify_locally(
    settings: Settings, test_id: str, *, rng: random.Random, runner: PytestRunner | None = None
) -> Classification:
    """Run the iDFlakies-style experiments on ``test_id`` in the project checkout."""
    from readiness.testhealth.experiments import PytestRunner, classify

    real = runner or PytestRunner(settings.root)
    module_tests = real.collect([test_id.split("::", 1)[0]])
    found: Classification = classify(
        real,
        test_id,
        module_tests=module_tests,
        original_order=module_tests,
        rng=rng,
        source_root=settings.root,
    )
    return found


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
