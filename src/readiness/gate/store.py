"""The ``gate_runs`` table in the state database (created by ``alembic_state``) and its queries.

One row per gate evaluation; the checks are a small JSON array (id, status, summary), read
whole with their run and never queried inside.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import utc
from readiness.errors import InputError
from readiness.gate.history import REVISION_LENGTH, CheckLine, GateRun
from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

gate_runs = sa.Table(
    "gate_runs",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("gate", sa.String(20), nullable=False),
    sa.Column("commit_sha", sa.String(REVISION_LENGTH)),
    sa.Column("base_sha", sa.String(REVISION_LENGTH)),
    sa.Column("verdict", sa.String(10), nullable=False),
    sa.Column("checks", sa.JSON, nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.String(200), nullable=False),
    sa.Index("ix_gate_runs_project_at", "project", "at"),
)


def insert_gate_run(engine: Engine, run: GateRun) -> GateRun:
    """Store ``run``; the stored run (with its id)."""
    values = {
        "project": run.project,
        "gate": run.gate,
        "commit_sha": run.commit,
        "base_sha": run.base,
        "verdict": run.verdict,
        "checks": [{"id": c.id, "status": c.status, "summary": c.summary} for c in run.checks],
        "duration_s": run.duration_s,
        "at": run.at,
        "by": run.by,
    }
    with engine.begin() as conn:
        new_id = conn.execute(
            gate_runs.insert().values(**values).returning(gate_runs.c.id)
        ).scalar_one()
        row = conn.execute(sa.select(gate_runs).where(gate_runs.c.id == new_id)).one()
    return _gate_run(row)


def _filtered(query: Any, project: str, gate: str | None) -> Any:
    query = query.where(gate_runs.c.project == project)
    return query.where(gate_runs.c.gate == gate) if gate is not None else query


# What a page of gate runs may be sorted by (``GateRunSort``), and the column behind each.
SORT_COLUMNS = {
    "at": gate_runs.c.at,
    "gate": gate_runs.c.gate,
    "verdict": gate_runs.c.verdict,
    "duration": gate_runs.c.duration_s,
}


def list_gate_runs(
    engine: Engine,
    project: str,
    *,
    gate: str | None = None,
    limit: int = 50,
    offset: int = 0,
    with_checks: bool = True,
    sort: str = "at",
    descending: bool = True,
) -> list[GateRun]:
    """The gate runs of ``project`` (only ``gate`` when given), newest first unless ``sort``
    (a key of :data:`SORT_COLUMNS`) and ``descending`` say otherwise; equal values newest first.

    ``with_checks=False`` leaves each run's checks empty and skips reading them (trends need
    the verdicts and durations only).
    """
    if sort not in SORT_COLUMNS:
        raise InputError(f"gate runs sort by {', '.join(SORT_COLUMNS)}, not {sort!r}")
    columns = [c for c in gate_runs.c if with_checks or c.name != "checks"]
    query = _filtered(sa.select(*columns), project, gate)
    key = SORT_COLUMNS[sort]
    query = query.order_by(
        key.desc() if descending else key.asc(), gate_runs.c.at.desc(), gate_runs.c.id.desc()
    )
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
    return [_gate_run(r) for r in rows]


def count_gate_runs(engine: Engine, project: str, *, gate: str | None = None) -> int:
    """How many gate runs ``project`` has stored (of ``gate`` when given)."""
    query = _filtered(sa.select(sa.func.count()).select_from(gate_runs), project, gate)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _gate_run(row: Any) -> GateRun:
    return GateRun(
        id=int(row.id),
        project=row.project,
        gate=row.gate,
        commit=row.commit_sha,
        base=row.base_sha,
        verdict=row.verdict,
        checks=tuple(
            CheckLine(c["id"], c["status"], c["summary"]) for c in getattr(row, "checks", ())
        ),
        duration_s=float(row.duration_s),
        at=utc(row.at),
        by=row.by,
    )
