"""Ingest JUnit XML reports into the testhealth tables: all of them in one transaction, or none.

Each report is read once, as a stream: its bytes are hashed while the parser consumes them, rows
are written in batches, and its run row is inserted first under a provisional key. At the end
of the report the real ``run_key`` (project, CI run id, attempt, job and the file digest) is
known; a run already stored under it makes the report a ``duplicate`` (its writes are rolled
back to the report's savepoint). A report that is not valid XML keeps nothing, and the reports
after it are still read, only to be checked, so that one error names every bad file; then the
whole transaction is rolled back.

On SQLite the transaction takes the write lock first (``BEGIN IMMEDIATE``), waiting its turn
behind other writers with backoff (:mod:`readiness.storage.retry`). On PostgreSQL the rows are
staged and written at the end by set statements that tolerate concurrent ingests of the same new
tests (:mod:`.postgres`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from readiness.errors import JUnitParseError, JUnitReportsError, StorageError
from readiness.storage.retry import RetryPolicy, begin_immediate
from readiness.testhealth.ingest.order import OrderRecorder
from readiness.testhealth.ingest.postgres import StagedFile, Staging
from readiness.testhealth.ingest.writer import BATCH, Pipeline, Writer, clip, new_writer
from readiness.testhealth.junit.apart import check_whole_file
from readiness.testhealth.junit.bounds import DEFAULT_MAX_FIELD_BYTES
from readiness.testhealth.junit.reader import BinaryReader, ParsedReport, Row, parse_report
from readiness.testhealth.model import (
    MAX_SOURCE_LENGTH,
    META_MAX_LENGTH,
    IngestResult,
    RunMeta,
)
from readiness.testhealth.store import tables

INGEST_CACHE_KIB = 64 * 1024  # SQLite page cache of a connection while it ingests


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


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """What every report of one ingest shares: its metadata, project, clock and rules."""

    meta: RunMeta
    project: str
    now: datetime
    infra_failure_ratio: float
    infra_min_tests: int
    write_wait: RetryPolicy | None = None  # None: readiness.storage.retry's default
    max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES  # any single text or tag (junit.bounds)


def compute_run_key(project: str, meta: RunMeta, digest: str) -> str:
    """The idempotency key of a run: the same file with the same CI metadata is one run."""
    parts = (project, meta.run_id or "", str(meta.attempt), meta.job or "", digest)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


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


@contextmanager
def _bulk_session(conn: Connection) -> Iterator[None]:
    """SQLite settings of the connection while one ingest runs, restored afterwards.

    - Transaction control is ours (``isolation_level = None``), so that the transaction can
      begin with ``BEGIN IMMEDIATE`` and hold savepoints.
    - No per-row foreign-key probes (about a fifth of the results insert): the rows reference
      the run inserted first and test ids joined from th_tests, and the transaction holds the
      write lock throughout, so no reference can dangle.
    - A page cache of ``INGEST_CACHE_KIB``: new keys reach the unique index of test keys in no
      particular order, and index pages that stay cached are not spilled and read back.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    dbapi: Any = conn.connection.dbapi_connection  # outside any transaction, as SQLite requires
    enforced = dbapi.execute("PRAGMA foreign_keys").fetchone()[0]
    cache = dbapi.execute("PRAGMA cache_size").fetchone()[0]
    isolation = dbapi.isolation_level
    dbapi.execute("PRAGMA foreign_keys = OFF")
    dbapi.execute(f"PRAGMA cache_size = {-INGEST_CACHE_KIB}")
    dbapi.isolation_level = None
    try:
        yield
    finally:
        dbapi.isolation_level = isolation
        dbapi.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
        dbapi.execute(f"PRAGMA cache_size = {int(cache)}")


@contextmanager
def _write_transaction(conn: Connection, wait: RetryPolicy | None) -> Iterator[RootTransaction]:
    """The ingest's transaction; on SQLite it holds the write lock from its first statement."""
    trans = conn.begin()
    try:
        if conn.dialect.name == "sqlite":
            begin_immediate(
                conn.connection.dbapi_connection,
                database=str(conn.engine.url.database),
                policy=wait,
            )
        yield trans
    finally:
        if trans.is_active:
            trans.rollback()


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
    write_wait: RetryPolicy | None = None,
    max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES,
) -> IngestResult:
    """Parse ``stream`` and store it as one run of ``project``; all or nothing, idempotent.

    Raises ``JUnitParseError`` (naming ``source``, line and problem) when the report is malformed;
    nothing from the file is kept then. ``max_field_bytes`` bounds any single text or tag.
    """
    options = IngestOptions(
        meta, project, now, infra_failure_ratio, infra_min_tests, write_wait, max_field_bytes
    )
    return ingest_many(engine, [(stream, source)], options)[0]


