"""RFC 3161 timestamps of checkpoints: request, store, verify.

A checkpoint is anchored by asking the TSA at ``audit.tsa_url`` to timestamp the SHA-256 of its
signed note; the TSA's TimeStampToken (DER) is stored with the checkpoint. Verification checks
each stored token: its message imprint is the SHA-256 of the checkpoint's note, its CMS
signature verifies with the TSA certificate in the token, and that certificate chains to the
CA in ``audit.tsa_ca_file`` and may sign timestamps.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from readiness._common.clock import utc
from readiness.audit.verification.rfc3161 import (
    TimestampError,
    build_request,
    open_response,
    verify_token,
)
from readiness.audit.verification.tables import ledger_checkpoint_timestamps as stamps
from readiness.errors import ConfigError, RemoteError
from readiness.ledger.store import ledger_checkpoints
from readiness.notify.core import shown_url

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness.config import Settings
    from readiness.ledger.store import StoredCheckpoint


@dataclass(frozen=True, slots=True)
class StoredTimestamp:
    """One TSA's token for one checkpoint."""

    checkpoint_id: int
    tsa_url: str
    token: bytes
    gen_time: datetime
    created_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {"tsa_url": self.tsa_url, "gen_time": self.gen_time.isoformat()}


def list_timestamps(engine: Engine) -> dict[int, list[StoredTimestamp]]:
    """Every stored timestamp by checkpoint id."""
    found: dict[int, list[StoredTimestamp]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(sa.select(stamps).order_by(stamps.c.created_at)).mappings():
            found[int(row["checkpoint_id"])].append(
                StoredTimestamp(
                    int(row["checkpoint_id"]),
                    str(row["tsa_url"]),
                    bytes(row["token"]),
                    utc(row["gen_time"]),
                    utc(row["created_at"]),
                )
            )
    return dict(found)


def _trusted(settings: Settings) -> bytes:
    if not settings.audit.tsa_ca_file:
        raise ConfigError(
            "audit.tsa_ca_file is not set: name the PEM file of the CA the TSA's certificate "
            "chains to, so its timestamps can be checked"
        )
    path = settings.path(settings.audit.tsa_ca_file)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"audit.tsa_ca_file {path}: cannot be read ({exc.strerror})") from exc


def request_timestamp(settings: Settings, note: str) -> bytes:
    """Ask the TSA at ``audit.tsa_url`` to timestamp ``note``; its token (DER), unverified."""
    import httpx

    url = settings.audit.tsa_url
    if not url:
        raise ConfigError("audit.tsa_url is not set")
    _trusted(settings)  # refuse before asking when the token could not be checked
    digest = hashlib.sha256(note.encode("utf-8")).digest()
    nonce = secrets.randbits(63)
    shown = shown_url(url)
    try:
        response = httpx.post(
            url,
            content=build_request(digest, nonce),
            headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE},
            timeout=settings.audit.tsa_timeout_s,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise RemoteError(f"the TSA {shown} did not answer ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise RemoteError(f"the TSA {shown} answered HTTP {response.status_code}")
    return open_response(response.content, nonce=nonce)


def timestamp_checkpoint(
    settings: Settings, engine: Engine, stored: StoredCheckpoint, *, at: datetime
) -> StoredTimestamp:
    """Timestamp ``stored``'s note at the configured TSA and store the token with it."""
    url = settings.audit.tsa_url or ""
    token = request_timestamp(settings, stored.note)
    stated = verify_token(
        token, hashlib.sha256(stored.note.encode("utf-8")).digest(), _trusted(settings)
    )
    row = StoredTimestamp(stored.id, url, token, stated.gen_time, at)
    with engine.begin() as conn:
        conn.execute(
            stamps.insert().values(
                checkpoint_id=row.checkpoint_id,
                tsa_url=row.tsa_url,
                token=row.token,
                gen_time=row.gen_time,
                created_at=row.created_at,
            )
        )
    return row


def verify_timestamps(settings: Settings, engine: Engine) -> list[str]:
    """Check every stored token against its checkpoint's note; the errors, in words."""
    found = list_timestamps(engine)
    if not found:
        return []
    with engine.connect() as conn:
        notes = {
            int(r.id): str(r.note)
            for r in conn.execute(sa.select(ledger_checkpoints.c.id, ledger_checkpoints.c.note))
        }
    try:
        trusted = _trusted(settings)
    except ConfigError as exc:
        count = sum(len(v) for v in found.values())
        return [f"{count} checkpoint timestamps cannot be checked: {exc.message}"]
    errors: list[str] = []
    for checkpoint_id, rows in sorted(found.items()):
        for row in rows:
            label = f"checkpoint {checkpoint_id}: the timestamp of {shown_url(row.tsa_url)}"
            note = notes.get(checkpoint_id)
            if note is None:
                errors.append(f"{label} belongs to no stored checkpoint")
                continue
            try:
                stated = verify_token(
                    row.token, hashlib.sha256(note.encode("utf-8")).digest(), trusted
                )
            except TimestampError as exc:
                errors.append(f"{label}: {exc.message}")
                continue
            if stated.gen_time != row.gen_time:
                errors.append(
                    f"{label}: the token states {stated.gen_time.isoformat()}, the row "
                    f"{row.gen_time.isoformat()}"
                )
    return errors
