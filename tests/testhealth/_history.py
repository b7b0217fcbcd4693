"""Hand-built CI histories written straight into the testhealth tables (no ingest needed).

A run's results are given as ``{test_key: "FP"}``: one letter per attempt, in order
(P passed, F failed, E error, S skipped), so ``"FP"`` is pass-on-retry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness.storage.projects import ensure_project
from readiness.testhealth.model import Outcome
from readiness.testhealth.store.tables import fix_verifications, quarantine, results, runs, tests

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LETTERS = {"P": Outcome.PASSED, "F": Outcome.FAILED, "E": Outcome.ERROR, "S": Outcome.SKIPPED}


@dataclass
class RunSpec:
    """One CI run to insert."""

    results: Mapping[str, str]
    commit: str | None = None
    branch: str | None = "main"
    tree: str | None = None
    ci_run_id: str | None = None
    ci_attempt: int = 1
    infra: bool = False
    duration_s: float = 60.0
    at: datetime | None = None
    job: str | None = None
    repeat: int = 1  # N of --readiness-repeat N: later attempts are repeats, not retries
    fingerprints: Mapping[str, str] = field(default_factory=dict)


class History:
    """Writes runs, quarantine entries and fix verifications for one project."""

    def __init__(self, engine: Engine, project: str = "default", start: datetime = T0) -> None:
        self.engine = engine
        self.project = project
        self.start = start
        self.count = 0
        self.test_ids: dict[str, int] = {}
        self.run_ids: list[int] = []
        # Every row names an existing project (a foreign key), as the services ensure.
        ensure_project(engine, project, at=start, by="hand-built")

    def at(self, index: int) -> datetime:
        """The default start time of the ``index``-th run: one hour apart."""
        return self.start + timedelta(hours=index)

    def spec(self, results_: Mapping[str, str], **kw: object) -> RunSpec:
        """A spec numbered in sequence (commit c<i>, one hour after the previous one)."""
        i = self.count
        self.count += 1
        kw.setdefault("commit", f"c{i:03d}")
        kw.setdefault("at", self.at(i))
        return RunSpec(results_, **kw)  # type: ignore[arg-type]

    def run(self, results_: Mapping[str, str], **kw: object) -> int:
        """Insert one run now; returns its id."""
        return self.insert(self.spec(results_, **kw))

    def series(self, per_test: Mapping[str, str], **kw: object) -> list[int]:
        """One single-attempt run per column: ``{"a": "PPF", "b": "PFF"}`` is three runs."""
        lengths = {len(s) for s in per_test.values()}
        assert len(lengths) == 1, f"series need equal lengths, got {lengths}"
        ids = []
        for i in range(lengths.pop()):
            row = {k: s[i] for k, s in per_test.items() if s[i] != "-"}
            ids.append(self.run(row, **kw))
        return ids

    def insert(self, spec: RunSpec) -> int:
        at = spec.at or self.at(self.count)
        outcomes = {k: [LETTERS[c] for c in v] for k, v in spec.results.items()}
        with self.engine.begin() as conn:
            run_id = conn.execute(
                runs.insert()
                .values(
                    project=self.project,
                    run_key=f"run-{len(self.run_ids)}-{spec.commit}-{at.isoformat()}",
                    ci_run_id=spec.ci_run_id,
                    attempt=spec.ci_attempt,
                    job=spec.job,
                    commit_sha=spec.commit,
                    tree_sha=spec.tree,
                    branch=spec.branch,
                    started_at=at,
                    ingested_at=at,
                    source="hand-built",
                    source_digest="0" * 64,
                    format="junit",
                    tags={},
                    total=len(outcomes),
                    failed=sum(1 for o in outcomes.values() if o[-1].is_failure),
                    skipped=sum(1 for o in outcomes.values() if o[0] is Outcome.SKIPPED),
                    reruns=0 if spec.repeat > 1 else sum(len(o) - 1 for o in outcomes.values()),
                    repeat=spec.repeat,
                    duration_s=spec.duration_s,
                    infra_failure=spec.infra,
                )
                .returning(runs.c.id)
            ).scalar_one()
            rows = []
            for key, attempts in outcomes.items():
                test_id = self._test(conn, key, at, spec.commit)
                for n, outcome in enumerate(attempts):
                    failing = outcome.is_failure
                    rows.append(
                        {
                            "run_id": run_id,
                            "test_id": test_id,
                            "attempt": n,
                            "outcome": int(outcome),
                            "duration_s": 1.0,
                            "failure_kind": "assertion" if failing else None,
                            "message": f"AssertionError in {key}" if failing else None,
                            "fingerprint": spec.fingerprints.get(key, "fp1") if failing else None,
                        }
                    )
            if rows:
                conn.execute(results.insert(), rows)
        self.run_ids.append(int(run_id))
        return int(run_id)

    def _test(self, conn: sa.Connection, key: str, at: datetime, commit: str | None) -> int:
        if key not in self.test_ids:
            self.test_ids[key] = conn.execute(
                tests.insert()
                .values(
                    project=self.project,
                    test_key=key,
                    first_seen=at,
                    first_commit=commit,
                )
                .returning(tests.c.id)
            ).scalar_one()
            return self.test_ids[key]
        test_id = self.test_ids[key]
        row = conn.execute(sa.select(tests.c.first_seen).where(tests.c.id == test_id)).one()
        first = min(_aware(row.first_seen), at)
        conn.execute(tests.update().where(tests.c.id == test_id).values(first_seen=first))
        return test_id

    def quarantine(
        self, key: str, created: datetime, removed: datetime | None = None, days: int = 30
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                quarantine.insert().values(
                    project=self.project,
                    test_key=key,
                    reason="flaky",
                    created_at=created,
                    expires_at=created + timedelta(days=days),
                    created_by="tester",
                    removed_at=removed,
                )
            )

    def fix(self, key: str, at: datetime, verdict: str = "fixed") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                fix_verifications.insert().values(
                    project=self.project,
                    test_key=key,
                    at=at,
                    actor="tester",
                    flake_rate=0.0,
                    required_runs=59,
                    runs=59,
                    failures=0,
                    verdict=verdict,
                )
            )


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def insert_all(history: History, specs: Sequence[RunSpec]) -> list[int]:
    """Insert ``specs`` in the given order (used to show detection ignores insert order)."""
    return [history.insert(s) for s in specs]
