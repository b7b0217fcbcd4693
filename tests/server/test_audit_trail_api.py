"""/api/v1/audit/trail: search pages, timelines with as-of, streamed exports; each read audited.

The platform's own audit events share the ledger: the ``server`` fixture's tokens and test run
are in it before a test starts and each audited read appends an ``audit.query`` or
``audit.export`` event. So leaf indices and sizes are asserted relative to ``trail.base``, the
log's size before the test's application events were appended."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from readiness.audit.query.export import verify_rows
from readiness.audit.trail import append_events, open_ledger
from readiness.config import Settings
from readiness.ledger import store
from readiness.ledger.service import LedgerService
from tests.audit.query.conftest import event
from tests.server.conftest import database_contents


@dataclass(frozen=True)
class Trail:
    """The server's ledger and its size before the test's four application events."""

    ledger: LedgerService
    base: int


def size(server: Any, settings: Settings) -> int:
    """The number of leaves in the server's audit ledger now."""
    with server.stores.audit.connect() as conn:
        return store.stored_size(conn, settings.audit_origin)


@pytest.fixture
def trail(server: Any, settings: Settings) -> Iterator[Trail]:
    ledger = open_ledger(settings, server.stores.audit, server.clock)
    try:
        base = size(server, settings)
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
        yield Trail(ledger, base)
    finally:
        ledger.close()


def newest(server: Any, settings: Settings) -> dict[str, Any]:
    with server.stores.audit.connect() as conn:
        size = store.stored_size(conn, settings.audit_origin)
        [(_, entry, _)] = store.iter_entries(conn, settings.audit_origin, size - 1, size)
    return dict(json.loads(entry))


def test_a_search_pages_newest_first_and_is_audited(
    server: Any, trail: Trail, settings: Settings
) -> None:
    base = trail.base
    auditor = server.auth("auditor")
    # Only the four invoice events match: the platform's own events (the fixture's, and each
    # search's audit.query) have other target types.
    search = "/api/v1/audit/trail?target_type=invoice&limit=3"
    first = server.client.get(search, headers=auditor).json()
    assert [e["leaf_index"] for e in first["events"]] == [base + 3, base + 2, base + 1]
    second = server.client.get(f"{search}&cursor={first['next_cursor']}", headers=auditor).json()
    assert ([e["leaf_index"] for e in second["events"]], second["next_cursor"]) == ([base], None)
    recorded = newest(server, settings)
    assert {k: recorded[k] for k in ("actor_id", "actor_type", "action", "source", "after")} == {
        "actor_id": "tok_4",
        "actor_type": "service",
        "action": "audit.query",
        "source": "api",
        "after": {
            "query": "search",
            "filters": {"target_type": "invoice", "limit": 3, "cursor": first["next_cursor"]},
            "returned": 1,
        },
    }


def test_filters_are_applied(server: Any, trail: Trail) -> None:
    found = server.client.get(
        "/api/v1/audit/trail?actor=usr_1&action=invoice.*", headers=server.auth("auditor")
    ).json()
    assert [e["leaf_index"] for e in found["events"]] == [trail.base + 1]


# Each is a subtest on one server (a server costs about a second); a refused search is not
# audited and changes nothing (checked), so each meets the database the first one met.
BAD_FILTERS = [
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
]


def test_bad_filters_are_400_in_the_error_shape(server: Any, subtests: pytest.Subtests) -> None:
    before = database_contents(server.stores)
    for query, status, message in BAD_FILTERS:
        with subtests.test(msg=query):
            response = server.client.get(
                f"/api/v1/audit/trail?{query}", headers=server.auth("auditor")
            )
            assert (response.status_code, response.json()["error"]["code"]) == (
                status,
                "invalid_input",
            )
            assert response.json()["error"]["message"] == message
            assert database_contents(server.stores) == before


def test_a_limit_out_of_range_is_422(server: Any) -> None:
    response = server.client.get("/api/v1/audit/trail?limit=1001", headers=server.auth("auditor"))
    assert response.status_code == 422


def test_a_timeline_with_as_of_gives_the_state_then(server: Any, trail: Trail) -> None:
    base = trail.base
    body = server.client.get(
        "/api/v1/audit/trail/timeline/invoice/inv_9?as_of=2026-01-01T00:30:00Z",
        headers=server.auth("auditor"),
    ).json()
    assert [e["leaf_index"] for e in body["events"]] == [base]
    assert (body["as_of"]["exists"], body["as_of"]["state"]) == (True, {"amount": 1})
    full = server.client.get(
        "/api/v1/audit/trail/timeline/invoice/inv_9", headers=server.auth("auditor")
    ).json()
    assert ([e["leaf_index"] for e in full["events"]], full["as_of"]) == ([base, base + 1], None)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_export_streams_rows_that_verify_with_the_public_key(
    server: Any, trail: Trail, fmt: str
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
    check = verify_rows(note, rows, trail.ledger.verifier.vkey)
    # The checkpoint covers the log up to the application events: the export's own audit
    # event comes after it.
    assert (check.rows, check.tree_size, response.headers["Readiness-Rows"]) == (
        2,
        trail.base + 4,
        "2",
    )


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
            # The token's creation is audited too: the application events come after it.
            leaves = append_events(ledger, stores.audit, [event(n) for n in range(5)])
        finally:
            ledger.close()
        app = create_app(backend_settings, stores=stores, clock=clock, pm=builtin_plugin_manager())
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app, raise_server_exceptions=False) as client:
            found = client.get("/api/v1/audit/trail?actor=usr_2", headers=headers).json()
            exported = client.get(
                "/api/v1/audit/trail/export?format=jsonl&actor=usr_2", headers=headers
            )
        base = leaves[0]
        assert leaves == [base + n for n in range(5)]
        assert [e["leaf_index"] for e in found["events"]] == [base + 2]
        lines = exported.content.splitlines()
        rows = [json.loads(line) for line in lines[1:]]
        check = verify_rows(json.loads(lines[0])["checkpoint"], rows, ledger.verifier.vkey)
        # The checkpoint covers the five events, the app's project.create on start and the
        # search's audit.query, but not the export's own audit event.
        assert (check.rows, check.tree_size) == (1, base + 7)
    finally:
        stores.dispose()
