"""Second mode: the previous version's own test suite runs against the migrated database."""

from __future__ import annotations

from pathlib import Path

from readiness.migrations.live.verify import VerifyRequest, verify
from tests.migrations.live.conftest import write_migrations

OLD_APP_TESTS = """
import os

import psycopg


def _run(sql):
    with psycopg.connect(os.environ["APP_DB"]) as conn:
        return conn.execute(sql).fetchall()


def test_lists_names():
    assert len(_run("SELECT name FROM users")) == 5


def test_counts_users():
    assert _run("SELECT count(*) FROM users") == [(5,)]


def test_already_broken():
    _run("SELECT nope FROM users")
"""


def test_the_old_suite_fails_on_the_rename_and_names_the_statement(
    pg_url: str, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "V1__init.sql": "CREATE TABLE users (id bigserial PRIMARY KEY, name text);",
            "V2__rename.sql": "ALTER TABLE users ADD COLUMN nick text;\n"
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
        },
    )
    suite = tmp_path / "old_app_tests"
    suite.mkdir()
    (suite / "test_app.py").write_text(OLD_APP_TESTS, encoding="utf-8")
    request = VerifyRequest(pg_url, migrations, "1", None, rows=5, tests=suite, tests_env="APP_DB")

    report = verify(request).as_dict()

    assert report["tests_failing_before"] == [
        {
            "test": "test_app::test_already_broken",
            "error": 'psycopg.errors.UndefinedColumn: column "nope" does not exist',
        }
    ]
    assert report["broken_tests"] == [
        {
            "test": "test_app::test_lists_names",
            "error": 'psycopg.errors.UndefinedColumn: column "name" does not exist',
            "statement": "ALTER TABLE users RENAME COLUMN name TO full_name",
            "migration": "2",
            "file": "V2__rename.sql",
            "line": 2,
        }
    ]
    assert report["ok"] is False
