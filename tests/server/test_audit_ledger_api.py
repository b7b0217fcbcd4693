"""The ledger over HTTP: batch ingest (all or none), proofs that verify, checkpoints, the public
checkpoint, the /audit page, and refusals recorded as ``authz_fail``.

The platform's own audit events share the ledger: the ``server`` fixture's tokens and test run
are in it before a test starts, each batch ingest is followed by an ``audit.append`` event, each
checkpoint by an ``audit.checkpoint`` event and each audited read by an ``audit.read`` event. So
leaf indices and sizes are asserted relative to the log's size when the test starts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from readiness.audit.events import entry_bytes, validate_event
from readiness.audit.service import list_events
from readiness.ledger import store
from readiness.ledger.core.merkle import leaf_hash, verify_consistency, verify_inclusion
from tests.audittrail.test_verification_schedule import EVENT
from tests.server.conftest import Server

API = "/api/v1/audit"


def events(n: int) -> list[dict[str, Any]]:
    return [{**EVENT, "target_id": f"inv_{i}"} for i in range(n)]


def size(server: Server) -> int:
    """The number of leaves in the server's audit ledger now."""
    with server.stores.audit.connect() as conn:
        return store.stored_size(conn, server.app.state.settings.audit_origin)


def ingest(server: Server, body: Any) -> Any:
    headers = {**server.auth("writer"), **body.pop("headers", {})}
    return server.client.post(f"{API}/trail/events", headers=headers, **body)


def test_a_json_array_and_json_lines_are_appended_with_their_leaf_indices(server: Server) -> None:
    base = size(server)
    first = ingest(server, {"json": events(3)})
    lines = "\n".join(json.dumps(e) for e in events(2)) + "\n"
    second = ingest(
        server,
        {
            "content": lines,
            "headers": {**server.auth("writer"), "Content-Type": "application/x-ndjson"},
        },
    )
    # the size reported is the tree's right after the batch; its audit.append event follows
    assert first.json() == {
        "appended": 3,
        "leaf_indices": [base, base + 1, base + 2],
        "size": base + 3,
    }
    assert second.status_code == 200, second.text
    assert second.json() == {
        "appended": 2,
        "leaf_indices": [base + 4, base + 5],
        "size": base + 6,
    }
    assert size(server) == base + 7


def test_one_invalid_event_refuses_the_whole_batch(server: Server) -> None:
    base = size(server)
    bad = [*events(2), {**EVENT, "actor_type": "Not A Name"}]
    response = ingest(server, {"json": bad})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("event 3: actor_type: ")
    assert size(server) == base  # nothing was appended, not even an audit.append event
    assert ingest(server, {"json": events(1)}).json()["leaf_indices"] == [base]


@pytest.mark.parametrize("source", ["readiness", "readiness.api"])
def test_an_event_claiming_the_platforms_source_is_a_422_and_nothing_is_appended(
    server: Server, source: str
) -> None:
    base = size(server)
    response = ingest(server, {"json": [*events(1), {**EVENT, "source": source}]})

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid_input",
        "message": f"event 2: source: {source!r} is reserved for Readiness's own events; name "
        'your application instead (e.g. "clinical_dashboard"); nothing was appended',
        "details": {"field": "source", "event": 2},
    }
    assert size(server) == base
    assert ingest(server, {"json": [{**EVENT, "source": "readiness_app"}]}).status_code == 200


