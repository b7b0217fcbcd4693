"""``readiness migrations drift``: rows where the old and the new column disagree.

Above 0.01 % of the rows (the handbook's figure) the plan's next step must not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from readiness.errors import InputError
from readiness.migrations.toolkit.plan import DRIFT_LIMIT, IDENT


@dataclass(frozen=True)
class Drift:
    """How many rows differ, out of how many, and a few of them."""

    table: str
    old: str
    new: str
    total: int
    drifted: int
    limit: float = DRIFT_LIMIT
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.drifted / self.total if self.total else 0.0

    @property
    def exceeded(self) -> bool:
        return self.ratio > self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "old": self.old,
            "new": self.new,
            "rows": self.total,
            "drifted": self.drifted,
            "ratio": self.ratio,
            "limit": self.limit,
            "exceeded": self.exceeded,
            "samples": self.samples,
        }


def measure_drift(
    conn: psycopg.Connection,
    table: str,
    old: str,
    new: str,
    *,
    key: str = "id",
    samples: int = 5,
    limit: float = DRIFT_LIMIT,
) -> Drift:
    """Count rows where ``old`` and ``new`` differ (compared as text: types may differ)."""
    for part in (*table.split("."), old, new, key):
        if not IDENT.match(part):
            raise InputError(f"table and column names must be plain identifiers (got {part!r})")
    differs = sql.SQL("{}::text IS DISTINCT FROM {}::text").format(
        sql.Identifier(old), sql.Identifier(new)
    )
    # The /* readiness:drift */ mark keeps pg_stat_statements' record of these statements
    # from being taken for the application's (see toolkit.contract).
    try:
        row = conn.execute(
            sql.SQL(
                "/* readiness:drift */ SELECT count(*), count(*) FILTER (WHERE {}) FROM {}"
            ).format(differs, sql.SQL(table))
        ).fetchone()
        rows = conn.execute(
            sql.SQL(
                "/* readiness:drift */ SELECT {k}::text AS sample_key, {o}::text, {n}::text "
                "FROM {t} WHERE {d} "
                "ORDER BY {k} LIMIT {s}"
            ).format(
                k=sql.Identifier(key),
                o=sql.Identifier(old),
                n=sql.Identifier(new),
                t=sql.SQL(table),
                d=differs,
                s=sql.Literal(samples),
            )
        ).fetchall()
    except psycopg.Error as exc:
        raise InputError(
            f"cannot compare {table}.{old} with {table}.{new} ({exc.diag.message_primary})"
        ) from exc
    total, drifted = (int(row[0]), int(row[1])) if row else (0, 0)
    sample = [{"key": r[0], "old": r[1], "new": r[2]} for r in rows]
    return Drift(table, old, new, total, drifted, limit, sample)
