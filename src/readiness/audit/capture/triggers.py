"""The capture table in the application's database, and PostgreSQL trigger capture into it.

``readiness_audit_capture`` is an outbox: a row per captured change, written **in the same
transaction as the change** (by the trigger, or by the ORM capture of :mod:`.orm`), so a change
is never stored without its capture row. :mod:`.relay` moves the rows into the ledger, each
exactly once.

The trigger reads the application context that the transaction carries:
``SET LOCAL readiness.actor_id = 'usr_a1'`` (also ``actor_type``, ``request_id``,
``trace_id``), read with ``current_setting(..., true)``; :func:`set_context` does it with bound
parameters. A change with no context is attributed to the database role (``db:<role>``): the
direct database access by an operator that handbook 20.2 asks to capture.

Values are kept only for the tracked fields; a personal field appears under its name with the
value ``"[personal]"`` (in an UPDATE, only when it changed), never its value. An UPDATE keeps
only the fields that changed. A TRUNCATE is captured too, as one row without a key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from readiness.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

CAPTURE_TABLE = "readiness_audit_capture"
PERSONAL = "[personal]"
SETTINGS = ("actor_id", "actor_type", "request_id", "trace_id")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}\Z")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

capture_metadata = sa.MetaData()
capture_rows = sa.Table(
    CAPTURE_TABLE,
    capture_metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column(
        "captured_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.text("CURRENT_TIMESTAMP"),
    ),
    sa.Column("table_name", sa.Text, nullable=False),
    sa.Column("operation", sa.Text, nullable=False),
    sa.Column("row_key", sa.Text),
    sa.Column("before", _JSON),
    sa.Column("after", _JSON),
    sa.Column("actor_id", sa.Text),
    sa.Column("actor_type", sa.Text),
    sa.Column("request_id", sa.Text),
    sa.Column("trace_id", sa.Text),
    sa.Column("session_id", sa.Text),
    sa.Column("db_user", sa.Text),
    sa.Column("via", sa.Text, nullable=False),
)

_FILTER = """
CREATE OR REPLACE FUNCTION readiness_audit_filter(r jsonb, other jsonb, kept text[],
    personal text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN r IS NULL THEN NULL ELSE coalesce(jsonb_object_agg(e.key,
           CASE WHEN e.key = ANY(personal) THEN '"[personal]"'::jsonb ELSE e.value END),
         '{}'::jsonb) END
  FROM jsonb_each(r) AS e
  WHERE (kept IS NULL OR e.key = ANY(kept) OR e.key = ANY(personal))
    AND (other IS NULL OR (other -> e.key) IS DISTINCT FROM e.value)
$$
"""
_FUNCTION = """
CREATE OR REPLACE FUNCTION readiness_audit_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kept text[] := CASE WHEN TG_ARGV[0] = '*' THEN NULL ELSE string_to_array(TG_ARGV[0], ',') END;
  personal text[] := string_to_array(TG_ARGV[1], ',');
  old_row jsonb;
  new_row jsonb;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN old_row := to_jsonb(OLD); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN new_row := to_jsonb(NEW); END IF;
  INSERT INTO readiness_audit_capture (captured_at, table_name, operation, row_key, before,
      after, actor_id, actor_type, request_id, trace_id, session_id, db_user, via)
  VALUES (clock_timestamp(), TG_TABLE_NAME, TG_OP, coalesce(new_row, old_row) ->> TG_ARGV[2],
      readiness_audit_filter(old_row, new_row, kept, personal),
      readiness_audit_filter(new_row, old_row, kept, personal),
      nullif(current_setting('readiness.actor_id', true), ''),
      nullif(current_setting('readiness.actor_type', true), ''),
      nullif(current_setting('readiness.request_id', true), ''),
      nullif(current_setting('readiness.trace_id', true), ''),
      'pgtx-' || txid_current(), session_user, 'trigger');
  RETURN NULL;
END $$
"""


@dataclass(frozen=True)
class TrackedTable:
    """A table whose changes are captured: the fields kept (None: all), the personal ones."""

    name: str
    fields: tuple[str, ...] | None = None
    personal: tuple[str, ...] = ()
    key: str = "id"

    @classmethod
    def parse(cls, name: str, *, fields: str | None, personal: str, key: str) -> TrackedTable:
        """From the command line's comma-separated lists; identifiers only (they go into DDL)."""
        kept = _names("--fields", fields) if fields is not None else None
        return cls(
            _ident("--table", name), kept, _names("--personal", personal), _ident("--key", key)
        )

    @property
    def trigger_args(self) -> str:
        kept = ",".join(self.fields) if self.fields is not None else "*"
        return f"'{kept}', '{','.join(self.personal)}', '{self.key}'"


def _ident(option: str, value: str) -> str:
    if not _IDENT.match(value):
        raise InputError(
            f"{option} {value[:64]!r}: not a plain SQL identifier (letters, digits, _; at most 63)"
        )
    return value


def _names(option: str, value: str) -> tuple[str, ...]:
    return tuple(_ident(option, v.strip()) for v in value.split(",") if v.strip())


def ensure_capture_table(engine: Engine) -> None:
    """Create the capture table in the application's database when it is missing."""
    capture_metadata.create_all(engine, checkfirst=True)


def install_triggers(engine: Engine, tables: Sequence[TrackedTable]) -> None:
    """Create the capture table, the functions and one trigger per table (PostgreSQL only;
    re-running replaces them)."""
    if engine.dialect.name != "postgresql":
        raise InputError(
            f"trigger capture needs PostgreSQL (this database is {engine.dialect.name}); "
            "on other databases track the models with the ORM capture"
        )
    ensure_capture_table(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(_FILTER))
        conn.execute(sa.text(_FUNCTION))
        for table in tables:
            exists = conn.scalar(
                sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f'"{table.name}"'}
            )
            if not exists:
                raise InputError(f"--table {table.name}: no such table in this database")
            for name, when, each in (
                ("readiness_audit_capture", "INSERT OR UPDATE OR DELETE", "ROW"),
                ("readiness_audit_capture_truncate", "TRUNCATE", "STATEMENT"),
            ):
                conn.execute(sa.text(f'DROP TRIGGER IF EXISTS {name} ON "{table.name}"'))
                conn.execute(
                    sa.text(
                        f'CREATE TRIGGER {name} AFTER {when} ON "{table.name}" FOR EACH {each} '
                        f"EXECUTE FUNCTION readiness_audit_capture({table.trigger_args})"
                    )
                )


def set_context(conn: Connection, **values: str | None) -> None:
    """``SET LOCAL readiness.<name>`` for this transaction (``actor_id``, ``actor_type``,
    ``request_id``, ``trace_id``), with bound parameters; a no-op off PostgreSQL."""
    unknown = sorted(set(values) - set(SETTINGS))
    if unknown:
        raise InputError(f"{unknown[0]}: not a capture setting; they are {', '.join(SETTINGS)}")
    if conn.dialect.name != "postgresql":
        return
    for name, value in values.items():
        conn.execute(
            sa.text("SELECT set_config(:name, :value, true)"),
            {"name": f"readiness.{name}", "value": value or ""},
        )
