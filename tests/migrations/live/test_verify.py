"""``readiness migrations verify`` on the real PostgreSQL: each broken query is attributed to
the migration statement that broke it."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
import typer
from typer.testing import CliRunner

from readiness.migrations.cli_live import register
from readiness.migrations.live.scratch import SCRATCH_PREFIX, conninfo
from tests.migrations.live.conftest import write_migrations

INIT = (
    "CREATE TABLE users (\n"
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  email text NOT NULL UNIQUE,\n"
    "  name varchar(40),\n"
    "  age int\n"
    ");\n"
)
OLD_QUERIES = (
    "SELECT id, name FROM users WHERE email = 'a@example.com'\n"
    "INSERT INTO users (email, name) VALUES ('b@example.com', 'Bé')\n"
    "SELECT count(*) FROM users WHERE age > $1\n"
)


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Readiness migrations (test root)."""

    return app


def _verify(pg_url: str, tmp_path: Path, pending: str, *extra: str) -> tuple[int, str]:
    migrations = write_migrations(
        tmp_path / "migrations", {"V1__init.sql": INIT, "V2__change.sql": pending}
    )
    queries = tmp_path / "queries.sql"
    queries.write_text(OLD_QUERIES, encoding="utf-8")
    args = ["verify", "--dsn", pg_url, "--migrations", str(migrations), "--previous", "1"]
    args += ["--queries", str(queries), "--rows", "50", "--format", "json", *extra]
    result = CliRunner().invoke(_app(), args)
    return result.exit_code, result.stdout


def _scratch_databases(pg_url: str) -> list[str]:
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",)
        ).fetchall()
    return [r[0] for r in rows]


def test_a_rename_breaks_the_old_select_and_insert_and_names_the_alter(
    pg_url: str, tmp_path: Path
) -> None:
    pending = (
        "ALTER TABLE users ADD COLUMN nickname text;\n"
        "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
    )

    code, out = _verify(pg_url, tmp_path, pending)

    report = json.loads(out)
    assert code == 1
    assert report["broken_queries"] == [
        {
            "query": "SELECT id, name FROM users WHERE email = 'a@example.com'",
            "kind": "read",
            "error": '42703: column "name" does not exist',
            "statement": "ALTER TABLE users RENAME COLUMN name TO full_name",
            "migration": "2",
            "file": "V2__change.sql",
            "line": 2,
        },
        {
            "query": "INSERT INTO users (email, name) VALUES ('b@example.com', 'Bé')",
            "kind": "write",
            "error": '42703: column "name" of relation "users" does not exist',
            "statement": "ALTER TABLE users RENAME COLUMN name TO full_name",
            "migration": "2",
            "file": "V2__change.sql",
            "line": 2,
        },
    ]
    assert report["ok"] is False
    assert [s["locks"] for s in report["statements"]] == [
        {"public.users": "AccessExclusiveLock"},
        {"public.users": "AccessExclusiveLock"},
    ]


def test_an_additive_migration_breaks_nothing(pg_url: str, tmp_path: Path) -> None:
    pending = (
        "ALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX users_age ON users (age);\n"
    )

    code, out = _verify(pg_url, tmp_path, pending)

    report = json.loads(out)
    assert (code, report["ok"], report["broken_queries"]) == (0, True, [])
    assert report["already_failing"] == []
    assert [(s["line"], s["locks"], s["rewrites"]) for s in report["statements"]] == [
        (1, {"public.users": "AccessExclusiveLock"}, []),
        (2, {"public.users": "ShareLock"}, []),
    ]
    assert report["data"] == [{"table": "public.users", "rows": 50, "rejected": 0}]
    assert report["history"] == {"ok": True, "migrations": 2, "error": None}


def test_a_not_null_column_without_default_breaks_the_old_insert(
    pg_url: str, tmp_path: Path
) -> None:
    pending = (
        "ALTER TABLE users ADD COLUMN country text NOT NULL DEFAULT 'FR';\n"
        "ALTER TABLE users ALTER COLUMN country DROP DEFAULT;\n"
    )

    code, out = _verify(pg_url, tmp_path, pending)

    report = json.loads(out)
    assert code == 1
    assert report["broken_queries"] == [
        {
            "query": "INSERT INTO users (email, name) VALUES ('b@example.com', 'Bé')",
            "kind": "write",
            "error": '23502: null value in column "country" of relation "users" violates '
            "not-null constraint",
            "statement": "ALTER TABLE users ALTER COLUMN country DROP DEFAULT",
            "migration": "2",
            "file": "V2__change.sql",
            "line": 2,
        }
    ]


