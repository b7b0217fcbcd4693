"""Ingest pgaudit records into the audit trail, once each (the I/O side of
:mod:`readiness.audit.pgaudit`).

Each record's key (its raw text and occurrence, see :class:`~readiness.audit.pgaudit.PgauditRecord`)
is kept in ``audit_pgaudit_marks`` with the leaf index its event got. A record whose key is
there is not appended again, so the same log, or a log that grew since, can be ingested any
number of times. The events are appended first and their marks written after: a crash between
the two appends the records again on the next run (never loses one), and the duplicates carry
the same ``request_id`` (``pgaudit:<key>``), which tells them apart.

Statements and role names that are not plain ids are HMAC'd with a key of their own, created
0600 at ``.readiness/secrets/audit-pgaudit.key`` (relative to the project) on first use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from readiness.audit.events import entry_bytes
from readiness.audit.pgaudit import ParsedLog, to_event
from readiness.errors import KeyFormatError
from readiness.storage.files import create_private_file
from readiness.storage.metadata import audit_metadata

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness._common.clock import Clock
    from readiness.ledger.service import LedgerService

KEY_FILE = ".readiness/secrets/audit-pgaudit.key"
KEY_BYTES = 32
_LOOKUP_CHUNK = 500

pgaudit_marks = sa.Table(
    "audit_pgaudit_marks",
    audit_metadata,
    sa.Column("record_key", sa.LargeBinary(32), primary_key=True),
    sa.Column("leaf_index", sa.BigInteger(), nullable=False),
    sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class IngestResult:
    records: int  # pgaudit records in the input
    appended: int  # of them, new: appended now
    already: int  # of them, appended by an earlier run
    skipped_lines: int  # log records that are not pgaudit records
    log_format: str
    first_index: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "appended": self.appended,
            "already_ingested": self.already,
            "skipped_lines": self.skipped_lines,
            "log_format": self.log_format,
            "first_index": self.first_index,
        }


def load_or_create_key(path: Path) -> bytes:
    """The HMAC key in ``path`` (64 hex digits), created 0600 from the OS's randomness."""
    create_private_file(path, (os.urandom(KEY_BYTES).hex() + "\n").encode())
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise KeyFormatError(f"cannot read the pgaudit HMAC key file {path}: {exc}") from exc
    if len(key) != KEY_BYTES:
        raise KeyFormatError(f"the pgaudit HMAC key file {path} must hold {KEY_BYTES} bytes")
    return key


def known_keys(engine: Engine, keys: list[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    with engine.connect() as conn:
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            part = keys[start : start + _LOOKUP_CHUNK]
            rows = conn.execute(
                sa.select(pgaudit_marks.c.record_key).where(pgaudit_marks.c.record_key.in_(part))
            )
            found.update(bytes(key) for (key,) in rows)
    return found


def ingest(
    parsed: ParsedLog, *, engine: Engine, ledger: LedgerService, key: bytes, clock: Clock
) -> IngestResult:
    """Append the events of ``parsed``'s records that no earlier run appended."""
    now = clock.now()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    done = known_keys(engine, [record.key for record in parsed.records])
    fresh = [record for record in parsed.records if record.key not in done]
    # Every event is built (and validated) before anything is appended: all or none.
    entries = [entry_bytes(to_event(record, key=key, ingested_at=stamp)) for record in fresh]
    indices = ledger.append(entries) if entries else []
    if indices:
        with engine.begin() as conn:
            conn.execute(
                pgaudit_marks.insert(),
                [
                    {"record_key": record.key, "leaf_index": index, "ingested_at": now}
                    for record, index in zip(fresh, indices, strict=True)
                ],
            )
    return IngestResult(
        records=len(parsed.records),
        appended=len(indices),
        already=len(parsed.records) - len(fresh),
        skipped_lines=parsed.skipped,
        log_format=parsed.log_format,
        first_index=min(indices) if indices else None,
    )
