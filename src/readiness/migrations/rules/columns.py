"""Column changes: required columns, defaults, NOT NULL, type changes, rewriting columns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from readiness.migrations.model import Severity, Statement
from readiness.migrations.rules.base import (
    Context,
    Hit,
    base_type,
    cmds,
    constraints,
    pretty_type,
    rule,
    table_of,
    type_name,
)
from readiness.migrations.rules.locks import is_volatile

E, W = Severity.ERROR, Severity.WARNING
SERIALS = {"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"}


def _added_columns(stmt: Statement, ctx: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    table = table_of(stmt)
    if ctx.is_new(table):
        return
    for cmd in cmds(stmt):
        if cmd.get("subtype") == "AT_AddColumn":
            col = cmd.get("def", {}).get("ColumnDef")
            if col:
                yield table, col


def _default(col: dict[str, Any]) -> dict[str, Any] | None:
    for con in constraints(col):
        if con.get("contype") == "CONSTR_DEFAULT":
            expr: dict[str, Any] | None = con.get("raw_expr")
            return expr or {"A_Const": {}}
    return None


def _has(col: dict[str, Any], contype: str) -> bool:
    return any(c.get("contype") == contype for c in constraints(col))


@rule(
    "adding-required-field",
    E,
    "Adding a NOT NULL column without a default",
    "AlterTableStmt",
    subtypes=("AT_AddColumn",),
)
def adding_required_field(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, col in _added_columns(stmt, ctx):
        if _has(col, "CONSTR_NOTNULL") and _default(col) is None and not _generated(col):
            name, typ = col.get("colname", "?"), pretty_type(type_name(col.get("typeName")))
            yield Hit(
                f"adding {table}.{name} NOT NULL without a default: fails on a non-empty table, "
                "and the previous version's INSERTs (which omit it) fail",
                (table,),
                rollback_safe=False,
                safe_alternative=(
                    f"ALTER TABLE {table} ADD COLUMN {name} {typ};  -- nullable first\n"
                    f"-- backfill in batches, then:\n"
                    f"ALTER TABLE {table} ADD CONSTRAINT {table}_{name}_not_null "
                    f"CHECK ({name} IS NOT NULL) NOT VALID;\n"
                    f"ALTER TABLE {table} VALIDATE CONSTRAINT {table}_{name}_not_null;\n"
                    f"ALTER TABLE {table} ALTER COLUMN {name} SET NOT NULL;  -- PostgreSQL 12+\n"
                    f"ALTER TABLE {table} DROP CONSTRAINT {table}_{name}_not_null;\n"
                    f"-- or give it a constant DEFAULT (no rewrite on PostgreSQL 11+)"
                ),
            )


@rule(
    "adding-field-with-default",
    E,
    "A default that rewrites the table",
    "AlterTableStmt",
    subtypes=("AT_AddColumn",),
)
def adding_field_with_default(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, col in _added_columns(stmt, ctx):
        default = _default(col)
        if default is None:
            continue
        name, typ = col.get("colname", "?"), pretty_type(type_name(col.get("typeName")))
        volatile = is_volatile(default)
        if not volatile and ctx.pg_version >= 11:
            continue
        why = "a volatile default" if volatile else "any default before PostgreSQL 11"
        yield Hit(
            f"adding {table}.{name} with {why} rewrites the whole table under an ACCESS "
            "EXCLUSIVE lock",
            (table,),
            rewrites=True,
            safe_alternative=(
                f"ALTER TABLE {table} ADD COLUMN {name} {typ};\n"
                f"ALTER TABLE {table} ALTER COLUMN {name} SET DEFAULT <default>;  -- new rows\n"
                f"-- backfill existing rows in batches (readiness migrations backfill)"
            ),
        )


@rule(
    "adding-serial-field",
    E,
    "Adding a serial or identity column rewrites",
    "AlterTableStmt",
    subtypes=("AT_AddColumn",),
)
def adding_serial(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, col in _added_columns(stmt, ctx):
        typ = base_type(type_name(col.get("typeName")))
        if typ in SERIALS or _has(col, "CONSTR_IDENTITY"):
            name = col.get("colname", "?")
            yield Hit(
                f"adding auto-incrementing column {table}.{name} fills every row: a table "
                "rewrite under ACCESS EXCLUSIVE",
                (table,),
                rewrites=True,
                safe_alternative=(
                    f"CREATE SEQUENCE {table}_{name}_seq;\n"
                    f"ALTER TABLE {table} ADD COLUMN {name} bigint;\n"
                    f"ALTER TABLE {table} ALTER COLUMN {name} SET DEFAULT "
                    f"nextval('{table}_{name}_seq');\n-- backfill existing rows in batches"
                ),
            )


def _generated(col: dict[str, Any]) -> bool:
    return _has(col, "CONSTR_GENERATED") or _has(col, "CONSTR_IDENTITY")


@rule(
    "adding-stored-generated-column",
    E,
    "A stored generated column rewrites",
    "AlterTableStmt",
    subtypes=("AT_AddColumn",),
)
def adding_generated(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, col in _added_columns(stmt, ctx):
        if _has(col, "CONSTR_GENERATED"):
            name = col.get("colname", "?")
            yield Hit(
                f"adding stored generated column {table}.{name} computes every row: a table "
                "rewrite under ACCESS EXCLUSIVE",
                (table,),
                rewrites=True,
                safe_alternative=(
                    f"ALTER TABLE {table} ADD COLUMN {name} <type>;\n"
                    f"-- fill it from a trigger for new rows and backfill old rows in batches"
                ),
            )


@rule(
    "set-not-null",
    E,
    "SET NOT NULL scans the table under ACCESS EXCLUSIVE",
    "AlterTableStmt",
    subtypes=("AT_SetNotNull",),
)
def set_not_null(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    table = table_of(stmt)
    if ctx.is_new(table):
        return
    for cmd in cmds(stmt):
        if cmd.get("subtype") != "AT_SetNotNull":
            continue
        col = cmd.get("name", "?")
        if ctx.pg_version >= 12 and ctx.has_valid_not_null_check(table, col):
            continue
        check = f"{table}_{col}_not_null"
        yield Hit(
            f"SET NOT NULL on {table}.{col} scans every row under ACCESS EXCLUSIVE, and the "
            "previous version may still write NULL",
            (table,),
            rollback_safe=False,
            safe_alternative=(
                f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID;\n"
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {check};  -- SHARE UPDATE EXCLUSIVE\n"
                f"ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;  -- no scan on 12+\n"
                f"ALTER TABLE {table} DROP CONSTRAINT {check};"
            ),
        )


@rule(
    "ban-drop-not-null",
    W,
    "DROP NOT NULL lets NULLs reach old readers",
    "AlterTableStmt",
    subtypes=("AT_DropNotNull",),
)
def drop_not_null(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    table = table_of(stmt)
    if ctx.is_new(table):
        return
    for cmd in cmds(stmt):
        if cmd.get("subtype") == "AT_DropNotNull":
            col = cmd.get("name", "?")
            yield Hit(
                f"DROP NOT NULL on {table}.{col}: the previous version may not expect NULLs",
                (table,),
                rollback_safe=False,
                safe_alternative=(
                    f"-- ship code that handles NULL in {table}.{col} first, then:\n"
                    f"ALTER TABLE {table} ALTER COLUMN {col} DROP NOT NULL;"
                ),
            )


def _safe_type_change(old: str | None, new: str, ctx: Context) -> bool:  # noqa: PLR0911
    """Changes PostgreSQL makes without a rewrite (binary-coercible, widening)."""
    nb = base_type(new)
    if old is None:
        return nb in {"text", "varchar"} and "(" not in new
    ob = base_type(old)
    if ob in {"varchar", "text"} and nb == "text":
        return True
    if ob == "varchar" and nb == "varchar":
        return "(" not in new or ("(" in old and _mod(new) >= _mod(old))
    if ob == "numeric" and nb == "numeric":
        if "(" not in new:
            return True
        if "(" not in old:
            return False
        (op, os_), (np_, ns) = _mods(old), _mods(new)
        return ns == os_ and np_ >= op
    if (ob, nb) in {("cidr", "inet"), ("varbit", "varbit"), ("bit", "varbit")}:
        return True
    return ob == "timestamp" and nb == "timestamptz" and ctx.pg_version >= 12


def _mod(typ: str) -> int:
    return int(typ.split("(")[1].split(",", maxsplit=1)[0].rstrip(")") or 0)


def _mods(typ: str) -> tuple[int, int]:
    inner = typ.split("(")[1].rstrip(")[]").split(",")
    return int(inner[0]), int(inner[1]) if len(inner) > 1 else 0


@rule(
    "changing-column-type",
    E,
    "A type change that rewrites the table",
    "AlterTableStmt",
    subtypes=("AT_AlterColumnType",),
)
def changing_column_type(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    table = table_of(stmt)
    if ctx.is_new(table):
        return
    for cmd in cmds(stmt):
        if cmd.get("subtype") != "AT_AlterColumnType":
            continue
        col = cmd.get("name", "?")
        coldef = cmd.get("def", {}).get("ColumnDef", {})
        new = type_name(coldef.get("typeName"))
        old = ctx.column_types.get((table, col))
        if "raw_default" not in coldef and _safe_type_change(old, new, ctx):
            continue
        was = f" from {pretty_type(old)}" if old else ""
        new = pretty_type(new)
        yield Hit(
            f"changing {table}.{col}{was} to {new} rewrites the table (and its indexes) under "
            "ACCESS EXCLUSIVE, and the previous version may write values the new type rejects",
            (table,),
            rewrites=True,
            rollback_safe=False,
            safe_alternative=(
                f"-- expand/contract: add {col}_new {new}, dual-write with a trigger, backfill in\n"
                f"-- batches, switch reads, then drop {col} (readiness migrations plan "
                f"change-type {table}.{col} {new})\nALTER TABLE {table} ADD COLUMN {col}_new {new};"
            ),
        )
