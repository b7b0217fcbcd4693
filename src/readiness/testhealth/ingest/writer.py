"""The SQLite/PostgreSQL side of a JUnit ingest: batched writes of tests and results.

On SQLite 3.38+ each batch is a few statements over JSON text (``json_each``), run in a worker
thread while the parser reads the next batch; elsewhere rows go through ``executemany``. Ids are
assigned under the transaction's write lock. Run totals are counted while rows stream.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import compress, repeat
from operator import itemgetter, or_
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness.testhealth.junit.failures import fingerprint, normalise_message
from readiness.testhealth.junit.reader import ParsedReport, Row
from readiness.testhealth.model import RunMeta
from readiness.testhealth.store import tables

BATCH = 10_000
_LOOKUP_CHUNK = 5_000
_KEY_MAX = 2000
_TEXT_MAX = 1000
_RESULT_COLUMNS = (
    "run_id",
    "test_id",
    "attempt",
    "outcome",
    "duration_s",
    "failure_kind",
    "message",
    "fingerprint",
)
_FAILED = (1, 2)  # Outcome.FAILED, Outcome.ERROR
_OUTCOME = itemgetter(4)
_DURATION = itemgetter(5)
_ATTEMPT = itemgetter(6)
_TEST_ID = itemgetter(0)
_JSON_SQLITE = (3, 38, 0)  # the ->> operator
# A batch travels as two JSON arrays: its test keys, and [test_key, duration] per passed first
# execution (null for rows with details). The tests statement inserts the keys the project does
# not know yet (a known one costs an index probe and no write; SQLite takes a plain string from
# json_each without parsing it again); the result statements then find every test id through
# the unique index, all in the writer thread, so the parser never waits for a lookup.
_TESTS_SQL = (
    "INSERT INTO th_tests (project, test_key, first_seen, first_commit) "
    "SELECT ?1, j.value, ?2, ?3 FROM json_each(?4) AS j WHERE true "
    "ON CONFLICT (project, test_key) DO NOTHING"
)
# Only for a report older than a run already stored: its known tests were first seen here.
_OLDER_SQL = (
    "UPDATE th_tests SET first_seen = ?2, first_commit = ?3 WHERE project = ?1 "
    "AND first_seen > ?2 AND test_key IN (SELECT j.value FROM json_each(?4) AS j)"
)
# Durations stay JSON numbers: SQLite's JSON reader rounds them correctly, CAST(text AS REAL)
# does not always (1 ulp off for about 1 in 4,000 six-decimal durations, measured).
_PLAIN_RESULTS_SQL = (
    "INSERT INTO th_results (id, run_id, test_id, attempt, outcome, duration_s, quarantined) "
    "SELECT ?1 + j.key, ?2, t.id, 0, 0, j.value ->> 1, 0 FROM json_each(?4) AS j "
    "CROSS JOIN th_tests AS t ON t.project = ?3 AND t.test_key = j.value ->> 0 "
    "WHERE j.type = 'array'"
)
_DETAILED_RESULTS_SQL = (
    "INSERT INTO th_results (id, run_id, test_id, attempt, outcome, duration_s, failure_kind, "
    "message, fingerprint, quarantined) SELECT j.value ->> 0, ?1, t.id, j.value ->> 2, "
    "j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, 0 "
    "FROM json_each(?3) AS j "
    "CROSS JOIN th_tests AS t ON t.project = ?2 AND t.test_key = j.value ->> 1"
)


def _json_text(value: object) -> str:
    """JSON text for SQLite's json_each (orjson: about 5x faster than the json module here).
    Durations are finite (the reader clamps them) and SQLite reads JSON numbers back exactly."""
    return orjson.dumps(value).decode()


def _test_key(test_id: str) -> str:
    if len(test_id) <= _KEY_MAX:
        return test_id
    # Keep very long ids unique within the column limit.
    return test_id[: _KEY_MAX - 17] + "~" + hashlib.sha256(test_id.encode()).hexdigest()[:16]


def clip(value: str | None, limit: int = _TEXT_MAX) -> str | None:
    return value[:limit] if value is not None else None


@dataclass
class _Totals:
    results: int = 0
    reruns: int = 0
    duration_s: float = 0.0


class _Final:
    """The outcome of each test's final attempt (highest attempt, then latest row), as rows
    stream: the run's totals without a window query over what was just written."""

    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}
        self._higher: dict[Hashable, tuple[int, int]] = {}

    def add(self, test_ids: Sequence[Hashable], outcomes: list[int], attempts: list[int]) -> None:
        self._last.update(zip(test_ids, outcomes, strict=True))
        if attempts.count(0) == len(attempts):
            return
        higher = self._higher
        for i in compress(range(len(attempts)), attempts):
            test_id, attempt = test_ids[i], attempts[i]
            seen = higher.get(test_id)
            if seen is None or attempt >= seen[0]:
                higher[test_id] = (attempt, outcomes[i])
        # A later attempt-0 row of a test with reruns never decides its final outcome.

    def counts(self) -> tuple[int, int, int]:
        """(tests, tests whose final attempt failed, tests whose final attempt was skipped)."""
        final = self._last
        final.update((t, outcome) for t, (_a, outcome) in self._higher.items())
        counted = Counter(final.values())
        return len(final), counted[1] + counted[2], counted[3]


