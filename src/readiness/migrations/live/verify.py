"""``readiness migrations verify``: is the pending migration rollback-safe, on a real database?

1. create a scratch database on the server of the DSN; apply the migrations up to the
   previous head; fill every table with generated rows;
2. replay the previous version's queries once (those already failing are reported apart);
3. apply the pending migrations one statement at a time, measuring each, and after each
   statement replay the queries that still work: a query that now fails is attributed to that
   statement;
4. where every pending migration has a down script: downgrade, compare the schema with the
   previous head's, upgrade again and compare with the first upgrade;
5. apply the whole history to a second, empty scratch database.

Both scratch databases are dropped at the end, even on error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from readiness.errors import InputError
from readiness.migrations.live.apply import Applied, apply_statement
from readiness.migrations.live.catalog import schema_differences, schema_dump
from readiness.migrations.live.fill import Loaded, load_data
from readiness.migrations.live.queries import FROM_STATS, OldQuery, classify, read_query_file
from readiness.migrations.live.replay import replay_all
from readiness.migrations.live.scratch import connect, scratch_database
from readiness.migrations.live.suite import database_url, run_suite, suite_directory
from readiness.migrations.model import Statement
from readiness.migrations.sources.ordered import (
    Migration,
    load_migrations,
    split_at,
    split_statements,
)


@dataclass(frozen=True)
class VerifyRequest:
    """What to verify."""

    dsn: str
    migrations: Path
    previous: str
    queries: str | None  # a file path, "pg_stat_statements", or None (with ``tests``)
    rows: int = 100
    seed: int = 0
    tests: Path | None = None  # the previous version's test suite (second mode)
    tests_ref: str | None = None  # ... as it was at this git ref
    tests_env: str = "DATABASE_URL"  # the variable that gives the suite its database
    data: Path | None = None  # a golden dataset (SQL) loaded instead of generated rows


@dataclass
class VerifyReport:
    """Everything verify found; ``ok`` when nothing broke."""

    previous: str
    head: str
    queries: int
    rows: int
    broken: list[dict[str, Any]] = field(default_factory=list)
    already_failing: list[dict[str, Any]] = field(default_factory=list)
    statements: list[Applied] = field(default_factory=list)
    loaded: list[Loaded] = field(default_factory=list)
    migration_error: dict[str, Any] | None = None
    roundtrip: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    broken_tests: list[dict[str, Any]] = field(default_factory=list)
    tests_failing_before: list[dict[str, str]] | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.broken
            and not self.broken_tests
            and self.migration_error is None
            and self.roundtrip.get("identical") is not False
            and self.history.get("ok") is not False
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "previous": self.previous,
            "head": self.head,
            "queries": self.queries,
            "rows": self.rows,
            "broken_queries": self.broken,
            "already_failing": self.already_failing,
            "migration_error": self.migration_error,
            "statements": [a.as_dict() for a in self.statements],
            "data": [item.as_dict() for item in self.loaded],
            "roundtrip": self.roundtrip,
            "history": self.history,
            "broken_tests": self.broken_tests,
            "tests_failing_before": self.tests_failing_before,
        }


def stats_queries(dsn: str) -> list[OldQuery]:
    """The reads and writes pg_stat_statements recorded on the DSN's database."""
    with connect(dsn) as conn:
        try:
            rows = conn.execute(
                "SELECT s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "WHERE d.datname = current_database() ORDER BY s.calls DESC"
            ).fetchall()
        except psycopg.Error as exc:
            raise InputError(
                "cannot read pg_stat_statements on the --dsn database "
                f"({exc.diag.message_primary}); load the extension (shared_preload_libraries) "
                "or give a query log file"
            ) from exc
    queries = [classify(str(r[0])) for r in rows]
    # Monitoring and catalog queries are not the application's.
    noise = ("pg_catalog", "pg_stat_statements", "pg_stat_", "pg_database")
    return [q for q in queries if q.kind != "other" and not any(n in q.sql for n in noise)]


def _statements(migrations: list[Migration]) -> list[tuple[Migration, Statement]]:
    return [(m, s) for m in migrations for s in m.up]


