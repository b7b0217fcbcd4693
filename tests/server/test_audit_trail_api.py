"""/api/v1/audit/trail: search pages, timelines with as-of, streamed exports; each read audited."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest

from readiness.audit.query.export import verify_rows
from readiness.audit.trail import append_events, open_ledger
from readiness.config import Settings
from readiness.ledger import store
from tests.audit.query.conftest import event


@pytest.fixture
def trail(server: Any, settings: Settings) -> Any:
    ledger = open_ledger(settings, server.stores.audit, server.clock)
    try:
        append_events(
            ledger,
            server.stores.audit,
            [
                event(0, target_id="inv_9", after={"amount": 1}),
                event(1, target_id="inv_9", before={"amount": 1}, after={"amount": 2}),
                event(2),
                event(3),
            ],
        )
        yield ledger
    finally:
        ledger.close()


def newest(server: Any, settings: Settings) -> dict[str, Any]:
    with server.stores.audit.connect() as conn:
        size = store.stored_size(conn, settings.audit_origin)
        [(_, entry, _)] = store.iter_entries(conn, settings.audit_origin, size - 1, size)
    return dict(json.loads(entry))


def test_a_search_pages_newest_first_and_is_audited(
    server: Any, trail: Any, settings: Settings
) -> None:
    auditor = server.auth("auditor")
    first = server.client.get("/api/v1/audit/trail?limit=3", headers=auditor).json()
    assert [e["leaf_index"] for e in first["events"]] == [3, 2, 1]
    second = server.client.get(
        f"/api/v1/audit/trail?limit=3&cursor={first['next_cursor']}", headers=auditor
    ).json()
    # The first search's own audit event is newer than the cursor: it is not on page two.
    assert ([e["leaf_index"] for e in second["events"]], second["next_cursor"]) == ([0], None)
    recorded = newest(server, settings)
    assert {k: recorded[k] for k in ("actor_id", "actor_type", "action", "source", "after")} == {
        "actor_id": "tok_4",
        "actor_type": "service",
        "action": "audit.query",
        "source": "api",
        "after": {
            "query": "search",
            "filters": {"limit": 3, "cursor": first["next_cursor"]},
            "returned": 1,
        },
    }


def test_filters_are_applied(server: Any, trail: Any) -> None:
    found = server.client.get(
        "/api/v1/audit/trail?actor=usr_1&action=invoice.*", headers=server.auth("auditor")
    ).json()
    assert [e["leaf_index"] for e in found["events"]] == [1]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (
            "since=2026-02-30",
            400,
            "since: '2026-02-30' is not a date (2026-04-10) or a time with a zone "
            "(2026-04-10T14:23:01Z)",
        ),
        (
            "target_id=inv_1",
            400,
            "target_id: give target_type too (an id is unique only within its type)",
        ),
        ("cursor=abc", 400, "cursor: 'abc' is not a cursor this query returned (next_cursor)"),
    ],
)
def test_bad_filters_are_400_in_the_error_shape(
    server: Any, query: str, status: int, message: str
) -> None:
    response = server.client.get(f"/api/v1/audit/trail?{query}", headers=server.auth("auditor"))
    assert (response.status_code, response.json()["error"]["code"]) == (status, "invalid_input")
    assert response.json()["error"]["message"] == message


def test_a_limit_out_of_range_is_422(server: Any) -> None:
    response = server.client.get("/api/v1/audit/trail?limit=1001", headers=server.auth("auditor"))
    assert response.status_code == 422


def test_a_timeline_with_as_of_gives_the_state_then(server: Any, trail: Any) -> None:
    body = server.client.get(
        "/api/v1/audit/trail/timeline/invoice/inv_9?as_of=2026-01-01T00:30:00Z",
        headers=server.auth("auditor"),
    ).json()
    assert [e["leaf_index"] for e in body["events"]] == [0]
    assert (body["as_of"]["exists"], body["as_of"]["state"]) == (True, {"amount": 1})
    full = server.client.get(
        "/api/v1/audit/trail/timeline/invoice/inv_9", headers=server.auth("auditor")
    ).json()
    assert ([e["leaf_index"] for e in full["events"]], full["as_of"]) == ([0, 1], None)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_export_streams_rows_that_verify_with_the_public_key(
    server: Any, trail: Any, fmt: str
) -> None:
    response = server.client.get(
        f"/api/v1/audit/trail/export?format={fmt}&target_type=invoice&target_id=inv_9",
        headers=server.auth("auditor"),
    )
    assert response.status_code == 200, response.text[:300]
    note = base64.b64decode(response.headers["Readiness-Checkpoint"]).decode()
    if fmt == "jsonl":
        lines = response.content.splitlines()
        assert json.loads(lines[0])["checkpoint"] == note
        rows = [json.loads(line) for line in lines[1:]]
    elif fmt == "csv":
        import csv

        rows = list(csv.DictReader(io.StringIO(response.text)))
        for row in rows:
            row["path"] = row["path"].split()
            row.update({k: None for k, v in row.items() if v == ""})
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(io.BytesIO(response.content)).to_pylist()
    check = verify_rows(note, rows, trail.verifier.vkey)
    assert (check.rows, check.tree_size, response.headers["Readiness-Rows"]) == (2, 4, "2")


def test_an_unknown_export_format_is_422(server: Any) -> None:
    response = server.client.get(
        "/api/v1/audit/trail/export?format=xml", headers=server.auth("auditor")
    )
    assert response.status_code == 422


def test_search_and_export_through_the_api_on_both_databases(
    backend_settings: Settings, clock: Any
) -> None:
    from starlette.testclient import TestClient

    from readiness.auth.service import TokenService
    from readiness.plugins.manager import builtin_plugin_manager
    from readiness.server.app import create_app
    from readiness.storage import open_stores

    stores = open_stores(backend_settings, upgrade=True)
    try:
        token = TokenService(stores=stores, clock=clock, actor="setup").create(
            name="auditor-bot", role="auditor"
        )[0]
        ledger = open_ledger(backend_settings, stores.audit, clock)
        try:
            append_events(ledger, stores.audit, [event(n) for n in range(5)])
        finally:
            ledger.close()
        app = create_app(backend_settings, stores=stores, clock=clock, pm=builtin_plugin_manager())
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app, raise_server_exceptions=False) as client:
            found = client.get("/api/v1/audit/trail?actor=usr_2", headers=headers).json()
            exported = client.get(
                "/api/v1/audit/trail/export?format=jsonl&actor=usr_2", headers=headers
            )
        assert [e["leaf_index"] for e in found["events"]] == [2]
        lines = exported.content.splitlines()
        rows = [json.loads(line) for line in lines[1:]]
        check = verify_rows(json.loads(lines[0])["checkpoint"], rows, ledger.verifier.vkey)
        assert (check.rows, check.tree_size) == (1, 6)
    finally:
        stores.dispose()
