"""The rule registry and what a rule sees: the statement and the lint state before it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from readiness.migrations.model import Severity, Statement


@dataclass(frozen=True)
class Hit:
    """What a rule reports about one statement (the engine adds position and lock)."""

    message: str
    tables: tuple[str, ...] = ()
    rewrites: bool = False
    rollback_safe: bool = True
    safe_alternative: str | None = None
    lock: str | None = None  # overrides the statement's lock when the rule knows better


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    kinds: tuple[str, ...]  # pglast node names the rule looks at ("*": every statement)
    check: Callable[[Statement, Context], Iterable[Hit]]
    style: bool = False  # style rules also apply to tables created in the same set
    once_per_file: bool = False
    subtypes: frozenset[str] = frozenset()  # ALTER TABLE subcommands it reads (empty: all)


@dataclass
class Check:
    """A CHECK constraint the set added: ``column`` when it is ``CHECK (column IS NOT NULL)``."""

    table: str
    column: str | None
    validated: bool


@dataclass
class Context:
    """The lint state: settings and the schema the earlier statements of the set built."""

    pg_version: int = 15
    runner_transaction: bool = False
    created_tables: set[str] = field(default_factory=set)
    created_indexes: set[str] = field(default_factory=set)
    column_types: dict[tuple[str, str], str] = field(default_factory=dict)
    not_null: set[tuple[str, str]] = field(default_factory=set)
    checks: dict[str, Check] = field(default_factory=dict)
    # per file
    in_transaction: bool = False
    explicit_transaction: bool = False
    lock_timeout: bool = False
    statement_timeout: bool = False
    has_ddl: bool = False

    def is_new(self, table: str) -> bool:
        return table in self.created_tables

    def has_valid_not_null_check(self, table: str, column: str) -> bool:
        return any(
            c.table == table and c.column == column and c.validated for c in self.checks.values()
        )


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: Severity,
    title: str,
    *kinds: str,
    style: bool = False,
    once_per_file: bool = False,
    subtypes: tuple[str, ...] = (),
) -> Callable[[Callable[[Statement, Context], Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
    """Register a rule: ``@rule("drop-column", Severity.ERROR, "...", "AlterTableStmt")``."""

    def register(
        fn: Callable[[Statement, Context], Iterable[Hit]],
    ) -> Callable[[Statement, Context], Iterable[Hit]]:
        RULES[rule_id] = Rule(
            rule_id, severity, title, kinds or ("*",), fn, style, once_per_file, frozenset(subtypes)
        )
        return fn

    return register


def relname(rel: dict[str, Any] | None) -> str:
    """``{"schemaname": "s", "relname": "t"}`` -> ``t`` (schemas are not told apart)."""
    if not rel:
        return "?"
    return str(rel.get("relname", "?"))


def cmds(stmt: Statement) -> Iterator[dict[str, Any]]:
    """The ``AlterTableCmd`` bodies of an ALTER TABLE statement."""
    if stmt.kind != "AlterTableStmt":
        return
    for cmd in stmt.body.get("cmds", []):
        body = cmd.get("AlterTableCmd")
        if body is not None:
            yield body


def table_of(stmt: Statement) -> str:
    return relname(stmt.body.get("relation"))


def constraints(column_def: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["Constraint"] for c in column_def.get("constraints", []) if "Constraint" in c]


def type_name(type_node: dict[str, Any] | None) -> str:
    """A ``TypeName`` as text: ``int4``, ``varchar(20)``, ``numeric(10,2)``, ``text[]``."""
    if not type_node:
        return "?"
    parts = [n["String"]["sval"] for n in type_node.get("names", []) if "String" in n]
    base = parts[-1] if parts else "?"
    mods = []
    for mod in type_node.get("typmods", []):
        const = mod.get("A_Const", {})
        if "ival" in const:
            mods.append(str(const["ival"].get("ival", 0)))
    text = base + (f"({','.join(mods)})" if mods else "")
    if type_node.get("arrayBounds"):
        text += "[]"
    return text


def base_type(type_text: str) -> str:
    return type_text.split("(", maxsplit=1)[0].rstrip("[]")


_PRETTY = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
}


def pretty_type(type_text: str) -> str:
    """``int8`` -> ``bigint``: the name a person writes."""
    base = base_type(type_text)
    return _PRETTY.get(base, base) + type_text[len(base) :] if base in _PRETTY else type_text
