"""The expand/contract toolkit on the real PostgreSQL: plans keep the old version working until
the contract step, backfills batch/throttle/resume/stop, drift stops at 0.01 %."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import typer
from typer.testing import CliRunner

from readiness.migrations.cli_live import register
from readiness.migrations.live.scratch import connect
from readiness.migrations.live.verify import VerifyRequest, verify
from readiness.migrations.toolkit.backfill import BackfillSpec, run_backfill
from tests.migrations.live.conftest import write_migrations


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Readiness migrations (test root)."""

    return app


def test_rename_plan_keeps_the_old_app_working_until_the_drop(pg_url: str, tmp_path: Path) -> None:
    out = write_migrations(
        tmp_path / "m",
        {"V1__init.sql": "CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL);"},
    )
    args = ["plan", "rename-column", "users.name", "full_name", "--type", "text", "--out", str(out)]
    planned = CliRunner().invoke(_app(), [*args, "--format", "json"])
    queries = tmp_path / "old.sql"
    queries.write_text(
        "SELECT id, name FROM users ORDER BY id\nINSERT INTO users (name) VALUES ('Zoë')\n"
    )

    report = verify(VerifyRequest(pg_url, out, "1", str(queries), rows=20))

    assert [Path(f).name for f in json.loads(planned.stdout)["files"]] == [
        "V2__rename_name_1_expand_add_full_name.sql",
        "V3__rename_name_2_dual_write_trigger.sql",
        "V4__rename_name_3_backfill_full_name.sql",
        "V5__rename_name_4_switch_reads.sql",
        "V6__rename_name_5_stop_writing_name.sql",
        "V7__rename_name_6_contract_drop_name.sql",
    ]
    assert report.migration_error is None
    assert {(b["query"], b["file"], b["statement"]) for b in report.broken} == {
        ("SELECT id, name FROM users ORDER BY id", "V7__rename_name_6_contract_drop_name.sql",
         "ALTER TABLE users DROP COLUMN IF EXISTS name"),
        ("INSERT INTO users (name) VALUES ('Zoë')", "V7__rename_name_6_contract_drop_name.sql",
         "ALTER TABLE users DROP COLUMN IF EXISTS name"),
    }  # fmt: skip


def test_set_not_null_plan_keeps_old_inserts_working(pg_url: str, tmp_path: Path) -> None:
    out = write_migrations(
        tmp_path / "m",
        {"V1__init.sql": "CREATE TABLE users (id bigserial PRIMARY KEY, country text);"},
    )
    CliRunner().invoke(
        _app(), ["plan", "set-not-null", "users.country", "--default", "'FR'", "--out", str(out)]
    )
    queries = tmp_path / "old.sql"
    queries.write_text("INSERT INTO users (id) VALUES (-5)\nSELECT country FROM users\n")

    report = verify(VerifyRequest(pg_url, out, "1", str(queries), rows=20))

    assert (report.migration_error, report.broken, report.ok) == (None, [], True)
    assert [s.locks for s in report.statements if "VALIDATE" in s.statement.sql] == [
        {"public.users": "ShareUpdateExclusiveLock"}
    ]


def _table(url: str, rows: int) -> psycopg.Connection:
    conn = connect(url)
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text, full_name text)")
    conn.execute("INSERT INTO t SELECT g, 'n' || g, NULL FROM generate_series(1, %s) g", (rows,))
    return conn


def test_backfill_batches_pauses_and_pauses_on_lag_at_the_limit(
    pg_schema_url: str, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    lags = iter([1.5, 1.0, 0.0, 0.0, 0.0])
    spec = BackfillSpec("t", "full_name = name", "full_name IS DISTINCT FROM name", batch_size=5)
    with _table(pg_schema_url, 12) as conn:
        result = run_backfill(conn, spec, sleep=sleeps.append, lag=lambda: next(lags))
        left = conn.execute(
            "SELECT count(*) FROM t WHERE full_name IS DISTINCT FROM name"
        ).fetchone()

    assert result.as_dict() == {
        "status": "done", "batches": 3, "rows": 12, "last_key": "12",
        "resumed_from": None, "lag_pauses": 1,
    }  # fmt: skip
    assert sleeps == [5.0, 0.1, 0.1, 0.1]
    assert left == (0,)


def test_backfill_stops_at_the_kill_switch_and_resumes(pg_schema_url: str, tmp_path: Path) -> None:
    kill = tmp_path / "STOP"
    progress = tmp_path / "progress.json"
    spec = BackfillSpec(
        "t", "full_name = name", "full_name IS NULL", batch_size=4,
        kill_file=kill, progress_file=progress,
    )  # fmt: skip
    with _table(pg_schema_url, 10) as conn:
        first = run_backfill(conn, spec, sleep=lambda s: None, on_batch=lambda r: kill.touch())
        kill.unlink()
        second = run_backfill(conn, spec, sleep=lambda s: None)

    assert (first.status, first.batches, first.rows, first.last_key) == ("killed", 1, 4, "4")
    assert (second.status, second.resumed_from, second.batches, second.rows) == ("done", "4", 2, 6)
    assert json.loads(progress.read_text())["last_key"] == "10"


def _drift(url: str, drifted: int) -> tuple[int, dict[str, object]]:
    with _table(url, 10_000) as conn:
        conn.execute("UPDATE t SET full_name = name WHERE id > %s", (drifted,))
    result = CliRunner().invoke(
        _app(),
        ["drift", "t", "name", "full_name", "--dsn", url, "--samples", "1", "--format", "json"],
    )
    return result.exit_code, json.loads(result.stdout)


def test_drift_at_the_limit_passes(pg_schema_url: str) -> None:
    code, data = _drift(pg_schema_url, 1)

    assert (code, data["drifted"], data["rows"], data["exceeded"]) == (0, 1, 10_000, False)
    assert data["samples"] == [{"key": "1", "old": "n1", "new": None}]


def test_drift_above_the_limit_fails(pg_schema_url: str) -> None:
    code, data = _drift(pg_schema_url, 2)

    assert (code, data["drifted"], data["ratio"], data["exceeded"]) == (1, 2, 0.0002, True)


def test_the_backfill_defaults_are_the_handbook_figures() -> None:
    spec = BackfillSpec("t", "b = a", "b IS NULL")

    assert (spec.batch_size, spec.pause_s, spec.max_lag_s, spec.lag_recheck_s) == (
        5000, 0.1, 1.0, 5.0,
    )  # fmt: skip


def test_the_backfill_command_stops_at_an_existing_kill_file(
    pg_schema_url: str, tmp_path: Path
) -> None:
    kill = tmp_path / "STOP"
    kill.touch()
    with _table(pg_schema_url, 3):
        pass
    args = ["backfill", "t", "--set", "full_name = name", "--where", "full_name IS NULL"]
    args += ["--dsn", pg_schema_url, "--kill-file", str(kill), "--format", "json"]

    result = CliRunner().invoke(_app(), args)

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "status": "killed", "batches": 0, "rows": 0, "last_key": None,
        "resumed_from": None, "lag_pauses": 0,
    }  # fmt: skip


def test_the_backfill_command_runs_to_the_end(pg_schema_url: str) -> None:
    with _table(pg_schema_url, 7):
        pass
    args = ["backfill", "t", "--set", "full_name = name", "--where", "full_name IS NULL"]
    args += ["--dsn", pg_schema_url, "--batch-size", "3", "--pause-ms", "0"]

    result = CliRunner().invoke(_app(), args)

    assert result.exit_code == 0
    assert result.stdout == "backfill done: 7 rows in 3 batches, last key 7, 0 lag pauses\n"
