"""`readiness db upgrade` and `db current` include the identity vault once there is one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness.storage import schema
from tests.cli.conftest import Run

[STATE] = schema.read_history("state").heads
[AUDIT] = schema.read_history("audit").heads
[VAULT] = schema.read_history("vault").heads


@pytest.fixture(autouse=True)
def _no_vault_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READINESS_VAULT_URL", raising=False)
    monkeypatch.delenv("READINESS_AUDIT__PRIVACY__SECURITY_LOG_URL", raising=False)


def vault_revision(path: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM readiness_vault_version"))
            return [str(r[0]) for r in rows]
    finally:
        engine.dispose()


def test_a_project_that_never_used_the_vault_gets_no_vault(cli: Run, project_dir: Path) -> None:
    code, out, err = cli(project_dir, "db", "upgrade")

    assert (code, out, err) == (0, f"state database at {STATE}, audit database at {AUDIT}\n", "")
    assert not (project_dir / ".readiness" / "vault.db").exists()


def test_a_configured_vault_is_upgraded_and_shown_by_db_current(
    cli: Run, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli(project_dir, "db", "upgrade")
    vault = tmp_path / "vault.db"
    vault.touch()  # an empty database: no vault schema yet
    monkeypatch.setenv("READINESS_VAULT_URL", f"sqlite:///{vault}")

    before = cli(project_dir, "db", "current")
    upgraded = cli(project_dir, "db", "upgrade")
    after = cli(project_dir, "db", "current", "--format", "json")

    assert before == (
        0,
        f"state: {STATE} — up to date\naudit: {AUDIT} — up to date\n"
        f"vault: empty — behind (head {VAULT})\n",
        "",
    )
    assert upgraded == (
        0,
        f"state database at {STATE}, audit database at {AUDIT}, vault database at {VAULT}\n",
        "",
    )
    assert vault_revision(vault) == [VAULT]
    assert json.loads(after[1])["vault"] == {"current": VAULT, "head": VAULT}


def test_the_embedded_vault_counts_once_it_exists(cli: Run, project_dir: Path) -> None:
    cli(project_dir, "db", "upgrade")
    (project_dir / ".readiness" / "vault.db").touch()  # first use created the file

    code, out, _ = cli(project_dir, "db", "upgrade", "--format", "json")

    assert code == 0
    assert json.loads(out) == {"state": STATE, "audit": AUDIT, "vault": VAULT}
    assert vault_revision(project_dir / ".readiness" / "vault.db") == [VAULT]


def test_a_separate_security_log_database_is_upgraded_too(
    cli: Run, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "seclog.db"
    monkeypatch.setenv("READINESS_VAULT_URL", f"sqlite:///{tmp_path / 'vault.db'}")
    monkeypatch.setenv("READINESS_AUDIT__PRIVACY__SECURITY_LOG_URL", f"sqlite:///{log}")

    code, out, _ = cli(project_dir, "db", "upgrade")
    current = cli(project_dir, "db", "current")

    assert (code, out) == (
        0,
        f"state database at {STATE}, audit database at {AUDIT}, vault database at {VAULT}, "
        f"security log database at {VAULT}\n",
    )
    assert current[1].endswith(f"vault: {VAULT} — up to date\nsecurity log: {VAULT} — up to date\n")
    assert vault_revision(log) == [VAULT]
