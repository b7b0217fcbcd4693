"""/api/v1/audit/retention: status for auditors; archive and prune for admins (SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from readiness.audit.trail import append_events, open_ledger
from readiness.config import Settings
from tests.audit.retention.conftest import event
from tests.server.conftest import server

__all__ = ["server"]


def test_an_admin_archives_and_an_auditor_sees_the_months(server: Any, settings: Settings) -> None:
    ledger = open_ledger(settings, server.stores.audit, server.clock)
    try:
        at = [datetime(2024, m, 5, tzinfo=UTC) for m in (1, 1, 2)]
        append_events(ledger, server.stores.audit, [event(n, t) for n, t in enumerate(at)])
    finally:
        ledger.close()
    settings.audit.retention.frameworks = ["pci_dss", "sox"]
    archived = server.client.post(
        "/api/v1/audit/retention/archive", json={}, headers=server.auth("admin")
    ).json()
    assert [(m["month"], m["entries"]) for m in archived["months"]] == [
        ("2024-01", 2),
        ("2024-02", 1),
    ]
    found = server.client.get("/api/v1/audit/retention", headers=server.auth("auditor")).json()
    assert found["policy"] == {
        "frameworks": {"PCI DSS": 1, "SOX": 7},
        "governing": "SOX",
        "years": 7,
    }
    assert [(m["month"], m["state"], m["expires"]) for m in found["months"]] == [
        ("2024-01", "archived", "2031-02-01"),
        ("2024-02", "archived", "2031-03-01"),
    ]
    assert found["next_expiry"] == "2031-02-01"
    refused = server.client.post(
        "/api/v1/audit/retention/prune", json={"before": "2024-03-01"}, headers=server.auth("admin")
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == (
        "2024-01 is under SOX retention (7y) until 2031-02-01: pruning refused"
    )
    search = "/api/v1/audit/trail?target_type=invoice"
    events = server.client.get(search, headers=server.auth("auditor")).json()["events"]
    assert [e["occurred_at"] for e in events] == [
        "2024-02-05T00:00:00.000000Z",
        "2024-01-05T00:00:00.000000Z",
        "2024-01-05T00:00:00.000000Z",
    ]
    page = server.client.get("/audit", headers=server.auth("auditor")).text
    assert (
        "<dt>Retention</dt><dd>2 months archived (2024-01 to 2024-02); next expiry 2031-02-01</dd>"
        in page
    )
