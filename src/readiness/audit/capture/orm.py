"""SQLAlchemy ORM capture: before/after of tracked models, in the same transaction.

Opt-in per model (:meth:`OrmCapture.track`, with an allow-list of fields and the personal
ones). Each flushed insert, update and delete of a tracked object, and each bulk
``update()``/``delete()`` run through the session (``do_orm_execute``: the affected rows are
selected first, and after an update selected again by key), writes a row to the capture table
(:data:`~readiness.audit.capture.triggers.capture_rows`) on the session's own connection: the
change and its capture commit or roll back together. :func:`~readiness.audit.capture.relay.relay`
moves them into the ledger.

Personal fields are kept as their names with the value ``"[personal]"``, never their values;
an update keeps only the fields that changed. The actor and request come from the middleware's
:func:`~readiness.audit.capture.context.current_audit`. Fields are column names (the
attribute names of the mapped columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from readiness._common.clock import Clock
from readiness.audit.capture.context import current_audit
from readiness.audit.capture.triggers import PERSONAL, capture_rows


@dataclass(frozen=True)
class Tracked:
    """How one model is captured."""

    table: str
    fields: tuple[str, ...] | None  # None: every column
    personal: tuple[str, ...]
    key: str

    def keep(self, name: str) -> bool:
        return self.fields is None or name in self.fields or name in self.personal

    def shown(self, name: str, value: object) -> object:
        return PERSONAL if name in self.personal else jsonable(value)


def jsonable(value: object) -> object:
    """``value`` as JSON data: dates as ISO text, decimals and other objects as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


class OrmCapture:
    """Registers the capture of tracked models on a session class or sessionmaker."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.models: dict[type[Any], Tracked] = {}
        self.tables: dict[str, Tracked] = {}

    def track(
        self,
        model: type[Any],
        *,
        fields: tuple[str, ...] | list[str] | None = None,
        personal: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Capture ``model``'s changes, keeping the values of ``fields`` (None: all columns)
        and only the names of ``personal`` fields."""
        table: sa.Table = model.__table__
        keys = [c.name for c in table.primary_key.columns]
        tracked = Tracked(
            table.name, tuple(fields) if fields is not None else None, tuple(personal), keys[0]
        )
        self.models[model] = tracked
        self.tables[table.name] = tracked

    def install(self, target: Any) -> None:
        """Listen on ``target`` (a :class:`Session` subclass or a ``sessionmaker``)."""
        event.listen(target, "after_flush", self._after_flush)
        event.listen(target, "do_orm_execute", self._bulk)

    # -- flush --------------------------------------------------------------------------

    def _after_flush(self, session: Session, _flush: UOWTransaction) -> None:
        rows: list[dict[str, Any]] = []
        for obj in session.new:
            tracked = self.models.get(type(obj))
            if tracked is not None:
                rows.append(
                    self._row(tracked, "INSERT", obj, before=None, after=self._values(tracked, obj))
                )
        for obj in session.dirty:
            tracked = self.models.get(type(obj))
            if tracked is None or not session.is_modified(obj, include_collections=False):
                continue
            before, after = self._changes(tracked, obj)
            if before or after:
                rows.append(self._row(tracked, "UPDATE", obj, before=before, after=after))
        for obj in session.deleted:
            tracked = self.models.get(type(obj))
            if tracked is not None:
                rows.append(
                    self._row(tracked, "DELETE", obj, before=self._values(tracked, obj), after=None)
                )
        if rows:
            session.connection().execute(capture_rows.insert(), rows)

    @staticmethod
    def _values(tracked: Tracked, obj: object) -> dict[str, object]:
        mapper = sa.inspect(obj).mapper
        return {
            c.key: tracked.shown(c.key, getattr(obj, c.key))
            for c in mapper.column_attrs
            if tracked.keep(c.key)
        }

    @staticmethod
    def _changes(tracked: Tracked, obj: object) -> tuple[dict[str, object], dict[str, object]]:
        state = sa.inspect(obj)
        before: dict[str, object] = {}
        after: dict[str, object] = {}
        for attr in state.mapper.column_attrs:
            history = state.attrs[attr.key].history
            if not tracked.keep(attr.key) or not history.has_changes():
                continue
            if history.deleted:
                before[attr.key] = tracked.shown(attr.key, history.deleted[0])
            after[attr.key] = tracked.shown(attr.key, history.added[0] if history.added else None)
        return before, after

    def _row(
        self,
        tracked: Tracked,
        operation: str,
        obj: object | None,
        *,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
        key: object = None,
    ) -> dict[str, Any]:
        audit = current_audit()
        if obj is not None:
            key = getattr(obj, tracked.key, None)
        return {
            "captured_at": self.clock.now(),
            "table_name": tracked.table,
            "operation": operation,
            "row_key": None if key is None else str(key),
            "before": before,
            "after": after,
            "actor_id": audit.actor_id if audit else None,
            "actor_type": audit.actor_type if audit else None,
            "request_id": audit.request_id if audit else None,
            "trace_id": audit.trace_id if audit else None,
            "session_id": audit.session_id if audit else None,
            "db_user": "app",
            "via": "orm",
        }

    # -- bulk update() / delete() -------------------------------------------------------

    def _bulk(self, state: ORMExecuteState) -> Any:
        if not (state.is_update or state.is_delete) or state.bind_mapper is None:
            return None
        tracked = self.models.get(state.bind_mapper.class_)
        if tracked is None:
            return None
        table = state.bind_mapper.local_table
        assert isinstance(table, sa.Table)
        where = state.statement.whereclause  # type: ignore[attr-defined]
        query = sa.select(table) if where is None else sa.select(table).where(where)
        conn = state.session.connection()
        old = {r[tracked.key]: dict(r) for r in conn.execute(query).mappings()}
        result = state.invoke_statement()
        rows: list[dict[str, Any]] = []
        if state.is_delete:
            for key, values in old.items():
                before = {k: tracked.shown(k, v) for k, v in values.items() if tracked.keep(k)}
                rows.append(self._row(tracked, "DELETE", None, before=before, after=None, key=key))
        elif old:
            column = table.c[tracked.key]
            new = conn.execute(sa.select(table).where(column.in_(list(old)))).mappings()
            for now in new:
                values = dict(now)
                was = old[values[tracked.key]]
                changed = [k for k in values if tracked.keep(k) and values[k] != was[k]]
                if changed:
                    before = {k: tracked.shown(k, was[k]) for k in changed}
                    after = {k: tracked.shown(k, values[k]) for k in changed}
                    rows.append(
                        self._row(
                            tracked,
                            "UPDATE",
                            None,
                            before=before,
                            after=after,
                            key=values[tracked.key],
                        )
                    )
        if rows:
            conn.execute(capture_rows.insert(), rows)
        return result
