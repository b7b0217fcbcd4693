"""The notification tables (state database): webhooks, deliveries and sent-once markers.

A webhook belongs to a project and goes with it (``ON DELETE CASCADE``); its deliveries go with
the webhook. ``nt_sent`` remembers the keys of events that must notify once only (a quarantine
entry expiring, then expired), so a sweep that runs again, or on two replicas, sends nothing new.
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

TZ = sa.DateTime(timezone=True)

webhooks = sa.Table(
    "nt_webhooks",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("events", sa.String(500), nullable=False),  # comma-separated event types
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

deliveries = sa.Table(
    "nt_deliveries",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "webhook_id",
        sa.Integer,
        sa.ForeignKey("nt_webhooks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    project_column(ondelete="CASCADE"),  # renamed with the project, like the webhook
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(50), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", TZ),
    sa.Column("claimed_until", TZ),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("updated_at", TZ, nullable=False),
    sa.Column("delivered_at", TZ),
    sa.Index("ix_nt_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    sa.Index("ix_nt_deliveries_webhook_id", "webhook_id"),
)

sent_once = sa.Table(
    "nt_sent",
    state_metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("at", TZ, nullable=False),
)
