"""Governance tables of the schema registry (state database): consumers with their reader
schemas, changelogs registered with versions, processed-version counts and field presence from
sample events, both as daily aggregates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness.contracts.schemas.store.registry import registry_versions
from readiness.storage.metadata import state_metadata

registry_consumers = sa.Table(
    "registry_consumers",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("strict", sa.Boolean(), nullable=False),
    sa.Column("fields", sa.Text(), nullable=False),  # a JSON list of field paths
    sa.Column("reader_schema", sa.Text(), nullable=True),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("registered_by", sa.String(200), nullable=False),
)
registry_changelogs = sa.Table(
    "registry_changelogs",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
registry_processed = sa.Table(
    "registry_processed",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("consumer", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("count", sa.BigInteger(), nullable=False),
)
registry_sample_days = sa.Table(
    "registry_sample_days",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("events", sa.BigInteger(), nullable=False),
)
registry_field_presence = sa.Table(
    "registry_field_presence",
    state_metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("path", sa.String(500), primary_key=True),
    sa.Column("present", sa.BigInteger(), nullable=False),
)


@dataclass(frozen=True)
class ConsumerRow:
    name: str
    strict: bool
    fields: list[str]
    reader_schema: str | None
    registered_at: datetime


_C = registry_consumers.c


def upsert_consumer(
    conn: Connection,
    project: str,
    subject: str,
    *,
    name: str,
    strict: bool,
    fields: list[str],
    reader_schema: str | None,
    at: datetime,
    by: str,
) -> None:
    values = {
        "strict": strict,
        "fields": json.dumps(sorted(set(fields))),
        "reader_schema": reader_schema,
        "registered_at": at,
        "registered_by": by,
    }
    where = (_C.project == project) & (_C.subject == subject) & (_C.name == name)
    if conn.execute(registry_consumers.update().where(where).values(**values)).rowcount == 0:
        conn.execute(
            registry_consumers.insert().values(
                project=project, subject=subject, name=name, **values
            )
        )


def consumers(conn: Connection, project: str, subject: str) -> list[ConsumerRow]:
    rows = conn.execute(
        sa.select(_C.name, _C.strict, _C.fields, _C.reader_schema, _C.registered_at)
        .where(_C.project == project, _C.subject == subject)
        .order_by(_C.name)
    )
    return [
        ConsumerRow(r.name, bool(r.strict), json.loads(r.fields), r.reader_schema, r.registered_at)
        for r in rows
    ]


def delete_consumer(conn: Connection, project: str, subject: str, name: str) -> bool:
    where = (_C.project == project) & (_C.subject == subject) & (_C.name == name)
    return bool(conn.execute(registry_consumers.delete().where(where)).rowcount)


def insert_changelog(
    conn: Connection, project: str, subject: str, *, version: int, text: str, at: datetime
) -> None:
    conn.execute(
        registry_changelogs.insert().values(
            project=project, subject=subject, version=version, text=text, created_at=at
        )
    )


def changelogs(conn: Connection, project: str, subject: str) -> dict[int, str]:
    c = registry_changelogs.c
    rows = conn.execute(
        sa.select(c.version, c.text).where(c.project == project, c.subject == subject)
    )
    return {int(r.version): str(r.text) for r in rows}


def version_dates(conn: Connection, project: str, subject: str) -> dict[int, datetime]:
    v = registry_versions.c
    rows = conn.execute(
        sa.select(v.version, v.created_at).where(v.project == project, v.subject == subject)
    )
    return {int(r.version): r.created_at for r in rows}


def _add(conn: Connection, table: sa.Table, key: dict[str, object], column: str, n: int) -> None:
    """Add ``n`` to a daily counter row, creating it at ``n``. Two writers creating the same
    row race: the loser's insert fails inside a savepoint and it adds to the winner's row."""
    where = sa.and_(*(table.c[k] == v for k, v in key.items()))
    increment = table.update().where(where).values({column: table.c[column] + n})
    if conn.execute(increment).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(table.insert().values(**key, **{column: n}))
    except sa.exc.IntegrityError:
        conn.execute(increment)


def add_processed(
    conn: Connection,
    project: str,
    subject: str,
    *,
    consumer: str,
    version: int,
    day: date,
    n: int,
) -> None:
    key = {
        "project": project,
        "subject": subject,
        "consumer": consumer,
        "version": version,
        "day": day,
    }
    _add(conn, registry_processed, key, "count", n)


@dataclass(frozen=True)
class UsageRow:
    consumer: str
    version: int
    count: int
    last_day: date


def usage(conn: Connection, project: str, subject: str, since: date) -> list[UsageRow]:
    """Per consumer and version: events processed since ``since`` (inclusive), and the last day."""
    p = registry_processed.c
    rows = conn.execute(
        sa.select(p.consumer, p.version, sa.func.sum(p.count), sa.func.max(p.day))
        .where(p.project == project, p.subject == subject, p.day >= since)
        .group_by(p.consumer, p.version)
        .order_by(p.version, p.consumer)
    )
    return [UsageRow(str(r[0]), int(r[1]), int(r[2]), _day(r[3])) for r in rows]


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def add_samples(
    conn: Connection,
    project: str,
    subject: str,
    *,
    day: date,
    events: int,
    present: dict[str, int],
) -> None:
    base = {"project": project, "subject": subject, "day": day}
    _add(conn, registry_sample_days, base, "events", events)
    for path, n in sorted(present.items()):
        _add(conn, registry_field_presence, {**base, "path": path}, "present", n)


def presence(conn: Connection, project: str, subject: str, day: date) -> tuple[int, dict[str, int]]:
    s, f = registry_sample_days.c, registry_field_presence.c
    events = conn.execute(
        sa.select(s.events).where(s.project == project, s.subject == subject, s.day == day)
    ).scalar()
    rows = conn.execute(
        sa.select(f.path, f.present).where(f.project == project, f.subject == subject, f.day == day)
    )
    return int(events or 0), {str(r.path): int(r.present) for r in rows}
