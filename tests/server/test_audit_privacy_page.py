"""/audit/privacy: the vault in counts and key ids, waiting break-glass requests with an audited,
CSRF-protected approval, the IP key's age and the security log's retention; auditors and
admins only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from readiness.audit.privacy.runtime import privacy_service


def _trail(server: Any) -> list[dict[str, Any]]:
    with server.stores.audit.connect() as conn:
        rows = conn.execute(sa.text("SELECT entry FROM ledger_entries ORDER BY leaf_index")).all()
    return [json.loads(bytes(r[0])) for r in rows]


def _target(event: dict[str, Any]) -> str:
    """The target as given (an id with spaces is hashed; the original is in ``after``)."""
    return str((event.get("after") or {}).get("target", event["target_id"]))


def _open_request(server: Any, by: str = "carol") -> int:
    """A resolution request needing two principals, made by ``by`` (none of the tokens)."""
    settings = server.app.state.settings
    settings.audit.privacy.resolve_approvers = 2
    with privacy_service(settings, server.clock, server.stores.audit, source="tests") as svc:
        pseudonym = svc.vault.register("ann@example.org").pseudonym
        request_id = svc.resolve(pseudonym, "INC-7 account takeover", by=by).request_id
    assert request_id is not None
    return request_id


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("reader", 403), ("writer", 403), ("auditor", 200), ("admin", 200)],
)
def test_only_auditors_and_admins_may_open_it(server: Any, role: str | None, status: int) -> None:
    response = server.client.get("/audit/privacy", headers=server.auth(role))

    assert response.status_code == status
    reads = [e for e in _trail(server) if _target(e) == "dashboard /audit/privacy"]
    refusals = [e for e in _trail(server) if _target(e) == "GET:/audit/privacy"]
    assert len(reads) == (1 if status == 200 else 0)
    assert [e["action"] for e in refusals] == (["authz_fail"] if status == 403 else [])


def test_without_a_vault_it_says_so_and_creates_none(server: Any) -> None:
    page = server.client.get("/audit/privacy", headers=server.auth("auditor")).text

    assert "No identity vault yet" in page
    assert not server.app.state.settings.path(".readiness/vault.db").exists()


def test_it_shows_counts_key_ids_and_retention_never_an_identity(server: Any) -> None:
    for subject in ("ann@example.org", "bob@example.org"):
        server.client.post(
            "/api/v1/audit/privacy/subjects",
            json={"subject": subject},
            headers=server.auth("admin"),
        )
    server.client.post(
        "/api/v1/audit/privacy/erase",
        json={"subject": "bob@example.org"},
        headers=server.auth("admin"),
    )
    recorded = server.client.post(
        "/api/v1/audit/privacy/security-log",
        json={"ip": "203.0.113.7", "action": "authn_login_fail"},
        headers=server.auth("writer"),
    ).json()["ip_hmac"]
    key_id = recorded.removeprefix("hmac-sha256:")[:8]

    page = server.client.get("/audit/privacy", headers=server.auth("auditor")).text

    # Subjects: ann, the admin token's operator pseudonym; bob erased (a tombstone).
    assert "<div><dt>Subjects</dt><dd>2</dd></div>" in page
    assert "<div><dt>Erased subjects</dt><dd>1</dd></div>" in page
    assert f"<div><dt>IP key id</dt><dd><code>{key_id}</code></dd></div>" in page
    assert "<div><dt>IP key rotated</dt><dd>2026-03-10 09:30 UTC</dd></div>" in page
    assert "<div><dt>Retention</dt><dd>30 days</dd></div>" in page
    assert "<div><dt>Raw IPs kept</dt><dd>1</dd></div>" in page
    assert "<div><dt>Next purge due</dt><dd>2026-04-09 09:30 UTC</dd></div>" in page
    assert "The server purges every 3600 s" in page
    assert re.search(r"<dt>Vault key id</dt><dd><code>[0-9a-f]{8}</code>", page)
    for secret in ("ann@example.org", "bob@example.org", "203.0.113.7", "admin-bot"):
        assert secret not in page
    assert "No resolution request is waiting for a second approver." in page


def test_a_second_approver_approves_a_waiting_request_from_the_page(server: Any) -> None:
    request_id = _open_request(server)
    assert server.sign_in(server.tokens["admin"]).status_code == 303
    page = server.client.get("/audit/privacy").text
    assert f'action="/audit/privacy/requests/{request_id}/approve"' in page
    assert "INC-7 account takeover" in page
    assert "<td>1 of 2</td>" in page
    assert "ann@example.org" not in page

    response = server.client.post(
        f"/audit/privacy/requests/{request_id}/approve",
        data={"csrf_token": _csrf(page), "confirmed": "yes"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert f"Approved resolution request {request_id} (2 of 2 approvals)." in response.text
    assert "No resolution request is waiting for a second approver." in response.text
    approvals = [e for e in _trail(server) if e["action"] == "privacy.resolve_approve"]
    assert [(e["request_id"], e["source"]) for e in approvals] == [
        (f"resolve-{request_id}", "readiness.dashboard")
    ]


def test_an_approval_without_the_csrf_token_is_refused_and_changes_nothing(server: Any) -> None:
    request_id = _open_request(server)
    assert server.sign_in(server.tokens["auditor"]).status_code == 303

    response = server.client.post(
        f"/audit/privacy/requests/{request_id}/approve",
        data={"confirmed": "yes"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 403
    assert [e for e in _trail(server) if e["action"] == "privacy.resolve_approve"] == []
    assert [e for e in _trail(server) if e["action"] == "privacy.resolve_approve"] == []


def test_the_requester_cannot_approve_their_own_request(server: Any) -> None:
    from readiness.auth.service import TokenService

    token, info = TokenService(stores=server.stores, clock=server.clock, actor="setup").create(
        name="carol-bot", role="auditor"
    )
    request_id = _open_request(server, by=f"carol-bot#{info.id}")  # the principal's actor
    assert server.sign_in(token).status_code == 303
    page = server.client.get("/audit/privacy").text

    response = server.client.post(
        f"/audit/privacy/requests/{request_id}/approve",
        data={"csrf_token": _csrf(page), "confirmed": "yes"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 403
    assert [e for e in _trail(server) if e["action"] == "privacy.resolve_approve"] == []


def test_the_audit_overview_links_to_it(server: Any) -> None:
    page = server.client.get("/audit", headers=server.auth("auditor")).text

    assert '<a href="/audit/privacy">' in page