def test_a_body_that_is_not_json_is_a_400_in_the_one_error_shape(server: Server) -> None:
    response = server.client.post(
        f"{API}/trail/events", content=b"[1, 2", headers=server.auth("writer")
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert ingest(server, {"json": []}).json()["error"]["message"] == (
        "no events: give a JSON array of event objects"
    )


def test_proofs_verify_against_the_roots_and_the_signed_checkpoints(server: Server) -> None:
    auditor = server.auth("auditor")
    base = size(server)
    batch = events(7)
    ingest(server, {"json": batch})  # leaves base..base+6, then its audit.append at base+7
    index = base + 3  # batch[3]
    assert server.client.get(f"{API}/proofs/inclusion/{index}", headers=auditor).status_code == 404
    # a proof that is not found is no read: the checkpoint covers the batch and its audit.append
    first = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()
    assert first["size"] == base + 8

    proof = server.client.get(f"{API}/proofs/inclusion/{index}", headers=auditor).json()
    assert proof["tree_size"] == first["size"]
    assert proof["checkpoint"] == first["note"]
    leaf = leaf_hash(entry_bytes(validate_event(batch[3])))
    assert proof["leaf_hash"] == leaf.hex()
    verify_inclusion(
        index,
        first["size"],
        leaf,
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(first["root"]),
    )

    # audit.checkpoint (base+8) and the proof's audit.read (base+9) are covered by the next one
    second = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()
    assert second["size"] == base + 10
    old, new = first["size"], second["size"]
    c = server.client.get(f"{API}/proofs/consistency?old={old}&new={new}", headers=auditor).json()
    assert (c["old_root"], c["new_root"]) == (first["root"], second["root"])
    verify_consistency(
        old,
        new,
        bytes.fromhex(c["old_root"]),
        bytes.fromhex(c["new_root"]),
        [bytes.fromhex(h) for h in c["path"]],
    )
    bad = server.client.get(f"{API}/proofs/consistency?old={new}&new={old}", headers=auditor)
    assert (bad.status_code, bad.json()["error"]["message"]) == (
        400,
        f"old ({new}) is larger than new ({old})",
    )


def test_checkpoints_are_listed_newest_first_and_served_as_text(server: Server) -> None:
    base = size(server)
    ingest(server, {"json": events(2)})  # base, base+1, then audit.append
    older = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()
    ingest(server, {"json": events(1)})  # after audit.checkpoint: base+4, then audit.append
    latest = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()
    assert (older["size"], latest["size"]) == (base + 3, base + 6)

    listed = server.client.get(f"{API}/checkpoints", headers=server.auth("auditor")).json()
    # the log also holds the second audit.checkpoint event and this read's audit.read event
    assert listed["size"] == base + 8
    assert [c["size"] for c in listed["checkpoints"]] == [base + 6, base + 3]
    assert listed["checkpoints"][0]["note"] == latest["note"]
    assert listed["checkpoints"][0]["cosignatures"] == []
    public = server.client.get("/audit/checkpoint", headers=server.auth("reader"))
    assert public.headers["content-type"] == "text/plain; charset=utf-8"
    assert public.text == latest["note"]


def test_reading_without_the_auditor_role_is_refused_and_recorded(server: Server) -> None:
    refused = server.client.get(f"{API}/checkpoints", headers=server.auth("writer"))
    assert refused.status_code == 403
    [event] = list_events(server.stores, limit=1, action_prefix="authz_fail")
    assert (event.actor_id, event.action, event.target, event.result) == (
        "token:2",
        "authz_fail",
        "api_route:GET:/api/v1/audit/checkpoints",
        "denied",
    )
    assert event.details == {"role": "writer", "required": "auditor", "via": "token"}
    page = server.client.get("/audit", headers=server.auth("reader"))
    assert page.status_code == 403
    assert (
        list_events(server.stores, limit=1, action_prefix="authz_fail")[0].target
        == "api_route:GET:/audit"
    )


def test_every_read_is_recorded(server: Server) -> None:
    server.client.get(f"{API}/verification/runs", headers=server.auth("auditor"))
    [event] = list_events(server.stores, limit=1, action_prefix="audit.read")
    assert (event.action, event.target, event.details) == (
        "audit.read",
        "audit_log:audit_verification_runs",
        {"limit": 50, "returned": 0},
    )


def test_the_audit_page_shows_missing_evidence_then_the_verified_status(server: Server) -> None:
    from readiness.audit.verification.service import verify_and_record

    auditor = server.auth("auditor")
    base = size(server)  # the fixture's platform events: the log is not empty, but unverified
    empty = server.client.get("/audit", headers=auditor)  # read after the facts, at base
    assert empty.status_code == 200
    assert f"The audit trail ({base} events) was never verified." in empty.text
    assert "No verification runs yet." in empty.text
    assert "No signed checkpoints yet." in empty.text
    assert 'href="/audit/search"' in empty.text

    ingest(server, {"json": events(4)})  # base+1..base+4, then audit.append at base+5
    checkpoint = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()
    assert checkpoint["size"] == base + 6  # then audit.checkpoint at base+6
    verify_and_record(server.app.state.settings, server.stores.audit, server.clock, trigger="api")
    page = server.client.get("/audit", headers=auditor)
    assert (
        f"The audit trail verified under a minute ago ({base + 7} events); a checkpoint covers "
        f"{base + 6} of {base + 7} events; the 1 newer event is within the 2.0 days allowed "
        "before the next checkpoint."
    ) in page.text
    assert '<span class="badge status-healthy">verified</span>' in page.text
    runs = server.client.get(f"{API}/verification/runs", headers=auditor).json()
    assert [(r["size"], r["verified"], r["trigger"]) for r in runs] == [(base + 7, True, "api")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'[{"a": 1, "a": 2}]', "the body is not a JSON array (the key 'a' appears twice)"),
        (b"[NaN]", "the body is not a JSON array (NaN is not JSON)"),
        (b"[1]", "event 1: event: must be a JSON object (got a number)"),
        (b"[\xff]", "the body is not UTF-8 (byte 1)"),
        (b"{}\n", "line 1: actor_id: is required"),
        (b"\n\x00", "line 2: line: holds a NUL byte"),
        (b"   \n", "no events: give one JSON object per line"),
    ],
)
def test_hostile_bodies_are_400_with_one_message_and_append_nothing(
    server: Server, body: bytes, message: str
) -> None:
    base = size(server)
    response = server.client.post(
        f"{API}/trail/events", content=body, headers=server.auth("writer")
    )
    assert (response.status_code, response.json()["error"]["message"]) == (400, message)
    assert size(server) == base
    assert ingest(server, {"json": events(1)}).json()["leaf_indices"] == [base]


