"""Constraints: validate them without blocking (NOT VALID, USING INDEX) or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from readiness.migrations.model import Severity, Statement
from readiness.migrations.rules.base import (
    Context,
    Hit,
    cmds,
    constraints,
    relname,
    rule,
    table_of,
)

E, W = Severity.ERROR, Severity.WARNING
_ADDS = ("AT_AddConstraint", "AT_AddColumn")


def _added(stmt: Statement, ctx: Context, contype: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Constraints of ``contype`` that ALTER TABLE adds to an existing table (also inline on
    ADD COLUMN)."""
    table = table_of(stmt)
    if ctx.is_new(table):
        return
    for cmd in cmds(stmt):
        node = cmd.get("def", {})
        if cmd.get("subtype") == "AT_AddConstraint" and "Constraint" in node:
            if node["Constraint"].get("contype") == contype:
                yield table, node["Constraint"]
        elif cmd.get("subtype") == "AT_AddColumn" and "ColumnDef" in node:
            for con in constraints(node["ColumnDef"]):
                if con.get("contype") == contype:
                    yield table, {**con, "_column": node["ColumnDef"].get("colname")}


def _name(con: dict[str, Any], table: str, suffix: str) -> str:
    return str(con.get("conname") or f"{table}_{suffix}")


@rule(
    "adding-foreign-key-constraint",
    E,
    "A foreign key without NOT VALID",
    "AlterTableStmt",
    subtypes=_ADDS,
)
def foreign_key(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, con in _added(stmt, ctx, "CONSTR_FOREIGN"):
        if con.get("skip_validation"):
            continue
        ref = relname(con.get("pktable"))
        name = _name(con, table, "fkey")
        yield Hit(
            f"adding foreign key {name} validates every row while holding SHARE ROW EXCLUSIVE "
            f"on {table} and {ref}",
            (table, ref),
            safe_alternative=(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (...) REFERENCES "
                f"{ref} (...) NOT VALID;\n"
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {name};  -- separate transaction"
            ),
        )


@rule(
    "constraint-missing-not-valid",
    E,
    "A CHECK constraint without NOT VALID",
    "AlterTableStmt",
    subtypes=_ADDS,
)
def check_constraint(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, con in _added(stmt, ctx, "CONSTR_CHECK"):
        if con.get("skip_validation"):
            continue
        name = _name(con, table, "check")
        yield Hit(
            f"adding CHECK {name} scans every row under ACCESS EXCLUSIVE on {table}",
            (table,),
            safe_alternative=(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (...) NOT VALID;\n"
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {name};  -- separate transaction"
            ),
        )


@rule(
    "disallowed-unique-constraint",
    E,
    "UNIQUE built under ACCESS EXCLUSIVE",
    "AlterTableStmt",
    subtypes=_ADDS,
)
def unique(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, con in _added(stmt, ctx, "CONSTR_UNIQUE"):
        if con.get("indexname"):
            continue
        name = _name(con, table, "key")
        yield Hit(
            f"adding UNIQUE {name} builds its index under ACCESS EXCLUSIVE on {table}",
            (table,),
            safe_alternative=(
                f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name}_idx ON {table} (...);\n"
                f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}_idx;"
            ),
        )


@rule(
    "adding-primary-key-constraint",
    E,
    "PRIMARY KEY built under ACCESS EXCLUSIVE",
    "AlterTableStmt",
    subtypes=_ADDS,
)
def primary_key(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, con in _added(stmt, ctx, "CONSTR_PRIMARY"):
        if con.get("indexname"):
            continue
        name = _name(con, table, "pkey")
        yield Hit(
            f"adding PRIMARY KEY {name} builds its index (and may SET NOT NULL) under ACCESS "
            f"EXCLUSIVE on {table}",
            (table,),
            safe_alternative=(
                f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name}_idx ON {table} (...);\n"
                f"ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name}_idx;"
            ),
        )


@rule(
    "adding-exclusion-constraint",
    E,
    "An exclusion constraint on an existing table",
    "AlterTableStmt",
    subtypes=_ADDS,
)
def exclusion(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    for table, con in _added(stmt, ctx, "CONSTR_EXCLUSION"):
        name = _name(con, table, "excl")
        yield Hit(
            f"adding exclusion constraint {name} builds its index and checks every row under "
            f"ACCESS EXCLUSIVE on {table}; it cannot be NOT VALID",
            (table,),
            safe_alternative=(
                "-- no online path: enforce it in a trigger for new rows, clean existing rows,\n"
                "-- then add it in a maintenance window with a short lock_timeout\n"
                "SET lock_timeout = '2s';"
            ),
        )


@rule("ban-create-domain-with-constraint", W, "A domain with a CHECK", "CreateDomainStmt")
def domain_create(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    if any("Constraint" in c for c in stmt.body.get("constraints", [])):
        yield Hit(
            "a domain CHECK is validated against every column using it, and changing it later "
            "locks all of them",
            safe_alternative="-- put the CHECK on the table columns (NOT VALID, then VALIDATE)",
        )


@rule("ban-alter-domain-with-add-constraint", W, "ALTER DOMAIN ADD CONSTRAINT", "AlterDomainStmt")
def domain_alter(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    con = stmt.body.get("def", {}).get("Constraint", {})
    if stmt.body.get("subtype") == "C" and not con.get("skip_validation"):
        yield Hit(
            "ALTER DOMAIN ADD CONSTRAINT scans every column of the domain under a blocking lock",
            safe_alternative="ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID;\n"
            "ALTER DOMAIN ... VALIDATE CONSTRAINT ...;",
        )
