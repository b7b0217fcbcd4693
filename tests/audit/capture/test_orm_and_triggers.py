"""ORM capture (SQLite and PostgreSQL), trigger capture (PostgreSQL) and the exactly-once relay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import Depends
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from readiness._common.clock import FrozenClock
from readiness.audit.capture import relay as relay_module
from readiness.audit.capture.context import RequestAudit, bind, unbind
from readiness.audit.capture.orm import OrmCapture
from readiness.audit.capture.relay import relay
from readiness.audit.capture.triggers import (
    TrackedTable,
    capture_rows,
    ensure_capture_table,
    install_triggers,
    set_context,
)
from readiness.audit.trail import open_ledger
from readiness.config import Settings
from readiness.errors import InputError
from readiness.ledger import store
from readiness.ledger.service import LedgerService
from readiness.storage.engine import Stores, create_engine_for
from tests.audit.capture.example_app import caller


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    diagnosis: Mapped[str]
    note: Mapped[str] = mapped_column(default="")


@pytest.fixture
def app_db(stores: Stores, backend: str, tmp_path: Path) -> Iterator[Engine]:
    """The application's own database, on the parametrised backend."""
    if backend == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path / 'app.db'}")
    else:
        engine = create_engine_for(stores.audit.url.render_as_string(hide_password=False))
    Base.metadata.create_all(engine)
    ensure_capture_table(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def ledger(
    stores: Stores, backend_settings: Settings, clock: FrozenClock
) -> Iterator[LedgerService]:
    service = open_ledger(backend_settings, stores.audit, clock)
    yield service
    service.close()


@pytest.fixture
def sessions(app_db: Engine, clock: FrozenClock) -> sessionmaker[Session]:
    factory = sessionmaker(app_db)
    capture = OrmCapture(clock)
    capture.track(Patient, fields=["diagnosis"], personal=["name"])
    capture.install(factory)
    return factory


def captured(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                capture_rows.c.operation,
                capture_rows.c.row_key,
                capture_rows.c.before,
                capture_rows.c.after,
                capture_rows.c.actor_id,
                capture_rows.c.via,
            ).order_by(capture_rows.c.id)
        )
        return [tuple(r) for r in rows]


def ledger_events(stores: Stores, ledger: LedgerService) -> list[dict[str, Any]]:
    with stores.audit.connect() as conn:
        return [json.loads(e) for _, e, _ in store.iter_entries(conn, ledger.origin)]


def test_orm_capture_keeps_allowed_values_and_only_the_names_of_personal_fields(
    sessions: sessionmaker[Session], app_db: Engine
) -> None:
    audit = RequestAudit(request_id="req-7")
    audit.set_actor("usr_a1", "employee")
    token = bind(audit)
    try:
        with sessions.begin() as s:
            s.add(Patient(id=1, name="Ann Lee", diagnosis="flu", note="secret"))
        with sessions.begin() as s:
            patient = s.get(Patient, 1)
            assert patient is not None
            patient.diagnosis, patient.name, patient.note = "cold", "Ann Li", "other"
        with sessions.begin() as s:
            s.delete(s.get(Patient, 1))
    finally:
        unbind(token)

    assert captured(app_db) == [
        ("INSERT", "1", None, {"diagnosis": "flu", "name": "[personal]"}, "usr_a1", "orm"),
        (
            "UPDATE",
            "1",
            {"diagnosis": "flu", "name": "[personal]"},
            {"diagnosis": "cold", "name": "[personal]"},
            "usr_a1",
            "orm",
        ),
        ("DELETE", "1", {"diagnosis": "cold", "name": "[personal]"}, None, "usr_a1", "orm"),
    ]


def test_a_rolled_back_change_leaves_no_capture_row(
    sessions: sessionmaker[Session], app_db: Engine
) -> None:
    with sessions() as s:
        s.add(Patient(id=2, name="Bo", diagnosis="flu"))
        s.flush()
        s.rollback()

    assert captured(app_db) == []


def test_bulk_update_and_delete_capture_each_affected_row(
    sessions: sessionmaker[Session], app_db: Engine
) -> None:
    with sessions.begin() as s:
        s.add_all([Patient(id=i, name=f"P{i}", diagnosis="flu") for i in (1, 2, 3)])
    with sessions.begin() as s:
        s.execute(sa.update(Patient).where(Patient.id >= 2).values(diagnosis="cold"))
        s.execute(sa.delete(Patient).where(Patient.id == 1))

    assert captured(app_db)[3:] == [
        ("UPDATE", "2", {"diagnosis": "flu"}, {"diagnosis": "cold"}, None, "orm"),
        ("UPDATE", "3", {"diagnosis": "flu"}, {"diagnosis": "cold"}, None, "orm"),
        ("DELETE", "1", {"diagnosis": "flu", "name": "[personal]"}, None, None, "orm"),
    ]


