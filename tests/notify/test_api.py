"""``/api/v1/notify`` and the ``/admin/webhooks`` page: admin only, hostile input refused in the
one error shape, changes audited, the secret shown once; the request that causes an event
returns before anything is delivered."""

from __future__ import annotations

import json
import re

import pytest

from readiness.audit.service import list_events
from readiness.notify.model import DELIVERED, PENDING
from readiness.notify.worker import deliver_due
from tests.notify.conftest import FAST
from tests.notify.receiver import Receiver
from tests.server.conftest import Server

API = "/api/v1/notify"


def _add(server: Server, url: str, events: list[str] | None = None) -> dict[str, object]:
    response = server.client.post(
        f"{API}/webhooks",
        json={"url": url, "events": events or ["gate.failed"]},
        headers=server.auth("admin"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(server: Server) -> None:
    created = _add(server, "https://hooks.example.com/services/T000/B000/XXXXXXXX")

    listed = server.client.get(f"{API}/webhooks", headers=server.auth("admin")).json()

    secret = str(created["secret"])
    assert secret.startswith("whsec_")
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    assert listed[0]["url"] == "https://hooks.example.com/services/T000/B…"
    assert listed[0]["secret_prefix"] == secret[:10] + "…"
    assert secret not in json.dumps(listed)
    [event] = list_events(server.stores, action_prefix="notify.")
    assert (event.action, event.actor_id) == ("notify.webhook.added", "token:3")
    assert secret not in json.dumps(event.details)


@pytest.mark.parametrize("role", ["reader", "writer", "auditor", None])
def test_only_admins_may_read_or_change_webhooks(server: Server, role: str | None) -> None:
    read = server.client.get(f"{API}/webhooks", headers=server.auth(role))
    write = server.client.post(
        f"{API}/webhooks",
        json={"url": "https://h/x", "events": ["gate.failed"]},
        headers=server.auth(role),
    )

    expected = 401 if role is None else 403
    assert (read.status_code, write.status_code) == (expected, expected)
    assert set(write.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "gopher://h/x",
        "https://user:pw@h/x",
        "http://",
        "https://h/\u0000",
        "https://h:70000/",
    ],
)
def test_a_hostile_url_is_422_in_the_one_error_shape(server: Server, url: str) -> None:
    response = server.client.post(
        f"{API}/webhooks",
        json={"url": url, "events": ["gate.failed"]},
        headers=server.auth("admin"),
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert server.client.get(f"{API}/webhooks", headers=server.auth("admin")).json() == []


def test_unknown_events_and_kinds_are_422(server: Server) -> None:
    for body in (
        {"url": "https://h/x", "events": ["test.nope"]},
        {"url": "https://h/x", "events": []},
        {"url": "https://h/x", "events": ["gate.failed"], "kind": "teams"},
    ):
        response = server.client.post(f"{API}/webhooks", json=body, headers=server.auth("admin"))
        assert response.status_code == 422, body


def test_removing_an_unknown_webhook_is_404(server: Server) -> None:
    response = server.client.delete(f"{API}/webhooks/7", headers=server.auth("admin"))

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "webhook 7 not found in project 'project'; list them with `readiness notify webhooks list`"
    )


def test_a_failing_gate_run_posted_to_the_server_returns_before_any_delivery(
    server: Server, receiver: Receiver
) -> None:
    receiver.hang = True  # a receiver that never answers must not hold the request
    _add(server, receiver.url)

    response = server.client.post(
        "/api/v1/gates/runs",
        json={
            "gate": "merge",
            "verdict": "fail",
            "commit": "abc123",
            "checks": [{"id": "tests.passed", "status": "fail", "summary": "1 failed"}],
            "duration_s": 1.5,
        },
        headers=server.auth("writer"),
    )

    assert response.status_code == 201
    assert receiver.requests == []
    [queued] = server.client.get(f"{API}/deliveries", headers=server.auth("admin")).json()
    assert (queued["event_type"], queued["status"], queued["attempts"]) == (
        "gate.failed",
        PENDING,
        0,
    )
    receiver.hang = False
    receiver.release.set()
    deliver_due(server.stores, settings=FAST, clock=server.clock)
    [sent] = server.client.get(
        f"{API}/deliveries?status=delivered", headers=server.auth("admin")
    ).json()
    assert (sent["status"], sent["last_status_code"]) == (DELIVERED, 204)


def test_a_test_event_is_queued_for_the_webhook(server: Server) -> None:
    created = _add(server, "https://h/x")

    response = server.client.post(
        f"{API}/webhooks/{created['id']}/test", headers=server.auth("admin")
    )

    assert response.status_code == 202
    assert (response.json()["event_type"], response.json()["status"]) == (
        "readiness.test",
        PENDING,
    )
    assert [e.action for e in list_events(server.stores, action_prefix="notify.")] == [
        "notify.webhook.tested",
        "notify.webhook.added",
    ]


def _page_csrf(server: Server) -> str:
    assert server.sign_in(server.tokens["admin"]).status_code == 303
    page = server.client.get("/admin/webhooks")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_the_page_adds_a_webhook_shows_the_secret_once_and_lists_deliveries(
    server: Server,
) -> None:
    csrf = _page_csrf(server)

    added = server.client.post(
        "/admin/webhooks",
        data={"url": "https://h/x", "kind": "slack", "events": ["gate.failed"], "csrf_token": csrf},
    )
    tested = server.client.post(
        "/admin/webhooks/1/test", data={"csrf_token": csrf}, follow_redirects=True
    )

    secret = re.search(r"whsec_[A-Za-z0-9_=-]+", added.text)
    assert added.status_code == 200 and secret is not None
    assert secret.group(0) not in tested.text
    assert "Test event queued" in tested.text
    assert "readiness.test" in tested.text


def test_the_page_refuses_a_form_without_its_csrf_token(server: Server) -> None:
    _page_csrf(server)

    response = server.client.post("/admin/webhooks", data={"url": "https://h/x"})

    assert response.status_code == 403
    assert server.client.get(f"{API}/webhooks", headers=server.auth("admin")).json() == []


def test_a_reader_cannot_open_the_page(server: Server) -> None:
    assert server.sign_in(server.tokens["reader"]).status_code == 303

    assert server.client.get("/admin/webhooks").status_code == 403
