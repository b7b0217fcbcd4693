"""Drops and renames: the previous application version still reads what they remove."""

from __future__ import annotations

from collections.abc import Iterator

from readiness.migrations.model import Severity, Statement
from readiness.migrations.rules.base import (
    Context,
    Hit,
    cmds,
    pretty_type,
    relname,
    rule,
    table_of,
)

E, W = Severity.ERROR, Severity.WARNING


@rule(
    "drop-column",
    E,
    "Dropping a column breaks the previous version",
    "AlterTableStmt",
    subtypes=("AT_DropColumn",),
)
def drop_column(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    table = table_of(stmt)
    if ctx.is_new(table):
        return
    for cmd in cmds(stmt):
        if cmd.get("subtype") == "AT_DropColumn":
            col = cmd.get("name", "?")
            yield Hit(
                f"dropping column {table}.{col}: the previous application version still reads "
                "and writes it",
                (table,),
                rollback_safe=False,
                safe_alternative=(
                    f"-- release N: stop reading and writing {table}.{col} (SQLAlchemy: remove it "
                    "from the model, or mark it deferred)\n"
                    f"-- release N+1, once no running version uses it:\n"
                    f"SET lock_timeout = '2s';\nALTER TABLE {table} DROP COLUMN {col};"
                ),
            )


@rule("drop-table", E, "Dropping a table breaks the previous version", "DropStmt")
def drop_table(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    if stmt.body.get("removeType") != "OBJECT_TABLE":
        return
    for table in _object_names(stmt):
        if not ctx.is_new(table):
            yield Hit(
                f"dropping table {table}: the previous application version still uses it",
                (table,),
                rollback_safe=False,
                safe_alternative=(
                    f"-- release N: stop using {table}; release N+1: rename it away first so a\n"
                    f"-- rollback can rename it back, and drop it one release later\n"
                    f"ALTER TABLE {table} RENAME TO {table}_deprecated;\n"
                    f"-- release N+2:\nDROP TABLE IF EXISTS {table}_deprecated;"
                ),
            )


_OTHER_DROPS = {
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "domain",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_TRIGGER": "trigger",
    "OBJECT_EXTENSION": "extension",
}


@rule("drop-object", W, "Dropping a view, type, function or other object", "DropStmt")
def drop_object(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    what = _OTHER_DROPS.get(stmt.body.get("removeType", ""))
    if what is None:
        return
    for name in _object_names(stmt):
        if name in ctx.created_tables:
            continue
        yield Hit(
            f"dropping {what} {name}: the previous application version may still use it",
            rollback_safe=False,
            safe_alternative=(
                f"-- drop the {what} one release after the code stopped using it\n"
                f"DROP {what.upper()} IF EXISTS {name};"
            ),
        )


@rule("ban-drop-database", E, "Dropping a database", "DropdbStmt")
def drop_database(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    yield Hit(
        f"dropping database {stmt.body.get('dbname', '?')} in a migration",
        rollback_safe=False,
        safe_alternative="-- drop databases by hand, never from an application's migrations",
    )


@rule("rename-column", E, "Renaming a column breaks the previous version", "RenameStmt")
def rename_column(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    body = stmt.body
    if body.get("renameType") != "OBJECT_COLUMN":
        return
    table, old, new = relname(body.get("relation")), body.get("subname", "?"), body.get("newname")
    if ctx.is_new(table):
        return
    yield Hit(
        f"renaming column {table}.{old} to {new}: the previous application version still "
        f"uses {old}",
        (table,),
        rollback_safe=False,
        safe_alternative=_expand_contract(
            table, old, str(new), pretty_type(ctx.column_types.get((table, old), "<type>"))
        ),
    )


@rule("rename-table", E, "Renaming a table breaks the previous version", "RenameStmt")
def rename_table(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    body = stmt.body
    if body.get("renameType") != "OBJECT_TABLE":
        return
    table, new = relname(body.get("relation")), body.get("newname", "?")
    if ctx.is_new(table):
        return
    yield Hit(
        f"renaming table {table} to {new}: the previous application version still uses {table}",
        (table,),
        rollback_safe=False,
        safe_alternative=(
            f"-- expand: rename, and leave an updatable view under the old name\nBEGIN;\n"
            f"ALTER TABLE {table} RENAME TO {new};\nCREATE VIEW {table} AS SELECT * FROM {new};\n"
            f"COMMIT;\n-- contract, once no running version uses {table}:\nDROP VIEW {table};"
        ),
    )


@rule("ban-truncate", E, "TRUNCATE in a migration", "TruncateStmt")
def truncate(stmt: Statement, ctx: Context) -> Iterator[Hit]:
    tables = tuple(relname(r.get("RangeVar")) for r in stmt.body.get("relations", []))
    if all(ctx.is_new(t) for t in tables):
        return
    cascade = stmt.body.get("behavior") == "DROP_CASCADE"
    yield Hit(
        f"TRUNCATE {', '.join(tables)}{' CASCADE' if cascade else ''} deletes every row "
        "(and takes an ACCESS EXCLUSIVE lock)",
        tables,
        rollback_safe=False,
        safe_alternative="-- delete in batches instead:\n"
        f"DELETE FROM {tables[0]} WHERE ctid IN (SELECT ctid FROM {tables[0]} LIMIT 5000);",
    )


def _expand_contract(table: str, old: str, new: str, typ: str) -> str:
    return (
        f"-- 1. expand: add the new column\nALTER TABLE {table} ADD COLUMN {new} {typ};\n"
        f"-- 2. dual-write: keep both columns in sync while both versions run\n"
        f"CREATE FUNCTION {table}_{new}_sync() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN NEW.{new} := COALESCE(NEW.{new}, NEW.{old}); "
        f"NEW.{old} := COALESCE(NEW.{old}, NEW.{new}); RETURN NEW; END $$;\n"
        f"CREATE TRIGGER {table}_{new}_sync BEFORE INSERT OR UPDATE ON {table}\n"
        f"  FOR EACH ROW EXECUTE FUNCTION {table}_{new}_sync();\n"
        f"-- 3. backfill in batches (readiness migrations backfill)\n"
        f"UPDATE {table} SET {new} = {old} WHERE {new} IS NULL AND ctid IN "
        f"(SELECT ctid FROM {table} WHERE {new} IS NULL LIMIT 5000);\n"
        f"-- 4. switch reads to {new}; 5. stop writing {old}; 6. contract, a release later:\n"
        f"DROP TRIGGER {table}_{new}_sync ON {table};\nALTER TABLE {table} DROP COLUMN {old};"
    )


def _object_names(stmt: Statement) -> list[str]:
    out: list[str] = []
    for obj in stmt.body.get("objects", []):
        if "List" in obj:
            parts = [i["String"]["sval"] for i in obj["List"].get("items", []) if "String" in i]
            out.append(parts[-1] if parts else "?")
        elif "String" in obj:
            out.append(obj["String"]["sval"])
        elif "TypeName" in obj:
            names = [n["String"]["sval"] for n in obj["TypeName"].get("names", []) if "String" in n]
            out.append(names[-1] if names else "?")
        elif "ObjectWithArgs" in obj:
            names = [n["String"]["sval"] for n in obj["ObjectWithArgs"].get("objname", [])]
            out.append(names[-1] if names else "?")
    return out or ["?"]
