"""PostgreSQL ``pgaudit`` log records as audit events (direct database access by operators).

Pure: no database, no clock, no files. :func:`parse_log` reads a PostgreSQL server log in any of
its three formats (``stderr`` with a ``log_line_prefix``, ``csvlog``, ``jsonlog``; ``auto``
tells them apart) and returns the pgaudit records in it, skipping every other log line. A
record is the message ``AUDIT: <audit type>,<statement id>,<substatement id>,<class>,<command>,
<object type>,<object name>,<statement>,<parameter>[,<rows>]`` (CSV-quoted by pgaudit).

:func:`to_event` maps a record to an audit event (:mod:`readiness.audit.events`):

- ``actor_id`` ``db:<role>`` (the role from the log line's ``%u`` / ``user_name`` / ``user``);
  a role name that is not a plain id (an e-mail, spaces) becomes ``db:h-<keyed hash>``;
  ``db:unknown`` when the log does not say.
- ``action`` ``db.<class>.<command>``: ``db.write.update``, ``db.ddl.create_table``.
- ``target_type`` ``db.<object type>`` (``db.table``), ``target_id`` the object name
  (``public.accounts``); ``db.statement`` and the database when the record names none.
- The statement is **never stored**: it may hold values (``UPDATE accounts SET iban = '...'``).
  ``after`` keeps its *shape* (literals, numbers and comments replaced by ``?``) and a keyed
  HMAC-SHA-256 of its text (equal statements compare equal, a guessed value cannot be confirmed
  without the key). Bind parameters are never kept; ``parameters`` says whether pgaudit had
  logged any.

Every record has a ``key``: the SHA-256 of its raw text and of how many identical records came
before it in the same input. Ingesting the same log twice (or a log that grew) gives the same
keys: what makes ingestion idempotent.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from readiness.audit.events import validate_event
from readiness.errors import InputError

FORMATS = ("auto", "stderr", "csvlog", "jsonlog")
DEFAULT_PREFIX = "%m [%p] %q%u@%d "  # Debian's postgresql.conf
MAX_SHAPE = 1000
MAX_STATEMENT_SCANNED = 64 * 1024
NOT_LOGGED = ("<not logged>", "<previously logged>", "<none>")
_SEVERITIES = ("LOG", "NOTICE", "WARNING", "INFO", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3")
_STDERR_AUDIT = re.compile(r"(?:LOG|NOTICE|WARNING|INFO|DEBUG[1-5]?):  AUDIT: ")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-]*\Z")
_EMAILISH = re.compile(r"@|%40|\[at\]", re.IGNORECASE)
_WORD = re.compile(r"[^a-z0-9]+")
_CSV_COLUMNS = 14  # log_time .. message: what every csvlog since PostgreSQL 9 has


@dataclass(frozen=True)
class PgauditRecord:
    """One pgaudit record and what its log line says around it."""

    line: int  # first line of the log record in the input (1-based)
    key: bytes  # idempotence mark (see the module docstring)
    occurred_at: str | None  # RFC 3339 UTC, when the log line's time could be read
    user: str | None
    database: str | None
    session: str | None
    audit_type: str
    statement_id: int
    substatement_id: int
    statement_class: str
    command: str
    object_type: str
    object_name: str
    statement: str
    parameter: str


@dataclass(frozen=True)
class ParsedLog:
    records: list[PgauditRecord]
    skipped: int  # log records that are not pgaudit records
    log_format: str


@dataclass(frozen=True)
class _Raw:
    line: int
    text: str  # the raw log record, what the key hashes
    message: str  # from ``AUDIT: `` on
    occurred: str | None
    user: str | None
    database: str | None
    session: str | None


def parse_log(text: str, *, log_format: str = "auto", prefix: str = DEFAULT_PREFIX) -> ParsedLog:
    """Every pgaudit record of a PostgreSQL log; :class:`InputError` (naming the line) for a
    pgaudit record that is malformed or a log that is not in ``log_format``."""
    if log_format not in FORMATS:
        raise InputError(f"log format must be one of {', '.join(FORMATS)} (got {log_format!r})")
    if "\x00" in text:
        raise InputError("the input holds NUL bytes: it is not a PostgreSQL text log")
    if log_format == "auto":
        log_format = detect_format(text)
    if log_format == "jsonlog":
        raws, skipped = _jsonlog(text)
    elif log_format == "csvlog":
        raws, skipped = _csvlog(text)
    else:
        raws, skipped = _stderr(text, _prefix_pattern(prefix))
    seen: dict[bytes, int] = {}
    records = []
    for raw in raws:
        digest = hashlib.sha256(f"{log_format}\x00{raw.text}".encode()).digest()
        occurrence = seen.get(digest, 0)
        seen[digest] = occurrence + 1
        key = hashlib.sha256(digest + occurrence.to_bytes(8, "big")).digest()
        records.append(_record(raw, key))
    return ParsedLog(records, skipped, log_format)


def detect_format(text: str) -> str:
    """``jsonlog`` when the first line is a JSON object, ``csvlog`` when the first record has
    the csvlog columns, else ``stderr``."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return "jsonlog"
    try:
        row = next(csv.reader(io.StringIO(first)), [])
    except csv.Error:
        return "stderr"
    if len(row) >= _CSV_COLUMNS and row[11] in (*_SEVERITIES, "ERROR", "FATAL", "PANIC"):
        return "csvlog"
    return "stderr"


