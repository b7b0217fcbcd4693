"""Every read of the audit trail is itself audited, before it returns (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from readiness.audit.query.core import make_filters, parse_time
from readiness.audit.query.service import pseudonymous_actor
from readiness.errors import LedgerError
from readiness.ledger import store
from tests.audit.query.conftest import Trail, event


def last_entry(trail: Trail) -> dict[str, Any]:
    with trail.engine.connect() as conn:
        size = store.stored_size(conn, trail.origin)
        [(_, entry, _)] = list(store.iter_entries(conn, trail.origin, size - 1, size))
    return dict(json.loads(entry))


def test_a_query_appends_who_asked_what_and_how_many_before_returning(trail: Trail) -> None:
    trail.append([event(n, after={"amount": 4321}) for n in range(6)])
    page = trail.reader(actor="auditor_7").query(make_filters(actor_id="usr_1", limit=5))
    assert len(page.hits) == 2
    assert last_entry(trail) == {
        "actor_id": "auditor_7",
        "actor_type": "user",
        "action": "audit.query",
        "target_type": "audit_trail",
        "target_id": trail.origin,
        "after": {
            "query": "search",
            "filters": {"actor_id": "usr_1", "limit": 5},
            "returned": 2,
        },
        "result": "success",
        "source": "cli",
        "occurred_at": "2027-01-01T00:00:00.000000Z",
    }


def test_the_audit_event_of_a_read_never_holds_the_data_returned(trail: Trail) -> None:
    trail.append([event(0, after={"amount": 4321})])
    trail.reader().query(make_filters())
    with trail.engine.connect() as conn:
        [(_, entry, _)] = list(store.iter_entries(conn, trail.origin, 1, 2))
    assert b"4321" not in entry
    assert b"inv_0" not in entry


def test_a_read_whose_audit_event_cannot_be_written_fails(
    trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail.append([event(0)])

    def refuse(entries: object) -> list[int]:
        raise LedgerError("the audit database refused the write")

    monkeypatch.setattr(trail.ledger, "append", refuse)
    with pytest.raises(LedgerError, match="refused the write"):
        trail.reader().query(make_filters())


def test_a_timeline_is_audited_with_its_target_and_time(trail: Trail) -> None:
    trail.append(
        [
            event(0, target_id="inv_9", after={"amount": 1, "status": "draft"}),
            event(1, target_id="inv_9", before={"amount": 1}, after={"amount": 2}),
            event(2, target_id="inv_9", before={"amount": 2, "status": "draft"}),
        ]
    )
    found = trail.reader().timeline("invoice", "inv_9", as_of=parse_time("2026-01-01T01:30Z", "t"))
    assert [h.leaf_index for h in found.hits] == [0, 1]
    assert found.as_of is not None
    assert (found.as_of.exists, found.as_of.state) == (True, {"amount": 2, "status": "draft"})
    assert last_entry(trail)["after"] == {
        "query": "timeline",
        "filters": {
            "target_type": "invoice",
            "target_id": "inv_9",
            "as_of": "2026-01-01T01:30:00.000000Z",
        },
        "returned": 2,
    }


def test_an_export_is_audited_before_its_rows_are_read(trail: Trail) -> None:
    trail.append([event(n) for n in range(4)])
    prepared = trail.reader().export(make_filters(action="invoice.update", limit=10), "csv")
    assert last_entry(trail)["action"] == "audit.export"
    assert last_entry(trail)["after"] == {
        "format": "csv",
        "filters": {"action": "invoice.update", "limit": 10},
        "returned": 2,
        "tree_size": 4,
    }
    assert [row["leaf_index"] for row in prepared.rows()] == [3, 1]


def test_reads_are_themselves_found_by_queries(trail: Trail) -> None:
    trail.append([event(0)])
    reader = trail.reader(actor="auditor_1")
    reader.query(make_filters())
    page = reader.query(make_filters(action="audit.*"))
    assert [(h.leaf_index, h.event["action"]) for h in page.hits] == [(1, "audit.query")]


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("alice@example.com", "actor_ff8d9819fc0e12bf"), ("ops team#4", "ops_team_4"), ("_x", "a_x")],
)
def test_an_actor_is_recorded_as_an_id_never_as_an_address(actor: str, expected: str) -> None:
    assert pseudonymous_actor(actor) == expected


def test_a_truncated_timeline_still_folds_every_event_into_the_state(trail: Trail) -> None:
    trail.append(
        [
            event(0, target_id="inv_9", after={"amount": 1}),
            event(1, target_id="inv_9", after={"amount": 2}),
            event(2, target_id="inv_9", after={"status": "paid"}),
        ]
    )
    found = trail.reader().timeline("invoice", "inv_9", reconstruct=True, limit=1)
    assert ([h.leaf_index for h in found.hits], found.truncated) == ([0], True)
    assert found.as_of is not None
    assert found.as_of.state == {"amount": 2, "status": "paid"}
    assert last_entry(trail)["after"]["returned"] == 1