def ingest_many(
    engine: Engine,
    items: Sequence[tuple[BinaryReader, str]],
    options: IngestOptions,
    *,
    on_stored: Callable[[Connection, Sequence[IngestResult]], None] | None = None,
) -> list[IngestResult]:
    """Store every ``(stream, source)`` report as a run, in one transaction: all or none.

    A malformed report raises ``JUnitParseError`` when it is the only one, else
    ``JUnitReportsError`` naming each malformed report; nothing is stored then.
    ``on_stored(conn, results)`` runs in the transaction just before it commits (the caller's
    audit events go there, so that the runs and their events commit together).
    """
    with (
        engine.connect() as conn,
        _bulk_session(conn),
        _write_transaction(conn, options.write_wait) as trans,
    ):
        staging = Staging(conn, project=options.project) if conn.dialect.name != "sqlite" else None
        results: list[IngestResult] = []
        problems: list[JUnitParseError] = []
        for stream, source in items:
            try:
                if problems:
                    _check_only(stream, source, options.max_field_bytes)
                else:
                    results.append(
                        _store_one(
                            conn,
                            stream,
                            source,
                            options=options,
                            staging=staging,
                            stored=results,
                            alone=len(items) == 1,
                        )
                    )
            except JUnitParseError as exc:
                problems.append(exc)
        if problems:
            if trans.is_active:
                trans.rollback()
            if len(items) == 1:
                raise problems[0]
            raise invalid_reports(problems, len(items))
        if not trans.is_active:
            return results  # a single report that was a duplicate: rolled back, nothing to add
        try:
            if staging is not None:
                staging.finish()
            if on_stored is not None:
                on_stored(conn, results)
            trans.commit()
        except _db_errors(conn) as exc:
            raise _storage_error(", ".join(source for _s, source in items), exc) from exc
    return results


def _check_only(
    stream: BinaryReader, source: str, max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES
) -> None:
    """Read a report to the end only to find its parse error (a batch already failed)."""
    for _rows in parse_report(stream, source, max_field_bytes=max_field_bytes).batches():
        pass


def check_report(stream: BinaryReader, source: str) -> JUnitParseError | None:
    """The parse error of a report, or None when it is valid (nothing is stored)."""
    try:
        _check_only(stream, source)
    except JUnitParseError as exc:
        return exc
    return None


def invalid_reports(problems: Sequence[JUnitParseError], total: int) -> JUnitReportsError:
    """One error naming every malformed report of an ingest of ``total`` reports."""
    listed = "; ".join(
        f"{p.source}{'' if p.line is None else f' line {p.line}'}: {p.problem}" for p in problems
    )
    verb = "is" if len(problems) == 1 else "are"
    return JUnitReportsError(
        f"{len(problems)} of {total} JUnit XML files {verb} invalid, so none of the {total} was "
        f"ingested: {listed}. Fix or leave out the invalid files and run the ingest again",
        details={
            "files": [{"source": p.source, "line": p.line, "problem": p.problem} for p in problems],
            "total": total,
        },
    )


def _db_errors(conn: Connection) -> tuple[type[BaseException], ...]:
    # COPY goes to psycopg directly, so its errors arrive unwrapped.
    return (SQLAlchemyError, conn.dialect.loaded_dbapi.Error)


def _storage_error(source: str, exc: BaseException) -> StorageError:
    cause = getattr(exc, "orig", None) or exc
    return StorageError(
        f"JUnit XML {source}: storing it failed ({type(cause).__name__}: "
        f"{str(cause).splitlines()[0]}); nothing was ingested"
    )


REPEAT_PROPERTY = "readiness.repeat"  # written by the pytest plugin's --readiness-repeat N
_REPEAT_MAX = 1_000_000


def repeat_of(properties: Mapping[str, str]) -> int:
    """N of a report made with ``--readiness-repeat N`` (1 when absent or not a count)."""
    value = properties.get(REPEAT_PROPERTY, "").strip()
    if not value.isdigit() or not value.isascii():
        return 1
    return max(1, min(int(value), _REPEAT_MAX))