# --- the three log formats ----------------------------------------------------------------------


def _jsonlog(text: str) -> tuple[list[_Raw], int]:
    raws: list[_Raw] = []
    skipped = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"line {number}: not a jsonlog record (invalid JSON)") from exc
        if not isinstance(entry, dict):
            raise InputError(f"line {number}: not a jsonlog record (not a JSON object)")
        message = entry.get("message")
        if not isinstance(message, str) or not message.startswith("AUDIT: "):
            skipped += 1
            continue
        raws.append(
            _Raw(
                number,
                line,
                message,
                _text_or_none(entry.get("timestamp")),
                _text_or_none(entry.get("user")),
                _text_or_none(entry.get("dbname")),
                _text_or_none(entry.get("session_id")),
            )
        )
    return raws, skipped


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _csvlog(text: str) -> tuple[list[_Raw], int]:
    raws: list[_Raw] = []
    skipped = 0
    stream = io.StringIO(text)
    reader = csv.reader(stream)
    first_line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"line {first_line}: not a csvlog record ({exc})") from exc
        line, first_line = first_line, reader.line_num + 1
        if not row:
            continue
        if len(row) < _CSV_COLUMNS:
            raise InputError(
                f"line {line}: not a csvlog record ({len(row)} columns, csvlog has at least "
                f"{_CSV_COLUMNS})"
            )
        if not row[13].startswith("AUDIT: "):
            skipped += 1
            continue
        raw_text = "\x1f".join(row)
        raws.append(
            _Raw(line, raw_text, row[13], row[0] or None, row[1] or None, row[2] or None, row[5])
        )
    return raws, skipped


def _stderr(text: str, prefix: re.Pattern[str]) -> tuple[list[_Raw], int]:
    """Records of the stderr format: a line starting with a tab continues the record before
    (PostgreSQL indents the further lines of a message so)."""
    raws: list[_Raw] = []
    skipped = 0
    for line, record in _stderr_records(text):
        found = _STDERR_AUDIT.search(record)
        if found is None:
            skipped += 1
            continue
        head = record[: found.start()]
        matched = prefix.fullmatch(head)
        groups: dict[str, str | None] = matched.groupdict() if matched else {}
        occurred = groups.get("m") or groups.get("t") or groups.get("n")
        raws.append(
            _Raw(
                line,
                record,
                record[found.end() - len("AUDIT: ") :],
                occurred,
                groups.get("u") or None,
                groups.get("d") or None,
                groups.get("c") or None,
            )
        )
    return raws, skipped