def test_the_relay_appends_each_captured_change_once_even_after_a_crash(
    sessions: sessionmaker[Session],
    app_db: Engine,
    stores: Stores,
    ledger: LedgerService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with sessions.begin() as s:
        s.add_all([Patient(id=i, name=f"P{i}", diagnosis="flu") for i in (1, 2)])
    confirm = relay_module._confirm
    calls = {"n": 0}

    def crash_after_append(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("killed between append and confirm")
        confirm(*args)

    monkeypatch.setattr(relay_module, "_confirm", crash_after_append)
    with pytest.raises(RuntimeError, match="killed"):
        relay(app_db, stores.audit, ledger)
    monkeypatch.setattr(relay_module, "_confirm", confirm)

    second = relay(app_db, stores.audit, ledger)
    with sessions.begin() as s:
        s.add(Patient(id=3, name="P3", diagnosis="flu"))
    third = relay(app_db, stores.audit, ledger)
    fourth = relay(app_db, stores.audit, ledger)

    assert [r.as_dict() for r in (second, third, fourth)] == [
        {"appended": 0, "already": 2},
        {"appended": 1, "already": 0},
        {"appended": 0, "already": 0},
    ]
    events = ledger_events(stores, ledger)
    assert [(e["action"], e["target_id"], e["actor_id"]) for e in events] == [
        ("patients.insert", "1", "db:app"),
        ("patients.insert", "2", "db:app"),
        ("patients.insert", "3", "db:app"),
    ]
    assert events[0] == {
        "action": "patients.insert",
        "actor_id": "db:app",
        "actor_type": "db_role",
        "after": {"diagnosis": "flu", "name": "[personal]"},
        "occurred_at": "2026-03-10T09:30:00.000000Z",
        "result": "success",
        "source": "orm",
        "target_id": "1",
        "target_type": "patients",
    }


def test_a_relay_that_died_before_appending_appends_on_the_next_run(
    sessions: sessionmaker[Session],
    app_db: Engine,
    stores: Stores,
    ledger: LedgerService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with sessions.begin() as s:
        s.add(Patient(id=1, name="P1", diagnosis="flu"))

    def dead(_entries: Any) -> list[int]:
        raise RuntimeError("killed before append")

    monkeypatch.setattr(ledger, "append", dead)
    with pytest.raises(RuntimeError, match="killed"):
        relay(app_db, stores.audit, ledger)
    monkeypatch.undo()

    assert relay(app_db, stores.audit, ledger).as_dict() == {"appended": 1, "already": 0}
    assert len(ledger_events(stores, ledger)) == 1


# -- PostgreSQL triggers --------------------------------------------------------------------


@pytest.fixture
def pg_app(pg_schema_url: str) -> Iterator[Engine]:
    engine = create_engine_for(pg_schema_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE accounts (id int PRIMARY KEY, email text, plan text, "
                "balance numeric, internal text)"
            )
        )
    install_triggers(
        engine,
        [TrackedTable.parse("accounts", fields="plan,balance", personal="email", key="id")],
    )
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_direct_sql_is_captured_by_the_trigger_with_the_transactions_context(
    pg_app: Engine,
) -> None:
    with pg_app.begin() as conn:
        set_context(conn, actor_id="usr_a1", actor_type="employee", request_id="req-9")
        conn.execute(sa.text("INSERT INTO accounts VALUES (1, 'a@x.org', 'free', 0, 'n')"))
    with pg_app.begin() as conn:  # an operator in psql: no application context
        conn.execute(sa.text("UPDATE accounts SET plan = 'pro', email = 'b@x.org' WHERE id = 1"))
        conn.execute(sa.text("UPDATE accounts SET internal = 'changed' WHERE id = 1"))
        conn.execute(sa.text("DELETE FROM accounts"))
        conn.execute(sa.text("TRUNCATE accounts"))

    with pg_app.connect() as conn:
        rows = conn.execute(
            sa.select(
                capture_rows.c.operation,
                capture_rows.c.row_key,
                capture_rows.c.before,
                capture_rows.c.after,
                capture_rows.c.actor_id,
                capture_rows.c.request_id,
                capture_rows.c.db_user,
            ).order_by(capture_rows.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            "INSERT",
            "1",
            None,
            {"balance": 0, "email": "[personal]", "plan": "free"},
            "usr_a1",
            "req-9",
            "postgres",
        ),
        (
            "UPDATE",
            "1",
            {"email": "[personal]", "plan": "free"},
            {"email": "[personal]", "plan": "pro"},
            None,
            None,
            "postgres",
        ),
        ("UPDATE", "1", {}, {}, None, None, "postgres"),
        (
            "DELETE",
            "1",
            {"balance": 0, "email": "[personal]", "plan": "pro"},
            None,
            None,
            None,
            "postgres",
        ),
        ("TRUNCATE", None, None, None, None, None, "postgres"),
    ]


@pytest.mark.postgres
def test_trigger_captures_are_relayed_as_operator_events(
    pg_app: Engine, pg_schema_url: str, project_dir: Path, clock: FrozenClock
) -> None:
    from readiness.config import load_settings
    from readiness.storage.migrate import upgrade_all

    settings = load_settings(
        project_dir, environ={}, overrides={"audit_url": pg_schema_url, "state_url": pg_schema_url}
    )
    stores = Stores(state=create_engine_for(pg_schema_url), audit=create_engine_for(pg_schema_url))
    upgrade_all(stores)
    ledger = open_ledger(settings, stores.audit, clock)
    try:
        with pg_app.begin() as conn:
            conn.execute(sa.text("INSERT INTO accounts VALUES (5, 'c@x.org', 'free', 1.5, '')"))
        result = relay(pg_app, stores.audit, ledger)
        events = ledger_events(stores, ledger)
    finally:
        ledger.close()
        stores.dispose()

    assert result.as_dict() == {"appended": 1, "already": 0}
    event = events[0]
    assert event["session_id"].startswith("pgtx-")
    assert {k: v for k, v in event.items() if k not in {"occurred_at", "session_id"}} == {
        "action": "accounts.insert",
        "actor_id": "db:postgres",
        "actor_type": "db_role",
        "after": {"balance": 1.5, "email": "[personal]", "plan": "free"},
        "result": "success",
        "source": "db_trigger",
        "target_id": "5",
        "target_type": "accounts",
    }


def test_install_triggers_refuses_sqlite_and_identifiers_that_are_not_plain(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with pytest.raises(InputError) as caught:
            install_triggers(engine, [TrackedTable("accounts")])
    finally:
        engine.dispose()
    assert str(caught.value) == (
        "trigger capture needs PostgreSQL (this database is sqlite); on other databases track "
        "the models with the ORM capture"
    )
    with pytest.raises(InputError) as bad:
        TrackedTable.parse('x"; DROP TABLE y; --', fields=None, personal="", key="id")
    assert str(bad.value) == (
        "--table 'x\"; DROP TABLE y; --': not a plain SQL identifier (letters, digits, _; at most "
        "63)"
    )


def test_a_truncate_row_is_an_event_on_the_whole_table() -> None:
    from datetime import UTC, datetime

    from readiness.audit.capture.relay import capture_event

    row = {
        "table_name": "Accounts",
        "operation": "TRUNCATE",
        "row_key": None,
        "before": None,
        "after": None,
        "actor_id": None,
        "actor_type": None,
        "request_id": None,
        "trace_id": None,
        "session_id": "pgtx-77",
        "db_user": "ops_ann",
        "via": "trigger",
        "captured_at": datetime(2026, 3, 10, 9, 30, 0, 5000, tzinfo=UTC),
    }

    assert capture_event(row) == {
        "action": "accounts.truncate",
        "actor_id": "db:ops_ann",
        "actor_type": "db_role",
        "occurred_at": "2026-03-10T09:30:00.005000Z",
        "result": "success",
        "session_id": "pgtx-77",
        "source": "db_trigger",
        "target_id": "table",
        "target_type": "accounts",
    }


def test_a_change_made_in_an_endpoint_is_captured_with_the_requests_actor_and_id(
    sessions: sessionmaker[Session], app_db: Engine, clock: FrozenClock
) -> None:
    import warnings

    from starlette.exceptions import StarletteDeprecationWarning

    from readiness.audit.capture import RecordingSink
    from tests.audit.capture.example_app import build_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient

    app = build_app(RecordingSink(), clock=clock)

    @app.post("/wards/{ward}/patients")
    def admit(ward: str, who: Any = Depends(caller)) -> dict[str, str]:  # noqa: B008 - FastAPI
        with sessions.begin() as s:
            s.add(Patient(id=9, name="Cy", diagnosis=ward))
        return {"ok": "yes"}

    with TestClient(app) as c:
        response = c.post(
            "/wards/w1/patients", headers={"Authorization": "Bearer t-bob", "X-Request-ID": "rq-5"}
        )

    assert response.status_code == 200
    with app_db.connect() as conn:
        row = conn.execute(
            sa.select(capture_rows.c.actor_id, capture_rows.c.actor_type, capture_rows.c.request_id)
        ).one()
    assert tuple(row) == ("usr_b2", "employee", "rq-5")
