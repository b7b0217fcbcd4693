"""Indexes: build, drop and rebuild them concurrently, and never inside a transaction."""

from __future__ import annotations

from collections.abc import Iterator

from readiness.migrations.model import Severity, Statement
from readiness.migrations.rules.base import Context, Hit, relname, rule
from readiness.migrations.rules.locks import SHARE_UPDATE_EXCLUSIVE, is_concurrent_reindex

E = Severity.ERROR


@rule("require-concurrent-index-creation", E, "CREATE INDEX without CONCURRENTLY", "IndexStmt")
def create_index(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    body = stmt.body
    table = relname(body.get("relation"))
    if body.get("concurrent") or ctx.is_new(table):
        return
    name = body.get("idxname") or f"{table}_idx"
    rewritten = stmt.sql.replace("INDEX", "INDEX CONCURRENTLY IF NOT EXISTS", 1)
    if "INDEX" not in stmt.sql:
        rewritten = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} (...);"
    yield Hit(
        f"CREATE INDEX {name} blocks writes to {table} (SHARE lock) for the whole build",
        (table,),
        safe_alternative=(
            "-- outside a transaction (Alembic: with op.get_context().autocommit_block():)\n"
            + rewritten.rstrip(";")
            + ";"
        ),
    )


@rule("require-concurrent-index-deletion", E, "DROP INDEX without CONCURRENTLY", "DropStmt")
def drop_index(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    body = stmt.body
    if body.get("removeType") != "OBJECT_INDEX" or body.get("concurrent"):
        return
    names: list[str] = []
    for obj in body.get("objects", []):
        items = obj.get("List", {}).get("items", [])
        names.extend(i["String"]["sval"] for i in items[-1:] if "String" in i)
    if names and all(n in ctx.created_indexes for n in names):
        return
    shown = ", ".join(names) or "?"
    yield Hit(
        f"DROP INDEX {shown} takes an ACCESS EXCLUSIVE lock on its table",
        safe_alternative="-- outside a transaction\n"
        + "\n".join(f"DROP INDEX CONCURRENTLY IF EXISTS {n};" for n in names or ["?"]),
    )


@rule("require-concurrent-reindex", E, "REINDEX without CONCURRENTLY", "ReindexStmt")
def reindex(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    body = stmt.body
    if is_concurrent_reindex(body):
        return
    target = relname(body.get("relation")) if body.get("relation") else body.get("name", "?")
    yield Hit(
        f"REINDEX {target} blocks writes (SHARE lock) while it rebuilds",
        safe_alternative=f"REINDEX (CONCURRENTLY) ... {target};  -- PostgreSQL 12+",
    )


@rule(
    "ban-concurrent-index-creation-in-transaction",
    E,
    "CONCURRENTLY inside a transaction fails",
    "IndexStmt",
    "DropStmt",
    "ReindexStmt",
)
def concurrent_in_transaction(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    body = stmt.body
    concurrent = body.get("concurrent") or (
        stmt.kind == "ReindexStmt" and is_concurrent_reindex(body)
    )
    if not concurrent or not ctx.in_transaction:
        return
    yield Hit(
        "CONCURRENTLY cannot run inside a transaction block: this migration fails (the runner "
        "or an explicit BEGIN wraps it in one)",
        lock=SHARE_UPDATE_EXCLUSIVE,
        safe_alternative=(
            "-- run it outside the transaction; Alembic:\n"
            "with op.get_context().autocommit_block():\n"
            "    op.create_index(..., postgresql_concurrently=True)\n"
            "-- plain SQL: a file of its own, with transactions disabled for it"
        ),
    )