def _stderr_records(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("\t") and lines:
            lines.append(line[1:])
            continue
        if lines:
            yield start, "\n".join(lines)
        start, lines = number, [line]
    if lines:
        yield start, "\n".join(lines)


_PREFIX_ESCAPES = {
    "m": r"(?P<m>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?: \S+)?)",
    "t": r"(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: \S+)?)",
    "n": r"(?P<n>\d+(?:\.\d+)?)",
    "p": r"\d+",
    "l": r"\d+",
    "u": r"(?P<u>.*?)",
    "d": r"(?P<d>.*?)",
    "c": r"(?P<c>[0-9a-f]+\.[0-9a-f]+)",
}


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    """A regex for the text ``log_line_prefix`` expands to (``%q``: the rest is optional)."""
    parts: list[str] = []
    optional = False
    named: set[str] = set()
    position = 0
    escape = re.compile(r"%(-?\d*)([a-zA-Z%])")
    for found in escape.finditer(prefix):
        parts.append(re.escape(prefix[position : found.start()]))
        position = found.end()
        letter = found.group(2)
        if letter == "%":
            parts.append("%")
        elif letter == "q":
            parts.append("(?:")
            optional = True
        elif letter in _PREFIX_ESCAPES and letter not in named and not found.group(1):
            named.add(letter)
            parts.append(_PREFIX_ESCAPES[letter])
        else:
            parts.append(r".*?")
    parts.append(re.escape(prefix[position:]))
    if optional:
        parts.append(")?")
    return re.compile("".join(parts), re.DOTALL)


# --- one record -----------------------------------------------------------------------------


def _record(raw: _Raw, key: bytes) -> PgauditRecord:
    body = raw.message[len("AUDIT: ") :]
    try:
        rows = list(csv.reader(io.StringIO(body, newline="")))
    except csv.Error as exc:
        raise InputError(f"line {raw.line}: malformed pgaudit record ({exc})") from exc
    fields = [value for row in rows for value in row] if len(rows) <= 1 else _joined(rows)
    if not 8 <= len(fields) <= 10:
        raise InputError(
            f"line {raw.line}: malformed pgaudit record ({len(fields)} fields; pgaudit writes "
            "AUDIT: type,statement id,substatement id,class,command,object type,object name,"
            "statement,parameter)"
        )
    audit_type, statement_id, substatement_id, statement_class = fields[:4]
    if audit_type not in ("SESSION", "OBJECT"):
        raise InputError(
            f"line {raw.line}: malformed pgaudit record (audit type must be SESSION or OBJECT)"
        )
    if not (statement_id.isdigit() and substatement_id.isdigit()):
        raise InputError(
            f"line {raw.line}: malformed pgaudit record (statement ids must be numbers)"
        )
    if len(statement_id) > 18 or len(substatement_id) > 18:
        raise InputError(f"line {raw.line}: malformed pgaudit record (statement id too large)")
    return PgauditRecord(
        line=raw.line,
        key=key,
        occurred_at=_utc(raw.occurred),
        user=raw.user,
        database=raw.database,
        session=raw.session,
        audit_type=audit_type,
        statement_id=int(statement_id),
        substatement_id=int(substatement_id),
        statement_class=statement_class,
        command=fields[4],
        object_type=fields[5],
        object_name=fields[6],
        statement=fields[7],
        parameter=fields[8] if len(fields) > 8 else "<none>",
    )


def _joined(rows: list[list[str]]) -> list[str]:
    """csv.reader splits an unquoted newline into rows: glue them back into one record."""
    fields: list[str] = []
    for row in rows:
        if fields and row:
            fields[-1] += "\n" + row[0]
            fields.extend(row[1:])
        else:
            fields.extend(row)
    return fields


def _utc(text: str | None) -> str | None:
    """A PostgreSQL log time (``2026-04-10 14:23:01.123 UTC``, ``+02``, epoch seconds) as RFC
    3339 UTC; None when its zone is a name other than UTC/GMT (set ``log_timezone = 'UTC'``)."""
    if not text:
        return None
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            at = datetime.fromtimestamp(float(text), UTC)
        else:
            found = re.fullmatch(
                r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?)\s*"
                r"(UTC|GMT|Z|[+-]\d\d(?::?\d\d)?)?",
                text.strip(),
            )
            if found is None:
                return None
            at = datetime.fromisoformat(found.group(1)).replace(tzinfo=UTC)
            zone = found.group(2) or "UTC"
            if zone[0] in "+-":
                digits = zone[1:].replace(":", "")
                offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
                at -= offset if zone[0] == "+" else -offset
    except (ValueError, OverflowError, OSError):
        return None
    if not 1 <= at.year <= 9999:
        return None
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


