"""SQL behind flaky-test detection: the evidence of each test (SQLAlchemy Core, SQLite and
PostgreSQL). Suite health, co-failure clusters and a test's history are in
:mod:`.history_queries`, which shares the helpers here.

Aggregation happens in the database: one ``GROUP BY test`` pass yields counts and, for the
default-branch window, bit masks (one bit per run, ``SUM`` of distinct powers of two) that
Python unpacks into :attr:`TestEvidence.window`. Rare signals (failures, reruns) are found
with narrow queries that only touch failing or rerun rows. Runs flagged ``infra_failure``
are never counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness.testhealth.detection.model import (
    WINDOW_ABSENT,
    WINDOW_FAILED,
    WINDOW_PASSED,
    WINDOW_RETRY_PASSED,
    TestEvidence,
)
from readiness.testhealth.model import FailureGroup, Outcome
from readiness.testhealth.store.tables import fix_verifications, results, runs, tests

_LAST_SEEN_RUNS = 3  # newest runs read one by one before aggregating what is left
_LOOKUP_CHUNK = 5_000  # ids per IN list
BITS = 62  # bits per mask column: sums of distinct powers of two stay inside a signed BIGINT
FAILING = (int(Outcome.FAILED), int(Outcome.ERROR))
COUNTED = (int(Outcome.PASSED), *FAILING)


@contextmanager
def _connect(conn_or_engine: Connection | Engine) -> Iterator[Connection]:
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            yield conn
    else:
        yield conn_or_engine


def _utc(at: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC.
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _counted_runs(project: str, until: datetime | None = None) -> list[sa.ColumnElement[bool]]:
    cond = [runs.c.project == project, runs.c.infra_failure == sa.false()]
    if until is not None:
        cond.append(runs.c.started_at <= until)
    return cond


def _window(
    project: str, default_branch: str, window_runs: int, until: datetime | None = None
) -> sa.Select[Any]:
    """The last ``window_runs`` counted default-branch runs; k = 0 is the newest."""
    order = (runs.c.started_at.desc(), runs.c.id.desc())
    return (
        sa.select(
            runs.c.id,
            runs.c.commit_sha,
            (sa.func.row_number().over(order_by=order) - 1).label("k"),
        )
        .where(*_counted_runs(project, until), runs.c.branch == default_branch)
        .order_by(*order)
        .limit(window_runs)
    )


def _bit_lookup(
    column: sa.ColumnElement[int], pairs: list[tuple[int, int]]
) -> sa.ColumnElement[int]:
    """``CASE`` mapping run ids to bits, nested as a binary search.

    SQLite would rescan a joined window subquery for every result row and evaluates a flat
    ``CASE`` linearly; a balanced tree costs ~log2(window) comparisons per row on both backends.
    """
    if len(pairs) <= 4:
        return sa.case(dict(pairs), value=column, else_=0)
    mid = len(pairs) // 2
    return sa.case(
        (column < pairs[mid][0], _bit_lookup(column, pairs[:mid])),
        else_=_bit_lookup(column, pairs[mid:]),
    )


def _mask_string(masks: list[int], n: int) -> str:
    """Bits (k = 0 newest) of the per-chunk masks as a '0'/'1' string, oldest first."""
    parts = []
    for j in range(len(masks) - 1, -1, -1):
        width = min(BITS, n - BITS * j)
        parts.append(format(masks[j], f"0{width}b"))
    return "".join(parts)


_ABSENT_OR_PASSED = str.maketrans({"0": WINDOW_ABSENT, "1": WINDOW_PASSED})


def load_evidence(
    conn_or_engine: Connection | Engine,
    *,
    project: str,
    default_branch: str,
    window_runs: int,
    test_key: str | None = None,
    until: datetime | None = None,
) -> list[TestEvidence]:
    """Evidence for every test of ``project`` (or only ``test_key``), sorted by test key.

    ``until`` limits the history to runs started at or before it (the gate's view of a commit).
    """
    with _connect(conn_or_engine) as conn:
        return _load_evidence(conn, project, default_branch, window_runs, test_key, until=until)


def _load_evidence(
    conn: Connection,
    project: str,
    default_branch: str,
    window_runs: int,
    test_key: str | None,
    *,
    until: datetime | None = None,
) -> list[TestEvidence]:
    win_rows = conn.execute(_window(project, default_branch, window_runs, until)).all()
    n = len(win_rows)
    commits = tuple(r.commit_sha for r in reversed(win_rows))
    position = {r.id: n - 1 - r.k for r in win_rows}  # run id -> index, oldest first
    chunks = max(1, -(-n // BITS))

    test_q = sa.select(tests.c.id, tests.c.test_key, tests.c.first_seen).where(
        tests.c.project == project
    )
    if test_key is not None:
        test_q = test_q.where(tests.c.test_key == test_key)
    meta = {r.id: r for r in conn.execute(test_q)}
    if not meta:
        return []
    only: list[sa.ColumnElement[bool]] = []
    if test_key is not None:
        only = [results.c.test_id.in_(list(meta))]

    def bits_of(j: int) -> sa.ColumnElement[int] | None:
        pairs = sorted((r.id, 1 << (r.k % BITS)) for r in win_rows if r.k // BITS == j)
        return _bit_lookup(results.c.run_id, pairs) if pairs else None

    counted_ids = sa.select(runs.c.id).where(*_counted_runs(project, until)).scalar_subquery()
    first = results.c.attempt == 0
    fail = results.c.outcome.in_(FAILING)
    columns: list[Any] = [
        results.c.test_id,
        sa.func.sum(sa.case((first, 1), else_=0)).label("runs"),
        sa.func.sum(sa.case((first & fail, 1), else_=0)).label("failures"),
        sa.func.sum(sa.case((first, results.c.duration_s), else_=0.0)).label("duration"),
    ]
    for j in range(chunks):
        bit = bits_of(j)
        counted = first & results.c.outcome.in_(COUNTED)
        if bit is None:
            columns += [sa.literal(0).label(f"present{j}"), sa.literal(0).label(f"fail{j}")]
            continue
        columns.append(sa.func.sum(sa.case((counted, bit), else_=0)).label(f"present{j}"))
        columns.append(sa.func.sum(sa.case((first & fail, bit), else_=0)).label(f"fail{j}"))
    last_seen: dict[int, datetime] = {}
    if conn.dialect.name == "sqlite":
        # IN rather than a join: SQLite then scans results once instead of per-run lookups;
        # when each test last ran is a query of its own (it needs the runs).
        main = sa.select(*columns).where(*only, results.c.run_id.in_(counted_ids))
        last_seen = _last_seen(conn, project, meta, until)
    else:
        # PostgreSQL hash-joins the (small) runs table, which measured faster than IN.
        columns.append(sa.func.max(runs.c.started_at).label("last_seen"))
        main = (
            sa.select(*columns)
            .join_from(results, runs, runs.c.id == results.c.run_id)
            .where(*only, *_counted_runs(project, until))
        )
    main = main.group_by(results.c.test_id)
    retries = _retry_passes(conn, project, only, until)
    same_commit, same_tree = _same_source(conn, project, only, until)
    groups = _failure_groups(conn, project, only, until)
    fixed = _fixed_at(conn, project)

    out: list[TestEvidence] = []
    for row in conn.execute(main):
        t = meta.get(row.test_id)
        if t is None:
            continue
        present = _mask_string([int(getattr(row, f"present{j}") or 0) for j in range(chunks)], n)
        failed = _mask_string([int(getattr(row, f"fail{j}") or 0) for j in range(chunks)], n)
        test_retries = retries.get(row.test_id, set())
        test_groups = groups.get(row.test_id, ())
        retried = {position[r] for r in test_retries if r in position}
        out.append(
            TestEvidence(
                test_key=t.test_key,
                runs=int(row.runs),
                failures=int(row.failures),
                window=_window_string(present, failed, retried),
                window_commits=commits,
                same_commit=tuple(sorted(same_commit.get(row.test_id, ()))),
                same_tree=tuple(sorted(same_tree.get(row.test_id, ()))),
                retry_passes=len(test_retries),
                first_seen=_utc(t.first_seen),
                last_seen=_utc(last_seen.get(row.test_id, getattr(row, "last_seen", None))),
                last_failure_at=max(
                    (g.last_seen for g in test_groups if g.last_seen), default=None
                ),
                fixed_at=_utc(fixed.get(t.test_key)),
                total_duration_s=float(row.duration or 0.0),
                failure_groups=test_groups,
            )
        )
    return sorted(out, key=lambda e: e.test_key)


def _retry_passes(
    conn: Connection,
    project: str,
    only: list[sa.ColumnElement[bool]],
    until: datetime | None = None,
) -> dict[int, set[int]]:
    """Test id -> run ids in which a rerun passed after an earlier attempt failed."""
    earlier = results.alias("earlier")
    failed_before = (
        sa.select(sa.literal(1))
        .where(
            earlier.c.test_id == results.c.test_id,
            earlier.c.run_id == results.c.run_id,
            earlier.c.attempt < results.c.attempt,
            earlier.c.outcome.in_(FAILING),
        )
        .exists()
    )
    q = (
        # No DISTINCT: it makes SQLite walk the (test_id, run_id) index with a lookup per row.
        sa.select(results.c.test_id, results.c.run_id)
        .select_from(results.join(runs, runs.c.id == results.c.run_id))
        .where(
            *_counted_runs(project, until),
            *only,
            results.c.attempt > 0,
            results.c.outcome == int(Outcome.PASSED),
            failed_before,
        )
    )
    out: dict[int, set[int]] = defaultdict(set)
    for test_id, run_id in conn.execute(q):
        out[test_id].add(run_id)
    return out


def _same_source(
    conn: Connection,
    project: str,
    only: list[sa.ColumnElement[bool]],
    until: datetime | None = None,
) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Commits (and trees across commits) on which each test both passed and failed."""
    failing = (
        sa.select(results.c.test_id, runs.c.commit_sha, runs.c.tree_sha)
        .distinct()
        .select_from(results.join(runs, runs.c.id == results.c.run_id))
        .where(*_counted_runs(project, until), *only, results.c.outcome.in_(FAILING))
        .subquery()
    )
    passed = results.alias("passed")
    prun = runs.alias("prun")

    def passed_where(*cond: sa.ColumnElement[bool]) -> sa.Exists:
        return (
            sa.select(sa.literal(1))
            .select_from(passed.join(prun, prun.c.id == passed.c.run_id))
            .where(
                passed.c.test_id == failing.c.test_id,
                passed.c.outcome == int(Outcome.PASSED),
                prun.c.project == project,
                prun.c.infra_failure == sa.false(),
                *([prun.c.started_at <= until] if until is not None else []),
                *cond,
            )
            .exists()
        )

    commit_q = sa.select(failing.c.test_id, failing.c.commit_sha).where(
        failing.c.commit_sha.is_not(None), passed_where(prun.c.commit_sha == failing.c.commit_sha)
    )
    tree_q = sa.select(failing.c.test_id, failing.c.tree_sha).where(
        failing.c.tree_sha.is_not(None),
        passed_where(
            prun.c.tree_sha == failing.c.tree_sha, prun.c.commit_sha != failing.c.commit_sha
        ),
    )
    by_commit: dict[int, set[str]] = defaultdict(set)
    for test_id, sha in conn.execute(commit_q):
        by_commit[test_id].add(sha)
    by_tree: dict[int, set[str]] = defaultdict(set)
    for test_id, sha in conn.execute(tree_q):
        by_tree[test_id].add(sha)
    return by_commit, by_tree


def _window_string(present: str, failed: str, retried: set[int]) -> str:
    """One letter per window run (oldest first) from its presence and failure bits."""
    if "1" not in failed:
        return present.translate(_ABSENT_OR_PASSED)
    return "".join(
        WINDOW_ABSENT
        if p == "0"
        else WINDOW_PASSED
        if f == "0"
        else WINDOW_RETRY_PASSED
        if i in retried
        else WINDOW_FAILED
        for i, (p, f) in enumerate(zip(present, failed, strict=True))
    )


def _fixed_at(conn: Connection, project: str) -> dict[str, datetime]:
    """When each test's fix was last verified (``tests verify-fix`` said fixed)."""
    q = (
        sa.select(fix_verifications.c.test_key, sa.func.max(fix_verifications.c.at))
        .where(fix_verifications.c.project == project, fix_verifications.c.verdict == "fixed")
        .group_by(fix_verifications.c.test_key)
    )
    return {row[0]: row[1] for row in conn.execute(q)}


def _last_seen(
    conn: Connection,
    project: str,
    test_ids: Iterable[int],
    until: datetime | None = None,
) -> dict[int, datetime]:
    """When each of ``test_ids`` last ran: the latest start of a counted run (infrastructure
    failures are not) with a result of it.

    The newest runs name almost every test, so they are read first, one at a time through the
    run index; the few tests left (removed ones) are aggregated through the test index.
    """
    left = set(test_ids)
    found: dict[int, datetime] = {}
    newest = (
        sa.select(runs.c.id, runs.c.started_at)
        .where(*_counted_runs(project, until))
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(_LAST_SEEN_RUNS)
    )
    for run_id, started_at in conn.execute(newest).all():
        if not left:
            return found
        in_run = conn.execute(sa.select(results.c.test_id).where(results.c.run_id == run_id))
        seen = left.intersection(in_run.scalars())
        found.update(dict.fromkeys(seen, started_at))
        left -= seen
    ids = sorted(left)
    for i in range(0, len(ids), _LOOKUP_CHUNK):
        q = (
            sa.select(results.c.test_id, sa.func.max(runs.c.started_at))
            .select_from(results.join(runs, runs.c.id == results.c.run_id))
            .where(
                *_counted_runs(project, until), results.c.test_id.in_(ids[i : i + _LOOKUP_CHUNK])
            )
            .group_by(results.c.test_id)
        )
        found.update((row[0], row[1]) for row in conn.execute(q))
    return found


def _failure_groups(
    conn: Connection,
    project: str,
    only: list[sa.ColumnElement[bool]],
    until: datetime | None = None,
) -> dict[int, tuple[FailureGroup, ...]]:
    """Failing executions (any attempt) per test and fingerprint, most frequent first."""
    fp = sa.func.coalesce(results.c.fingerprint, "")
    q = (
        sa.select(
            results.c.test_id,
            fp.label("fp"),
            sa.func.max(results.c.failure_kind).label("kind"),
            sa.func.min(results.c.message).label("message"),
            sa.func.count().label("n"),
            sa.func.max(runs.c.started_at).label("last_seen"),
        )
        .select_from(results.join(runs, runs.c.id == results.c.run_id))
        .where(*_counted_runs(project, until), *only, results.c.outcome.in_(FAILING))
        .group_by(results.c.test_id, fp)
    )
    grouped: dict[int, list[FailureGroup]] = defaultdict(list)
    for r in conn.execute(q):
        grouped[r.test_id].append(
            FailureGroup(r.fp, r.kind, r.message or "", int(r.n), _utc(r.last_seen))
        )
    return {
        k: tuple(sorted(v, key=lambda g: (-g.count, g.fingerprint))) for k, v in grouped.items()
    }
