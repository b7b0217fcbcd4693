"""`readiness audit capture install-triggers` and `relay`: refusals are one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness.cli.main import main


def run(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["-C", str(project), "audit", "capture", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE accounts (id int PRIMARY KEY)"))
    engine.dispose()
    return url


def test_install_triggers_on_sqlite_is_refused(
    project_dir: Path, capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    assert run(
        project_dir, capsys, "install-triggers", "--url", sqlite_url, "--table", "accounts"
    ) == (
        2,
        "",
        "error: trigger capture needs PostgreSQL (this database is sqlite); on other databases "
        "track the models with the ORM capture\n",
    )


RULE = "not a plain SQL identifier (letters, digits, _; at most 63)"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--table", "a;b", f"error: --table 'a;b': {RULE}\n"),
        ("--personal", "email,x y", f"error: --personal 'x y': {RULE}\n"),
        ("--key", "id)", f"error: --key 'id)': {RULE}\n"),
    ],
)
def test_identifiers_that_are_not_plain_are_refused(
    project_dir: Path,
    capsys: pytest.CaptureFixture[str],
    sqlite_url: str,
    *,
    option: str,
    value: str,
    message: str,
) -> None:
    args = ["install-triggers", "--url", sqlite_url, "--table", "accounts", option, value]

    assert run(project_dir, capsys, *args) == (2, "", message)


@pytest.mark.postgres
def test_a_table_that_does_not_exist_is_refused(
    project_dir: Path, capsys: pytest.CaptureFixture[str], pg_schema_url: str
) -> None:
    assert run(
        project_dir, capsys, "install-triggers", "--url", pg_schema_url, "--table", "nope"
    ) == (
        2,
        "",
        "error: --table nope: no such table in this database\n",
    )


def test_relay_from_a_database_without_the_capture_table_is_refused(
    project_dir: Path, capsys: pytest.CaptureFixture[str], sqlite_url: str, tmp_path: Path
) -> None:
    assert run(project_dir, capsys, "relay", "--url", sqlite_url) == (
        2,
        "",
        f"error: sqlite:///{tmp_path / 'app.db'} has no readiness_audit_capture table: run "
        "`readiness audit capture install-triggers` (PostgreSQL) or ensure_capture_table() "
        "(ORM capture) first\n",
    )