class _SparseFinal:
    """The final outcomes of only the tests that had a failed, skipped or rerun row: every other
    test's final outcome is a pass, so the per-test state stays small (the writer counts the
    distinct tests)."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}  # attempt-0 rows, from a test's first special row on
        self._higher: dict[str, tuple[int, int]] = {}

    def add(
        self, keys: list[str], outcomes: list[int], attempts: list[int], special: list[int]
    ) -> None:
        last = self._last
        tracked = last.keys() & set(keys) if last else set()
        tracked.update(map(keys.__getitem__, special))
        if not tracked:
            return
        higher = self._higher
        for i in compress(range(len(keys)), map(tracked.__contains__, keys)):
            key, attempt = keys[i], attempts[i]
            if not attempt:
                last[key] = outcomes[i]
                continue
            seen = higher.get(key)
            if seen is None or attempt >= seen[0]:
                higher[key] = (attempt, outcomes[i])

    def counts(self, tests: int) -> tuple[int, int, int]:
        """(tests, tests whose final attempt failed, tests whose final attempt was skipped)."""
        final = dict(self._last)
        final.update((t, outcome) for t, (_a, outcome) in self._higher.items())
        counted = Counter(final.values())
        return tests, counted[1] + counted[2], counted[3]


Job = Callable[[], object]


class Pipeline:
    """Runs the statements of one batch in a worker thread while the caller parses the next.

    SQLite releases the GIL inside ``sqlite3_step``, and each batch is a handful of statements,
    so the inserts overlap the parsing. One batch in flight at most; the connection is used by
    one thread at a time (``wait`` before any other use).
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def submit(self, jobs: list[Job]) -> None:
        self.wait()
        if jobs:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="readiness-ingest")
            self._pending = self._pool.submit(_run_all, jobs)

    def run_here(self, jobs: list[Job]) -> None:
        self.wait()
        _run_all(jobs)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, exc_type: object, *_exc: object) -> None:
        try:
            if exc_type is None:
                self.wait()
            elif self._pending is not None:
                wait_futures([self._pending])  # its error, if any, is secondary
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


def _run_all(jobs: list[Job]) -> None:
    for job in jobs:
        job()


