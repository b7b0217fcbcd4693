"""Old queries read from pg_stat_statements (on a cluster the test starts with the extension
loaded), and statements that cannot run in a transaction block."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from readiness.migrations.live.verify import VerifyRequest, verify
from tests.migrations.live._replica import single_cluster
from tests.migrations.live.conftest import write_migrations
from tests.migrations.live.test_verify import _app

INIT = "CREATE TABLE users (id bigserial PRIMARY KEY, name text, age int);"


def test_queries_come_from_pg_stat_statements(tmp_path: Path) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {"V1__init.sql": INIT, "V2__drop.sql": "ALTER TABLE users DROP COLUMN age;"},
    )
    with single_cluster("shared_preload_libraries = 'pg_stat_statements'") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute(INIT)
            conn.execute("SELECT name FROM users WHERE age > %s", (3,))
            conn.execute("SELECT pg_stat_statements_reset()")
            conn.execute("SELECT name FROM users WHERE age > %s", (3,))
            conn.execute("SELECT id FROM users")
        report = verify(VerifyRequest(url, migrations, "1", "pg_stat_statements", rows=10))

    assert [(b["query"], b["statement"]) for b in report.broken] == [
        ("SELECT name FROM users WHERE age > $1", "ALTER TABLE users DROP COLUMN age")
    ]
    assert report.queries == 2


def test_pg_stat_statements_missing_is_an_input_error(pg_url: str, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "m", {"V1__init.sql": INIT})
    args = ["verify", "--dsn", pg_url, "--migrations", str(migrations), "--previous", "0"]

    result = CliRunner().invoke(_app(), [*args, "--queries", "pg_stat_statements"])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read pg_stat_statements on the --dsn database")


def test_a_concurrent_index_runs_outside_a_transaction_with_sampled_locks(
    pg_url: str, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path / "m",
        {
            "V1__init.sql": INIT,
            "V2__idx.sql": "CREATE INDEX CONCURRENTLY users_age ON users (age);",
        },
    )
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT id FROM users WHERE age = 3\n", encoding="utf-8")
    args = ["verify", "--dsn", pg_url, "--migrations", str(migrations), "--previous", "1"]

    result = CliRunner().invoke(_app(), [*args, "--queries", str(queries), "--format", "json"])

    (statement,) = json.loads(result.stdout)["statements"]
    assert (result.exit_code, statement["lock_source"], statement["error"]) == (0, "sampled", None)


def test_drift_reports_the_queries_that_still_read_the_old_column() -> None:
    with single_cluster("shared_preload_libraries = 'pg_stat_statements'") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text, full_name text)")
            conn.execute("INSERT INTO t VALUES (1, 'a', 'a')")
            conn.execute("SELECT pg_stat_statements_reset()")
            conn.execute("SELECT name FROM t WHERE id = %s", (1,))
            conn.execute("SELECT full_name FROM t")
        args = ["drift", "t", "name", "full_name", "--dsn", url, "--format", "json"]
        result = CliRunner().invoke(_app(), args)

    data = json.loads(result.stdout)
    assert (result.exit_code, data["drifted"], data["contract_ready"]) == (0, 0, False)
    assert data["old_column_reads"] == [{"query": "SELECT name FROM t WHERE id = $1", "calls": 1}]
