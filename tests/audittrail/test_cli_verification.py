"""``readiness audit verify --record``, ``audit export-tiles``, the deploy gate's
``audit.verified`` through the built-in plugin, and ``audit checkpoint`` with a TSA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness.audit.verification import store
from readiness.config import load_settings
from readiness.storage import Stores
from tests.audit.test_tamper_cli import Cli
from tests.audittrail.tsa import local_tsa


def runs(stores: Stores, project_dir: Path) -> list[store.VerificationRun]:
    settings = load_settings(project_dir, environ={})
    return store.list_runs(stores.audit, settings.audit_origin)


def test_verify_record_stores_the_run_and_plain_verify_does_not(
    cli: Cli, stores: Stores, project_dir: Path
) -> None:
    before = len(runs(stores, project_dir))
    code, out, _ = cli("audit", "verify", "--record", "-f", "json")
    assert code == 0
    assert json.loads(out)["verified"] is True
    recorded = runs(stores, project_dir)
    assert len(recorded) == before + 1
    assert (recorded[0].size, recorded[0].verified, recorded[0].trigger) == (10, True, "cli")
    assert cli("audit", "verify")[0] == 0
    assert len(runs(stores, project_dir)) == before + 1


def test_the_deploy_gate_passes_audit_verified_only_after_a_recorded_verification(
    cli: Cli,
) -> None:
    def audit_check() -> dict[str, object]:
        _, out, _ = cli("gate", "deploy", "--select", "audit.*", "-f", "json")
        checks: list[dict[str, object]] = json.loads(out)["checks"]
        [check] = [c for c in checks if c["id"] == "audit.verified"]
        return check

    never = audit_check()
    assert (never["status"], never["summary"]) == (
        "fail",
        "The audit trail (10 events) was never verified",
    )
    assert cli("audit", "verify", "--record")[0] == 0
    verified = audit_check()
    assert verified["status"] == "pass"
    assert str(verified["summary"]).startswith("The audit trail verified ")
    # The verification relayed the first gate run's platform event after the checkpoint.
    assert str(verified["summary"]).endswith(
        "a checkpoint covers 10 of 11 events; the 1 newer event is within the 2.0 days "
        "allowed before the next checkpoint"
    )


def test_export_tiles_writes_the_tiles_bundles_and_checkpoint(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "tiles"
    code, out, _ = cli("audit", "export-tiles", str(target), "-f", "json")
    assert code == 0
    export = json.loads(out)
    assert (export["size"], export["tiles"], export["bundles"]) == (10, 1, 1)
    assert (target / "checkpoint").read_text() == export["checkpoint"]
    assert (target / "tile" / "0" / "000.p" / "10").is_file()
    assert (target / "tile" / "entries" / "000.p" / "10").is_file()
    code, out, _ = cli("audit", "export-tiles", str(target))
    assert out == f"exported 10 entries to {target}: 1 tiles, 1 entry bundles, checkpoint\n"


def test_checkpoint_with_a_tsa_is_timestamped_and_verify_checks_the_token(
    cli: Cli, stores: Stores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with local_tsa(tmp_path / "tsa") as tsa:
        monkeypatch.setenv("READINESS_AUDIT__TSA_URL", tsa.url)
        monkeypatch.setenv("READINESS_AUDIT__TSA_CA_FILE", str(tsa.ca_file))
        assert cli("audit", "checkpoint")[0] == 0
    assert len(tsa.requests) == 1
    assert cli.verify()[0] == 0
    with stores.audit.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_checkpoint_timestamps SET token = :t"), {"t": b"0"})
    code, report = cli.verify()
    assert code == 1
    errors = report["errors"]
    assert isinstance(errors, list)
    assert len(errors) == 1
    assert str(errors[0]).startswith(
        f"checkpoint 2: the timestamp of {tsa.url}: not an RFC 3161 token"
    )
