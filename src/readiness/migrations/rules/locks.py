"""PostgreSQL 15 lock modes per statement (measured; used as facts) and expression facts."""

from __future__ import annotations

from typing import Any

from readiness.migrations.model import Statement
from readiness.migrations.rules.base import cmds, relname

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE = "SHARE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
_STRENGTH = {
    None: 0,
    SHARE_UPDATE_EXCLUSIVE: 1,
    SHARE: 2,
    SHARE_ROW_EXCLUSIVE: 3,
    ACCESS_EXCLUSIVE: 4,
}

_CMD_LOCKS = {
    "AT_ValidateConstraint": SHARE_UPDATE_EXCLUSIVE,
    "AT_AttachPartition": SHARE_UPDATE_EXCLUSIVE,
    "AT_SetStatistics": SHARE_UPDATE_EXCLUSIVE,
    "AT_EnableTrig": SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrig": SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigAll": SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigAll": SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigUser": SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigUser": SHARE_ROW_EXCLUSIVE,
}


def stronger(a: str | None, b: str | None) -> str | None:
    return a if _STRENGTH[a] >= _STRENGTH[b] else b


def takes_blocking_lock(lock: str | None) -> bool:
    """SHARE and above block writes (ACCESS EXCLUSIVE blocks reads too)."""
    return _STRENGTH[lock] >= _STRENGTH[SHARE]


def _cmd_lock(cmd: dict[str, Any]) -> str:
    subtype = cmd.get("subtype", "")
    if subtype == "AT_AddConstraint":
        con = cmd.get("def", {}).get("Constraint", {})
        if con.get("contype") == "CONSTR_FOREIGN":
            return SHARE_ROW_EXCLUSIVE
    if subtype == "AT_DetachPartition":
        part = cmd.get("def", {}).get("PartitionCmd", {})
        return SHARE_UPDATE_EXCLUSIVE if part.get("concurrent") else ACCESS_EXCLUSIVE
    return _CMD_LOCKS.get(subtype, ACCESS_EXCLUSIVE)


def statement_lock(stmt: Statement) -> str | None:  # noqa: PLR0911 - one per kind
    """The strongest lock ``stmt`` takes on an existing relation (None: no table lock)."""
    kind, body = stmt.kind, stmt.body
    if kind == "AlterTableStmt":
        lock: str | None = None
        for cmd in cmds(stmt):
            lock = stronger(lock, _cmd_lock(cmd))
        return lock
    if kind == "IndexStmt":
        return SHARE_UPDATE_EXCLUSIVE if body.get("concurrent") else SHARE
    if kind == "DropStmt":
        if body.get("removeType") == "OBJECT_INDEX" and body.get("concurrent"):
            return SHARE_UPDATE_EXCLUSIVE
        return ACCESS_EXCLUSIVE
    if kind == "ReindexStmt":
        return SHARE_UPDATE_EXCLUSIVE if is_concurrent_reindex(body) else SHARE
    if kind in {"RenameStmt", "TruncateStmt", "ClusterStmt"}:
        return ACCESS_EXCLUSIVE
    if kind == "VacuumStmt" and any(_option(o) == "full" for o in body.get("options", [])):
        return ACCESS_EXCLUSIVE
    if kind == "CreateTrigStmt":
        return SHARE_ROW_EXCLUSIVE
    return None


def _option(opt: dict[str, Any]) -> str:
    return str(opt.get("DefElem", {}).get("defname", ""))


def is_concurrent_reindex(body: dict[str, Any]) -> bool:
    return any(_option(o) == "concurrently" for o in body.get("params", []))


def statement_tables(stmt: Statement) -> tuple[str, ...]:
    body = stmt.body
    if "relation" in body:
        return (relname(body["relation"]),)
    if stmt.kind == "TruncateStmt":
        return tuple(relname(r.get("RangeVar")) for r in body.get("relations", []))
    return ()


# Functions whose value is fixed per statement (a default using them is stored, not computed
# per row, on PostgreSQL 11+): STABLE or IMMUTABLE built-ins seen in migrations.
NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "current_timestamp",
        "transaction_timestamp",
        "statement_timestamp",
        "current_date",
        "localtimestamp",
        "current_user",
        "lower",
        "upper",
        "to_timestamp",
        "make_interval",
        "jsonb_build_object",
        "json_build_object",
        "array",
    }
)


def is_volatile(expr: dict[str, Any] | None) -> bool:  # noqa: PLR0911 - one per node kind
    """Whether a DEFAULT expression is (or may be) volatile: computed per row, rewriting."""
    if not expr:
        return False
    kind = next(iter(expr))
    body = expr[kind]
    if kind in {"A_Const", "SQLValueFunction", "ColumnRef"}:
        return False
    if kind == "TypeCast":
        return is_volatile(body.get("arg"))
    if kind == "FuncCall":
        names = [n["String"]["sval"] for n in body.get("funcname", []) if "String" in n]
        if not names or names[-1].lower() not in NON_VOLATILE_FUNCTIONS:
            return True
        return any(is_volatile(a) for a in body.get("args", []))
    if kind in {"A_Expr", "BoolExpr"}:
        parts = [body.get("lexpr"), body.get("rexpr"), *body.get("args", [])]
        return any(is_volatile(p) for p in parts if isinstance(p, dict))
    if kind == "A_ArrayExpr":
        return any(is_volatile(e) for e in body.get("elements", []))
    return True
