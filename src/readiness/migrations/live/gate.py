"""What the gate checks ``migrations.rollback_safe`` and ``migrations.applied`` read.

:class:`LiveGate` is built from the environment (the settings file has no ``migrations``
section yet) and handed to the checks as ``context.services["migrations_live"]``:

* ``READINESS_MIGRATIONS_VERIFY_DSN``: server on which verify makes its scratch databases;
* ``READINESS_MIGRATIONS_DIR``: the migrations directory (default ``migrations``);
* ``READINESS_MIGRATIONS_PREVIOUS``: the version the previous release ran against;
* ``READINESS_MIGRATIONS_QUERIES``: its queries (a file, or ``pg_stat_statements``);
* ``READINESS_MIGRATIONS_DATABASE_URL``: the deployed database, whose head ``applied`` reads;
* ``READINESS_MIGRATIONS_EXPECTED_HEAD``: the head it must be at (default: the directory's last).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg

from readiness.migrations.live.scratch import connect
from readiness.migrations.live.sources import load_migrations
from readiness.migrations.live.verify import VerifyReport, VerifyRequest, verify

PREFIX = "READINESS_MIGRATIONS_"

HEAD_QUERIES = (
    ("alembic", "SELECT version_num FROM alembic_version"),
    (
        "flyway",
        "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL "
        "ORDER BY installed_rank DESC LIMIT 1",
    ),
    ("golang-migrate", "SELECT version::text || CASE WHEN dirty THEN ' (dirty)' ELSE '' END "
     "FROM schema_migrations"),
)  # fmt: skip


def database_head(conn: psycopg.Connection) -> tuple[str, str] | None:
    """(tool, head version) recorded in the database, or None when no tool's table is there."""
    for tool, query in HEAD_QUERIES:
        try:
            with conn.transaction():
                row = conn.execute(query).fetchone()
        except psycopg.errors.UndefinedTable:
            continue
        if row is not None and row[0] is not None:
            return tool, str(row[0])
    return None


@dataclass(frozen=True)
class LiveGate:
    """The live check's configuration; methods do the I/O the checks need."""

    root: Path
    verify_dsn: str | None = None
    migrations: str = "migrations"
    previous: str | None = None
    queries: str | None = None
    database_url: str | None = None
    expected_head: str | None = None

    @classmethod
    def from_environ(cls, root: Path, environ: Mapping[str, str]) -> LiveGate:
        def get(name: str) -> str | None:
            return environ.get(PREFIX + name) or None

        return cls(
            root,
            get("VERIFY_DSN"),
            get("DIR") or "migrations",
            get("PREVIOUS"),
            get("QUERIES"),
            get("DATABASE_URL"),
            get("EXPECTED_HEAD"),
        )

    def verify_missing(self) -> list[str]:
        """The settings the live check lacks (empty: it can run)."""
        named = {"VERIFY_DSN": self.verify_dsn, "PREVIOUS": self.previous, "QUERIES": self.queries}
        return [PREFIX + k for k, v in named.items() if not v]

    def run_verify(self) -> VerifyReport:
        """Run verify (``verify_missing()`` must be empty)."""
        queries = self.queries or ""
        if queries != "pg_stat_statements":
            queries = str(self.root / queries)
        return verify(
            VerifyRequest(
                str(self.verify_dsn), self.root / self.migrations, str(self.previous), queries
            )
        )

    def expected(self) -> str | None:
        """The head the deployed database must be at."""
        if self.expected_head:
            return self.expected_head
        directory = self.root / self.migrations
        if not directory.is_dir():
            return None
        return load_migrations(directory)[-1].version

    def applied(self) -> tuple[str, str] | None:
        """(tool, head) of the deployed database (None: no URL or no migration table)."""
        if not self.database_url:
            return None
        with connect(self.database_url, autocommit=False) as conn:
            return database_head(conn)
