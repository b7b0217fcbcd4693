"""What each statement teaches the linter about the schema and the session (after the rules ran)."""

from __future__ import annotations

from typing import Any

from readiness.migrations.model import Statement
from readiness.migrations.rules.base import (
    Check,
    Context,
    cmds,
    constraints,
    relname,
    table_of,
    type_name,
)

_DDL = {
    "AlterTableStmt",
    "CreateStmt",
    "IndexStmt",
    "DropStmt",
    "RenameStmt",
    "CreateTrigStmt",
    "TruncateStmt",
}


def start_file(ctx: Context, transactional: bool | None) -> None:
    """Reset the per-file session state (each migration runs in its own session)."""
    ctx.explicit_transaction = False
    ctx.in_transaction = ctx.runner_transaction if transactional is None else transactional
    ctx.lock_timeout = ctx.statement_timeout = ctx.has_ddl = False


def before(ctx: Context, stmt: Statement) -> None:
    """Per-statement transaction mode (Alembic marks autocommit blocks per operation)."""
    if stmt.transactional is not None and not ctx.explicit_transaction:
        ctx.in_transaction = stmt.transactional


def learn(ctx: Context, stmt: Statement) -> None:  # noqa: PLR0912 - one branch per statement kind
    kind, body = stmt.kind, stmt.body
    if kind in _DDL:
        ctx.has_ddl = True
    if kind == "CreateStmt":
        _create_table(ctx, body)
    elif kind == "CreateTableAsStmt":
        ctx.created_tables.add(relname(body.get("into", {}).get("rel")))
    elif kind == "IndexStmt":
        if ctx.is_new(relname(body.get("relation"))) and body.get("idxname"):
            ctx.created_indexes.add(body["idxname"])
    elif kind == "RenameStmt" and body.get("renameType") == "OBJECT_TABLE":
        old = relname(body.get("relation"))
        if old in ctx.created_tables:
            ctx.created_tables.add(str(body.get("newname")))
    elif kind == "AlterTableStmt":
        _alter_table(ctx, stmt)
    elif kind == "VariableSetStmt":
        name = str(body.get("name", "")).lower()
        if name == "lock_timeout":
            ctx.lock_timeout = True
        elif name == "statement_timeout":
            ctx.statement_timeout = True
    elif kind == "TransactionStmt":
        tx = body.get("kind")
        if tx in {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}:
            ctx.in_transaction = ctx.explicit_transaction = True
        elif tx in {"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"}:
            ctx.in_transaction = ctx.explicit_transaction = False


def _create_table(ctx: Context, body: dict[str, Any]) -> None:
    table = relname(body.get("relation"))
    ctx.created_tables.add(table)
    for elt in body.get("tableElts", []):
        col = elt.get("ColumnDef")
        if col:
            _column(ctx, table, col)


def _column(ctx: Context, table: str, col: dict[str, Any]) -> None:
    name = str(col.get("colname", "?"))
    ctx.column_types[(table, name)] = type_name(col.get("typeName"))
    if any(c.get("contype") in {"CONSTR_NOTNULL", "CONSTR_PRIMARY"} for c in constraints(col)):
        ctx.not_null.add((table, name))


def _not_null_column(con: dict[str, Any]) -> str | None:
    """``x`` for ``CHECK (x IS NOT NULL)``."""
    test = (con.get("raw_expr") or {}).get("NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = test.get("arg", {}).get("ColumnRef", {}).get("fields", [])
    names = [f["String"]["sval"] for f in fields if "String" in f]
    return names[-1] if len(names) == 1 else None


def _alter_table(ctx: Context, stmt: Statement) -> None:
    table = table_of(stmt)
    for cmd in cmds(stmt):
        sub = cmd.get("subtype")
        node = cmd.get("def", {})
        if sub == "AT_AddColumn" and "ColumnDef" in node:
            _column(ctx, table, node["ColumnDef"])
        elif sub == "AT_AlterColumnType" and "ColumnDef" in node:
            ctx.column_types[(table, str(cmd.get("name")))] = type_name(
                node["ColumnDef"].get("typeName")
            )
        elif sub == "AT_AddConstraint" and "Constraint" in node:
            con = node["Constraint"]
            if con.get("contype") == "CONSTR_CHECK" and con.get("conname"):
                ctx.checks[con["conname"]] = Check(
                    table, _not_null_column(con), validated=not con.get("skip_validation")
                )
        elif sub == "AT_DropConstraint":
            ctx.checks.pop(str(cmd.get("name")), None)
        elif sub == "AT_ValidateConstraint" and cmd.get("name") in ctx.checks:
            ctx.checks[cmd["name"]].validated = True
        elif sub == "AT_SetNotNull":
            ctx.not_null.add((table, str(cmd.get("name"))))
        elif sub == "AT_DropNotNull":
            ctx.not_null.discard((table, str(cmd.get("name"))))
