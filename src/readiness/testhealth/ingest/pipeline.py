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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from readiness.errors import JUnitParseError, StorageError
from readiness.testhealth.ingest.writer import BATCH, Pipeline, Writer, clip, new_writer
from readiness.testhealth.junit.apart import check_whole_file
from readiness.testhealth.junit.bounds import DEFAULT_MAX_FIELD_BYTES
from readiness.testhealth.junit.reader import BinaryReader, Row, parse_report
from readiness.testhealth.model import IngestResult, RunMeta
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
    dbapi.execute("PRAGMA foreign_keys = OFF")
    dbapi.execute(f"PRAGMA cache_size = {-INGEST_CACHE_KIB}")
    try:
        yield
    finally:
        dbapi.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
        dbapi.execute(f"PRAGMA cache_size = {int(cache)}")


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
    max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES,
) -> IngestResult:
    """Parse ``stream`` and store it as one run of ``project``; all or nothing, idempotent.

    Raises ``JUnitParseError`` (naming ``source``, line and problem) when the report is malformed;
    nothing from the file is kept then. ``max_field_bytes`` bounds any single text or tag.
    """
    reader = _HashingReader(stream)
    report = parse_report(reader, source, max_field_bytes=max_field_bytes)
    runs = tables.runs
    with engine.connect() as conn, _bulk_session(conn):
        trans = conn.begin()
        try:
            run_id = conn.execute(
                runs.insert()
                .values(
                    project=project,
                    run_key=f"pending-{uuid.uuid4().hex}",
                    ci_run_id=clip(meta.run_id, 200),
                    attempt=meta.attempt,
                    job=clip(meta.job, 200),
                    commit_sha=clip(meta.commit, 64),
                    tree_sha=clip(meta.tree, 64),
                    branch=clip(meta.branch, 255),
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
            writer: Writer | None = None
            batch: list[Row] = []
            with Pipeline() as pipeline:
                for rows in report.batches():
                    batch += rows
                    if len(batch) >= BATCH:
                        if writer is None:
                            writer = new_writer(
                                conn,
                                project=project,
                                run_id=run_id,
                                meta=meta,
                                report=report,
                                now=now,
                            )
                            writer.sync = pipeline.wait
                        pipeline.submit(writer.write(batch))
                        batch = []
                pipeline.wait()
                writer = writer or new_writer(
                    conn, project=project, run_id=run_id, meta=meta, report=report, now=now
                )
                if batch:
                    pipeline.run_here(writer.write(batch))
            run_key = compute_run_key(project, meta, reader.hexdigest())
            duplicate = _existing(conn, project, run_key, source)
            if duplicate is not None:
                trans.rollback()
                return duplicate
            total, failed, skipped = writer.counts()
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
                    seed=clip(seed, 64),
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
        except JUnitParseError:
            trans.rollback()
            raise
        except SQLAlchemyError as exc:
            trans.rollback()
            check_whole_file(report)  # a malformed file is reported as such, not as a DB error
            cause = getattr(exc, "orig", None) or exc
            raise StorageError(
                f"JUnit XML {source}: storing it failed ({type(cause).__name__}: "
                f"{str(cause).splitlines()[0]}); nothing from this file was ingested"
            ) from exc
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
