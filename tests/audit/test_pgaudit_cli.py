"""`readiness audit ingest-pgaudit` on SQLite and PostgreSQL: appends each record once, keeps
no statement value, refuses unreadable input with one line (exit 2, nothing appended)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.audit.pgaudit_ingest import KEY_FILE
from readiness.ledger.store import iter_entries
from readiness.storage import Stores
from tests.audit.test_pgaudit import STDERR
from tests.audit.test_tamper_cli import Cli, cli  # noqa: F401 - the fixture

MORE = (
    "2026-04-10 14:24:00.500 UTC [4243] carol@shop LOG:  AUDIT: SESSION,1,1,WRITE,DELETE,TABLE,"
    "public.accounts,\"DELETE FROM accounts WHERE iban = 'FR7630006000011234567890189'\","
    "<not logged>\n"
)


def ingest(cli: Cli, path: Path) -> tuple[int, dict[str, object]]:  # noqa: F811
    code, out, _ = cli("audit", "ingest-pgaudit", str(path), "-f", "json")
    return code, json.loads(out)


def test_ingest_appends_each_record_once(cli: Cli, stores: Stores, project_dir: Path) -> None:  # noqa: F811
    log = project_dir / "postgresql.log"
    log.write_text(STDERR)
    code, result = ingest(cli, log)
    assert code == 0
    assert result == {
        "records": 2,
        "appended": 2,
        "already_ingested": 0,
        "skipped_lines": 2,
        "log_format": "stderr",
        "first_index": 10,
    }
    assert (project_dir / KEY_FILE).stat().st_mode & 0o777 == 0o600
    code, again = ingest(cli, log)
    assert (code, again["appended"], again["already_ingested"]) == (0, 0, 2)
    log.write_text(STDERR + MORE)  # the log grew
    code, grown = ingest(cli, log)
    assert (code, grown["appended"], grown["already_ingested"], grown["first_index"]) == (
        0,
        1,
        2,
        12,
    )
    with stores.audit.connect() as conn:
        entries = [entry for _, entry, _ in iter_entries(conn, _origin(cli))]
    events = [json.loads(entry) for entry in entries[10:]]
    assert [(e["actor_id"], e["action"]) for e in events] == [
        ("db:alice", "db.ddl.create_table"),
        ("db:alice", "db.write.update"),
        ("db:carol", "db.write.delete"),
    ]
    stored = b"".join(entries)
    assert b"DE89370400440532013000" not in stored
    assert b"FR7630006000011234567890189" not in stored
    assert b"owner: bob" not in stored
    code, out, _ = cli("audit", "verify", "-f", "json")
    assert (code, json.loads(out)["size"]) == (0, 13)


def _origin(cli: Cli) -> str:  # noqa: F811
    from readiness.config import load_settings

    return load_settings(cli.root).audit_origin


def test_stdin_and_text_output(
    cli: Cli,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MORE.encode())))
    code, out, _ = cli("audit", "ingest-pgaudit", "-")
    assert code == 0
    assert out == (
        "1 pgaudit records (stderr): 1 appended, 0 already ingested; 0 other log lines skipped\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe garbage", "error: {path}: not UTF-8 text at byte 0: not a PostgreSQL log"),
        (
            b"LOG:  AUDIT: SESSION,1\n",
            "error: line 1: malformed pgaudit record (2 fields; pgaudit writes",
        ),
        (b"x\x00y", "error: the input holds NUL bytes: it is not a PostgreSQL text log"),
    ],
)
def test_unreadable_input_exits_2_with_one_line_and_appends_nothing(
    cli: Cli,  # noqa: F811
    project_dir: Path,
    content: bytes,
    message: str,
) -> None:
    path = project_dir / "bad.log"
    path.write_bytes(content)
    code, out, err = cli("audit", "ingest-pgaudit", str(path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(message.format(path=path))
    code, out, _ = cli("audit", "verify", "-f", "json")
    assert json.loads(out)["size"] == 10


def test_a_missing_file_exits_2(cli: Cli, project_dir: Path) -> None:  # noqa: F811
    code, _, err = cli("audit", "ingest-pgaudit", str(project_dir / "nope.log"))
    assert code == 2
    assert err == f"error: {project_dir / 'nope.log'}: No such file or directory\n"


_LINE = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=80),
    st.builds(
        lambda head, body: f"{head}LOG:  AUDIT: {body}",
        st.sampled_from(["", "2026-04-10 14:23:01.123 UTC [1] bob@db ", "x "]),
        st.text(st.characters(codec="utf-8"), max_size=120),
    ),
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.lists(_LINE, max_size=6).map(lambda lines: "\n".join(lines).encode()),
    )
)
def test_any_input_is_ingested_or_refused_with_one_line(
    cli: Cli,  # noqa: F811 - the fixture
    project_dir: Path,
    content: bytes,
) -> None:
    path = project_dir / "fuzz.log"
    path.write_bytes(content)
    code, _, err = cli("audit", "ingest-pgaudit", str(path))
    assert code in (0, 2)
    if code == 2:
        assert err.startswith("error: ")
        assert err.count("\n") == 1
    else:
        assert err == ""
