"""Witnesses over the API: the list (auditor, recorded) and publication on demand (admin),
with a real witness over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.audit.service import list_events
from readiness.config import Settings, load_settings
from readiness.ledger.core.checkpoint import open_checkpoint
from tests.ledger.witness.conftest import LOG, WITNESS
from tests.server.conftest import Server, server

__all__ = ["server"]
API = "/api/v1/audit"


@pytest.fixture
def settings(project_dir: Path, witness_url: str) -> Settings:
    key = project_dir / ".readiness" / "secrets" / "audit-ledger.key"
    key.parent.mkdir(parents=True)
    key.write_text(LOG.skey + "\n")
    (project_dir / "pyproject.toml").write_text(
        '[tool.readiness]\nproject = "project"\n'
        "[tool.readiness.audit]\nwitness_quorum = 1\n"
        "[[tool.readiness.audit.witnesses]]\n"
        f'name = "{WITNESS.name}"\nurl = "{witness_url}"\nkey = "{WITNESS.verifier.vkey}"\n'
        '[tool.readiness.audit.publish]\nfile = "public/checkpoint"\n'
    )
    return load_settings(project_dir, environ={})


def test_publishing_on_demand_collects_the_cosignature_and_the_list_shows_it(
    server: Server, project_dir: Path, witness_url: str
) -> None:
    before = server.client.get(f"{API}/witnesses", headers=server.auth("auditor")).json()
    nothing = server.client.post(f"{API}/checkpoints/publish", headers=server.auth("admin"))
    signed = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()

    published = server.client.post(f"{API}/checkpoints/publish", headers=server.auth("admin"))
    after = server.client.get(f"{API}/witnesses", headers=server.auth("auditor")).json()

    assert before == {
        "quorum": 1,
        "witnesses": [
            {
                "name": WITNESS.name,
                "url": witness_url,
                "key": WITNESS.verifier.vkey,
                "last_cosigned_size": None,
            }
        ],
    }
    assert nothing.status_code == 404
    assert nothing.json()["error"]["message"] == (
        "no checkpoint to publish; sign one with POST /api/v1/audit/checkpoints"
    )
    report = published.json()
    assert (published.status_code, report["errors"]) == (200, [])
    assert report["witnesses"] == [
        {"name": WITNESS.name, "ok": True, "message": f"cosigned size {signed['size']}"}
    ]
    assert after["witnesses"][0]["last_cosigned_size"] == signed["size"]
    note = (project_dir / "public" / "checkpoint").read_text()
    opened = open_checkpoint(note, LOG.verifier, witnesses=[WITNESS.verifier])
    assert [s.name for s in opened.note.verified] == ["project/audit", WITNESS.name]
    actions = [e.action for e in list_events(server.stores, limit=10, clock=server.clock)]
    assert actions[:2] == ["audit.read", "audit.publish"]
