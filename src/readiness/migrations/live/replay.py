"""Replay the previous version's queries against the current schema, changing nothing.

Reads are ``PREPARE``d (which resolves every table, column, function and type) and, when they
take no parameters, executed; writes are executed (or only prepared, when they take
parameters) inside a savepoint that is always rolled back. The whole replay runs in one
transaction that is rolled back at the end, so replaying never changes the data.
"""

from __future__ import annotations

import psycopg

from readiness.migrations.live.queries import OldQuery


def _message(exc: psycopg.Error) -> str:
    diag = exc.diag
    text = diag.message_primary or str(exc).splitlines()[0]
    return f"{diag.sqlstate}: {text}" if diag.sqlstate else text


def replay_one(conn: psycopg.Connection, query: OldQuery) -> str | None:
    """The error ``query`` now meets (``SQLSTATE: message``), or None when it still works."""
    conn.execute("SAVEPOINT readiness_replay")
    try:
        if query.kind == "read" or query.has_parameters:
            conn.execute(f"PREPARE readiness_old AS {query.sql}")
            if not query.has_parameters:
                conn.execute("EXECUTE readiness_old")
        else:
            conn.execute(query.sql)
    except psycopg.Error as exc:
        return _message(exc)
    finally:
        conn.execute("ROLLBACK TO SAVEPOINT readiness_replay")
        conn.execute("RELEASE SAVEPOINT readiness_replay")
        conn.execute("DEALLOCATE ALL")  # prepared statements outlive a rolled-back savepoint
    return None


def replay_all(conn: psycopg.Connection, queries: list[OldQuery]) -> dict[int, str]:
    """Index of each query that fails -> its error (``conn`` must not be in autocommit)."""
    failures: dict[int, str] = {}
    try:
        for index, query in enumerate(queries):
            error = replay_one(conn, query)
            if error is not None:
                failures[index] = error
    finally:
        conn.rollback()
    return failures
