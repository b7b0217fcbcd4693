from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from readiness.audit.events import entry_bytes, validate_event
from readiness.cli.main import main
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.merkle import leaf_hash, verify_inclusion
from readiness.ledger.core.note import Ed25519Verifier
from readiness.storage import Stores
from tests.cli.conftest import Run


def test_audit_events_lists_quarantine_changes_from_the_ledger(
    capsys: pytest.CaptureFixture[str], project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_ACTOR", "alice")
    root = ["-C", str(project_dir)]
    main([*root, "tests", "quarantine", "add", "t.py::x", "--reason", "races", "--allow-unknown"])
    main([*root, "tests", "quarantine", "remove", "t.py::x", "--reason", "fixed"])
    capsys.readouterr()

    main([*root, "audit", "events", "--action", "tests.quarantine", "-f", "json"])
    events = json.loads(capsys.readouterr().out)
    main([*root, "audit", "events", "--limit", "1"])
    text = capsys.readouterr().out

    assert [(e["index"], e["actor_id"], e["action"], e["target_id"]) for e in events] == [
        (2, "alice", "tests.quarantine.remove", "t.py::x"),
        (1, "alice", "tests.quarantine.add", "t.py::x"),  # 0: the project, created on demand
    ]
    at = datetime.fromisoformat(events[0]["occurred_at"]).isoformat(timespec="seconds")
    assert text == (
        f"     2  {at}  alice            tests.quarantine.remove      test:t.py::x  success\n"
    )


# --- application events on the ledger -------------------------------------------------------


def event(n: int, **changes: object) -> dict[str, object]:
    return {
        "actor_id": f"usr_{n:04d}",
        "actor_type": "employee",
        "action": "document.view",
        "target_type": "document",
        "target_id": f"doc_{n}",
        "target_fields_accessed": ["title", "body"],
        "result": "allowed",
        "occurred_at": f"2026-04-10T14:23:{n % 60:02d}Z",
        **changes,
    }


def lines(*events: dict[str, object]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


@pytest.fixture
def databases(stores: Stores, monkeypatch: pytest.MonkeyPatch, project_dir: Path) -> Iterator[Path]:
    """The CLI's databases are the parametrised ``stores`` (SQLite files or PostgreSQL)."""
    monkeypatch.setenv("READINESS_STATE_URL", stores.state.url.render_as_string(False))
    monkeypatch.setenv("READINESS_AUDIT_URL", stores.audit.url.render_as_string(False))
    yield project_dir


def test_append_checkpoint_prove_and_the_proof_verifies_against_the_checkpoint(
    cli: Run, databases: Path
) -> None:
    source = databases / "events.jsonl"
    source.write_text(lines(*(event(n) for n in range(5))))

    appended = cli(databases, "audit", "append", str(source), "-f", "json")
    more = cli(databases, "audit", "append", str(source))
    code, out, err = cli(databases, "audit", "checkpoint", "-f", "json")
    checkpoint = json.loads(out)
    prove_code, proof_out, _ = cli(databases, "audit", "prove", "7", "-f", "json")
    proof = json.loads(proof_out)

    assert appended == (0, '{\n  "appended": 5,\n  "first_index": 0,\n  "size": 5\n}\n', "")
    assert more == (0, "appended 5 events at 5-9 (log size 10)\n", "")
    assert (code, err, prove_code) == (0, "", 0)
    origin = f"{databases.name}/audit"
    assert checkpoint["public_key"].startswith(f"{origin}+")
    assert checkpoint["note"].startswith(f"{origin}\n10\n")
    files = sorted(p.name for p in (databases / ".readiness" / "checkpoints").iterdir())
    assert files == [Path(checkpoint["file"]).name, "latest", "log.vkey"]
    assert (databases / ".readiness" / "checkpoints" / "latest").read_text() == checkpoint["note"]
    assert (proof["leaf_index"], proof["tree_size"], proof["checkpoint"]) == (
        7,
        10,
        checkpoint["note"],
    )
    verifier = Ed25519Verifier.from_vkey(checkpoint["public_key"])
    head = open_checkpoint(proof["checkpoint"], verifier, origin=origin).checkpoint
    entry = entry_bytes(validate_event(event(2)))
    assert proof["leaf_hash"] == leaf_hash(entry).hex()
    verify_inclusion(
        7, 10, leaf_hash(entry), [bytes.fromhex(h) for h in proof["path"]], head.root_hash
    )
    assert cli(databases, "audit", "verify", "-f", "json")[:2] == (
        0,
        json.dumps(
            {"verified": True, "size": 10, "checkpoints": 2, "stored_checkpoints": 1, "errors": []},
            indent=2,
        )
        + "\n",
    )


def test_prove_says_when_no_checkpoint_covers_the_event(cli: Run, databases: Path) -> None:
    source = databases / "events.jsonl"
    source.write_text(lines(event(1)))
    cli(databases, "audit", "append", str(source))
    cli(databases, "audit", "checkpoint")
    cli(databases, "audit", "append", str(source))

    assert cli(databases, "audit", "prove", "1") == (
        1,
        "",
        "error: no checkpoint covers event 1 yet (the log holds 2 events); run "
        "`readiness audit checkpoint` first\n",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a":1}\x00\n', "line 1: line: holds a NUL byte"),
        (b"not json\n", "line 1: line: is not JSON (Expecting value: line 1 column 1 (char 0))"),
        (
            lines(event(1)).encode() + b"x" * (2 << 20) + b"\n",
            "line 2: line: longer than 1048576 bytes (2097152)",
        ),
        (
            lines(event(1), event(2, before={"balance": 18446744073709551616})).encode(),
            "line 2: before: holds an integer beyond ±(2^53-1), which JSON cannot keep exact",
        ),
        (
            lines(event(1), event(2, actor_id="jane.doe@example.com")).encode(),
            "line 2: actor_id: looks like an e-mail address, not pseudonymous: give the id the "
            "identity vault maps to the person (e.g. usr_a8f3c2b1)",
        ),
    ],
    ids=["nul", "not-json", "huge", "overflow", "email"],
)
def test_hostile_input_is_exit_2_one_line_and_nothing_is_appended(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, message: str
) -> None:
    source = project_dir / "events.jsonl"
    source.write_bytes(data)

    code, out, err = cli(project_dir, "audit", "append", str(source))

    assert (code, out, err) == (2, "", f"error: {message}\n")
    assert not (project_dir / ".readiness").exists()  # refused before any database is opened
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert cli(project_dir, "audit", "append", "-") == (2, "", f"error: {message}\n")


def test_the_checkpoint_directory_is_configurable_and_a_forged_or_rekeyed_log_fails_verify(
    cli: Run, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "worm" / "checkpoints"
    monkeypatch.setenv("READINESS_AUDIT__CHECKPOINT_DIR", str(outside))
    source = project_dir / "events.jsonl"
    source.write_text(lines(event(1), event(2)))
    cli(project_dir, "audit", "append", str(source))
    cli(project_dir, "audit", "checkpoint")
    note = next(outside.glob("*.note"))
    intact = cli(project_dir, "audit", "verify")
    note.write_text(note.read_text().replace("\n2\n", "\n1\n", 1))
    forged = cli(project_dir, "audit", "verify")
    note.unlink()
    (outside / "latest").unlink()
    key_file = project_dir / ".readiness" / "secrets" / "audit-ledger.key"
    key_file.unlink()
    cli(project_dir, "audit", "checkpoint")  # a new key is made: not the key of log.vkey
    rekeyed = cli(project_dir, "audit", "verify", "-f", "json")

    assert intact == (0, "audit trail verified: 2 events, 2 external checkpoints, 1 stored\n", "")
    assert forged[0] == 1
    assert forged[1].startswith("audit trail NOT verified (1 error):\n  checkpoint file ")
    assert "signature" in forged[1]
    assert rekeyed[0] == 1
    errors = json.loads(rekeyed[1])["errors"]
    assert errors[0] == (
        f"the key file {key_file} is not the key of {outside / 'log.vkey'}: the log's key was "
        "replaced"
    )
    assert len(errors) == 4  # the new checkpoint in the database, its file and latest: unsigned


def test_an_origin_with_a_space_is_a_configuration_error(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_AUDIT__ORIGIN", "my log")

    code, out, err = cli(project_dir, "audit", "checkpoint")

    assert (code, out) == (2, "")
    assert err == (
        "error: configuration (environment): audit.origin: a log origin has no spaces, no '+' "
        'and no control characters (got "my log"); see `readiness init` for a commented example\n'
    )


def test_append_refuses_the_platforms_source_in_one_line_and_appends_nothing(
    cli: Run, databases: Path, stores: Stores
) -> None:
    source = databases / "events.jsonl"
    source.write_text(lines(event(0), event(1, source="readiness")))

    code, out, err = cli(databases, "audit", "append", str(source))

    assert (code, out) == (2, "")
    assert err == (
        "error: event 2: source: 'readiness' is reserved for Readiness's own events; name your "
        'application instead (e.g. "clinical_dashboard"); nothing was appended\n'
    )
    with stores.audit.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM ledger_entries").scalar() == 0