def test_a_body_over_one_mebibyte_is_413(server: Server) -> None:
    body = json.dumps(events(1) * 6000).encode()
    assert len(body) > 1 << 20
    response = server.client.post(
        f"{API}/trail/events", content=body, headers=server.auth("writer")
    )
    assert response.status_code == 413


def test_the_audit_page_says_why_the_trail_is_not_verified(server: Server) -> None:
    from datetime import timedelta

    from readiness.audit.verification.store import insert_run

    settings = server.app.state.settings
    base = size(server)
    ingest(server, {"json": events(3)})  # base..base+2, then audit.append at base+3
    checkpoint = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()
    assert checkpoint["size"] == base + 4
    # audit.checkpoint at base+4, the event at base+5 and its audit.append at base+6
    ingest(server, {"json": events(1)})
    assert size(server) == base + 7
    # the events after the checkpoint wait longer than the 48h audit.verified_max_age allows
    server.clock.advance(timedelta(days=3))
    now = server.clock.now()
    error = "entry 2: stored leaf hash differs from the entry's hash"
    insert_run(
        server.stores.audit,
        settings.audit_origin,
        now - timedelta(days=3),
        now,
        base + 7,
        2,
        [error],
        "schedule",
    )

    page = server.client.get("/audit", headers=server.auth("auditor")).text

    assert '<span class="badge status-broken">not verified</span>' in page
    assert "The audit trail is not verified:</p>" in page
    assert (
        "<li>the latest verification (2026-03-13 09:30 UTC) failed with 1 error; the first: "
        "entry 2: stored leaf hash differs from the entry&#39;s hash</li>"
    ) in page
    assert (
        f"<li>3 events are not covered by a checkpoint (the newest covers {base + 4} of "
        f"{base + 7}), the oldest for 3.0 days, longer than the 2.0 days allowed</li>"
    ) in page
    assert "failed</span> 1 error</td>" in page