class Writer:
    """Batches results of one run; resolves test ids in bulk, inserting unknown tests.

    On SQLite (3.38+) each batch is a few statements: the rows travel as JSON text (built by
    orjson) that SQLite unpacks with ``json_each``; tests are upserted and their ids joined in
    by key in the writer thread, and result ids assigned here (this transaction holds the write
    lock, so ``max(id) + 1..`` are free).
    """

    def __init__(
        self, conn: Connection, *, project: str, run_id: int, meta: RunMeta, started_at: datetime
    ) -> None:
        self.conn = conn
        self.project = project
        self.run_id = run_id
        self.meta = meta
        self.started_at = started_at
        self.totals = _Totals()
        self.final = _Final()
        self.sparse = _SparseFinal()  # instead of final on SQLite with JSON
        self._keys: set[str] = set()  # the run's distinct tests (SQLite with JSON)
        self.sync: Job = _no_wait  # called before reading the connection (see Pipeline)
        self._jobs: list[Job] = []
        self._sqlite = conn.dialect.name == "sqlite"
        version = conn.dialect.server_version_info or ()
        self._json = self._sqlite and tuple(version) >= _JSON_SQLITE
        self._next_result = 0
        # On SQLite this transaction already holds the write lock (the run row is written), so
        # a project without tests gains only the tests this ingest inserts: no lookups needed.
        self._new_project: dict[str, int] | None = None
        if self._sqlite and not self._json:
            known = conn.exec_driver_sql(
                "SELECT 1 FROM th_tests WHERE project = ? LIMIT 1", (project,)
            ).first()
            self._new_project = {} if known is None else None
        # The text SQLAlchemy itself would store for this instant, computed once.
        column_type = tables.tests.c.first_seen.type.dialect_impl(conn.dialect)
        process = column_type.bind_processor(conn.dialect)
        self._sqlite_time = process(started_at) if process else started_at
        if self._json:
            self._next_result = conn.exec_driver_sql(
                "SELECT coalesce(max(id), 0) + 1 FROM th_results"
            ).scalar_one()
        # A test's first_seen is the start of some run of the project, so only a report older
        # than a stored run can move one back.
        self._older = self._json and (
            conn.exec_driver_sql(
                "SELECT 1 FROM th_runs WHERE project = ? AND id <> ? AND started_at > ? LIMIT 1",
                (project, run_id, self._sqlite_time),
            ).first()
            is not None
        )

    def write(self, batch: Sequence[Row]) -> list[Job]:
        """Write ``batch``; on SQLite with JSON, return the statements to run instead."""
        if self._json:
            return self._write_json(batch)
        order = list(dict.fromkeys(map(_TEST_ID, batch)))  # the batch's tests in file order
        if max(map(len, order)) <= _KEY_MAX:
            ids = self._resolve_tests(order)
        else:
            by_key = self._resolve_tests(list(dict.fromkeys(map(_test_key, order))))
            ids = {t: by_key[_test_key(t)] for t in order}
        test_ids = list(map(ids.__getitem__, map(_TEST_ID, batch)))
        outcomes = list(map(_OUTCOME, batch))
        attempts = list(map(_ATTEMPT, batch))
        durations = list(map(_DURATION, batch))
        # Passed first executions carry no message, kind or fingerprint (NULL); the rest do.
        special = list(compress(range(len(batch)), map(or_, outcomes, attempts)))
        details = [self._details(batch[i], test_ids[i]) for i in special]
        totals = self.totals
        totals.reruns += len(batch) - attempts.count(0)
        totals.duration_s += sum(durations)
        totals.results += len(batch)
        self.final.add(test_ids, outcomes, attempts)
        run_id = self.run_id
        rows: list[tuple[Any, ...]] = list(
            zip(
                repeat(run_id),
                test_ids,
                attempts,
                outcomes,
                durations,
                repeat(None),
                repeat(None),
                repeat(None),
            )
        )
        for i, row in zip(special, details, strict=True):
            rows[i] = (run_id, *row)
        self._insert_results(rows)
        return []

    def _emit(self, sql: str, params: tuple[Any, ...]) -> None:
        self._jobs.append(partial(self.conn.exec_driver_sql, sql, params))

    @staticmethod
    def _details(r: Row, test_id: object) -> tuple[Any, ...]:
        """(test_id, attempt, outcome, duration, kind, message, fingerprint) of one row."""
        if r[4] not in _FAILED:
            return (test_id, r[6], r[4], r[5], None, None, None)
        message, failure_type, failure_kind = r[7], r[8], r[9]
        kind = failure_kind.value if failure_kind is not None else None
        fp = None
        if message or failure_type:
            fp = fingerprint(kind, normalise_message(message or failure_type))
        return (test_id, r[6], r[4], r[5], kind, message, fp)

    def counts(self) -> tuple[int, int, int]:
        """(tests, tests whose final attempt failed, tests whose final attempt was skipped)."""
        if not self._json:
            return self.final.counts()
        return self.sparse.counts(len(self._keys))

    def _write_json(self, batch: Sequence[Row]) -> list[Job]:
        """The batch as two JSON payloads and up to four statements keyed by test key; ids are
        found in the writer thread."""
        keys: list[str] = list(map(_TEST_ID, batch))
        if max(map(len, keys)) > _KEY_MAX:
            keys = list(map(_test_key, keys))
        outcomes = list(map(_OUTCOME, batch))
        attempts = list(map(_ATTEMPT, batch))
        durations = list(map(_DURATION, batch))
        special = list(compress(range(len(batch)), map(or_, outcomes, attempts)))
        totals = self.totals
        totals.reruns += len(batch) - attempts.count(0)
        totals.duration_s += sum(durations)
        totals.results += len(batch)
        self.sparse.add(keys, outcomes, attempts, special)
        self._keys.update(keys)
        head = (self.project, self._sqlite_time, clip(self.meta.commit, 64), _json_text(keys))
        self._emit(_TESTS_SQL, head)
        if self._older:
            self._emit(_OLDER_SQL, head)
        base = self._next_result
        self._next_result += len(batch)
        if len(special) < len(batch):
            plain: list[tuple[str, float] | None] = list(zip(keys, durations, strict=True))
            for i in special:
                plain[i] = None
            self._emit(_PLAIN_RESULTS_SQL, (base, self.run_id, self.project, _json_text(plain)))
        if special:
            rows = [(base + i, *self._details(batch[i], keys[i])) for i in special]
            self._emit(_DETAILED_RESULTS_SQL, (self.run_id, self.project, _json_text(rows)))
        jobs, self._jobs = self._jobs, []
        return jobs

    def _insert_results(self, rows: list[tuple[Any, ...]]) -> None:
        if self._sqlite:
            # The DBAPI executemany loop runs in C; Core adds per-row parameter processing.
            self.conn.exec_driver_sql(
                "INSERT INTO th_results (run_id, test_id, attempt, outcome, duration_s, "
                "failure_kind, message, fingerprint, quarantined) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                rows,
            )
            return
        self.conn.execute(
            tables.results.insert(), [dict(zip(_RESULT_COLUMNS, r, strict=True)) for r in rows]
        )

    def _lookup(self, keys: Iterable[str]) -> dict[str, int]:
        self.sync()
        t = tables.tests
        found: dict[str, int] = {}
        key_list = list(keys)
        for i in range(0, len(key_list), _LOOKUP_CHUNK):
            chunk = key_list[i : i + _LOOKUP_CHUNK]
            if self._sqlite:
                marks = ",".join("?" * len(chunk))
                where = f"project = ? AND test_key IN ({marks})"
                sql = "SELECT test_key, id FROM th_tests WHERE " + where  # noqa: S608 - placeholders only
                rows = self.conn.exec_driver_sql(sql, (self.project, *chunk)).fetchall()
            else:
                query = sa.select(t.c.test_key, t.c.id).where(
                    t.c.project == self.project, t.c.test_key.in_(chunk)
                )
                rows = self.conn.execute(query).fetchall()
            found.update((key, int(id_)) for key, id_ in rows)
        return found

    def _resolve_tests(self, keys: list[str]) -> dict[str, int]:
        inserted = self._new_project
        if inserted is not None:
            ids = {key: inserted[key] for key in keys if key in inserted}
            missing = [key for key in keys if key not in ids]
            if missing:
                added = self._insert_tests(missing)
                inserted.update(added)
                ids.update(added)
            return ids
        ids = self._lookup(keys)
        if ids:
            self._touch(list(ids.values()))
        missing = [key for key in keys if key not in ids]
        if missing:
            ids.update(self._insert_tests(missing))
        return ids

    def _insert_tests(self, missing: list[str]) -> dict[str, int]:
        commit = clip(self.meta.commit, 64)
        if not self._sqlite:
            at = self.started_at
            self.conn.execute(
                tables.tests.insert(),
                [
                    {
                        "project": self.project,
                        "test_key": key,
                        "first_seen": at,
                        "first_commit": commit,
                    }
                    for key in missing
                ],
            )
            return self._lookup(missing)
        at_text = self._sqlite_time
        n = len(missing)
        before = self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM th_tests").scalar_one()
        self.conn.exec_driver_sql(
            "INSERT INTO th_tests (project, test_key, first_seen, first_commit) "
            "VALUES (?, ?, ?, ?)",
            [(self.project, key, at_text, commit) for key in missing],
        )
        # SQLite gives a new row max(rowid)+1, and this transaction holds the write lock, so the
        # new ids are consecutive in insertion order; checked, with a lookup as the fallback.
        count, low, high = self.conn.exec_driver_sql(
            "SELECT count(*), min(id), max(id) FROM th_tests WHERE id > ?", (before,)
        ).one()
        if (count, low, high) == (n, before + 1, before + n):
            return dict(zip(missing, range(before + 1, before + n + 1), strict=True))
        return self._lookup(missing)

    def _touch(self, test_ids: list[int]) -> None:
        """Move first_seen of known tests back to this run when it is older (a late report)."""
        t = tables.tests
        at = self.started_at
        for i in range(0, len(test_ids), _LOOKUP_CHUNK):
            chunk = test_ids[i : i + _LOOKUP_CHUNK]
            self.conn.execute(
                t.update()
                .where(t.c.id.in_(chunk), t.c.first_seen > at)
                .values(first_seen=at, first_commit=clip(self.meta.commit, 64))
            )


def _no_wait() -> None:
    pass


def _started_at(meta: RunMeta, report: ParsedReport, now: datetime) -> datetime:
    return meta.timestamp or report.timestamp or now


def new_writer(
    conn: Connection,
    *,
    project: str,
    run_id: int,
    meta: RunMeta,
    report: ParsedReport,
    now: datetime,
) -> Writer:
    # The report's timestamp is read with its first <testsuite>, before any testcase.
    return Writer(
        conn,
        project=project,
        run_id=run_id,
        meta=meta,
        started_at=_started_at(meta, report, now),
    )
