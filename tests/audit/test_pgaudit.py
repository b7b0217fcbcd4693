"""pgaudit log records as audit events: the three log formats, the statement's shape, the
event, and the parser against hostile input (Hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.audit.events import validate_event
from readiness.audit.pgaudit import (
    detect_format,
    parse_log,
    statement_hmac,
    statement_shape,
    to_event,
)
from readiness.errors import InputError

KEY = bytes(range(32))
NOW = "2026-05-01T00:00:00.000Z"

STDERR = (
    "2026-04-10 14:23:01.123 UTC [4242] alice@shop LOG:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,"
    'TABLE,public.accounts,"CREATE TABLE accounts (id int, iban text) -- owner: bob",'
    "<not logged>\n"
    "2026-04-10 14:23:02.000 UTC [4242] alice@shop LOG:  AUDIT: SESSION,2,1,WRITE,UPDATE,TABLE,"
    "public.accounts,\"UPDATE accounts SET iban = 'DE89370400440532013000'\n"
    '\tWHERE id = 42",<not logged>\n'
    "2026-04-10 14:23:03.000 UTC [4242] alice@shop LOG:  statement: SELECT 1\n"
    "2026-04-10 14:23:04.000 UTC [77] LOG:  checkpoint starting: time\n"
)

CSVLOG = (
    '2026-04-10 14:23:01.123 UTC,"alice","shop",4242,"[local]",6630a1b2.1092,1,"UPDATE",'
    '2026-04-10 14:20:00 UTC,3/7,741,LOG,00000,"AUDIT: SESSION,1,1,WRITE,UPDATE,TABLE,'
    'public.accounts,""UPDATE accounts SET balance = 10.5\n WHERE id = 7"",<not logged>"'
    ',,,,,,,,,"psql","client backend",,0\n'
    "2026-04-10 14:23:02.000 UTC,,,77,,6630a1b2.4d,1,,2026-04-10 14:00:00 UTC,,0,LOG,00000,"
    '"checkpoint starting: time",,,,,,,,,"","checkpointer",,0\n'
)

JSONLOG = (
    json.dumps(
        {
            "timestamp": "2026-04-10 14:23:01.123 +02",
            "user": "ops@example.com",
            "dbname": "shop",
            "pid": 4242,
            "session_id": "6630a1b2.1092",
            "error_severity": "LOG",
            "message": "AUDIT: OBJECT,3,1,READ,SELECT,TABLE,public.accounts,"
            "\"SELECT * FROM accounts WHERE iban = $1\",'DE89'",
        }
    )
    + "\n"
    + json.dumps({"timestamp": "2026-04-10 14:23:02.000 UTC", "message": "connection received"})
    + "\n"
)


def test_stderr_records_with_their_continuation_lines_and_prefix_fields() -> None:
    parsed = parse_log(STDERR)
    assert (parsed.log_format, parsed.skipped, len(parsed.records)) == ("stderr", 2, 2)
    first, second = parsed.records
    assert (first.line, first.user, first.database, first.occurred_at) == (
        1,
        "alice",
        "shop",
        "2026-04-10T14:23:01.123Z",
    )
    assert (first.statement_class, first.command, first.object_type, first.object_name) == (
        "DDL",
        "CREATE TABLE",
        "TABLE",
        "public.accounts",
    )
    assert second.line == 2
    assert second.statement == "UPDATE accounts SET iban = 'DE89370400440532013000'\nWHERE id = 42"


def test_the_event_keeps_the_shape_and_a_keyed_hash_never_the_values() -> None:
    record = parse_log(STDERR).records[1]
    event = to_event(record, key=KEY, ingested_at=NOW)
    assert event == {
        "actor_id": "db:alice",
        "actor_type": "db_role",
        "action": "db.write.update",
        "target_type": "db.table",
        "target_id": "public.accounts",
        "result": "success",
        "occurred_at": "2026-04-10T14:23:02.000Z",
        "source": "pgaudit",
        "request_id": "pgaudit:" + record.key.hex()[:32],
        "after": {
            "audit_type": "SESSION",
            "statement_id": 2,
            "substatement_id": 1,
            "class": "WRITE",
            "command": "UPDATE",
            "object_type": "TABLE",
            "statement_shape": "UPDATE accounts SET iban = ? WHERE id = ?",
            "statement_hmac": statement_hmac(KEY, record.statement),
            "parameters": "none",
            "database": "shop",
            "time_source": "log",
        },
    }
    assert "DE89" not in json.dumps(event)
    assert statement_hmac(KEY, record.statement) != statement_hmac(bytes(32), record.statement)


def test_csvlog_records_span_lines_and_carry_the_session() -> None:
    parsed = parse_log(CSVLOG)
    assert (parsed.log_format, parsed.skipped, len(parsed.records)) == ("csvlog", 1, 1)
    event = to_event(parsed.records[0], key=KEY, ingested_at=NOW)
    assert event["session_id"] == "6630a1b2.1092"
    assert event["actor_id"] == "db:alice"
    assert event["after"]["statement_shape"] == "UPDATE accounts SET balance = ? WHERE id = ?"


def test_jsonlog_with_an_offset_and_a_role_that_is_an_email() -> None:
    parsed = parse_log(JSONLOG)
    assert (parsed.log_format, parsed.skipped, len(parsed.records)) == ("jsonlog", 1, 1)
    record = parsed.records[0]
    assert record.occurred_at == "2026-04-10T12:23:01.123Z"
    event = to_event(record, key=KEY, ingested_at=NOW)
    assert event["action"] == "db.read.select"
    assert event["actor_id"].startswith("db:h-")
    assert "example.com" not in json.dumps(event)
    assert event["after"]["parameters"] == "withheld"
    assert event["after"]["statement_shape"] == "SELECT * FROM accounts WHERE iban = $1"


def test_identical_records_get_distinct_keys_and_the_same_keys_on_a_second_read() -> None:
    line = "LOG:  AUDIT: SESSION,1,1,MISC,SET,,,SET x = 1,<not logged>\n"
    first = parse_log(line * 3, log_format="stderr", prefix="")
    again = parse_log(line * 4, log_format="stderr", prefix="")
    keys = [r.key for r in first.records]
    assert len(set(keys)) == 3
    assert [r.key for r in again.records][:3] == keys
    event = to_event(first.records[0], key=KEY, ingested_at=NOW)
    assert (event["actor_id"], event["target_type"], event["target_id"]) == (
        "db:unknown",
        "db.statement",
        "unknown",
    )
    assert (event["occurred_at"], event["after"]["time_source"]) == (NOW, "ingested")


@pytest.mark.parametrize(
    ("statement", "shape"),
    [
        ("SELECT 1", "SELECT ?"),
        (
            "insert into t1 values (1, 'a''b', E'x\\'y', 2.5e3)",
            "insert into t1 values (?, ?, ?, ?)",
        ),
        ('UPDATE "Weird ""T""" SET a = $1 /* note: 42 */', 'UPDATE "Weird ""T""" SET a = $1'),
        ("DO $body$ BEGIN PERFORM 'x'; END $body$", "DO ?"),
        ("SELECT 'unterminated", "SELECT ?"),
        ("<not logged>", "<not logged>"),
    ],
)
def test_statement_shape(statement: str, shape: str) -> None:
    assert statement_shape(statement) == shape


