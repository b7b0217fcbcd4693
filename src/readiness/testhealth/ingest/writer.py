"""The database side of one report's ingest: batches of rows to tests and results.

:meth:`Writer.write` takes the rows of one batch, counts them (the run's totals) and stores them
the way the database does best:

- SQLite 3.38+: a few statements over JSON text (``json_each``), returned as jobs that a worker
  thread runs while the parser reads the next batch; ids are assigned under the write lock;
- PostgreSQL: rows COPYed to a staging table, written by set statements at the end of the
  transaction (:mod:`.postgres`), also as jobs of the worker thread;
- older SQLite: ``executemany`` with ids looked up a batch at a time (:mod:`.sqlite_legacy`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import datetime
from functools import partial
from itertools import compress, count, repeat
from operator import itemgetter, or_
from typing import Any, NoReturn

import orjson
from sqlalchemy.engine import Connection

from readiness.errors import JUnitParseError
from readiness.testhealth.ingest.postgres import Staging
from readiness.testhealth.ingest.sqlite_legacy import LegacyTests
from readiness.testhealth.ingest.totals import SparseFinalOutcomes, Totals
from readiness.testhealth.junit.failures import fingerprint, normalise_message
from readiness.testhealth.junit.reader import ParsedReport, Row
from readiness.testhealth.model import META_MAX_LENGTH, RunMeta
from readiness.testhealth.store import tables

BATCH = 10_000
_KEY_MAX = 2000
MAX_RESULT_ATTEMPT = 2**15 - 1  # th_results.attempt is a SMALLINT
_TEXT_MAX = 1000
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
    """``value`` cut to ``limit`` characters (None stays None)."""
    return value[:limit] if value is not None else None


Job = Callable[[], object]


class Pipeline:
    """Runs the statements of one batch in a worker thread while the caller parses the next.

    SQLite releases the GIL inside ``sqlite3_step`` and psycopg while it sends, and each batch
    is a handful of statements, so the writes overlap the parsing. One batch in flight at most;
    the connection is used by one thread at a time (``wait`` before any other use).
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
    """Writes the rows of one run, a batch at a time, and counts the run's totals."""

    def __init__(
        self,
        conn: Connection,
        *,
        project: str,
        run_id: int,
        meta: RunMeta,
        started_at: datetime,
        staging: Staging | None = None,
        source: str = "<report>",
    ) -> None:
        self.conn = conn
        self.source = source
        self.project = project
        self.run_id = run_id
        self.meta = meta
        self.started_at = started_at
        self.totals = Totals()
        self.final = SparseFinalOutcomes()
        self._keys: set[str] = set()  # the run's distinct tests
        self._commit = clip(meta.commit, META_MAX_LENGTH["commit"])
        self._staging = staging
        self._file = staging.new_file() if staging is not None else 0
        self._seq = count()
        self._legacy: LegacyTests | None = None
        self._json = False
        if staging is not None:
            return
        version = conn.dialect.server_version_info or ()
        self._json = tuple(version) >= _JSON_SQLITE
        # The text SQLAlchemy itself would store for this instant, computed once.
        column_type = tables.tests.c.first_seen.type.dialect_impl(conn.dialect)
        process = column_type.bind_processor(conn.dialect)
        self._sqlite_time = process(started_at) if process else started_at
        if not self._json:
            self._legacy = LegacyTests(
                conn,
                project=project,
                started_at=started_at,
                started_at_text=self._sqlite_time,
                commit=self._commit,
            )
            return
        # This transaction holds the write lock: ids from max(id) + 1 on are free.
        self._next_result = conn.exec_driver_sql(
            "SELECT coalesce(max(id), 0) + 1 FROM th_results"
        ).scalar_one()
        # A test's first_seen is the start of some run of the project, so only a report older
        # than a stored run can move one back.
        self._older = (
            conn.exec_driver_sql(
                "SELECT 1 FROM th_runs WHERE project = ? AND id <> ? AND started_at > ? LIMIT 1",
                (project, run_id, self._sqlite_time),
            ).first()
            is not None
        )

    @property
    def file(self) -> int:
        """The number of this report's rows in the PostgreSQL staging table (0 on SQLite)."""
        return self._file

    def write(self, batch: Sequence[Row]) -> list[Job]:
        """Count ``batch`` and store it; returns the statements a worker thread may run."""
        keys: list[str] = list(map(_TEST_ID, batch))
        if max(map(len, keys)) > _KEY_MAX:
            keys = list(map(_test_key, keys))
        outcomes = list(map(_OUTCOME, batch))
        attempts = list(map(_ATTEMPT, batch))
        if max(attempts) > MAX_RESULT_ATTEMPT:
            self._too_many_attempts(keys, attempts)
        durations = list(map(_DURATION, batch))
        # Passed first executions carry no message, kind or fingerprint (NULL); the rest do.
        special = list(compress(range(len(batch)), map(or_, outcomes, attempts)))
        totals = self.totals
        totals.reruns += len(batch) - attempts.count(0)
        totals.duration_s += sum(durations)
        totals.results += len(batch)
        self.final.add(keys, outcomes, attempts, special)
        self._keys.update(keys)
        if self._staging is not None:
            return self._stage(batch, keys, durations, special)
        if self._json:
            return self._write_json(batch, keys, durations, special)
        self._write_legacy(batch, keys, durations, special)
        return []

    def _too_many_attempts(self, keys: Sequence[str], attempts: Sequence[int]) -> NoReturn:
        test_id = keys[max(range(len(attempts)), key=attempts.__getitem__)]
        raise JUnitParseError(
            self.source,
            None,
            f"test {test_id[:200]!r} runs more than {MAX_RESULT_ATTEMPT + 1} times in one "
            "report; at most that many executions of one test are stored per run, so split "
            "the report",
        )

    def counts(self) -> tuple[int, int, int]:
        """(tests, tests whose final attempt failed, tests whose final attempt was skipped)."""
        return self.final.counts(len(self._keys))

    @staticmethod
    def _details(r: Row, key: object) -> tuple[Any, ...]:
        """(key, attempt, outcome, duration, kind, message, fingerprint) of one row."""
        if r[4] not in _FAILED:
            return (key, r[6], r[4], r[5], None, None, None)
        message, failure_type, failure_kind = r[7], r[8], r[9]
        kind = failure_kind.value if failure_kind is not None else None
        fp = None
        if message or failure_type:
            fp = fingerprint(kind, normalise_message(message or failure_type))
        return (key, r[6], r[4], r[5], kind, message, fp)

    def _stage(
        self, batch: Sequence[Row], keys: list[str], durations: list[float], special: list[int]
    ) -> list[Job]:
        """PostgreSQL: the batch as staging rows, COPYed by the worker thread."""
        assert self._staging is not None
        rows: list[tuple[Any, ...]] = list(
            zip(
                repeat(self._file),
                self._seq,
                keys,
                repeat(0),
                repeat(0),
                durations,
                repeat(None),
                repeat(None),
                repeat(None),
            )
        )
        for i in special:
            rows[i] = (self._file, rows[i][1], *self._details(batch[i], keys[i]))
        return [partial(self._staging.copy, rows)]

    def _write_json(
        self, batch: Sequence[Row], keys: list[str], durations: list[float], special: list[int]
    ) -> list[Job]:
        """SQLite 3.38+: two JSON payloads and up to four statements keyed by test key; ids are
        found in the writer thread."""
        jobs: list[Job] = []
        head = (self.project, self._sqlite_time, self._commit, _json_text(keys))
        jobs.append(partial(self.conn.exec_driver_sql, _TESTS_SQL, head))
        if self._older:
            jobs.append(partial(self.conn.exec_driver_sql, _OLDER_SQL, head))
        base = self._next_result
        self._next_result += len(batch)
        if len(special) < len(batch):
            plain: list[tuple[str, float] | None] = list(zip(keys, durations, strict=True))
            for i in special:
                plain[i] = None
            plain_params = (base, self.run_id, self.project, _json_text(plain))
            jobs.append(partial(self.conn.exec_driver_sql, _PLAIN_RESULTS_SQL, plain_params))
        if special:
            rows = [(base + i, *self._details(batch[i], keys[i])) for i in special]
            params = (self.run_id, self.project, _json_text(rows))
            jobs.append(partial(self.conn.exec_driver_sql, _DETAILED_RESULTS_SQL, params))
        return jobs

    def _write_legacy(
        self, batch: Sequence[Row], keys: list[str], durations: list[float], special: list[int]
    ) -> None:
        """SQLite before 3.38: ids resolved here, results through executemany."""
        assert self._legacy is not None
        ids = self._legacy.resolve(list(dict.fromkeys(keys)))
        test_ids = list(map(ids.__getitem__, keys))
        run_id = self.run_id
        rows: list[tuple[Any, ...]] = list(
            zip(
                repeat(run_id),
                test_ids,
                repeat(0),
                repeat(0),
                durations,
                repeat(None),
                repeat(None),
                repeat(None),
            )
        )
        for i in special:
            rows[i] = (run_id, *self._details(batch[i], test_ids[i]))
        self._legacy.insert_results(rows)


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
    staging: Staging | None = None,
) -> Writer:
    """The writer of one report (its start time is read with its first ``<testsuite>``)."""
    return Writer(
        conn,
        project=project,
        run_id=run_id,
        meta=meta,
        started_at=_started_at(meta, report, now),
        staging=staging,
        source=report.source,
    )
