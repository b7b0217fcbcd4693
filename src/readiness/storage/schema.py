"""Is a database at the schema this Readiness needs? Answered without importing Alembic.

Every command opens the stores and must know whether the schema is current; Alembic (and the
Mako and dialect modules it imports) would cost each call a third of a second. The revision
graph is read from the history's files with :mod:`ast` (they are ours and follow Alembic's
layout: ``revision = "..."``, ``down_revision = "..." | None | (...)``), the current revision
with one query on the version table. Alembic runs only when there is something to migrate.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

HERE = Path(__file__).parent
HISTORIES = {
    "state": HERE / "alembic_state",
    "audit": HERE / "alembic_audit",
    "vault": HERE / "alembic_vault",  # the identity vault and security log (audit.privacy)
}
VERSION_TABLES = {
    "state": "readiness_state_version",
    "audit": "readiness_audit_version",
    "vault": "readiness_vault_version",
}


@dataclass(frozen=True)
class History:
    """The revisions of one history: each with the revisions it revises."""

    parents: dict[str, tuple[str, ...]]

    @property
    def heads(self) -> tuple[str, ...]:
        """Revisions nothing revises, sorted."""
        revised = {p for parents in self.parents.values() for p in parents}
        return tuple(sorted(set(self.parents) - revised))


def _literal(node: ast.expr) -> tuple[str, ...]:
    value = ast.literal_eval(node)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _assignments(path: Path) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            found[target.id] = _literal(value)
    return found


@cache
def read_history(kind: str) -> History:
    """The revision graph of the ``state`` or ``audit`` history, from its files."""
    parents: dict[str, tuple[str, ...]] = {}
    for path in sorted((HISTORIES[kind] / "versions").glob("*.py")):
        found = _assignments(path)
        if found.get("revision"):
            parents[found["revision"][0]] = found.get("down_revision", ())
    return History(parents)


def current_revisions(conn: Connection, kind: str) -> tuple[str, ...]:
    """The revisions recorded in the database (empty: never migrated, no Readiness tables)."""
    table = VERSION_TABLES[kind]
    if not sa.inspect(conn).has_table(table):
        return ()
    rows = conn.execute(sa.text(f"SELECT version_num FROM {table}"))  # noqa: S608 - our name
    return tuple(sorted(str(r[0]) for r in rows))
