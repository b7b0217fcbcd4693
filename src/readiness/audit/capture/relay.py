"""Relay captured changes from the application's capture table into the ledger, exactly once.

For each batch: the rows are *claimed* in the audit database (``audit_capture_relay``: capture
id, the leaf hash of the entry, the log size before), then appended, then *confirmed* with their
leaf indices. A relay that stops between claim and confirm finds, on its next run, each claimed
entry by its leaf hash among the entries appended since ``size_before``: present, it is
confirmed; absent, it is appended. Events are built from the capture rows deterministically, so
a rebuilt entry has the bytes of the first one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from readiness.audit.capture.context import safe_id
from readiness.audit.capture.triggers import CAPTURE_TABLE, capture_rows
from readiness.audit.events import entry_bytes, validate_event
from readiness.errors import InputError
from readiness.ledger import store
from readiness.ledger.core.merkle import leaf_hash
from readiness.storage.metadata import audit_metadata

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.engine import Engine

    from readiness.ledger.service import LedgerService

BATCH = 500
_NAME = re.compile(r"[^a-z0-9_]+")

relay_rows = sa.Table(
    "audit_capture_relay",
    audit_metadata,
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("capture_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("size_before", sa.BigInteger(), nullable=False),
    sa.Column("leaf_index", sa.BigInteger(), nullable=True),
)


@dataclass(frozen=True)
class RelayResult:
    """What one run did: entries appended, and claimed entries found already in the ledger."""

    appended: int
    already: int

    def as_dict(self) -> dict[str, int]:
        return {"appended": self.appended, "already": self.already}


def _name(value: str) -> str:
    name = _NAME.sub("_", value.lower()).strip("_") or "table"
    return name if name[0].isalpha() else f"t_{name}"


def _at(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}Z"


def capture_event(row: Mapping[str, Any]) -> dict[str, Any]:
    """The audit event of one capture row (validated): ``<table>.<operation>`` by the actor the
    transaction named, else by the database role (``db:<role>``, actor type ``db_role``)."""
    table = _name(str(row["table_name"]))
    actor = row["actor_id"] or f"db:{row['db_user'] or 'unknown'}"
    event: dict[str, Any] = {
        "actor_id": safe_id(str(actor)),
        "actor_type": _name(
            str(row["actor_type"] or ("db_role" if not row["actor_id"] else "user"))
        ),
        "action": f"{table}.{_name(str(row['operation']))}",
        "target_type": table,
        "target_id": safe_id(str(row["row_key"])) if row["row_key"] is not None else "table",
        "result": "success",
        "occurred_at": _at(row["captured_at"]),
        "source": "db_trigger" if row["via"] == "trigger" else "orm",
        "before": row["before"],
        "after": row["after"],
    }
    for name in ("request_id", "trace_id", "session_id"):
        if row[name]:
            event[name] = safe_id(str(row[name]))
    return validate_event(event)


def source_name(engine: Engine) -> str:
    """The application database as the relay names it (never with its password)."""
    url = engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{url.database or ''}"[:200]
    port = f":{url.port}" if url.port else ""
    return f"{backend}://{url.host or ''}{port}/{url.database or ''}"[:200]


def _entries(source: Engine, ids: list[int] | None, after: int) -> list[tuple[int, bytes]]:
    query = sa.select(capture_rows).order_by(capture_rows.c.id)
    if ids is not None:
        query = query.where(capture_rows.c.id.in_(ids))
    else:
        query = query.where(capture_rows.c.id > after).limit(BATCH)
    with source.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [(int(r["id"]), entry_bytes(capture_event(dict(r)))) for r in rows]


def _pending(audit: Engine, ledger: LedgerService, name: str) -> tuple[list[int], int]:
    """Confirm claimed entries already in the ledger; the ids still to append, and how many
    were found."""
    with audit.connect() as conn:
        claimed = conn.execute(
            sa.select(relay_rows.c.capture_id, relay_rows.c.leaf_hash, relay_rows.c.size_before)
            .where(relay_rows.c.source == name, relay_rows.c.leaf_index.is_(None))
            .order_by(relay_rows.c.capture_id)
        ).all()
        if not claimed:
            return [], 0
        start = min(int(c.size_before) for c in claimed)
        where = {value: index for index, _, value in store.iter_entries(conn, ledger.origin, start)}
    found = {
        int(c.capture_id): where[bytes(c.leaf_hash)] for c in claimed if bytes(c.leaf_hash) in where
    }
    _confirm(audit, name, found)
    return [int(c.capture_id) for c in claimed if int(c.capture_id) not in found], len(found)


def _claim(audit: Engine, name: str, entries: list[tuple[int, bytes]], size: int) -> None:
    with audit.begin() as conn:
        conn.execute(
            relay_rows.delete().where(
                relay_rows.c.source == name,
                relay_rows.c.capture_id.in_([i for i, _ in entries]),
                relay_rows.c.leaf_index.is_(None),
            )
        )
        conn.execute(
            relay_rows.insert(),
            [
                {"source": name, "capture_id": i, "leaf_hash": leaf_hash(e), "size_before": size}
                for i, e in entries
            ],
        )


def _confirm(audit: Engine, name: str, indices: Mapping[int, int]) -> None:
    if not indices:
        return
    with audit.begin() as conn:
        for capture_id, index in indices.items():
            conn.execute(
                relay_rows.update()
                .where(relay_rows.c.source == name, relay_rows.c.capture_id == capture_id)
                .values(leaf_index=index)
            )


def relay(source: Engine, audit: Engine, ledger: LedgerService) -> RelayResult:
    """Append every captured change not yet in the ledger; safe to re-run after a crash."""
    name = source_name(source)
    if not sa.inspect(source).has_table(CAPTURE_TABLE):
        raise InputError(
            f"{name} has no {CAPTURE_TABLE} table: run `readiness audit capture "
            "install-triggers` (PostgreSQL) or ensure_capture_table() (ORM capture) first"
        )
    retry, already = _pending(audit, ledger, name)
    appended = 0
    batch = _entries(source, retry, 0) if retry else []
    while True:
        if not batch:
            with audit.connect() as conn:
                last = conn.scalar(
                    sa.select(sa.func.max(relay_rows.c.capture_id)).where(
                        relay_rows.c.source == name
                    )
                )
            batch = _entries(source, None, int(last or 0))
            if not batch:
                return RelayResult(appended, already)
        _claim(audit, name, batch, ledger.size())
        indices = ledger.append([e for _, e in batch])
        _confirm(audit, name, dict(zip([i for i, _ in batch], indices, strict=True)))
        appended += len(batch)
        batch = []
