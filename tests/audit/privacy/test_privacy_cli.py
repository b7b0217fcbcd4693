"""`readiness audit register|lookup|erase|resolve|approve-resolve|seal|unseal|rotate-ip-key|
security-log` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.storage import Stores

from .conftest import url_of

ENV = ("READINESS_PROJECT", "READINESS_URL", "READINESS_AUDIT__PRIVACY__RESOLVE_APPROVERS")


class Cli:
    def __init__(
        self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.root, self.capsys, self.monkeypatch = root, capsys, monkeypatch

    def __call__(self, *args: str, actor: str = "alice") -> tuple[int, str, str]:
        self.monkeypatch.setenv("READINESS_ACTOR", actor)
        self.capsys.readouterr()
        code = main(["-C", str(self.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(
    stores: Stores,
    vault_url: str,
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("READINESS_STATE_URL", url_of(stores.state))
    monkeypatch.setenv("READINESS_AUDIT_URL", url_of(stores.audit))
    monkeypatch.setenv("READINESS_VAULT_URL", vault_url)
    return Cli(project_dir, capsys, monkeypatch)


def test_resolve_without_justification_exits_2_with_one_line(cli: Cli) -> None:
    code, out, err = cli("audit", "resolve", "usr_0011223344556677")

    assert (code, out) == (2, "")
    assert err == (
        "error: justification: required to resolve a pseudonym; say why (an incident number, a "
        'legal hold reference), e.g. --justification "INC-2041 account takeover"\n'
    )


def test_after_erase_the_trail_verifies_and_the_pseudonym_resolves_to_no_one(
    cli: Cli, project_dir: Path
) -> None:
    code, out, _ = cli("audit", "register", "ann@example.org", "-f", "json")
    assert code == 0
    pseudonym = json.loads(out)["pseudonym"]
    events = project_dir / "events.jsonl"
    events.write_text(
        json.dumps(
            {
                "actor_id": pseudonym,
                "actor_type": "customer",
                "action": "order.create",
                "target_type": "order",
                "target_id": "ord_1",
                "result": "success",
                "occurred_at": "2026-04-10T14:23:01Z",
            }
        )
        + "\n"
    )
    assert cli("audit", "append", str(events))[0] == 0
    assert cli("audit", "checkpoint")[0] == 0
    resolved = cli("audit", "resolve", pseudonym, "--justification", "INC-1")
    assert resolved == (0, f"{pseudonym} is ann@example.org\n", "")

    erased = cli("audit", "erase", "ann@example.org")
    verified = cli("audit", "verify", "-f", "json")
    after = cli("audit", "resolve", pseudonym, "--justification", "INC-2", "-f", "json")
    looked_up = cli("audit", "lookup", "ann@example.org")

    assert erased[0] == 0
    assert erased[1].startswith(f"erased {pseudonym}: its events resolve to no one")
    assert verified[0] == 0
    assert json.loads(verified[1])["errors"] == []
    assert after[0] == 1
    assert (json.loads(after[1])["status"], json.loads(after[1])["identity"]) == ("no_one", None)
    assert looked_up == (1, "no pseudonym: not in the identity vault\n", "")


def test_with_a_second_approver_the_answer_waits_for_another_principal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_AUDIT__PRIVACY__RESOLVE_APPROVERS", "2")
    pseudonym = cli("audit", "register", "ann@example.org")[1].strip()

    first = cli(
        "audit", "resolve", pseudonym, "--justification", "INC-9", "-f", "json", actor="bob"
    )
    request = json.loads(first[1])["request_id"]
    own = cli("audit", "approve-resolve", str(request), actor="bob")
    approved = cli("audit", "approve-resolve", str(request), actor="carol")
    answer = cli("audit", "resolve", pseudonym, "--justification", "INC-9", actor="bob")

    assert (first[0], json.loads(first[1])["status"], json.loads(first[1])["identity"]) == (
        0,
        "pending",
        None,
    )
    assert own[0] == 2
    assert own[2] == (
        f"error: resolution request {request}: the requester cannot approve their own "
        "request; another principal must\n"
    )
    assert approved == (0, f"request {request}: 2 of 2 approvals (approved)\n", "")
    assert answer == (0, f"{pseudonym} is ann@example.org\n", "")


def test_seal_then_unseal_then_erase_shows_erased(cli: Cli, project_dir: Path) -> None:
    events = project_dir / "events.jsonl"
    events.write_text(
        json.dumps(
            {
                "actor_id": "usr_shop",
                "actor_type": "service",
                "action": "user.update",
                "target_type": "user",
                "target_id": "u_1",
                "after": {"email": "ann@example.org", "plan": "pro"},
                "result": "success",
                "occurred_at": "2026-04-10T14:23:01Z",
            }
        )
        + "\n"
    )
    code, sealed, _ = cli("audit", "seal", "ann@example.org", "--field", "email", str(events))
    assert code == 0
    assert "ann@example.org" not in sealed
    (project_dir / "sealed.jsonl").write_text(sealed)
    assert cli("audit", "append", str(project_dir / "sealed.jsonl"))[0] == 0

    opened = cli("audit", "unseal", str(project_dir / "sealed.jsonl"), "--justification", "DSAR-3")
    cli("audit", "erase", "ann@example.org")
    shredded = cli(
        "audit", "unseal", str(project_dir / "sealed.jsonl"), "--justification", "DSAR-3"
    )

    assert json.loads(opened[1])["after"] == {"email": "ann@example.org", "plan": "pro"}
    assert json.loads(shredded[1])["after"] == {"email": "[erased]", "plan": "pro"}
    assert cli("audit", "verify")[0] == 0


def test_rotate_ip_key_and_the_security_log(cli: Cli) -> None:
    first = cli("audit", "security-log", "record", "203.0.113.7", "--action", "authn_login_fail")
    rotated = cli("audit", "rotate-ip-key", "-f", "json")
    second = cli("audit", "security-log", "record", "203.0.113.7", "--action", "authn_login_fail")
    purged = cli("audit", "security-log", "purge", "-f", "json")

    assert first[0] == 0
    assert first[1].startswith("hmac-sha256:")
    assert json.loads(rotated[1])["old_key_id"] == first[1][12:20]
    assert second[1][12:20] == json.loads(rotated[1])["key_id"]
    assert second[1] != first[1]
    assert json.loads(purged[1]) == {"purged": 0, "retention_days": 30}
