"""The ingest's writes on SQLite before 3.38 (no ``->>`` JSON operator; Ubuntu 22.04 ships 3.37).

Test ids are resolved a batch at a time (lookup, insert of the unknown keys) and results go
through the DBAPI's ``executemany``. The transaction holds SQLite's write lock from its first
statement, so ids assigned here cannot be taken by another writer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

_LOOKUP_CHUNK = 5_000
_INSERT_RESULTS = (
    "INSERT INTO th_results (run_id, test_id, attempt, outcome, duration_s, "
    "failure_kind, message, fingerprint, quarantined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
)


class LegacyTests:
    """Test ids by key for one ingest, inserting the keys the project does not know yet."""

    def __init__(
        self,
        conn: Connection,
        *,
        project: str,
        started_at: datetime,
        started_at_text: Any,
        commit: str | None,
    ) -> None:
        self.conn = conn
        self.project = project
        self.started_at = started_at
        self._at_text = started_at_text  # the text SQLAlchemy itself would store
        self.commit = commit
        # A project without tests gains only the tests this ingest inserts: no lookups needed.
        known = conn.exec_driver_sql(
            "SELECT 1 FROM th_tests WHERE project = ? LIMIT 1", (project,)
        ).first()
        self._inserted: dict[str, int] | None = {} if known is None else None

    def resolve(self, keys: list[str]) -> dict[str, int]:
        """Key -> test id for every key of ``keys`` (distinct, in file order)."""
        inserted = self._inserted
        if inserted is not None:
            ids = {key: inserted[key] for key in keys if key in inserted}
            missing = [key for key in keys if key not in ids]
            if missing:
                added = self._insert(missing)
                inserted.update(added)
                ids.update(added)
            return ids
        ids = self._lookup(keys)
        if ids:
            self._touch(list(ids.values()))
        missing = [key for key in keys if key not in ids]
        if missing:
            ids.update(self._insert(missing))
        return ids

    def insert_results(self, rows: list[tuple[Any, ...]]) -> None:
        """(run_id, test_id, attempt, outcome, duration, kind, message, fingerprint) rows."""
        # The DBAPI executemany loop runs in C; Core adds per-row parameter processing.
        self.conn.exec_driver_sql(_INSERT_RESULTS, rows)

    def _lookup(self, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for i in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[i : i + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT test_key, id FROM th_tests WHERE project = ? AND test_key IN ({marks})"  # noqa: S608 - placeholders only
            rows = self.conn.exec_driver_sql(sql, (self.project, *chunk)).fetchall()
            found.update((key, int(id_)) for key, id_ in rows)
        return found

    def _insert(self, missing: list[str]) -> dict[str, int]:
        n = len(missing)
        before = self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM th_tests").scalar_one()
        self.conn.exec_driver_sql(
            "INSERT INTO th_tests (project, test_key, first_seen, first_commit) "
            "VALUES (?, ?, ?, ?)",
            [(self.project, key, self._at_text, self.commit) for key in missing],
        )
        # SQLite gives a new row max(rowid)+1, and this transaction holds the write lock, so the
        # new ids are consecutive in insertion order; checked, with a lookup as the fallback.
        count, low, high = self.conn.exec_driver_sql(
            "SELECT count(*), min(id), max(id) FROM th_tests WHERE id > ?", (before,)
        ).one()
        if (count, low, high) == (n, before + 1, before + n):
            return dict(zip(missing, range(before + 1, before + n + 1), strict=True))
        return self._lookup(missing)

    def _touch(self, test_ids: list[int]) -> None:
        """Move first_seen of known tests back to this run when it is older (a late report)."""
        for i in range(0, len(test_ids), _LOOKUP_CHUNK):
            chunk = test_ids[i : i + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            self.conn.exec_driver_sql(
                "UPDATE th_tests SET first_seen = ?, first_commit = ? "  # noqa: S608 - placeholders only
                f"WHERE id IN ({marks}) AND first_seen > ?",
                (self._at_text, self.commit, *chunk, self._at_text),
            )
