"""Audit revision 0003_platform_events: the old hash chain's events move into the ledger, in
order, after the chain was verified; the migration is itself an event; the old table stays
read-only (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from readiness.audit.outbox.service import read_events
from readiness.audit.service import GENESIS, event_hash, verify_chain
from readiness.audit.tables import audit_events
from readiness.errors import StorageError
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.sequencer import Sequencer
from readiness.ledger.store import iter_entries
from readiness.ledger.verify import verify_log
from readiness.storage.engine import create_engine_for
from readiness.storage.migrate import current_revision, head_revision, upgrade

ORIGIN = "shop/audit"
AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OLD = [
    ("alice", "token.create", "token:1", {"name": "ci", "role": "writer"}),
    ("ci#1", "tests.quarantine.add", "tests/test_pay.py::test_x[a b]", {"reason": "races"}),
    ("server", "session.login_failed", "session:-", {"reason": "locked"}),
]


@pytest.fixture
def audit(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """An audit database at revision 0002_ledger (before the move)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")
    engine = create_engine_for(url)
    upgrade("audit", engine, "0002_ledger")
    yield engine
    engine.dispose()


def _old_chain(engine: sa.Engine, rows: list[tuple[str, str, str, dict[str, Any]]]) -> list[str]:
    """Write ``rows`` as the old chain did; their hashes."""
    prev, hashes = GENESIS, []
    with engine.begin() as conn:
        for n, (actor, action, target, details) in enumerate(rows):
            at = AT + timedelta(minutes=n)
            digest = event_hash(
                prev, at=at, actor=actor, action=action, target=target, details=details
            )
            conn.execute(
                audit_events.insert().values(
                    at=at,
                    actor=actor,
                    action=action,
                    target=target,
                    details=details,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
            hashes.append(digest)
    return hashes


def _verified(engine: sa.Engine) -> tuple[int, list[str]]:
    report = verify_log(engine, ORIGIN, Ed25519Signer(ORIGIN, bytes(32)).verifier)
    return report.size, report.errors


def test_old_events_become_ledger_entries_in_order_and_the_move_is_recorded(
    audit: sa.Engine,
) -> None:
    hashes = _old_chain(audit, OLD)

    upgrade("audit", audit, audit_origin=ORIGIN)

    events = list(reversed(read_events(audit, ORIGIN, limit=10)))
    assert [
        (e.index, e.actor_id, e.action, e.target_type, e.target_id, e.result) for e in events
    ] == [
        (0, "alice", "token.create", "token", "1", "success"),
        (
            1,
            "token:1",
            "tests.quarantine.add",
            "test",
            "sha256:" + _sha("tests/test_pay.py::test_x[a b]"),
            "success",
        ),
        (2, "server", "session.login_failed", "session", "none", "failure"),
        (3, "readiness", "audit.migration.ledger", "audit_log", ORIGIN, "success"),
    ]
    assert events[1].details == {
        "reason": "races",
        "chain_hash": hashes[1],
        "target": "tests/test_pay.py::test_x[a b]",
    }
    assert events[0].occurred_at == AT
    migration = dict(events[3].details)
    assert migration == {
        "revision": "0003_platform_events",
        "from": "audit_events",
        "events": 3,
        "first_index": 0,
        "last_chain_hash": hashes[2],
    }
    with audit.connect() as conn:
        [first] = [json.loads(e) for _, e, _ in iter_entries(conn, ORIGIN, 0, 1)]
    assert (first["request_id"], first["source"], first["occurred_at"]) == (
        "audit_events:1",
        "readiness",
        "2026-03-01T08:00:00.000Z",
    )
    assert _verified(audit) == (4, [])  # every stored Merkle node is right
    assert verify_chain(audit) == (True, None)  # the old chain stays, as history


def test_old_events_follow_entries_the_log_already_holds(audit: sa.Engine) -> None:
    from readiness._common.clock import FrozenClock

    sequencer = Sequencer(audit, ORIGIN, FrozenClock(AT))
    try:
        sequencer.append([f"application event {n}".encode() for n in range(5)])
    finally:
        sequencer.close()
    _old_chain(audit, OLD)

    upgrade("audit", audit, audit_origin=ORIGIN)

    events = read_events(audit, ORIGIN, limit=10)
    assert [e.index for e in events] == [8, 7, 6, 5]
    assert events[0].details["first_index"] == 5
    assert _verified(audit) == (9, [])


def test_a_broken_old_chain_refuses_the_migration_and_changes_nothing(audit: sa.Engine) -> None:
    _old_chain(audit, OLD)
    with audit.begin() as conn:
        conn.execute(audit_events.update().where(audit_events.c.seq == 2).values(actor="mallory"))

    with pytest.raises(StorageError) as caught:
        upgrade("audit", audit, audit_origin=ORIGIN)

    assert caught.value.message == (
        "the old audit chain (audit_events) breaks at event 2: it was altered after it was "
        "written, and the migration to the ledger refuses to carry an altered history into it; "
        "nothing was changed. `readiness audit verify-chain` shows the break; restore the audit "
        "database from a backup taken before it"
    )
    assert current_revision("audit", audit) == "0002_ledger"
    assert _verified(audit) == (0, [])


def test_old_events_without_a_log_name_refuse_the_migration(audit: sa.Engine) -> None:
    _old_chain(audit, OLD[:1])

    with pytest.raises(StorageError, match="holds 1 event of the old chain to move"):
        upgrade("audit", audit)

    assert current_revision("audit", audit) == "0002_ledger"


def test_an_empty_old_chain_moves_nothing_and_records_nothing(audit: sa.Engine) -> None:
    upgrade("audit", audit)

    assert current_revision("audit", audit) == head_revision("audit")
    assert _verified(audit) == (0, [])


def test_the_old_table_is_read_only_afterwards(audit: sa.Engine) -> None:
    _old_chain(audit, OLD[:1])
    upgrade("audit", audit, audit_origin=ORIGIN)

    for statement in (
        audit_events.update().values(actor="mallory"),
        audit_events.delete(),
        audit_events.insert().values(
            at=AT, actor="x", action="x.y", target="t", details={}, prev_hash="0", hash="0"
        ),
    ):
        with (
            pytest.raises(sa.exc.DBAPIError, match="audit_events is read-only"),
            audit.begin() as conn,
        ):
            conn.execute(statement)
    assert verify_chain(audit) == (True, None)


def test_postgres_revokes_update_delete_and_truncate_of_the_ledger_from_public(
    pg_schema_url: str,
) -> None:
    audit = create_engine_for(pg_schema_url)
    upgrade("audit", audit, "0002_ledger")
    tables = (
        "ledger_entries",
        "ledger_nodes",
        "ledger_checkpoints",
        "ledger_cosignatures",
        "audit_events",
    )
    with audit.begin() as conn:
        for table in tables:
            conn.execute(
                sa.text(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {table} TO PUBLIC")
            )

    upgrade("audit", audit, audit_origin=ORIGIN)

    with audit.connect() as conn:
        granted = {
            (table, privilege): conn.execute(
                sa.text("SELECT has_table_privilege('public', :t, :p)"),
                {"t": table, "p": privilege},
            ).scalar_one()
            for table in tables
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
    audit.dispose()
    assert {key for key, allowed in granted.items() if allowed} == {
        (table, privilege) for table in tables for privilege in ("SELECT", "INSERT")
    }


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:32]