def _apply_plain(conn: psycopg.Connection, migrations: list[Migration], what: str) -> None:
    for _migration, statement in _statements(migrations):
        try:
            conn.execute(statement.sql)
        except psycopg.Error as exc:
            raise InputError(
                f"migration file {statement.file!r} line {statement.line} fails {what} "
                f"({exc.diag.message_primary}); the history up to --previous must apply cleanly"
            ) from exc


def _load_golden(conn: psycopg.Connection, path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--data {str(path)!r} cannot be read ({exc.strerror})") from exc
    for statement in split_statements(text, path.name):
        try:
            conn.execute(statement.sql)
        except psycopg.Error as exc:
            raise InputError(
                f"--data {path.name!r} line {statement.line} fails at the previous head "
                f"({exc.diag.message_primary}); the dataset must fit the --previous schema"
            ) from exc


def _down(conn: psycopg.Connection, migrations: list[Migration]) -> str | None:
    for migration in reversed(migrations):
        for statement in migration.down or ():
            try:
                conn.execute(statement.sql)
            except psycopg.Error as exc:
                return f"{statement.file} line {statement.line}: {exc.diag.message_primary}"
    return None


def _up(conn: psycopg.Connection, migrations: list[Migration]) -> str | None:
    for _migration, statement in _statements(migrations):
        try:
            conn.execute(statement.sql)
        except psycopg.Error as exc:
            return f"{statement.file} line {statement.line}: {exc.diag.message_primary}"
    return None


def _roundtrip(
    conn: psycopg.Connection, pending: list[Migration], at_previous: dict[str, str]
) -> dict[str, Any]:
    if not pending:
        return {"checked": False, "reason": "no pending migration"}
    missing = [m.file for m in pending if m.down is None]
    if missing:
        return {"checked": False, "reason": "no down script for " + ", ".join(missing)}
    upgraded = schema_dump(conn)
    error = _down(conn, pending)
    if error is not None:
        return {"checked": True, "identical": False, "error": "downgrade failed: " + error}
    after_down = schema_differences(at_previous, schema_dump(conn))
    error = _up(conn, pending)
    if error is not None:
        return {"checked": True, "identical": False, "error": "re-upgrade failed: " + error}
    after_up = schema_differences(upgraded, schema_dump(conn))
    return {
        "checked": True,
        "identical": not after_down and not after_up,
        "downgrade_differences": after_down,
        "reupgrade_differences": after_up,
    }


def _history(dsn: str, migrations: list[Migration]) -> dict[str, Any]:
    with scratch_database(dsn) as name, connect(dsn, dbname=name) as conn:
        error = _up(conn, migrations)
    return {"ok": error is None, "migrations": len(migrations), "error": error}


def _where(applied: Applied) -> dict[str, Any]:
    return {
        "statement": applied.statement.sql,
        "migration": applied.version,
        "file": applied.statement.file,
        "line": applied.statement.line,
    }


def _broken(query: OldQuery, error: str, applied: Applied) -> dict[str, Any]:
    return {"query": query.sql, "kind": query.kind, "error": error, **_where(applied)}


@dataclass(frozen=True)
class _History:
    """How one kind of history is applied: up to --previous, and whole on an empty database."""

    previous: str
    head: str
    pending: list[Migration]
    apply_previous: Callable[[psycopg.Connection, str], None]
    history: Callable[[], dict[str, Any]]


def _sql_history(request: VerifyRequest) -> _History:
    migrations = load_migrations(request.migrations)
    before, pending = split_at(migrations, request.previous)
    return _History(
        before[-1].version if before else "0",
        migrations[-1].version,
        pending,
        lambda conn, _name: _apply_plain(conn, before, "before --previous"),
        lambda: _history(request.dsn, migrations),
    )


def _alembic_history(request: VerifyRequest) -> _History:
    from readiness.migrations.live import alembic_source as alembic

    directory = request.migrations

    def whole() -> dict[str, Any]:
        with scratch_database(request.dsn) as name:
            try:
                alembic.upgrade(directory, database_url(request.dsn, name), "head")
            except InputError as exc:
                return {"ok": False, "migrations": len(revisions), "error": exc.message}
        return {"ok": True, "migrations": len(revisions), "error": None}

    revisions = alembic.heads(directory)
    return _History(
        request.previous,
        revisions[-1] if revisions else "base",
        alembic.pending_migrations(directory, request.dsn, request.previous),
        lambda _conn, name: alembic.upgrade(
            directory, database_url(request.dsn, name), request.previous
        ),
        whole,
    )


def verify(
    request: VerifyRequest, *, monotonic: Callable[[], float] = time.perf_counter
) -> VerifyReport:
    """Run the live rollback-safety check (see the module docstring)."""
    from readiness.migrations.live.alembic_source import is_alembic

    if request.rows < 0:
        raise InputError(f"--rows must be 0 or more (got {request.rows})")
    if request.queries is None and request.tests is None:
        raise InputError(
            "nothing to replay: give the previous version's queries (--queries FILE or "
            "pg_stat_statements) or its test suite (--previous-tests DIR)"
        )
    alembic = request.migrations.is_dir() and is_alembic(request.migrations)
    history = _alembic_history(request) if alembic else _sql_history(request)
    queries: list[OldQuery] = []
    if request.queries == FROM_STATS:
        queries = stats_queries(request.dsn)
    elif request.queries is not None:
        queries = read_query_file(Path(request.queries))
    report = VerifyReport(history.previous, history.head, len(queries), request.rows)
    with ExitStack() as stack:
        suite = (
            stack.enter_context(suite_directory(request.tests, request.tests_ref))
            if request.tests is not None
            else None
        )
        _run(request, report, queries, history, suite, monotonic)
    return report


def _suite_round(
    report: VerifyReport, suite: Path, request: VerifyRequest, url: str, applied: Applied
) -> None:
    baseline = {t["test"] for t in report.tests_failing_before or []}
    known = baseline | {t["test"] for t in report.broken_tests}
    for test, error in sorted(run_suite(suite, request.tests_env, url).items()):
        if test not in known:
            report.broken_tests.append({"test": test, "error": error, **_where(applied)})


def _run(  # noqa: PLR0917 - one verify run's parts
    request: VerifyRequest,
    report: VerifyReport,
    queries: list[OldQuery],
    history: _History,
    suite: Path | None,
    monotonic: Callable[[], float],
) -> None:
    with scratch_database(request.dsn) as name:
        url = database_url(request.dsn, name)
        with (
            connect(request.dsn, dbname=name) as conn,
            connect(request.dsn, dbname=name, autocommit=False) as replayer,
        ):
            history.apply_previous(conn, name)
            at_previous = schema_dump(conn)
            if request.data is not None:
                _load_golden(conn, request.data)
            else:
                report.loaded = load_data(conn, rows=request.rows, seed=request.seed)
            failing = replay_all(replayer, queries)
            report.already_failing = [
                {"query": queries[i].sql, "error": e} for i, e in sorted(failing.items())
            ]
            live = [i for i in range(len(queries)) if i not in failing]
            if suite is not None:
                before = run_suite(suite, request.tests_env, url)
                report.tests_failing_before = [
                    {"test": t, "error": e} for t, e in sorted(before.items())
                ]
            for migration, statement in _statements(history.pending):
                applied = apply_statement(
                    conn,
                    statement,
                    migration.version,
                    monotonic=monotonic,
                    sampler=lambda: connect(request.dsn, dbname=name),
                )
                report.statements.append(applied)
                if applied.error is not None:
                    report.migration_error = applied.as_dict()
                    break
                now_failing = replay_all(replayer, [queries[i] for i in live])
                for offset, error in sorted(now_failing.items()):
                    report.broken.append(_broken(queries[live[offset]], error, applied))
                live = [i for k, i in enumerate(live) if k not in now_failing]
                if suite is not None:
                    _suite_round(report, suite, request, url, applied)
            if report.migration_error is None:
                report.roundtrip = _roundtrip(conn, history.pending, at_previous)
        report.history = history.history()
