"""The ingest's writes on PostgreSQL: rows staged with COPY, then written by three set statements.

Looking test ids up a batch at a time (``test_key IN (...)`` against a table that grows inside
the same transaction, with statistics from when it was empty) made a first ingest quadratic:
500k new tests did not finish in ten minutes. Instead every row of every file of the transaction
is COPYed into a temporary table as it streams, and at the end:

1. the tests this project does not know yet are inserted in one statement, **in key order**,
   with ``ON CONFLICT DO NOTHING``: a concurrent ingest that adds some of the same tests makes
   this one wait for its commit and skip them (no UniqueViolation), and since every ingest takes
   the keys in the same order, two of them never wait for each other in a cycle;
2. tests first seen earlier than recorded (a late report) get their first_seen moved back;
3. the results are inserted joined to their test ids through the unique index.

All of it is one transaction with the run rows: a crash or an error keeps nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

WORK_MEM = "64MB"
_CREATE_ROWS = (
    "CREATE TEMPORARY TABLE th_ingest_rows (file integer NOT NULL, seq integer NOT NULL, "
    "test_key text NOT NULL, attempt integer NOT NULL, outcome smallint NOT NULL, "
    "duration_s double precision NOT NULL, failure_kind text, message text, fingerprint text) "
    "ON COMMIT DROP"
)
_CREATE_FILES = (
    "CREATE TEMPORARY TABLE th_ingest_files (file integer PRIMARY KEY, run_id bigint NOT NULL, "
    "started_at timestamptz NOT NULL, first_commit text) ON COMMIT DROP"
)
_COPY = (
    "COPY th_ingest_rows (file, seq, test_key, attempt, outcome, duration_s, failure_kind, "
    "message, fingerprint) FROM STDIN"
)
_INSERT_FILES = "INSERT INTO th_ingest_files VALUES (:file, :run_id, :started_at, :commit)"
# Each key once, with the earliest start among the kept files that have it (the rows of a file
# rolled back to its savepoint are gone with it).
_KEYS = (
    "CREATE TEMPORARY TABLE th_ingest_keys ON COMMIT DROP AS "
    "SELECT DISTINCT ON (r.test_key) r.test_key, f.started_at, f.first_commit "
    "FROM th_ingest_rows r JOIN th_ingest_files f ON f.file = r.file "
    "ORDER BY r.test_key, f.started_at, f.file"
)
_INSERT_TESTS = (
    "INSERT INTO th_tests (project, test_key, first_seen, first_commit) "
    "SELECT %(project)s::varchar, k.test_key, k.started_at, k.first_commit FROM th_ingest_keys k "
    "WHERE NOT EXISTS (SELECT 1 FROM th_tests t "
    "WHERE t.project = %(project)s::varchar AND t.test_key = k.test_key) "
    "ORDER BY k.test_key ON CONFLICT (project, test_key) DO NOTHING"
)
_LATER_RUN = (
    "SELECT 1 FROM th_runs WHERE project = :project AND started_at > :at "
    "AND id NOT IN (SELECT run_id FROM th_ingest_files) LIMIT 1"
)
# Row locks in id order first, so two late reports sharing tests never deadlock.
_LOCK_OLDER = (
    "SELECT t.id FROM th_tests t JOIN th_ingest_keys k ON t.test_key = k.test_key "
    "WHERE t.project = %(project)s AND t.first_seen > k.started_at ORDER BY t.id FOR UPDATE OF t"
)
_MOVE_OLDER = (
    "UPDATE th_tests t SET first_seen = k.started_at, first_commit = k.first_commit "
    "FROM th_ingest_keys k WHERE t.project = %(project)s AND t.test_key = k.test_key "
    "AND t.first_seen > k.started_at"
)
_INSERT_RESULTS = (
    "INSERT INTO th_results (run_id, test_id, attempt, outcome, duration_s, failure_kind, "
    "message, fingerprint, quarantined) SELECT f.run_id, t.id, r.attempt, r.outcome, "
    "r.duration_s, r.failure_kind, r.message, r.fingerprint, false "
    "FROM th_ingest_rows r JOIN th_ingest_files f ON f.file = r.file "
    "JOIN th_tests t ON t.project = %(project)s AND t.test_key = r.test_key "
    "ORDER BY r.file, r.seq"
)


@dataclass(frozen=True, slots=True)
class StagedFile:
    """One file of the transaction: its run row and when its tests were first seen."""

    file: int
    run_id: int
    started_at: datetime
    commit: str | None


class Staging:
    """The rows of one PostgreSQL ingest transaction, on their way to th_tests/th_results."""

    def __init__(self, conn: Connection, *, project: str) -> None:
        self.conn = conn
        self.project = project
        self._files: dict[int, StagedFile] = {}
        self._next_file = 0
        conn.exec_driver_sql(_CREATE_ROWS)
        conn.exec_driver_sql(_CREATE_FILES)

    def new_file(self) -> int:
        """A number for the next file's rows."""
        self._next_file += 1
        return self._next_file

    def keep(self, staged: StagedFile) -> None:
        """Write ``staged``'s rows at :meth:`finish` (a file rolled back is simply not kept)."""
        self._files[staged.file] = staged

    def copy(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """COPY rows of (file, seq, key, attempt, outcome, duration, kind, message, fingerprint)."""
        raw: Any = self.conn.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> None:
        """Insert the new tests, move first_seen back where due, insert every kept row."""
        if not self._files:
            return
        conn = self.conn
        conn.execute(
            sa.text(_INSERT_FILES),
            [
                {"file": f.file, "run_id": f.run_id, "started_at": f.started_at, "commit": f.commit}
                for f in self._files.values()
            ],
        )
        # Sorts and hashes of a few hundred thousand keys stay in memory (until the commit).
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        conn.exec_driver_sql("ANALYZE th_ingest_rows")  # temporary tables get no autovacuum
        conn.exec_driver_sql(_KEYS)
        conn.exec_driver_sql("ANALYZE th_ingest_keys")
        params = {"project": self.project}
        conn.exec_driver_sql(_INSERT_TESTS, params)
        earliest = min(f.started_at for f in self._files.values())
        later = conn.execute(sa.text(_LATER_RUN), {"project": self.project, "at": earliest})
        if later.first() is not None:
            # Only a report older than a stored run can move a first_seen back.
            conn.exec_driver_sql(_LOCK_OLDER, params)
            conn.exec_driver_sql(_MOVE_OLDER, params)
        conn.exec_driver_sql(_INSERT_RESULTS, params)
        conn.exec_driver_sql("DROP TABLE th_ingest_rows, th_ingest_files, th_ingest_keys")
