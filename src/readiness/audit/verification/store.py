"""Queries on the verification runs (audit database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import utc
from readiness.audit.verification.tables import audit_verification_runs as runs

TRIGGERS = ("schedule", "cli", "api")


@dataclass(frozen=True, slots=True)
class VerificationRun:
    """One verification of the trail: when, the log size it saw, and what it found."""

    id: int
    started_at: datetime
    finished_at: datetime
    size: int
    checkpoints: int
    verified: bool
    errors: tuple[str, ...]
    trigger: str

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "size": self.size,
            "checkpoints": self.checkpoints,
            "verified": self.verified,
            "errors": list(self.errors),
            "trigger": self.trigger,
        }


def insert_run(  # noqa: PLR0917 - one column each
    engine: Engine,
    log: str,
    started_at: datetime,
    finished_at: datetime,
    size: int,
    checkpoints: int,
    errors: Sequence[str],
    trigger: str,
) -> VerificationRun:
    with engine.begin() as conn:
        key = conn.execute(
            runs.insert().values(
                log=log,
                started_at=started_at,
                finished_at=finished_at,
                size=size,
                checkpoints=checkpoints,
                verified=not errors,
                errors=list(errors),
                trigger=trigger,
            )
        ).inserted_primary_key
    assert key is not None
    return VerificationRun(
        int(key[0]), started_at, finished_at, size, checkpoints, not errors, tuple(errors), trigger
    )


def list_runs(engine: Engine, log: str, *, limit: int = 50) -> list[VerificationRun]:
    """The newest ``limit`` runs of ``log``, newest first."""
    query = (
        sa.select(runs)
        .where(runs.c.log == log)
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        VerificationRun(
            int(r["id"]),
            utc(r["started_at"]),
            utc(r["finished_at"]),
            int(r["size"]),
            int(r["checkpoints"]),
            bool(r["verified"]),
            tuple(str(e) for e in r["errors"]),
            str(r["trigger"]),
        )
        for r in rows
    ]


def latest_run(engine: Engine, log: str) -> VerificationRun | None:
    found = list_runs(engine, log, limit=1)
    return found[0] if found else None
