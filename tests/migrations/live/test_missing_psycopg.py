"""Without psycopg (the ``postgres`` extra), the live commands say so in one line and exit 2."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from tests.migrations.live.test_verify import _app

DSN = "postgresql://127.0.0.1:1/none"
COMMANDS = {
    "verify": ["verify", "--dsn", DSN, "--migrations", "db", "--previous", "0"],
    "backfill": ["backfill", "t", "--set", "b = a", "--where", "b IS NULL", "--dsn", DSN],
    "drift": ["drift", "t", "a", "b", "--dsn", DSN],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_psycopg_is_one_line_and_exit_2(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` raises ImportError

    result = CliRunner().invoke(_app(), COMMANDS[command])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: migrations {command} needs psycopg, which is not installed: install "
        "readiness[postgres] (pip install 'readiness[postgres]')\n"
    )
