"""One Alembic ``op.*`` call to the PostgreSQL statements it emits."""

from __future__ import annotations

import ast
from collections.abc import Callable

from pglast import parser

from readiness.migrations.sources.alembic_types import column_sql, server_default, sql_type
from readiness.migrations.sources.pyexpr import (
    UNKNOWN,
    call_name,
    constant,
    ident,
    kwargs,
    name,
    names,
    string,
)

Args = tuple[list[ast.expr], dict[str, ast.expr]]


class Known(str):
    """SQL stating what the script says already holds (``existing_type=``): the linter learns
    the schema from it and reports nothing on it."""

    __slots__ = ()


def translate(call: ast.Call, batch_table: str | None) -> list[str]:
    """The SQL of ``call`` (empty when it is not a schema operation we know)."""
    if not isinstance(call.func, ast.Attribute):
        return []
    receiver = call.func.value
    if not isinstance(receiver, ast.Name):
        return []
    args, kw = list(call.args), kwargs(call)
    if batch_table is not None and receiver.id != "op":
        at, key = _BATCH_TABLE_AT.get(call.func.attr, (0, "table_name"))
        if len(args) >= at:
            args.insert(at, ast.Constant(batch_table))
        else:
            kw[key] = ast.Constant(batch_table)
    elif receiver.id != "op":
        return []
    handler = _OPS.get(call.func.attr)
    return handler(args, kw) if handler else []


# Where a batch operation's implicit table goes: (position, keyword) of the op.* form.
_BATCH_TABLE_AT = {
    "create_index": (1, "table_name"),
    "create_foreign_key": (1, "source_table"),
    "create_check_constraint": (1, "table_name"),
    "create_unique_constraint": (1, "table_name"),
    "create_primary_key": (1, "table_name"),
    "drop_constraint": (1, "table_name"),
    "drop_index": (99, "table_name"),
}


def _arg(args: list[ast.expr], kw: dict[str, ast.expr], i: int, key: str) -> ast.expr | None:
    return args[i] if len(args) > i else kw.get(key)


def _table(
    args: list[ast.expr], kw: dict[str, ast.expr], i: int = 0, key: str = "table_name"
) -> str:
    table = name(_arg(args, kw, i, key))
    schema = string(kw.get("schema"))
    return f"{ident(schema)}.{table}" if schema else table


