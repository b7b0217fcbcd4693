"""The audit databases the ledger and audit benchmarks measure: a migrated audit engine on a
fresh PostgreSQL schema of the benchmark database, or on a temporary SQLite file."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from readiness.ledger import partitions
from readiness.storage.engine import create_engine_for
from readiness.storage.migrate import upgrade

PG_URL = os.environ.get(
    "READINESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_engine(*, keep: bool = False, reuse: str | None = None) -> Iterator[sa.Engine]:
    """A migrated audit engine on a fresh schema (dropped afterwards unless ``keep``), or on
    the schema ``reuse`` that an earlier ``keep`` run built and named."""
    schema = reuse or f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    if reuse is None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_engine_for(url.render_as_string(hide_password=False))
    try:
        upgrade("audit", engine)
        yield engine
    finally:
        engine.dispose()
        if keep or reuse:
            print(f"schema kept: {schema}", file=sys.stderr)
        else:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def open_partition(engine: sa.Engine, log: str, at: datetime) -> None:
    """PostgreSQL: the month partition of ``ledger_entries`` a bulk load of ``log`` (appended
    at ``at``) goes into, as the sequencer would create it (a COPY needs it to exist)."""
    with engine.begin() as conn:
        if partitions.is_partitioned(conn):
            partitions.ensure_month(conn, log, partitions.month_of(at), 0, at)


@contextmanager
def sqlite_engine() -> Iterator[sa.Engine]:
    """A migrated audit engine on a SQLite file in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine_for(f"sqlite:///{Path(folder) / 'audit.db'}")
        try:
            upgrade("audit", engine)
            yield engine
        finally:
            engine.dispose()
