"""Fill every user table of a database with generated rows (see :mod:`.datagen`).

Rows go in by batches; a batch a CHECK or a unique index rejects is retried row by row, each in
a savepoint, and the rejected rows are counted, never silently dropped from the report.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import psycopg
from psycopg import sql

from readiness.migrations.live.catalog import Column, Table, user_tables
from readiness.migrations.live.datagen import generate_rows


@dataclass(frozen=True)
class Loaded:
    """How many rows one table received, and how many the database refused."""

    table: str
    rows: int
    rejected: int

    def as_dict(self) -> dict[str, object]:
        return {"table": self.table, "rows": self.rows, "rejected": self.rejected}


def _fillable(column: Column) -> bool:
    return not column.skip


def load_data(conn: psycopg.Connection, *, rows: int, seed: int) -> list[Loaded]:
    """Insert ``rows`` generated rows in every user table (parents first)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    loaded = []
    for table in user_tables(conn):
        loaded.append(_fill(conn, table, rows, rng))
    return loaded


def _references(conn: psycopg.Connection, column: Column) -> list[str] | None:
    if column.references is None:
        return None
    table, name = column.references
    query = sql.SQL("SELECT {}::text FROM {} WHERE {} IS NOT NULL LIMIT 1000").format(
        sql.Identifier(name), sql.SQL(table), sql.Identifier(name)
    )
    return [row[0] for row in conn.execute(query)]


def _fill(conn: psycopg.Connection, table: Table, count: int, rng: random.Random) -> Loaded:
    columns = [c for c in table.columns if _fillable(c)]
    if not columns:
        insert = sql.SQL("INSERT INTO {} DEFAULT VALUES").format(sql.SQL(table.qualified))
        with conn.transaction():
            for _ in range(count):
                conn.execute(insert)
        return Loaded(table.qualified, count, 0)
    specs = [
        (c.base, c.type, c.category, c.nullable, c.unique, c.enum_labels, _references(conn, c))
        for c in columns
    ]
    row_sql = sql.SQL("({})").format(sql.SQL(", ").join(sql.SQL("%s::" + c.type) for c in columns))
    head = sql.SQL("INSERT INTO {} ({}) VALUES ").format(
        sql.SQL(table.qualified), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    generated = generate_rows(specs, count, rng)
    per_batch = max(1, min(1000, 30000 // len(columns)))
    accepted = 0
    with conn.transaction():
        for start in range(0, len(generated), per_batch):
            batch = generated[start : start + per_batch]
            if _insert(conn, head + sql.SQL(", ").join([row_sql] * len(batch)), batch):
                accepted += len(batch)
                continue
            for values in batch:
                # A CHECK the generator does not know usually accepts NULL: retry with the
                # nullable columns empty before giving the row up.
                nulled = [
                    None if c.nullable and not c.unique else v
                    for c, v in zip(columns, values, strict=True)
                ]
                if _insert(conn, head + row_sql, [values]) or _insert(
                    conn, head + row_sql, [nulled]
                ):
                    accepted += 1
    return Loaded(table.qualified, accepted, count - accepted)


def _insert(conn: psycopg.Connection, query: sql.Composed, rows: list[list[str | None]]) -> bool:
    try:
        with conn.transaction():
            conn.execute(query, [v for row in rows for v in row])
    except psycopg.Error:
        return False
    return True
