"""Queries of the notification tables (SQLAlchemy Core, SQLite and PostgreSQL).

Enqueueing is one ``INSERT`` per subscribed webhook, in the caller's connection: no network.
Claiming due deliveries is how several workers (threads, or server replicas sharing one
PostgreSQL) share the queue without sending anything twice: on PostgreSQL the due rows are
locked with ``FOR UPDATE SKIP LOCKED``; on SQLite each row is claimed by a conditional
``UPDATE`` that only one writer can win. A claim is a lease (``claimed_until``): a worker that
dies mid-attempt leaves its delivery to be claimed again once the lease ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import utc
from readiness.notify.model import (
    DEAD,
    DELIVERED,
    FAILED,
    PENDING,
    SENDING,
    Delivery,
    Webhook,
)
from readiness.notify.tables import deliveries, sent_once, webhooks

DUE = (PENDING, FAILED)


@contextmanager
def _begin(target: Connection | Engine) -> Iterator[Connection]:
    if isinstance(target, Engine):
        with target.begin() as conn:
            yield conn
    else:
        yield target


def _opt(dt: datetime | None) -> datetime | None:
    return utc(dt) if dt is not None else None


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=int(row.id),
        project=row.project,
        url=row.url,
        kind=row.kind,
        events=tuple(e for e in row.events.split(",") if e),
        secret=row.secret,
        created_at=utc(row.created_at),
        created_by=row.created_by,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=int(row.id),
        webhook_id=int(row.webhook_id),
        project=row.project,
        event_id=row.event_id,
        event_type=row.event_type,
        payload=row.payload,
        status=row.status,
        attempts=int(row.attempts),
        next_attempt_at=_opt(row.next_attempt_at),
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        delivered_at=_opt(row.delivered_at),
    )


# ---------------------------------------------------------------------------------- webhooks


def insert_webhook(
    conn: Connection,
    *,
    project: str,
    url: str,
    kind: str,
    events: Sequence[str],
    secret: str,
    at: datetime,
    by: str,
) -> Webhook:
    """Store a webhook and return it with its id."""
    new_id = conn.execute(
        webhooks.insert()
        .values(
            project=project,
            url=url,
            kind=kind,
            events=",".join(events),
            secret=secret,
            created_at=at,
            created_by=by,
        )
        .returning(webhooks.c.id)
    ).scalar_one()
    found = get_webhook(conn, int(new_id))
    assert found is not None  # just inserted in this transaction
    return found


def get_webhook(target: Connection | Engine, webhook_id: int) -> Webhook | None:
    """The webhook with ``webhook_id``, if any."""
    with _begin(target) as conn:
        row = conn.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id)).one_or_none()
    return _webhook(row) if row is not None else None


def list_webhooks(target: Connection | Engine, *, project: str | None) -> list[Webhook]:
    """The webhooks of ``project`` (every project's with None), oldest first."""
    query = sa.select(webhooks).order_by(webhooks.c.id)
    if project is not None:
        query = query.where(webhooks.c.project == project)
    with _begin(target) as conn:
        return [_webhook(r) for r in conn.execute(query)]


def delete_webhook(conn: Connection, webhook_id: int) -> bool:
    """Delete a webhook and its deliveries; False when there was none."""
    conn.execute(deliveries.delete().where(deliveries.c.webhook_id == webhook_id))
    return conn.execute(webhooks.delete().where(webhooks.c.id == webhook_id)).rowcount == 1


# -------------------------------------------------------------------------------- deliveries


def insert_delivery(
    conn: Connection,
    *,
    webhook: Webhook,
    event_id: str,
    event_type: str,
    payload: str,
    at: datetime,
) -> int:
    """Queue one delivery, due at once; returns its id."""
    return int(
        conn.execute(
            deliveries.insert()
            .values(
                webhook_id=webhook.id,
                project=webhook.project,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                status=PENDING,
                attempts=0,
                next_attempt_at=at,
                created_at=at,
                updated_at=at,
            )
            .returning(deliveries.c.id)
        ).scalar_one()
    )


def get_delivery(target: Connection | Engine, delivery_id: int) -> Delivery | None:
    """The delivery with ``delivery_id``, if any."""
    with _begin(target) as conn:
        row = conn.execute(
            sa.select(deliveries).where(deliveries.c.id == delivery_id)
        ).one_or_none()
    return _delivery(row) if row is not None else None


def list_deliveries(
    engine: Engine,
    *,
    project: str | None,
    status: str | None = None,
    webhook_id: int | None = None,
    limit: int = 50,
) -> list[Delivery]:
    """Deliveries, newest first, filtered by project, status and webhook."""
    query = sa.select(deliveries).order_by(deliveries.c.id.desc()).limit(limit)
    if project is not None:
        query = query.where(deliveries.c.project == project)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if webhook_id is not None:
        query = query.where(deliveries.c.webhook_id == webhook_id)
    with engine.connect() as conn:
        return [_delivery(r) for r in conn.execute(query)]


def _due(now: datetime) -> sa.ColumnElement[bool]:
    waiting = sa.and_(deliveries.c.status.in_(DUE), deliveries.c.next_attempt_at <= now)
    abandoned = sa.and_(deliveries.c.status == SENDING, deliveries.c.claimed_until < now)
    return sa.or_(waiting, abandoned)


def claim_due(engine: Engine, *, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
    """Claim up to ``limit`` due deliveries for this worker (no other worker gets them)."""
    values = {"status": SENDING, "claimed_until": now + lease, "updated_at": now}
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            ids = list(
                conn.execute(
                    sa.select(deliveries.c.id)
                    .where(_due(now))
                    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if ids:
                conn.execute(deliveries.update().where(deliveries.c.id.in_(ids)).values(values))
    else:
        with engine.connect() as conn:
            candidates = list(
                conn.execute(
                    sa.select(deliveries.c.id)
                    .where(_due(now))
                    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                    .limit(limit)
                ).scalars()
            )
        ids = []
        for candidate in candidates:
            # The same condition again: of two workers that read the same candidate, the
            # second UPDATE finds it claimed and changes nothing.
            with engine.begin() as conn:
                won = conn.execute(
                    deliveries.update()
                    .where(deliveries.c.id == candidate, _due(now))
                    .values(values)
                ).rowcount
            if won == 1:
                ids.append(candidate)
    if not ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(deliveries).where(deliveries.c.id.in_(ids)).order_by(deliveries.c.id)
        )
        return [_delivery(r) for r in rows]


def record_attempt(
    engine: Engine,
    delivery_id: int,
    *,
    now: datetime,
    status_code: int | None,
    error: str | None,
    delivered: bool,
    next_attempt_at: datetime | None,
) -> None:
    """Store the outcome of one attempt and what happens next (retry, dead or delivered)."""
    status = DELIVERED if delivered else (FAILED if next_attempt_at is not None else DEAD)
    with engine.begin() as conn:
        conn.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery_id)
            .values(
                attempts=deliveries.c.attempts + 1,
                status=status,
                next_attempt_at=None if delivered else next_attempt_at,
                claimed_until=None,
                last_status_code=status_code,
                last_error=error,
                updated_at=now,
                delivered_at=now if delivered else None,
            )
        )


def count_by_status(engine: Engine, *, project: str | None) -> dict[str, int]:
    """How many deliveries are in each status."""
    query = sa.select(deliveries.c.status, sa.func.count()).group_by(deliveries.c.status)
    if project is not None:
        query = query.where(deliveries.c.project == project)
    with engine.connect() as conn:
        return {row[0]: int(row[1]) for row in conn.execute(query)}


# ------------------------------------------------------------------------------- sent once


def mark_sent_once(conn: Connection, *, key: str, event_id: str, at: datetime) -> bool:
    """Remember ``key``; True the first time, False when it was already there."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(sent_once)
        .values(key=key[:400], event_id=event_id, at=at)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(sent_once.c.key)
    )
    # RETURNING, not rowcount: psycopg reports no count for an INSERT ... ON CONFLICT here.
    return conn.execute(statement).first() is not None
