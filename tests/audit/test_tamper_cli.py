"""`readiness audit verify` against someone who bypasses the append-only triggers.

Each test appends 10 events, checkpoints (stored and written to the checkpoint directory), then
tampers with the audit database as a superuser or a file editor would, and expects `verify` to
fail (exit 1) with an error naming what is wrong. SQLite files and real PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness._common.clock import SystemClock
from readiness.audit.trail import open_ledger
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.storage import Stores, create_engine_for
from readiness.storage.engine import sqlite_path
from readiness.testing import junit_xml

ENV = ("READINESS_STATE_URL", "READINESS_AUDIT_URL", "READINESS_PROJECT", "READINESS_URL")


def event(n: int) -> dict[str, object]:
    return {
        "actor_id": f"usr_{n:04d}",
        "actor_type": "service",
        "action": "invoice.update",
        "target_type": "invoice",
        "target_id": f"inv_{n}",
        "before": {"amount": n},
        "after": {"amount": n + 1},
        "result": "success",
        "occurred_at": "2026-04-10T14:23:01Z",
    }


class Cli:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def verify(self) -> tuple[int, dict[str, object]]:
        code, out, _ = self("audit", "verify", "-f", "json")
        return code, json.loads(out)


@pytest.fixture
def cli(
    stores: Stores,
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")
    monkeypatch.setenv("READINESS_STATE_URL", stores.state.url.render_as_string(False))
    monkeypatch.setenv("READINESS_AUDIT_URL", stores.audit.url.render_as_string(False))
    run = Cli(project_dir, capsys)
    source = project_dir / "events.jsonl"
    source.write_text("".join(json.dumps(event(n)) + "\n" for n in range(10)))
    assert run("audit", "append", str(source))[0] == 0
    assert run("audit", "checkpoint")[0] == 0
    assert run.verify()[0] == 0
    yield run


def tamper(engine: sa.Engine, *statements: str) -> None:
    """What someone who bypasses the triggers (a superuser, a file editor) can do."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            names = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            for name in [row[0] for row in names]:
                conn.execute(sa.text(f"DROP TRIGGER {name}"))
        for statement in statements:
            conn.execute(sa.text(statement))


TRUNCATED = (
    "checkpoint file {name} (size 10): the audit log holds only {size} entries: it was "
    "truncated or rolled back"
)


def checkpoint_file(project_dir: Path) -> str:
    return next((project_dir / ".readiness" / "checkpoints").glob("*.note")).name


@pytest.mark.parametrize(("removed", "size"), [(1, 9), (5, 5)])
def test_deleting_the_newest_events_is_caught_by_the_checkpoints(
    cli: Cli, stores: Stores, project_dir: Path, removed: int, size: int
) -> None:
    tamper(stores.audit, f"DELETE FROM ledger_entries WHERE leaf_index >= {10 - removed}")

    code, report = cli.verify()

    assert (code, report["verified"], report["size"]) == (1, False, size)
    errors = report["errors"]
    assert isinstance(errors, list)
    assert (
        f"checkpoint 1 (size 10): the log holds only {size} entries: it was truncated or "
        "rolled back" in errors
    )
    name = checkpoint_file(project_dir)
    assert TRUNCATED.format(name=name, size=size) in errors
    assert TRUNCATED.format(name="latest", size=size) in errors


def test_deleting_every_event_and_checkpoint_is_caught_by_the_external_checkpoints(
    cli: Cli, stores: Stores, project_dir: Path
) -> None:
    tamper(
        stores.audit,
        "DELETE FROM ledger_entries",
        "DELETE FROM ledger_nodes",
        "DELETE FROM ledger_checkpoints",
    )

    code, report = cli.verify()

    assert (code, report["size"], report["stored_checkpoints"]) == (1, 0, 0)
    assert report["errors"] == [
        "{} is empty, but 2 checkpoint files in {} name a log with events: it was deleted, "
        "replaced or rolled back".format(
            _audit_database(stores), project_dir / ".readiness" / "checkpoints"
        )
    ]


def _audit_database(stores: Stores) -> str:
    from readiness.storage.stores import describe

    return describe("audit", stores.audit.url.render_as_string(False))


@pytest.mark.parametrize("backend", ["sqlite"])  # a PostgreSQL database is no file: see above
def test_a_deleted_audit_database_is_a_failure_not_an_empty_log(
    cli: Cli, stores: Stores, project_dir: Path
) -> None:
    path = sqlite_path(stores.audit.url.render_as_string(False))
    assert path is not None
    stores.audit.dispose()
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()

    code, report = cli.verify()

    assert (code, report["verified"]) == (1, False)
    assert report["errors"] == [
        f"the audit database {path} is missing, but 2 checkpoint files in "
        f"{project_dir / '.readiness' / 'checkpoints'} name a log with events: it was deleted, "
        "replaced or rolled back"
    ]
    assert not path.exists()  # verify created nothing


