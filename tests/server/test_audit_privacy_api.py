"""The privacy routes of the audit API: break-glass recorded first, fail-closed, one error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa


def _trail(server: Any) -> list[dict[str, Any]]:
    with server.stores.audit.connect() as conn:
        rows = conn.execute(sa.text("SELECT entry FROM ledger_entries ORDER BY leaf_index")).all()
    return [json.loads(bytes(r[0])) for r in rows]


def _register(server: Any) -> str:
    response = server.client.post(
        "/api/v1/audit/privacy/subjects",
        json={"subject": "ann@example.org"},
        headers=server.auth("admin"),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["pseudonym"])


def test_a_resolution_over_the_api_is_in_the_trail_by_pseudonym_only(server: Any) -> None:
    pseudonym = _register(server)

    response = server.client.post(
        "/api/v1/audit/privacy/resolve",
        json={"pseudonym": pseudonym, "justification": "INC-2041"},
        headers=server.auth("auditor"),
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["identity"]) == (
        "resolved",
        "ann@example.org",
    )
    resolved = [e for e in _trail(server) if e["action"] == "privacy.resolve"]
    assert [(e["target_id"], e["justification"], e["source"]) for e in resolved] == [
        (pseudonym, "INC-2041", "readiness.api")
    ]
    assert "ann@example.org" not in json.dumps(_trail(server))
    # The operator too is named by pseudonym (the token's name is in its own token.create
    # platform event, not in the privacy events).
    privacy = [e for e in _trail(server) if e["action"].startswith("privacy.")]
    assert "auditor-bot" not in json.dumps(privacy)


def test_a_resolution_without_justification_is_a_400_in_the_one_error_shape(server: Any) -> None:
    response = server.client.post(
        "/api/v1/audit/privacy/resolve",
        json={"pseudonym": "usr_0011223344556677"},
        headers=server.auth("auditor"),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["message"].startswith("justification: required")


def test_when_the_audit_append_fails_the_api_answers_503_without_the_identity(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.errors import StorageError
    from readiness.ledger.service import LedgerService

    pseudonym = _register(server)

    def refuse(self: LedgerService, entries: object) -> list[int]:
        raise StorageError("the audit database is unreachable")

    monkeypatch.setattr(LedgerService, "append", refuse)

    response = server.client.post(
        "/api/v1/audit/privacy/resolve",
        json={"pseudonym": pseudonym, "justification": "INC-2041"},
        headers=server.auth("auditor"),
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage"
    assert "ann@example.org" not in response.text
