"""Session and whole-statement rules: timeouts, transactions, backfills, rewriting commands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from readiness.migrations.model import Severity, Statement
from readiness.migrations.rules.base import Context, Hit, cmds, relname, rule, table_of
from readiness.migrations.rules.locks import statement_lock, statement_tables, takes_blocking_lock

E, W = Severity.ERROR, Severity.WARNING


@rule(
    "require-timeout-settings", W, "A blocking lock without lock_timeout", "*", once_per_file=True
)
def timeouts(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    """Once per file: the first statement that waits for a blocking lock on an existing table
    without ``lock_timeout`` (queueing behind it blocks every query) or ``statement_timeout``."""
    if ctx.lock_timeout and ctx.statement_timeout:
        return
    lock = statement_lock(stmt)
    tables = statement_tables(stmt)
    if not takes_blocking_lock(lock) or (tables and all(ctx.is_new(t) for t in tables)):
        return
    settings = (("lock_timeout", ctx.lock_timeout), ("statement_timeout", ctx.statement_timeout))
    missing = [name for name, ok in settings if not ok]
    yield Hit(
        f"{lock} is requested without {' and '.join(missing)}: while it waits for a long "
        "transaction, every query on the table queues behind it",
        tables,
        safe_alternative="SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"
        "-- and retry the migration when the lock is not granted",
    )


@rule("transaction-nesting", E, "BEGIN inside a transaction", "TransactionStmt")
def nesting(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    kind = stmt.body.get("kind")
    if kind in {"TRANS_STMT_BEGIN", "TRANS_STMT_START"} and ctx.in_transaction:
        yield Hit(
            "BEGIN inside a transaction (the runner already opened one): PostgreSQL warns "
            "and the later COMMIT ends the runner's transaction early",
            safe_alternative="-- remove the BEGIN/COMMIT; the runner wraps the file",
        )
    elif kind in {"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"} and ctx.runner_transaction:
        yield Hit(
            "COMMIT/ROLLBACK inside the runner's transaction ends it early",
            safe_alternative="-- remove it; the runner commits the file",
        )


@rule(
    "backfill-in-transaction",
    W,
    "Updating data in the schema-change transaction",
    "UpdateStmt",
    "DeleteStmt",
    "InsertStmt",
)
def backfill(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    table = relname(stmt.body.get("relation"))
    if not ctx.in_transaction or not ctx.has_ddl or ctx.is_new(table):
        return
    if stmt.kind == "InsertStmt" and "selectStmt" in stmt.body:
        select = stmt.body["selectStmt"].get("SelectStmt", {})
        if "valuesLists" in select:
            return  # seed rows, not a backfill
    elif stmt.kind == "InsertStmt":
        return
    yield Hit(
        f"changing rows of {table} in the same transaction as a schema change keeps the "
        "DDL's lock until every row is written",
        (table,),
        safe_alternative="-- backfill after the schema change committed, in batches:\n"
        f"UPDATE {table} SET ... WHERE id IN (SELECT id FROM {table} WHERE ... LIMIT 5000);",
    )


@rule(
    "table-rewrite-command",
    E,
    "A command that rewrites or locks the whole table",
    "AlterTableStmt",
    "VacuumStmt",
    "ClusterStmt",
)
def rewrite_command(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    if stmt.kind == "VacuumStmt":
        if statement_lock(stmt) is not None:
            yield Hit(
                "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
                rewrites=True,
                safe_alternative="-- pg_repack (online), or plain VACUUM",
            )
        return
    if stmt.kind == "ClusterStmt":
        yield Hit(
            "CLUSTER rewrites the table under ACCESS EXCLUSIVE",
            (relname(stmt.body.get("relation")),),
            rewrites=True,
            safe_alternative="-- pg_repack --order-by (online)",
        )
        return
    table = table_of(stmt)
    if ctx.is_new(table):
        return
    for cmd in cmds(stmt):
        sub = cmd.get("subtype")
        if sub in {"AT_SetLogged", "AT_SetUnLogged"}:
            yield Hit(
                f"SET {'LOGGED' if sub == 'AT_SetLogged' else 'UNLOGGED'} rewrites {table} "
                "under ACCESS EXCLUSIVE",
                (table,),
                rewrites=True,
                safe_alternative="-- create the new table with the wanted persistence, copy in "
                "batches, swap names",
            )
        elif sub == "AT_DetachPartition" and not _concurrent_detach(cmd):
            yield Hit(
                f"DETACH PARTITION takes ACCESS EXCLUSIVE on {table}",
                (table,),
                safe_alternative=f"ALTER TABLE {table} DETACH PARTITION ... CONCURRENTLY;"
                "  -- PostgreSQL 14+, outside a transaction",
            )


def _concurrent_detach(cmd: dict[str, Any]) -> bool:
    return bool(cmd.get("def", {}).get("PartitionCmd", {}).get("concurrent"))
