"""The previous application version's queries: from a log file or from pg_stat_statements.

A file holds one statement per line, or statements separated by ``;`` (then they may span
lines). Lines starting with ``--`` are comments. Each query is classified as a read (a
``SELECT`` without ``INTO``), a write (``INSERT``/``UPDATE``/``DELETE``/``MERGE``) or other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pglast import parse_sql
from pglast.ast import (
    DeleteStmt,
    ExplainStmt,
    InsertStmt,
    MergeStmt,
    SelectStmt,
    UpdateStmt,
)
from pglast.parser import ParseError, split

from readiness.errors import InputError

Kind = Literal["read", "write", "other"]
FROM_STATS = "pg_stat_statements"


@dataclass(frozen=True)
class OldQuery:
    """One query of the previous application version."""

    sql: str
    kind: Kind
    has_parameters: bool


def classify(sql: str) -> OldQuery:
    """Classify ``sql``; a query the parser rejects is kept as ``other`` (it will fail)."""
    try:
        stmts = parse_sql(sql)
    except ParseError:
        return OldQuery(sql, "other", "$" in sql)
    stmt = stmts[0].stmt if stmts else None
    kind: Kind = "other"
    if isinstance(stmt, SelectStmt) and stmt.intoClause is None:
        kind = "read"
    elif isinstance(stmt, InsertStmt | UpdateStmt | DeleteStmt | MergeStmt):
        kind = "write"
    elif isinstance(stmt, ExplainStmt):
        kind = "read"
    return OldQuery(sql, kind, _has_parameters(sql))


def _has_parameters(sql: str) -> bool:
    from pglast.parser import scan

    return any(token.name == "PARAM" for token in scan(sql))


def parse_queries(text: str) -> list[OldQuery]:
    """The distinct queries of a query log, in first-seen order."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    body = "\n".join(lines)
    if ";" in body:
        try:
            parts = [p.strip() for p in split(body, with_parser=False)]
        except ParseError:
            parts = [p.strip() for p in body.split(";")]
    else:
        parts = [line.strip() for line in lines]
    seen: dict[str, OldQuery] = {}
    for part in parts:
        if part and part not in seen:
            seen[part] = classify(part)
    return list(seen.values())


def read_query_file(path: Path) -> list[OldQuery]:
    """The queries of a log file; an unreadable or empty file is an input error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"query file {str(path)!r} cannot be read ({exc.strerror}); give the previous "
            "version's queries, one per line or ;-separated, or --queries pg_stat_statements"
        ) from exc
    queries = parse_queries(text)
    if not queries:
        raise InputError(f"query file {str(path)!r} holds no query; nothing could be replayed")
    return queries