# --- the statement's shape ------------------------------------------------------------------

_TOKENS = re.compile(
    r"""
      (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z0-9_]{0,62})?\$)
    | (?P<string>[EeBbXxNn]?'(?:[^'\\]|\\.|'')*(?:'|\Z))
    | (?P<ident>"(?:[^"]|"")*(?:"|\Z))
    | (?P<param>\$\d+)
    | (?P<number>(?<![A-Za-z0-9_$])(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    """,
    re.VERBOSE | re.DOTALL,
)


def statement_shape(statement: str) -> str:
    """The statement with every literal and number replaced by ``?`` and comments dropped,
    whitespace collapsed, at most :data:`MAX_SHAPE` characters: what a reviewer needs to see
    which statement ran, without the values it carried."""
    if statement in NOT_LOGGED:
        return statement
    text = statement[:MAX_STATEMENT_SCANNED]
    out: list[str] = []
    position = 0
    while position < len(text):
        found = _TOKENS.search(text, position)
        if found is None:
            out.append(text[position:])
            break
        out.append(text[position : found.start()])
        kind = found.lastgroup
        if kind == "dollar":
            closing = text.find(found.group("dollar"), found.end())
            out.append("?")
            position = len(text) if closing < 0 else closing + len(found.group("dollar"))
            continue
        if kind == "comment":
            out.append(" ")
        elif kind in ("string", "number"):
            out.append("?")
        else:
            out.append(found.group())
        position = found.end()
    shape = " ".join("".join(out).split())
    if len(statement) > MAX_STATEMENT_SCANNED or len(shape) > MAX_SHAPE:
        shape = shape[: MAX_SHAPE - 1] + "…"
    return "".join(c if c.isprintable() else "?" for c in shape)


def statement_hmac(key: bytes, statement: str) -> str:
    return "hmac-sha256:" + hmac.new(key, statement.encode(), hashlib.sha256).hexdigest()


# --- the audit event ------------------------------------------------------------------------


def _name(value: str) -> str:
    word = _WORD.sub("_", value.lower()).strip("_")
    return word if word and word[0].isalpha() else "unknown"


def _pseudonym(key: bytes, value: str) -> str:
    if _ID.match(value) and not _EMAILISH.search(value) and len(value) <= 200:
        return value
    return "h-" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def to_event(record: PgauditRecord, *, key: bytes, ingested_at: str) -> dict[str, Any]:
    """The audit event of ``record`` (see the module docstring), validated; ``key`` is the
    HMAC key of statements and of role names that are not plain ids; ``ingested_at`` the
    event's time when the log line's own could not be read."""
    user = f"db:{_pseudonym(key, record.user)}" if record.user else "db:unknown"
    target_type = f"db.{_name(record.object_type)}" if record.object_type else "db.statement"
    target = record.object_name or record.database or "unknown"
    logged = record.statement not in NOT_LOGGED
    after: dict[str, Any] = {
        "audit_type": record.audit_type,
        "statement_id": record.statement_id,
        "substatement_id": record.substatement_id,
        "class": record.statement_class[:64],
        "command": record.command[:64],
        "object_type": record.object_type[:64],
        "statement_shape": statement_shape(record.statement),
        "statement_hmac": statement_hmac(key, record.statement) if logged else None,
        "parameters": "none" if record.parameter in NOT_LOGGED else "withheld",
        "database": record.database[:128] if record.database else None,
        "time_source": "log" if record.occurred_at else "ingested",
    }
    event: dict[str, Any] = {
        "actor_id": user,
        "actor_type": "db_role",
        "action": f"db.{_name(record.statement_class)}.{_name(record.command)}",
        "target_type": target_type,
        "target_id": _pseudonym(key, target),
        "result": "success",
        "occurred_at": record.occurred_at or ingested_at,
        "source": "pgaudit",
        "request_id": "pgaudit:" + record.key.hex()[:32],
        "after": after,
    }
    if record.session and _ID.match(record.session) and len(record.session) <= 200:
        event["session_id"] = record.session
    return validate_event(event)
