"""Ingest one JUnit XML report into the testhealth tables, in one transaction.

A report is read once, as a stream: its bytes are hashed while the parser consumes them, rows are
written in batches, and the run row is inserted first under a provisional key. At the end the
real ``run_key`` (project, CI run id, attempt, job and the file digest) is known; if a run with
that key already exists the transaction is rolled back and the result says ``duplicate``. Any
parse error rolls back everything the file had written.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, compress, repeat
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from readiness.testhealth import tables
from readiness.testhealth.failures import fingerprint, normalise_message
from readiness.testhealth.junit import BinaryReader, ParsedReport, Row, parse_report
from readiness.testhealth.model import IngestResult, RunMeta

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
_TEST_FIELDS = itemgetter(1, 2, 3)  # suite, name, file


class _HashingReader:
    """Passes reads through and hashes every byte that went by."""

    def __init__(self, stream: BinaryReader) -> None:
        self._stream = stream
        self.wrapped = stream  # lets the reader see a real file behind it
        self._hash = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def compute_run_key(project: str, meta: RunMeta, digest: str) -> str:
    """The idempotency key of a run: the same file with the same CI metadata is one run."""
    parts = (project, meta.run_id or "", str(meta.attempt), meta.job or "", digest)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _test_key(test_id: str) -> str:
    if len(test_id) <= _KEY_MAX:
        return test_id
    # Keep very long ids unique within the column limit.
    return test_id[: _KEY_MAX - 17] + "~" + hashlib.sha256(test_id.encode()).hexdigest()[:16]


def _clip(value: str | None, limit: int = _TEXT_MAX) -> str | None:
    return value[:limit] if value is not None else None


@dataclass
class _Totals:
    results: int = 0
    reruns: int = 0
    duration_s: float = 0.0


class _Writer:
    """Batches results of one run; resolves test ids in bulk, inserting unknown tests."""

    def __init__(
        self, conn: Connection, *, project: str, run_id: int, meta: RunMeta, started_at: datetime
    ) -> None:
        self.conn = conn
        self.project = project
        self.run_id = run_id
        self.meta = meta
        self.started_at = started_at
        self.totals = _Totals()
        self._sqlite = conn.dialect.name == "sqlite"
        # On SQLite this transaction already holds the write lock (the run row is written), so
        # a project without tests gains only the tests this ingest inserts: no lookups needed.
        self._new_project: dict[str, int] | None = None
        if self._sqlite:
            known = conn.exec_driver_sql(
                "SELECT 1 FROM th_tests WHERE project = ? LIMIT 1", (project,)
            ).first()
            self._new_project = {} if known is None else None
        # The text SQLAlchemy itself would store for this instant, computed once.
        column_type = tables.tests.c.first_seen.type.dialect_impl(conn.dialect)
        process = column_type.bind_processor(conn.dialect)
        self._sqlite_time = process(started_at) if process else started_at

    def write(self, batch: Sequence[Row]) -> None:
        # Test ids in file order, each with its first row (the dict built from the end).
        order = dict.fromkeys(map(_TEST_ID, batch))
        earliest = {r[0]: r for r in reversed(batch)}
        first: dict[str, Row] = dict(zip(order, map(earliest.__getitem__, order), strict=True))
        if max(map(len, first)) <= _KEY_MAX:
            ids = self._resolve_tests(first)
        else:
            by_key = self._resolve_tests({_test_key(t): r for t, r in first.items()})
            ids = {t: by_key[_test_key(t)] for t in first}
        run_id = self.run_id
        # Passed and skipped rows carry no message, kind or fingerprint (NULL).
        rows: list[tuple[Any, ...]] = list(
            zip(
                repeat(run_id),
                map(ids.__getitem__, map(_TEST_ID, batch)),
                map(_ATTEMPT, batch),
                map(_OUTCOME, batch),
                map(_DURATION, batch),
                repeat(None),
                repeat(None),
                repeat(None),
            )
        )
        for i in compress(range(len(batch)), map(_FAILED.__contains__, map(_OUTCOME, batch))):
            r = batch[i]
            message, failure_type, failure_kind = r[7], r[8], r[9]
            kind = failure_kind.value if failure_kind is not None else None
            fp = None
            if message or failure_type:
                fp = fingerprint(kind, normalise_message(message or failure_type))
            rows[i] = (run_id, ids[r[0]], r[6], r[4], r[5], kind, message, fp)
        totals = self.totals
        totals.reruns += len(batch) - list(map(_ATTEMPT, batch)).count(0)
        totals.duration_s += sum(map(_DURATION, batch))
        totals.results += len(rows)
        self._insert_results(rows)

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

    def _resolve_tests(self, first: dict[str, Row]) -> dict[str, int]:
        inserted = self._new_project
        if inserted is not None:
            ids = {key: inserted[key] for key in first if key in inserted}
            missing = [key for key in first if key not in ids]
            if missing:
                added = self._insert_tests(missing, first)
                inserted.update(added)
                ids.update(added)
            return ids
        ids = self._lookup(first)
        if ids:
            self._touch(list(ids.values()))
        missing = [key for key in first if key not in ids]
        if missing:
            ids.update(self._insert_tests(missing, first))
        return ids

    def _insert_tests(self, missing: list[str], first: dict[str, Row]) -> dict[str, int]:
        commit = _clip(self.meta.commit, 64)
        if not self._sqlite:
            at = self.started_at
            self.conn.execute(
                tables.tests.insert(),
                [
                    {
                        "project": self.project,
                        "test_key": key,
                        "suite": _clip(first[key][1]),
                        "name": _clip(first[key][2]) or "",
                        "file": _clip(first[key][3]),
                        "first_seen": at,
                        "last_seen": at,
                        "first_commit": commit,
                    }
                    for key in missing
                ],
            )
            return self._lookup(missing)
        at_text = self._sqlite_time
        fields = list(map(_TEST_FIELDS, map(first.__getitem__, missing)))
        longest = max(map(len, filter(None, chain.from_iterable(fields))), default=0)
        if longest > _TEXT_MAX:
            fields = [(_clip(a), _clip(b) or "", _clip(c)) for a, b, c in fields]
        before = self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM th_tests").scalar_one()
        self.conn.exec_driver_sql(
            "INSERT INTO th_tests (project, test_key, suite, name, file, first_seen, last_seen, "
            "first_commit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (self.project, key, *f, at_text, at_text, commit)
                for key, f in zip(missing, fields, strict=True)
            ],
        )
        # SQLite gives a new row max(rowid)+1, and this transaction holds the write lock, so the
        # new ids are consecutive in insertion order; checked, with a lookup as the fallback.
        n = len(missing)
        count, low, high = self.conn.exec_driver_sql(
            "SELECT count(*), min(id), max(id) FROM th_tests WHERE id > ?", (before,)
        ).one()
        if (count, low, high) == (n, before + 1, before + n):
            return dict(zip(missing, range(before + 1, before + n + 1), strict=True))
        return self._lookup(missing)

    def _touch(self, test_ids: list[int]) -> None:
        """Widen first_seen/last_seen of known tests to include this run."""
        t = tables.tests
        at = self.started_at
        for i in range(0, len(test_ids), _LOOKUP_CHUNK):
            chunk = test_ids[i : i + _LOOKUP_CHUNK]
            self.conn.execute(
                t.update().where(t.c.id.in_(chunk), t.c.last_seen < at).values(last_seen=at)
            )
            self.conn.execute(
                t.update()
                .where(t.c.id.in_(chunk), t.c.first_seen > at)
                .values(first_seen=at, first_commit=_clip(self.meta.commit, 64))
            )


def _final_counts(conn: Connection, run_id: int) -> tuple[int, int, int]:
    """(tests, tests whose final attempt failed, tests whose final attempt was skipped)."""
    r = tables.results
    ranked = (
        sa.select(
            r.c.outcome,
            sa.func.row_number()
            .over(partition_by=r.c.test_id, order_by=(r.c.attempt.desc(), r.c.id.desc()))
            .label("rn"),
        )
        .where(r.c.run_id == run_id)
        .subquery()
    )
    query = sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((ranked.c.outcome.in_(_FAILED), 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((ranked.c.outcome == 3, 1), else_=0)), 0),
    ).where(ranked.c.rn == 1)
    total, failed, skipped = conn.execute(query).one()
    return int(total), int(failed), int(skipped)


def _existing(conn: Connection, project: str, run_key: str, source: str) -> IngestResult | None:
    t = tables.runs
    row = conn.execute(
        sa.select(t.c.id, t.c.format, t.c.total, t.c.failed, t.c.infra_failure).where(
            t.c.project == project, t.c.run_key == run_key
        )
    ).one_or_none()
    if row is None:
        return None
    r = tables.results
    results = conn.execute(
        sa.select(sa.func.count()).select_from(r).where(r.c.run_id == row.id)
    ).scalar_one()
    return IngestResult(
        source=source,
        run_key=run_key,
        format=row.format,
        tests=row.total,
        results=int(results),
        failed=row.failed,
        duplicate=True,
        infra_failure=bool(row.infra_failure),
    )


def _started_at(meta: RunMeta, report: ParsedReport, now: datetime) -> datetime:
    return meta.timestamp or report.timestamp or now


def ingest_stream(
    engine: Engine,
    stream: BinaryReader,
    *,
    source: str,
    meta: RunMeta,
    project: str,
    now: datetime,
    infra_failure_ratio: float,
    infra_min_tests: int,
) -> IngestResult:
    """Parse ``stream`` and store it as one run of ``project``; all or nothing, idempotent.

    Raises ``JUnitParseError`` (naming ``source``, line and problem) when the report is malformed;
    nothing from the file is kept then.
    """
    reader = _HashingReader(stream)
    report = parse_report(reader, source)
    runs = tables.runs
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            run_id = conn.execute(
                runs.insert()
                .values(
                    project=project,
                    run_key=f"pending-{uuid.uuid4().hex}",
                    ci_run_id=_clip(meta.run_id, 200),
                    attempt=meta.attempt,
                    job=_clip(meta.job, 200),
                    commit_sha=_clip(meta.commit, 64),
                    tree_sha=_clip(meta.tree, 64),
                    branch=_clip(meta.branch, 255),
                    started_at=now,
                    ingested_at=now,
                    source=source[:1000],
                    source_digest="",
                    format="junit",
                    tags=dict(meta.tags),
                    total=0,
                    failed=0,
                    skipped=0,
                    duration_s=0.0,
                )
                .returning(runs.c.id)
            ).scalar_one()
            writer: _Writer | None = None
            batch: list[Row] = []
            for rows in report.batches():
                batch += rows
                if len(batch) >= BATCH:
                    writer = writer or _new_writer(
                        conn, project=project, run_id=run_id, meta=meta, report=report, now=now
                    )
                    writer.write(batch)
                    batch = []
            writer = writer or _new_writer(
                conn, project=project, run_id=run_id, meta=meta, report=report, now=now
            )
            if batch:
                writer.write(batch)
            run_key = compute_run_key(project, meta, reader.hexdigest())
            duplicate = _existing(conn, project, run_key, source)
            if duplicate is not None:
                trans.rollback()
                return duplicate
            total, failed, skipped = _final_counts(conn, run_id)
            infra = total >= infra_min_tests and total > 0 and failed / total >= infra_failure_ratio
            seed = meta.seed or report.seed
            fmt = report.format or "junit"
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(
                    run_key=run_key,
                    source_digest=reader.hexdigest(),
                    format=fmt,
                    seed=_clip(seed, 64),
                    started_at=writer.started_at,
                    total=total,
                    failed=failed,
                    skipped=skipped,
                    reruns=writer.totals.reruns,
                    duration_s=writer.totals.duration_s,
                    infra_failure=infra,
                )
            )
            trans.commit()
        except IntegrityError:
            # A concurrent ingest of the same file committed first: report it as the duplicate.
            trans.rollback()
            found = _existing(
                conn, project, compute_run_key(project, meta, reader.hexdigest()), source
            )
            if found is None:
                raise
            return found
        except BaseException:
            trans.rollback()
            raise
    return IngestResult(
        source=source,
        run_key=run_key,
        format=fmt,
        tests=total,
        results=writer.totals.results,
        failed=failed,
        duplicate=False,
        infra_failure=infra,
    )


def _new_writer(
    conn: Connection,
    *,
    project: str,
    run_id: int,
    meta: RunMeta,
    report: ParsedReport,
    now: datetime,
) -> _Writer:
    # The report's timestamp is read with its first <testsuite>, before any testcase.
    return _Writer(
        conn,
        project=project,
        run_id=run_id,
        meta=meta,
        started_at=_started_at(meta, report, now),
    )