def test_a_type_change_that_rewrites_is_measured(pg_url: str, tmp_path: Path) -> None:
    code, out = _verify(pg_url, tmp_path, "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n")

    report = json.loads(out)
    assert (code, report["broken_queries"]) == (0, [])
    assert report["statements"][0]["rewrites"] == ["public.users"]


def test_the_scratch_databases_are_dropped(pg_url: str, tmp_path: Path) -> None:
    before = _scratch_databases(pg_url)

    _verify(pg_url, tmp_path, "ALTER TABLE users DROP COLUMN name;\n")

    assert _scratch_databases(pg_url) == before


def test_an_unreachable_server_is_one_line_and_exit_2(tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"V1__init.sql": INIT})
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT 1\n", encoding="utf-8")
    args = ["verify", "--dsn", "postgresql://nobody@127.0.0.1:1/x", "--migrations", str(migrations)]
    args += ["--previous", "0", "--queries", str(queries)]

    result = CliRunner().invoke(_app(), args)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: cannot connect to the database of --dsn")


def test_an_unknown_previous_version_is_an_input_error(pg_url: str, tmp_path: Path) -> None:
    code, _ = _verify(pg_url, tmp_path, "SELECT 1;", "--previous", "7")

    assert code == 2


@pytest.mark.parametrize(
    ("files", "identical", "differences"),
    [
        (
            {"2_add.down.sql": "ALTER TABLE users DROP COLUMN nickname;"},
            True,
            ([], []),
        ),
        (
            {"2_add.down.sql": "SELECT 1;"},
            False,
            (["extra column public.users.nickname: text"], []),
        ),
    ],
)
def test_upgrade_downgrade_upgrade_compares_the_schema(
    pg_url: str,
    tmp_path: Path,
    files: dict[str, str],
    identical: bool,
    differences: tuple[list[str], list[str]],
) -> None:
    migrations = write_migrations(
        tmp_path / "golang",
        {
            "1_init.up.sql": INIT,
            "1_init.down.sql": "DROP TABLE users;",
            "2_add.up.sql": "ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;",
            **files,
        },
    )
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT email FROM users\n", encoding="utf-8")
    args = ["verify", "--dsn", pg_url, "--migrations", str(migrations), "--previous", "1"]
    args += ["--queries", str(queries), "--format", "json"]

    result = CliRunner().invoke(_app(), args)

    report = json.loads(result.stdout)
    assert report["roundtrip"] == {
        "checked": True,
        "identical": identical,
        "downgrade_differences": differences[0],
        "reupgrade_differences": differences[1],
    }
    assert result.exit_code == (0 if identical else 1)


def test_a_not_null_column_without_default_fails_on_the_filled_table(
    pg_url: str, tmp_path: Path
) -> None:
    code, out = _verify(pg_url, tmp_path, "ALTER TABLE users ADD COLUMN country text NOT NULL;\n")

    report = json.loads(out)
    assert code == 1
    assert report["migration_error"]["error"] == (
        '23502: column "country" of relation "users" contains null values'
    )
    assert report["roundtrip"] == {}


def test_a_golden_dataset_replaces_the_generated_rows(pg_url: str, tmp_path: Path) -> None:
    golden = tmp_path / "golden.sql"
    golden.write_text(
        "INSERT INTO users (email, name, age) VALUES ('z@example.com', NULL, 7);\n"
        "INSERT INTO users (email, name, age) VALUES ('y@example.com', 'Y', NULL);\n"
    )

    code, out = _verify(
        pg_url, tmp_path, "DELETE FROM users WHERE age IS NULL;", "--data", str(golden)
    )

    report = json.loads(out)
    assert (code, report["data"], report["broken_queries"]) == (0, [], [])
    assert report["statements"][0]["locks"] == {"public.users": "RowExclusiveLock"}