def test_a_deleted_audit_database_with_activity_in_the_state_database_is_a_failure(
    stores: Stores,
    project_dir: Path,
    backend: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READINESS_STATE_URL", stores.state.url.render_as_string(False))
    monkeypatch.setenv("READINESS_AUDIT_URL", stores.audit.url.render_as_string(False))
    cli = Cli(project_dir, capsys)
    assert cli("tokens", "create", "--role", "reader")[0] == 0
    tamper(stores.audit, "DELETE FROM ledger_entries", "DELETE FROM ledger_nodes")

    code, report = cli.verify()

    assert (code, report["size"], report["checkpoints"]) == (1, 0, 0)
    assert report["errors"] == [
        "outbox row 1 (token.create) was relayed to leaf 0, but leaf 0 of the audit log is "
        "missing: the log or the outbox was altered",
        f"{_audit_database(stores)} is empty, but the state database records 0 runs and 1 "
        "tokens: the audit trail of that activity is gone",
    ]


@pytest.mark.parametrize("extra", [0, 3])
def test_rewriting_an_event_and_every_hash_after_it_is_caught_by_the_external_checkpoint(
    cli: Cli, stores: Stores, project_dir: Path, extra: int
) -> None:
    """The attacker even holds the log's key: they rebuild the log with one event edited, with
    valid nodes and a freshly signed stored checkpoint. Only the external checkpoint knows."""
    with stores.audit.connect() as conn:
        entries = [
            row[0]
            for row in conn.execute(sa.text("SELECT entry FROM ledger_entries ORDER BY leaf_index"))
        ]
    edited = json.loads(entries[4])
    edited["after"] = {"amount": 1_000_000}
    entries[4] = json.dumps(edited, separators=(",", ":"), sort_keys=True).encode()
    tamper(
        stores.audit,
        "DELETE FROM ledger_entries",
        "DELETE FROM ledger_nodes",
        "DELETE FROM ledger_checkpoints",
    )
    settings = load_settings(project_dir)
    engine = create_engine_for(stores.audit.url.render_as_string(False))
    ledger = open_ledger(settings, engine, SystemClock())
    ledger.append([bytes(e) for e in entries] + [entries[0]] * extra)
    ledger.checkpoint()
    ledger.close()
    engine.dispose()

    code, report = cli.verify()

    name = checkpoint_file(project_dir)
    assert (code, report["size"]) == (1, 10 + extra)
    errors = report["errors"]
    assert isinstance(errors, list)
    if extra == 0:
        assert errors == [
            f"checkpoint file {f} (size 10): the log's root differs: it was rewritten after "
            "the checkpoint"
            for f in (name, "latest")
        ]
    else:
        assert [e.split(" (consistency")[0] for e in errors] == [
            f"checkpoint file {f} (size 10): the log is not consistent with it: it was "
            "rewritten after the checkpoint"
            for f in (name, "latest")
        ]


def test_a_deleted_audit_database_file_with_tokens_in_the_state_database_is_a_failure(
    tmp_path: Path,
    project_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    cli = Cli(project_dir, capsys)
    assert cli("tokens", "create", "--role", "reader")[0] == 0
    audit_db = project_dir / ".readiness" / "audit.db"
    for leftover in audit_db.parent.glob("audit.db*"):
        leftover.unlink()

    code, report = cli.verify()

    assert (code, report["size"], report["checkpoints"]) == (1, 0, 0)
    assert report["errors"] == [
        f"the audit database {audit_db} is missing, but the state database records 0 runs and "
        "1 tokens: the audit trail of that activity is gone"
    ]
    assert not audit_db.exists()


def test_a_checkpoint_of_the_empty_log_verifies_and_is_no_evidence_of_deletion(
    project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    cli = Cli(project_dir, capsys)

    checkpoint = cli("audit", "checkpoint")
    verified = cli("audit", "verify")

    assert checkpoint[0] == 0
    assert checkpoint[1].startswith(f"{project_dir.name}/audit\n0\n")
    assert verified == (
        0,
        "audit trail verified: 0 events, 2 external checkpoints, 1 stored\n",
        "",
    )


def test_an_emptied_audit_database_after_an_ingest_is_a_failure(
    project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    cli = Cli(project_dir, capsys)
    report = project_dir / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_pay.py::test_webhook": "passed"}))
    assert cli("tests", "ingest", str(report), "--commit", "c1")[0] == 0
    audit_url = f"sqlite:///{project_dir / '.readiness' / 'audit.db'}"
    engine = create_engine_for(audit_url)
    tamper(engine, "DELETE FROM ledger_entries", "DELETE FROM ledger_nodes")
    engine.dispose()

    code, result = cli.verify()

    assert (code, result["errors"]) == (
        1,
        [
            "outbox row 1 (project.create) was relayed to leaf 0, but leaf 0 of the audit log "
            "is missing: the log or the outbox was altered",
            "outbox row 2 (tests.run.ingested) was relayed to leaf 1, but leaf 1 of the audit "
            "log is missing: the log or the outbox was altered",
            f"audit database {project_dir / '.readiness' / 'audit.db'} is empty, but the state "
            "database records 1 runs and 0 tokens: the audit trail of that activity is gone",
        ],
    )
