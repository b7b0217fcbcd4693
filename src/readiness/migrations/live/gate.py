"""What the gate checks ``migrations.rollback_safe`` and ``migrations.applied`` read.

:class:`LiveGate` is built from ``[tool.readiness.migrations]`` (each key also settable from the
environment, ``READINESS_MIGRATIONS__VERIFY_DSN`` and so on) and handed to the checks as
``context.services["migrations_live"]``:

* ``verify_dsn``: server on which verify makes its scratch databases;
* ``directory``: the migrations directory (default: the first of ``paths``, else ``migrations``);
* ``previous``: the version the previous release ran against;
* ``queries``: its queries (a file, or ``pg_stat_statements``);
* ``database_url``: the deployed database, whose head ``applied`` reads;
* ``expected_head``: the head it must be at (default: the directory's last).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.config import Settings
from readiness.migrations.sources.ordered import load_migrations

if TYPE_CHECKING:  # psycopg (the ``postgres`` extra) is imported only when a check runs
    import psycopg

    from readiness.migrations.live.verify import VerifyReport

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
    import psycopg

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
    def from_settings(cls, settings: Settings) -> LiveGate:
        """The live check's configuration from ``[tool.readiness.migrations]``."""
        m = settings.migrations
        directory = m.directory or (m.paths[0] if m.paths else "migrations")
        return cls(
            settings.root,
            m.verify_dsn,
            directory,
            m.previous,
            m.queries,
            m.database_url,
            m.expected_head,
        )

    def verify_missing(self) -> list[str]:
        """The settings the live check lacks (empty: it can run)."""
        named = {"verify_dsn": self.verify_dsn, "previous": self.previous, "queries": self.queries}
        return [k for k, v in named.items() if not v]

    def run_verify(self) -> VerifyReport:
        """Run verify (``verify_missing()`` must be empty)."""
        from readiness.migrations.live.verify import VerifyRequest, verify

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
        from readiness.migrations.live.scratch import connect

        with connect(self.database_url, autocommit=False) as conn:
            return database_head(conn)
