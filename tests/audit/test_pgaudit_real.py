"""The real pgaudit extension (Debian's postgresql-NN-pgaudit): a THROWAWAY cluster in a
temporary directory (its own socket, no TCP, never the shared server on 5432) runs with
``shared_preload_libraries = pgaudit`` and ``pgaudit.log = 'write, ddl'`` and logs in the three
formats at once; some SQL runs, and the logs it wrote are parsed and ingested. Skips when the
PostgreSQL binaries or the pgaudit package are not installed (.ci/run installs them)."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from readiness.audit.pgaudit import parse_log, to_event
from readiness.ledger.store import iter_entries
from readiness.storage import Stores
from tests.audit.test_tamper_cli import Cli, cli  # noqa: F401 - the fixture

SECRET = "DE89370400440532013000"
CONF = """
port = 54931
listen_addresses = ''
unix_socket_directories = '{dir}'
shared_preload_libraries = 'pgaudit'
pgaudit.log = 'write, ddl'
pgaudit.log_relation = on
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '{dir}/logs'
log_filename = 'pg.log'
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
"""
SQL = [
    "CREATE EXTENSION pgaudit",
    "CREATE TABLE accounts (id int PRIMARY KEY, iban text)",
    f"INSERT INTO accounts VALUES (1, '{SECRET}')",
    "UPDATE accounts\n   SET iban = 'FR7630006000011234567890189'\n WHERE id = 1",
    "SELECT iban FROM accounts",
]


def _binaries() -> Path | None:
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        if (version / "bin" / "initdb").exists() and (version / "lib" / "pgaudit.so").exists():
            return version / "bin"
    return None


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@pytest.fixture(scope="module")
def pgaudit_logs() -> Iterator[dict[str, str]]:
    binaries = _binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL with pgaudit is not installed (apt-get install postgresql-15-pgaudit)"
        )
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user to run the cluster")
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
    folder = Path(tempfile.mkdtemp(prefix="readiness-pgaudit-"))
    data = folder / "data"
    try:
        if os.geteuid() == 0:
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            _as_postgres(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(CONF.format(dir=folder))
        subprocess.run(
            _as_postgres(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(folder / "start.log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        try:
            with psycopg.connect(
                host=str(folder), port=54931, user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                for statement in SQL:
                    conn.execute(statement)
        finally:
            subprocess.run(
                _as_postgres(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
                ),
                check=False,
                capture_output=True,
            )
        logs = folder / "logs"
        yield {
            "stderr": (logs / "pg.log").read_text(),
            "csvlog": (logs / "pg.csv").read_text(),
            "jsonlog": (logs / "pg.json").read_text(),
        }
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)


EXPECTED = [
    ("db.ddl.create_extension", "db.statement", "postgres"),
    ("db.ddl.create_table", "db.table", "public.accounts"),
    ("db.ddl.create_index", "db.index", "public.accounts_pkey"),
    ("db.write.insert", "db.table", "public.accounts"),
    ("db.write.update", "db.table", "public.accounts"),
]


@pytest.mark.parametrize("log_format", ["stderr", "csvlog", "jsonlog"])
def test_the_real_logs_parse_in_every_format(pgaudit_logs: dict[str, str], log_format: str) -> None:
    parsed = parse_log(pgaudit_logs[log_format])
    assert parsed.log_format == log_format
    events = [
        to_event(r, key=bytes(32), ingested_at="2026-01-01T00:00:00.000Z") for r in parsed.records
    ]
    assert [(e["action"], e["target_type"], e["target_id"]) for e in events] == EXPECTED
    assert {e["actor_id"] for e in events} == {"db:postgres"}
    assert events[3]["after"]["statement_shape"] == "INSERT INTO accounts VALUES (?, ?)"
    # a statement on several lines (stderr: continuation lines start with a tab)
    assert events[4]["after"]["statement_shape"] == "UPDATE accounts SET iban = ? WHERE id = ?"
    assert all(e["after"]["time_source"] == "log" for e in events)
    assert SECRET not in json.dumps(events)
    assert "FR7630006000011234567890189" not in json.dumps(events)


def test_the_real_log_is_ingested_once(
    pgaudit_logs: dict[str, str],
    cli: Cli,  # noqa: F811 - the fixture
    stores: Stores,
    project_dir: Path,
) -> None:
    path = project_dir / "pg.json"
    path.write_text(pgaudit_logs["jsonlog"])
    code, out, _ = cli("audit", "ingest-pgaudit", str(path), "-f", "json")
    assert (code, json.loads(out)["appended"]) == (0, len(EXPECTED))
    code, out, _ = cli("audit", "ingest-pgaudit", str(path), "-f", "json")
    assert (code, json.loads(out)["appended"], json.loads(out)["already_ingested"]) == (0, 0, 5)
    from readiness.config import load_settings

    with stores.audit.connect() as conn:
        stored = b"".join(e for _, e, _ in iter_entries(conn, load_settings(cli.root).audit_origin))
    assert SECRET.encode() not in stored
    code, out, _ = cli("audit", "verify", "-f", "json")
    assert (code, json.loads(out)["size"]) == (0, 15)