def _store_one(
    conn: Connection,
    stream: BinaryReader,
    source: str,
    *,
    options: IngestOptions,
    staging: Staging | None,
    stored: Sequence[IngestResult],
    alone: bool,
) -> IngestResult:
    """Store one report; its writes are undone alone (a duplicate, an error) through a savepoint,
    or, when it is the ingest's only report, with the whole transaction."""
    reader = _HashingReader(stream)
    report = parse_report(reader, source, max_field_bytes=options.max_field_bytes)
    meta, project = options.meta, options.project
    # SQLite copies every page a savepoint's transaction changes to a sub-journal: a single
    # report does without.
    savepoint = _Undo(conn, nested=not alone)
    try:
        run_id = _insert_run(conn, source, options)
        writer = _write_rows(conn, report, run_id, options, staging)
        run_key = compute_run_key(project, meta, reader.hexdigest())
        earlier = next((r for r in stored if r.run_key == run_key), None)
        duplicate = _existing(conn, project, run_key, source)
        if duplicate is not None:
            savepoint.rollback()
            # A copy earlier in this same ingest: its rows may still be staged, not stored.
            return replace(earlier, source=source, duplicate=True) if earlier else duplicate
        total, failed, skipped = writer.counts()
        infra = (
            total >= options.infra_min_tests
            and total > 0
            and failed / total >= options.infra_failure_ratio
        )
        fmt = report.format or "junit"
        repeat = repeat_of(report.properties)
        runs = tables.runs
        conn.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(
                run_key=run_key,
                source_digest=reader.hexdigest(),
                format=fmt,
                seed=clip(meta.seed or report.seed, META_MAX_LENGTH["seed"]),
                started_at=writer.started_at,
                total=total,
                failed=failed,
                skipped=skipped,
                # Repeats are executions asked for, not reruns of a failure.
                reruns=0 if repeat > 1 else writer.totals.reruns,
                repeat=repeat,
                duration_s=writer.totals.duration_s,
                infra_failure=infra,
            )
        )
        savepoint.commit()
    except IntegrityError as exc:
        # A concurrent ingest of the same file committed first: report it as the duplicate.
        savepoint.rollback()
        found = _existing(conn, project, compute_run_key(project, meta, reader.hexdigest()), source)
        if found is None:
            raise _storage_error(source, exc) from exc
        return found
    except JUnitParseError:
        savepoint.rollback()
        raise
    except _db_errors(conn) as exc:
        savepoint.rollback()
        check_whole_file(report)  # a malformed file is reported as such, not as a DB error
        raise _storage_error(source, exc) from exc
    except BaseException:
        savepoint.rollback()
        raise
    if staging is not None:
        staging.keep(
            StagedFile(
                writer.file, run_id, writer.started_at, clip(meta.commit, META_MAX_LENGTH["commit"])
            )
        )
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


class _Undo:
    """The scope of one report's writes: a savepoint, or the ingest's own transaction."""

    def __init__(self, conn: Connection, *, nested: bool) -> None:
        self._conn = conn
        self._savepoint = conn.begin_nested() if nested else None

    def commit(self) -> None:
        if self._savepoint is not None:
            self._savepoint.commit()

    def rollback(self) -> None:
        if self._savepoint is not None:
            self._savepoint.rollback()
            return
        trans = self._conn.get_transaction()
        if trans is not None and trans.is_active:
            trans.rollback()


def _insert_run(conn: Connection, source: str, options: IngestOptions) -> int:
    """The run row, under a provisional key until the file's digest is known."""
    meta, now, runs = options.meta, options.now, tables.runs
    run_id: int = conn.execute(
        runs.insert()
        .values(
            project=options.project,
            run_key=f"pending-{uuid.uuid4().hex}",
            ci_run_id=clip(meta.run_id, META_MAX_LENGTH["run_id"]),
            attempt=meta.attempt,
            job=clip(meta.job, META_MAX_LENGTH["job"]),
            commit_sha=clip(meta.commit, META_MAX_LENGTH["commit"]),
            tree_sha=clip(meta.tree, META_MAX_LENGTH["tree"]),
            branch=clip(meta.branch, META_MAX_LENGTH["branch"]),
            pr=clip(meta.pr, META_MAX_LENGTH["pr"]),
            url=clip(meta.url, META_MAX_LENGTH["url"]),
            provider=clip(meta.provider, META_MAX_LENGTH["provider"]),
            started_at=now,
            ingested_at=now,
            source=source[:MAX_SOURCE_LENGTH],
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
    return run_id


def _write_rows(
    conn: Connection,
    report: ParsedReport,
    run_id: int,
    options: IngestOptions,
    staging: Staging | None,
) -> Writer:
    """Stream the report's rows to a writer, one batch writing while the next is parsed."""

    def writer_for() -> Writer:
        # Made with the first batch: the report's timestamp comes with its first <testsuite>.
        return new_writer(
            conn,
            project=options.project,
            run_id=run_id,
            meta=options.meta,
            report=report,
            now=options.now,
            staging=staging,
        )

    writer: Writer | None = None
    batch: list[Row] = []
    with OrderRecorder(conn, run_id) as order, Pipeline() as pipeline:
        for rows in report.batches():
            order.add(rows)
            batch += rows
            if len(batch) >= BATCH:
                writer = writer or writer_for()
                pipeline.submit(writer.write(batch))
                batch = []
        pipeline.wait()
        writer = writer or writer_for()
        if batch:
            pipeline.run_here(writer.write(batch))
    return writer
