"""Contract readiness: is the old column still read? (handbook 21.2 follow-up Q&A)

The queries pg_stat_statements recorded are parsed with PostgreSQL's parser; a query that
names the table and the column (or selects ``*`` from the table) still reads the old column,
so the contract step (dropping it) is not ready.
"""

from __future__ import annotations

from typing import Any

import psycopg
from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

OWN = ("pg_stat_statements", "/* readiness:")  # monitoring, and our drift/backfill statements


class _Names(Visitor):
    def __init__(self) -> None:
        self.columns: set[str] = set()
        self.star = False
        self.tables: set[str] = set()

    def visit_ColumnRef(self, _ancestors: Any, node: ast.ColumnRef) -> None:
        last = node.fields[-1] if node.fields else None
        if isinstance(last, ast.A_Star):
            self.star = True
        elif isinstance(last, ast.String) and last.sval:
            self.columns.add(last.sval)

    def visit_RangeVar(self, _ancestors: Any, node: ast.RangeVar) -> None:
        if node.relname:
            self.tables.add(node.relname)


def reads_column(sql: str, table: str, column: str) -> bool:
    """``sql`` names ``table`` and reads ``column`` (by name or through ``*``)."""
    try:
        tree = parse_sql(sql)
    except ParseError:
        return False
    names = _Names()
    names(tree)
    bare = table.rpartition(".")[2]
    return bare in names.tables and (column in names.columns or names.star)


def old_column_reads(
    conn: psycopg.Connection, table: str, column: str
) -> list[dict[str, Any]] | None:
    """Recorded queries still reading ``table.column``, most called first (None: no
    pg_stat_statements on this database)."""
    try:
        with conn.transaction():
            rows = conn.execute(
                "SELECT s.query, s.calls FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
                "ORDER BY s.calls DESC, s.query"
            ).fetchall()
    except psycopg.Error:
        return None
    return [
        {"query": str(query), "calls": int(calls)}
        for query, calls in rows
        if not any(own in str(query) for own in OWN) and reads_column(str(query), table, column)
    ]