def _add_column(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    col = _arg(args, kw, 1, "column")
    if not isinstance(col, ast.Call):
        return []
    return [f"ALTER TABLE {_table(args, kw)} ADD COLUMN {column_sql(col)}"]


def _drop_column(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    column = name(_arg(args, kw, 1, "column_name"))
    return [f"ALTER TABLE {_table(args, kw)} DROP COLUMN {column}"]


def _alter_column(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    table, column = _table(args, kw), name(_arg(args, kw, 1, "column_name"))
    prefix = f"ALTER TABLE {table} ALTER COLUMN {column}"
    out: list[str] = []
    if "type_" in kw and "existing_type" in kw:
        out.append(Known(f"{prefix} TYPE {sql_type(kw['existing_type'])}"))
    if "type_" in kw:
        using = string(kw.get("postgresql_using"))
        out.append(f"{prefix} TYPE {sql_type(kw['type_'])}" + (f" USING {using}" if using else ""))
    nullable = constant(kw.get("nullable"))
    if nullable is False:
        out.append(f"{prefix} SET NOT NULL")
    elif nullable is True:
        out.append(f"{prefix} DROP NOT NULL")
    if "server_default" in kw:
        default = server_default(kw["server_default"])
        out.append(f"{prefix} SET DEFAULT {default}" if default else f"{prefix} DROP DEFAULT")
    new = kw.get("new_column_name")
    if new is not None:
        out.append(f"ALTER TABLE {table} RENAME COLUMN {column} TO {name(new)}")
    return out


def _create_table(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    table = _table(args, kw)
    items = [a for a in args[1:] if isinstance(a, ast.Call)]
    pk_cols = [
        i for i in items if call_name(i) == "Column" and constant(kwargs(i).get("primary_key"))
    ]
    has_pk_constraint = any(call_name(i) == "PrimaryKeyConstraint" for i in items)
    single = len(pk_cols) == 1 and not has_pk_constraint
    parts: list[str] = []
    for item in items:
        kind = call_name(item)
        if kind == "Column":
            parts.append(column_sql(item, in_create=True, single_pk=single))
        elif kind in _CONSTRAINTS:
            parts.append(_CONSTRAINTS[kind](item))
    if len(pk_cols) > 1 and not has_pk_constraint:
        cols = ", ".join(name(c.args[0]) if c.args else UNKNOWN for c in pk_cols)
        parts.append(f"PRIMARY KEY ({cols})")
    if has_pk_constraint and len(pk_cols) == 0:
        pass
    exists = " IF NOT EXISTS" if constant(kw.get("if_not_exists")) is True else ""
    body = ", ".join(p for p in parts if p) or "id integer"
    return [f"CREATE TABLE{exists} {table} ({body})"]


def _pk(item: ast.Call) -> str:
    return f"{_conname(item)}PRIMARY KEY ({', '.join(_strs(item.args))})"


def _unique(item: ast.Call) -> str:
    return f"{_conname(item)}UNIQUE ({', '.join(_strs(item.args))})"


def _check(item: ast.Call) -> str:
    cond = string(item.args[0]) if item.args else None
    return f"{_conname(item)}CHECK ({cond or 'true'})"


def _fk(item: ast.Call) -> str:
    local = names(item.args[0]) if item.args else [UNKNOWN]
    remote = names(item.args[1]) if len(item.args) > 1 else [UNKNOWN]
    table = remote[0].split(".")[0].strip('"') if "." in remote[0] else UNKNOWN
    cols = [r.rpartition(".")[2].strip('"') for r in remote]
    on_delete = string(kwargs(item).get("ondelete"))
    tail = f" ON DELETE {on_delete}" if on_delete else ""
    refs = ", ".join(ident(c) for c in cols)
    return (
        f"{_conname(item)}FOREIGN KEY ({', '.join(local)}) REFERENCES {ident(table)} ({refs}){tail}"
    )


def _conname(item: ast.Call) -> str:
    conname = string(kwargs(item).get("name"))
    return f"CONSTRAINT {ident(conname)} " if conname else ""


def _strs(nodes: list[ast.expr]) -> list[str]:
    return [name(n) for n in nodes if string(n) is not None] or [UNKNOWN]


_CONSTRAINTS: dict[str, Callable[[ast.Call], str]] = {
    "PrimaryKeyConstraint": _pk,
    "UniqueConstraint": _unique,
    "CheckConstraint": _check,
    "ForeignKeyConstraint": _fk,
}


def _drop_table(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    exists = " IF EXISTS" if constant(kw.get("if_exists")) is True else ""
    return [f"DROP TABLE{exists} {_table(args, kw)}"]


def _rename_table(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    new = name(_arg(args, kw, 1, "new_table_name"))
    return [f"ALTER TABLE {_table(args, kw, 0, 'old_table_name')} RENAME TO {new}"]


def _create_index(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    index = name(_arg(args, kw, 0, "index_name"))
    table = _table(args, kw, 1)
    cols = ", ".join(names(_arg(args, kw, 2, "columns")))
    unique = "UNIQUE " if constant(kw.get("unique")) is True else ""
    conc = " CONCURRENTLY" if constant(kw.get("postgresql_concurrently")) is True else ""
    exists = " IF NOT EXISTS" if constant(kw.get("if_not_exists")) is True else ""
    using = string(kw.get("postgresql_using"))
    method = f" USING {using}" if using else ""
    where = string(kw.get("postgresql_where"))
    tail = f" WHERE {where}" if where else ""
    return [f"CREATE {unique}INDEX{conc}{exists} {index} ON {table}{method} ({cols}){tail}"]


def _drop_index(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    index = name(_arg(args, kw, 0, "index_name"))
    conc = " CONCURRENTLY" if constant(kw.get("postgresql_concurrently")) is True else ""
    exists = " IF EXISTS" if constant(kw.get("if_exists")) is True else ""
    schema = string(kw.get("schema"))
    qualified = f"{ident(schema)}.{index}" if schema else index
    return [f"DROP INDEX{conc}{exists} {qualified}"]


def _create_fk(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    conname = name(_arg(args, kw, 0, "constraint_name"))
    source = _table(args, kw, 1, "source_table")
    referent = name(_arg(args, kw, 2, "referent_table"))
    local = ", ".join(names(_arg(args, kw, 3, "local_cols")))
    remote = ", ".join(names(_arg(args, kw, 4, "remote_cols")))
    on_delete = string(kw.get("ondelete"))
    tail = f" ON DELETE {on_delete}" if on_delete else ""
    return [
        f"ALTER TABLE {source} ADD CONSTRAINT {conname} FOREIGN KEY ({local}) "
        f"REFERENCES {referent} ({remote}){tail}"
    ]


def _create_check(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    conname = name(_arg(args, kw, 0, "constraint_name"))
    table = _table(args, kw, 1)
    cond = string(_arg(args, kw, 2, "condition")) or "true"
    return [f"ALTER TABLE {table} ADD CONSTRAINT {conname} CHECK ({cond})"]


def _create_unique(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    conname = name(_arg(args, kw, 0, "constraint_name"))
    cols = ", ".join(names(_arg(args, kw, 2, "columns")))
    return [f"ALTER TABLE {_table(args, kw, 1)} ADD CONSTRAINT {conname} UNIQUE ({cols})"]


def _create_pk(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    conname = name(_arg(args, kw, 0, "constraint_name"))
    cols = ", ".join(names(_arg(args, kw, 2, "columns")))
    return [f"ALTER TABLE {_table(args, kw, 1)} ADD CONSTRAINT {conname} PRIMARY KEY ({cols})"]


def _drop_constraint(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    conname = name(_arg(args, kw, 0, "constraint_name"))
    exists = " IF EXISTS" if constant(kw.get("if_exists")) is True else ""
    return [f"ALTER TABLE {_table(args, kw, 1)} DROP CONSTRAINT{exists} {conname}"]


def _execute(args: list[ast.expr], kw: dict[str, ast.expr]) -> list[str]:
    node = _arg(args, kw, 0, "sqltext")
    sql = string(node)
    if not sql or not sql.strip():
        return []
    if _dynamic(node) and not _parses(sql):
        return []  # built at run time (a compiled query, a loop over names): not knowable here
    return [sql]


def _dynamic(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Call) and node.args:
        return _dynamic(node.args[0])
    return isinstance(node, ast.JoinedStr) and any(
        isinstance(v, ast.FormattedValue) and string(v.value) is None for v in node.values
    )


def _parses(sql: str) -> bool:
    try:
        parser.parse_sql_json(sql)
    except parser.ParseError:
        return False
    return True


_OPS: dict[str, Callable[[list[ast.expr], dict[str, ast.expr]], list[str]]] = {
    "add_column": _add_column,
    "drop_column": _drop_column,
    "alter_column": _alter_column,
    "create_table": _create_table,
    "drop_table": _drop_table,
    "rename_table": _rename_table,
    "create_index": _create_index,
    "drop_index": _drop_index,
    "create_foreign_key": _create_fk,
    "create_check_constraint": _create_check,
    "create_unique_constraint": _create_unique,
    "create_primary_key": _create_pk,
    "drop_constraint": _drop_constraint,
    "execute": _execute,
}