def test_detect_format() -> None:
    assert detect_format(STDERR) == "stderr"
    assert detect_format(CSVLOG) == "csvlog"
    assert detect_format(JSONLOG) == "jsonlog"


@pytest.mark.parametrize(
    ("text", "log_format", "message"),
    [
        ("LOG:  AUDIT: SESSION,1\n", "stderr", "line 1: malformed pgaudit record (2 fields;"),
        ("LOG:  AUDIT: SOMETHING,1,1,a,b,c,d,e,f\n", "stderr", "line 1: malformed pgaudit"),
        ("{not json\n", "jsonlog", "line 1: not a jsonlog record (invalid JSON)"),
        ("a,b\n", "csvlog", "line 1: not a csvlog record (2 columns, csvlog has at least 14)"),
        ("x\x00y", "auto", "the input holds NUL bytes: it is not a PostgreSQL text log"),
        ("", "xml", "log format must be one of auto, stderr, csvlog, jsonlog (got 'xml')"),
    ],
)
def test_refusals_name_the_line(text: str, log_format: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_log(text, log_format=log_format)
    assert caught.value.message.startswith(message)


_FIELD = st.text(st.characters(codec="utf-8"), max_size=40)


@given(
    prefix=st.sampled_from(["", "%m [%p] %q%u@%d ", "%t %u %x %c ", "%n|%a|"]),
    head=_FIELD,
    fields=st.lists(_FIELD, min_size=0, max_size=12),
    noise=st.text(st.characters(codec="utf-8"), max_size=200),
    log_format=st.sampled_from(["auto", "stderr", "csvlog", "jsonlog"]),
)
def test_hostile_logs_give_records_that_validate_or_one_input_error(
    prefix: str, head: str, fields: list[str], noise: str, log_format: str
) -> None:
    text = f"{head}LOG:  AUDIT: {','.join(fields)}\n{noise}\n{head}LOG:  AUDIT: SESSION,{noise}"
    try:
        parsed = parse_log(text, log_format=log_format, prefix=prefix)
    except InputError as exc:
        assert exc.message
        return
    for record in parsed.records:
        validate_event(to_event(record, key=KEY, ingested_at=NOW))


@given(st.text(st.characters(codec="utf-8"), max_size=400))
def test_any_statement_has_a_printable_bounded_shape(statement: str) -> None:
    shape = statement_shape(statement)
    assert len(shape) <= 1000
    assert all(c.isprintable() for c in shape)


@given(st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_text_parses_or_is_refused_with_input_error(text: str) -> None:
    for log_format in ("auto", "stderr", "csvlog", "jsonlog"):
        try:
            parsed = parse_log(text, log_format=log_format)
        except InputError:
            continue
        for record in parsed.records:
            validate_event(to_event(record, key=KEY, ingested_at=NOW))
