"""The code and commands of docs/audit-capture.md work when pasted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-capture.md"
BIN = Path(sys.executable).parent
CLINIC_TEST = """
from starlette.testclient import TestClient
from clinic import app

def test_clinic():
    client = TestClient(app)
    assert client.get("/patients/p1", headers={"Authorization": "Bearer t-1"}).status_code == 200
    assert client.post("/admin/users/u1/roles").status_code == 401
    assert client.get("/health").status_code == 200
"""


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def shell(script: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return subprocess.run(
        ["/bin/bash", "-c", "set -euo pipefail\n" + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_clinic_app_is_complete_statically_and_as_observed_in_its_test_run(
    project_dir: Path,
) -> None:
    (project_dir / "clinic.py").write_text(blocks("python")[0])
    (project_dir / "test_clinic.py").write_text(CLINIC_TEST)
    coverage, observed_cmd = blocks("sh")[1], blocks("sh")[2]

    static = shell(coverage, project_dir)
    run = shell(
        f"{sys.executable} -m pytest -q -p no:randomly -p no:cacheprovider -W ignore "
        "test_clinic.py",
        project_dir,
        READINESS_AUDIT_OBSERVED="audit-observed.jsonl",
    )
    observed = shell(observed_cmd.replace("\n", " --format json\n", 1), project_dir)

    assert (static.returncode, static.stderr) == (0, "")
    assert static.stdout.splitlines()[0] == blocks("text")[0].strip()
    assert run.returncode == 0, run.stdout
    report = json.loads(observed.stdout)
    assert observed.returncode == 0
    assert [
        (r["method"], r["path"], r["status"], r["observed_actions"]) for r in report["routes"][4:]
    ] == [
        ("GET", "/patients/{patient_id}", "covered", ["patients.read"]),
        ("POST", "/admin/users/{user_id}/roles", "covered", ["authn_token_invalid"]),
        ("GET", "/health", "exempt", []),
    ]


@pytest.mark.postgres
def test_the_trigger_commands_install_and_relay(project_dir: Path, pg_schema_url: str) -> None:
    engine = sa.create_engine(pg_schema_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE accounts (id int PRIMARY KEY, email text, plan text, balance int)"
            )
        )
    install = blocks("sh")[0].splitlines()[0]
    relay = blocks("sh")[0].splitlines()[1]

    first = shell(install, project_dir, APP_DATABASE_URL=pg_schema_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO accounts VALUES (1, 'a@x.org', 'free', 3)"))
    second = shell(relay, project_dir, APP_DATABASE_URL=pg_schema_url)
    third = shell(relay, project_dir, APP_DATABASE_URL=pg_schema_url)
    engine.dispose()

    assert (first.returncode, first.stdout, first.stderr) == (
        0,
        "capture trigger installed on accounts\n",
        "",
    )
    assert (second.returncode, second.stdout) == (
        0,
        "relayed 1 captured change (0 already in the ledger)\n",
    )
    assert third.stdout == "relayed 0 captured changes (0 already in the ledger)\n"
