"""SQL behind flaky-test detection: the evidence of each test (SQLAlchemy Core, SQLite and
PostgreSQL). Suite health, co-failure clusters and a test's history are in :mod:`.history`.

Everything is read from the detection window (:mod:`.window`): its run ids are selected first
(a few hundred at most), then only results of those runs are aggregated, through the index on
``th_results.run_id``; the cost is bounded by the window, never by the history kept. One
``GROUP BY test`` pass yields counts and, for the default-branch part of the window, bit masks
(one bit per run, ``SUM`` of distinct powers of two) that Python unpacks into
:attr:`TestEvidence.window`. Rare signals (failures, reruns) are found with narrow queries that
only touch failing or rerun rows of the window's runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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
from readiness.testhealth.store.window import (
    DetectionWindow,
    connect,
    counted_runs,
    load_window,
    utc,
)

_LAST_SEEN_RUNS = 3  # newest runs read one by one before aggregating what is left
_LOOKUP_CHUNK = 5_000  # ids per IN list
_WORK_MEM = "256MB"  # the main aggregate in memory on PostgreSQL (~2.3 KB a test: ~100k tests)
BITS = 62  # bits per mask column: sums of distinct powers of two stay inside a signed BIGINT
FAILING = (int(Outcome.FAILED), int(Outcome.ERROR))
COUNTED = (int(Outcome.PASSED), *FAILING)


_connect = connect
_utc = utc
_counted_runs = counted_runs


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


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
    if n == 0:
        return ""  # no default-branch run in the window
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
    """Evidence of every test that ran in the detection window of ``project`` (see
    :mod:`.window`), sorted by test key; with ``test_key``, of that test only (also when it
    ran only before the window: then nothing is counted, and ``last_seen`` says when it ran).

    ``until`` judges the window as it stood then (runs started at or before it: the gate's
    view of a commit).
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
    window = load_window(
        conn,
        project=project,
        default_branch=default_branch,
        window_runs=window_runs,
        until=until,
    )
    n = len(window.default)
    commits = tuple(r.commit for r in reversed(window.default))
    position = {r.id: n - 1 - k for k, r in enumerate(window.default)}  # oldest first
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
    ids = window.ids

    out: list[TestEvidence] = []
    if ids:
        main = _aggregate(conn.dialect.name, window, chunks, only)
        retries = _retry_passes(conn, only, ids)
        same_commit, same_tree = _same_source(conn, project, only, ids)
        groups = _failure_groups(conn, only, ids)
        fixed = _fixed_at(conn, project)
        repeats = window.repeats()
        if conn.dialect.name == "postgresql":
            # The aggregate holds one row of sums per test; at the default 4 MB it spills to
            # disk from ~20k tests on. For this transaction only.
            conn.execute(sa.text(f"SET LOCAL work_mem = '{_WORK_MEM}'"))
        for row in conn.execute(main):
            t = meta.get(row.test_id)
            if t is None:
                continue
            chunk_bits = range(chunks)
            present = _mask_string([int(getattr(row, f"present{j}") or 0) for j in chunk_bits], n)
            failed = _mask_string([int(getattr(row, f"fail{j}") or 0) for j in chunk_bits], n)
            test_retries = retries.get(row.test_id, set())
            test_groups = groups.get(row.test_id, ())
            # A later execution passed: not "failed on every attempt", retry or repeat alike.
            retried = {position[r] for r in test_retries if r in position}
            out.append(
                TestEvidence(
                    test_key=t.test_key,
                    runs=int(row.runs or 0),
                    failures=int(row.failures or 0),
                    window=_window_string(present, failed, retried),
                    window_commits=commits,
                    same_commit=tuple(sorted(same_commit.get(row.test_id, ()))),
                    same_tree=tuple(sorted(same_tree.get(row.test_id, ()))),
                    retry_passes=len(test_retries - repeats),
                    first_seen=_utc(t.first_seen),
                    last_seen=window.runs[int(row.newest)].started_at,
                    last_failure_at=max(
                        (g.last_seen for g in test_groups if g.last_seen), default=None
                    ),
                    fixed_at=_utc(fixed.get(t.test_key)),
                    total_duration_s=float(row.duration or 0.0),
                    failure_groups=test_groups,
                    window_start=window.start,
                )
            )
    if test_key is not None and not out:
        out = [_outside_window(conn, project, meta, window, until)]
    return sorted(out, key=lambda e: e.test_key)


