"""The witness block of the ``/audit`` page: the newest checkpoint's cosignatures by witness,
the configured witnesses that have not cosigned it, and whether ``audit.witness_quorum`` is met;
auditors only, like the rest of the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readiness.config import Settings, load_settings
from tests.ledger.witness.conftest import AT, LOG, OTHER, WITNESS
from tests.server.conftest import Server, server

__all__ = ["server"]
API = "/api/v1/audit"
DOWN = "http://127.0.0.1:9"  # nothing listens: the second witness never cosigns


@pytest.fixture
def quorum() -> int:
    return 1


@pytest.fixture
def settings(project_dir: Path, witness_url: str, quorum: int) -> Settings:
    key = project_dir / ".readiness" / "secrets" / "audit-ledger.key"
    key.parent.mkdir(parents=True)
    key.write_text(LOG.skey + "\n")
    (project_dir / "pyproject.toml").write_text(
        '[tool.readiness]\nproject = "project"\n'
        f"[tool.readiness.audit]\nwitness_quorum = {quorum}\n"
        "[[tool.readiness.audit.witnesses]]\n"
        f'name = "{WITNESS.name}"\nurl = "{witness_url}"\nkey = "{WITNESS.verifier.vkey}"\n'
        "[[tool.readiness.audit.witnesses]]\n"
        f'name = "{OTHER.name}"\nurl = "{DOWN}"\nkey = "{OTHER.verifier.vkey}"\n'
    )
    return load_settings(project_dir, environ={})


def block(page: str) -> str:
    match = re.search(r'<h2 id="witnesses-heading">.*?</section>', page, re.S)
    assert match is not None
    return match.group(0)


def cosign(server: Server) -> int:
    signed = server.client.post(f"{API}/checkpoints", headers=server.auth("admin")).json()
    published = server.client.post(f"{API}/checkpoints/publish", headers=server.auth("admin"))
    assert published.status_code == 200
    return int(signed["size"])


def test_before_any_checkpoint_the_block_lists_the_configured_witnesses(server: Server) -> None:
    page = server.client.get("/audit", headers=server.auth("auditor"))

    assert page.status_code == 200
    text = block(page.text)
    assert "No checkpoint to cosign yet." in text
    assert "Configured witnesses:" in text
    assert f"<li>{WITNESS.name} <code>{WITNESS.key_id:08x}</code></li>" in text
    assert f"<li>{OTHER.name} <code>{OTHER.key_id:08x}</code></li>" in text


def test_the_newest_checkpoint_shows_who_cosigned_who_did_not_and_the_quorum_met(
    server: Server,
) -> None:
    size = cosign(server)

    text = block(server.client.get("/audit", headers=server.auth("auditor")).text)

    assert '<span class="badge status-healthy">quorum met</span>' in text
    assert (
        f"Checkpoint 1 ({size:,} events) has 1 valid cosignature from the 2 configured "
        "witnesses; <code>audit.witness_quorum</code> is 1."
    ) in text
    row = (
        f"<tr><td>{WITNESS.name}</td><td><code>{WITNESS.key_id:08x}</code></td>"
        f'<td class="num">{size:,}</td>'
        f'<td class="when">{AT.strftime("%Y-%m-%d %H:%M:%S")}</td><td>valid</td></tr>'
    )
    assert row in text
    assert "Configured witnesses that have not cosigned it:" in text
    assert f"<li>{OTHER.name} <code>{OTHER.key_id:08x}</code></li>" in text
    assert f"<li>{WITNESS.name}" not in text


@pytest.mark.parametrize("quorum", [2])
def test_one_cosignature_short_of_the_quorum_is_not_met(server: Server) -> None:
    cosign(server)

    text = block(server.client.get("/audit", headers=server.auth("auditor")).text)

    assert '<span class="badge status-broken">quorum not met</span>' in text
    assert "has 1 valid cosignature from the 2 configured witnesses" in text
    assert "<code>audit.witness_quorum</code> is 2." in text


@pytest.mark.parametrize("role", ["reader", "writer"])
def test_only_auditors_see_the_page(server: Server, role: str) -> None:
    assert server.client.get("/audit", headers=server.auth(role)).status_code == 403
    assert server.client.get("/audit", headers=server.auth("admin")).status_code == 200