def _aggregate(
    dialect: str, window: DetectionWindow, chunks: int, only: list[sa.ColumnElement[bool]]
) -> sa.Select[Any]:
    """One ``GROUP BY test`` over the results of the window's runs: counts, the newest run
    (rank 0 is the newest of the window) and the bit masks of the default-branch runs.

    Each run's rank and bit come from a lookup by run id. PostgreSQL hash-joins a ``VALUES``
    list (one probe per row); SQLite would rescan a joined list for every row and evaluates a
    flat ``CASE`` linearly, so there the lookup is a ``CASE`` nested as a binary search.
    """
    ids = window.ids
    bit_of = {r.id: (k // BITS, 1 << (k % BITS)) for k, r in enumerate(window.default)}
    first = results.c.attempt == 0
    failed = first & results.c.outcome.in_(FAILING)
    counted = first & results.c.outcome.in_(COUNTED)
    source: Any = results
    if dialect == "postgresql":
        rows = [
            (r.id, k, *(bit_of[r.id][1] if bit_of.get(r.id, (-1,))[0] == j else 0
                        for j in range(chunks)))
            for k, r in enumerate(window.runs)
        ]  # fmt: skip
        lookup = sa.values(
            sa.column("run_id", sa.BigInteger),
            sa.column("rank", sa.Integer),
            *(sa.column(f"b{j}", sa.BigInteger) for j in range(chunks)),
            name="window_runs",
        ).data(rows)
        source = results.join(lookup, lookup.c.run_id == results.c.run_id)
        rank: sa.ColumnElement[int] = lookup.c.rank
        bits: list[sa.ColumnElement[int]] = [lookup.c[f"b{j}"] for j in range(chunks)]
    else:
        rank = _bit_lookup(results.c.run_id, sorted((r.id, k) for k, r in enumerate(window.runs)))
        bits = []  # one lookup per mask column
        for j in range(chunks):
            pairs = sorted((i, bit) for i, (c, bit) in bit_of.items() if c == j)
            bits.append(_bit_lookup(results.c.run_id, pairs) if pairs else sa.literal(0))
    columns: list[Any] = [
        results.c.test_id,
        sa.func.sum(sa.case((counted, 1), else_=0)).label("runs"),
        sa.func.sum(sa.case((failed, 1), else_=0)).label("failures"),
        sa.func.sum(sa.case((counted, results.c.duration_s), else_=0.0)).label("duration"),
        sa.func.min(rank).label("newest"),
    ]
    for j, bit in enumerate(bits):
        columns.append(sa.func.sum(sa.case((counted, bit), else_=0)).label(f"present{j}"))
        columns.append(sa.func.sum(sa.case((failed, bit), else_=0)).label(f"fail{j}"))
    return (
        sa.select(*columns)
        .select_from(source)
        .where(results.c.run_id.in_(ids), *only)
        .group_by(results.c.test_id)
    )


def _outside_window(
    conn: Connection,
    project: str,
    meta: dict[int, Any],
    window: DetectionWindow,
    until: datetime | None,
) -> TestEvidence:
    """Evidence of a test with no result in the window: nothing counted, when it last ran."""
    [(test_id, t)] = meta.items()
    last_seen = _last_seen(conn, project, [test_id], until).get(test_id)
    return TestEvidence(
        test_key=t.test_key,
        runs=0,
        failures=0,
        window="-" * len(window.default),
        window_commits=tuple(r.commit for r in reversed(window.default)),
        first_seen=_utc(t.first_seen),
        last_seen=_utc(last_seen),
        fixed_at=_utc(_fixed_at(conn, project).get(t.test_key)),
        window_start=window.start,
    )


def _retry_passes(
    conn: Connection, only: list[sa.ColumnElement[bool]], ids: list[int]
) -> dict[int, set[int]]:
    """Test id -> ids of the window's runs in which a later execution passed after an earlier
    one failed (CI retries and ``--readiness-repeat`` repeats alike: callers tell them apart)."""
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
        sa.select(results.c.test_id, results.c.run_id).where(
            results.c.run_id.in_(ids),
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
    conn: Connection, project: str, only: list[sa.ColumnElement[bool]], ids: list[int]
) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Commits (and trees across commits) on which each test both passed and failed, in the
    window's runs."""
    failing = (
        sa.select(results.c.test_id, runs.c.commit_sha, runs.c.tree_sha)
        .distinct()
        .select_from(results.join(runs, runs.c.id == results.c.run_id))
        .where(results.c.run_id.in_(ids), *only, results.c.outcome.in_(FAILING))
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
                passed.c.run_id.in_(ids),
                passed.c.outcome == int(Outcome.PASSED),
                prun.c.project == project,
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
    conn: Connection, only: list[sa.ColumnElement[bool]], ids: list[int]
) -> dict[int, tuple[FailureGroup, ...]]:
    """Failing executions (any attempt) in the window's runs, per test and fingerprint, most
    frequent first."""
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
        .where(results.c.run_id.in_(ids), *only, results.c.outcome.in_(FAILING))
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
