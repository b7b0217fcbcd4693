"""ProjectService on SQLite and PostgreSQL: create, rename (rows follow), delete, isolation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.errors import ConflictError, InputError, NotFoundError
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores
from readiness.testhealth.model import FixVerification, RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testing import captured_audit_events, junit_xml

MISC = "tests/test_misc.py::test_config"
OWNED = ("th_runs", "th_tests", "th_quarantine", "th_quarantine_events", "th_fix_verifications")


def _projects(stores: Stores, clock: FrozenClock) -> ProjectService:
    return ProjectService(stores=stores, clock=clock, actor="alice")


def _testhealth(
    settings: Settings, stores: Stores, clock: FrozenClock, project: str
) -> TestHealthService:
    return TestHealthService(
        settings=settings, stores=stores, clock=clock, quarantine_backend="db", project=project
    )


def _rows_of(stores: Stores, project: str) -> dict[str, int]:
    with stores.state.connect() as conn:
        return {
            table: conn.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE project = :p"),
                {"p": project},
            ).scalar_one()
            for table in OWNED
        }


def test_a_created_project_is_listed_with_who_created_it_and_when(
    stores: Stores, clock: FrozenClock
) -> None:
    service = _projects(stores, clock)
    service.create("shop")

    [listed] = service.list()

    assert (listed.name, listed.created_by, listed.created_at) == (
        "shop",
        "alice",
        datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
    )


def test_creating_a_taken_name_is_a_conflict(stores: Stores, clock: FrozenClock) -> None:
    service = _projects(stores, clock)
    service.create("shop")

    with pytest.raises(ConflictError) as caught:
        service.create("shop")

    assert caught.value.message == (
        "project 'shop' already exists; `readiness projects list` shows every project"
    )


def test_creating_an_invalid_name_stores_nothing(stores: Stores, clock: FrozenClock) -> None:
    service = _projects(stores, clock)

    with pytest.raises(InputError):
        service.create("My Shop")

    assert service.list() == []


def test_an_unknown_project_is_not_found_with_the_known_ones_listed(
    stores: Stores, clock: FrozenClock
) -> None:
    service = _projects(stores, clock)
    service.create("shop")
    service.create("billing")

    with pytest.raises(NotFoundError) as caught:
        service.get("hr")

    assert caught.value.message == (
        "project 'hr' does not exist (known: billing, shop); "
        "an admin creates it with `readiness projects create hr`"
    )
    assert caught.value.details == {"project": "hr", "known": ["billing", "shop"]}


def test_renaming_moves_runs_tests_quarantine_verifications_and_token_limits(
    stores: Stores, clock: FrozenClock, backend_settings: Settings
) -> None:
    projects = _projects(stores, clock)
    projects.create("shop")
    shop = _testhealth(backend_settings, stores, clock, "shop")
    shop.ingest_bytes(junit_xml({MISC: "failed"}), source="a.xml", meta=RunMeta(run_id="1"))
    shop.quarantine_add(MISC, reason="races the cache")
    shop.record_fix_verification(
        FixVerification(
            test_id=MISC,
            flake_rate=0.1,
            alpha=0.05,
            required_runs=50,
            runs=50,
            failures=1,
            verdict="still-flaky",
        )
    )
    _, token = TokenService(stores=stores, clock=clock).create(
        name="ci", role="writer", projects=["shop"]
    )

    projects.rename("shop", "shop-api")

    moved = _testhealth(backend_settings, stores, clock, "shop-api")
    assert [(h.test_id, h.runs, h.failures) for h in moved.health()] == [(MISC, 1, 1)]
    assert [e.test_id for e in moved.quarantine_entries()] == [MISC]
    assert _rows_of(stores, "shop") == dict.fromkeys(OWNED, 0)
    assert _rows_of(stores, "shop-api") == {
        "th_runs": 1,
        "th_tests": 1,
        "th_quarantine": 1,
        "th_quarantine_events": 1,
        "th_fix_verifications": 1,
    }
    assert TokenService(stores=stores, clock=clock).get(token.id).projects == ("shop-api",)


def test_renaming_onto_a_taken_name_is_a_conflict_and_changes_nothing(
    stores: Stores, clock: FrozenClock
) -> None:
    service = _projects(stores, clock)
    service.create("shop")
    service.create("billing")

    with pytest.raises(ConflictError) as caught:
        service.rename("shop", "billing")

    assert caught.value.message == (
        "cannot rename project 'shop' to 'billing': a project called 'billing' already exists"
    )
    assert [p.name for p in service.list()] == ["billing", "shop"]


def test_renaming_to_an_invalid_name_is_an_input_error(stores: Stores, clock: FrozenClock) -> None:
    service = _projects(stores, clock)
    service.create("shop")

    with pytest.raises(InputError, match=r"^new project name 'Shop API' is not valid"):
        service.rename("shop", "Shop API")


def test_an_empty_project_can_be_deleted(stores: Stores, clock: FrozenClock) -> None:
    service = _projects(stores, clock)
    service.create("typo")

    service.delete("typo")

    assert service.list() == []


def test_a_project_holding_data_cannot_be_deleted(
    stores: Stores, clock: FrozenClock, backend_settings: Settings
) -> None:
    service = _projects(stores, clock)
    service.create("shop")
    _testhealth(backend_settings, stores, clock, "shop").ingest_bytes(
        junit_xml({MISC: "passed"}), source="a.xml", meta=RunMeta(run_id="1")
    )

    with pytest.raises(ConflictError) as caught:
        service.delete("shop")

    assert caught.value.message == (
        "project 'shop' still holds data (test runs, quarantine, ...); only an empty project "
        "can be deleted. Rename it instead with `readiness projects rename`"
    )
    assert [p.name for p in service.list()] == ["shop"]


def test_deleting_a_project_leaves_a_token_limited_to_it_with_no_project(
    stores: Stores, clock: FrozenClock
) -> None:
    _projects(stores, clock).create("shop")
    tokens = TokenService(stores=stores, clock=clock)
    _, info = tokens.create(name="ci", role="reader", projects=["shop"])

    _projects(stores, clock).delete("shop")

    assert tokens.get(info.id).projects == ()


def test_create_rename_and_delete_are_audited_under_the_project_id(
    stores: Stores, clock: FrozenClock
) -> None:
    service = _projects(stores, clock)
    created = service.create("shop")
    service.rename("shop", "shop-api")
    service.delete("shop-api")

    events = captured_audit_events(stores, action_prefix="project.")

    target = f"project:{created.id}"
    assert [(e.action, e.target, e.actor_id, e.details) for e in events] == [
        ("project.create", target, "alice", {"project": "shop"}),
        (
            "project.rename",
            target,
            "alice",
            {"project": "shop-api", "from": "shop", "to": "shop-api"},
        ),
        ("project.delete", target, "alice", {"project": "shop-api"}),
    ]


def test_concurrent_first_writes_create_the_project_once(
    stores: Stores, clock: FrozenClock
) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write() -> None:
        barrier.wait()
        try:
            _projects(stores, clock).ensure("shop")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert [p.name for p in _projects(stores, clock).list()] == ["shop"]
    assert len(captured_audit_events(stores, action_prefix="project.create")) == 1


def test_the_same_test_path_in_two_projects_is_two_tests(
    stores: Stores, clock: FrozenClock, backend_settings: Settings
) -> None:
    shop = _testhealth(backend_settings, stores, clock, "shop")
    billing = _testhealth(backend_settings, stores, clock, "billing")
    shop.ingest_bytes(junit_xml({MISC: "failed"}), source="a.xml", meta=RunMeta(run_id="1"))
    billing.ingest_bytes(junit_xml({MISC: "passed"}), source="a.xml", meta=RunMeta(run_id="1"))
    billing.ingest_bytes(junit_xml({MISC: "passed"}), source="b.xml", meta=RunMeta(run_id="2"))

    assert [(h.test_id, h.runs, h.failures) for h in shop.health()] == [(MISC, 1, 1)]
    assert [(h.test_id, h.runs, h.failures) for h in billing.health()] == [(MISC, 2, 0)]


def test_the_first_write_of_a_service_creates_its_project_and_reads_do_not(
    stores: Stores, clock: FrozenClock, backend_settings: Settings
) -> None:
    service = _testhealth(backend_settings, stores, clock, "shop")
    service.health()
    service.quarantine_entries()
    assert _projects(stores, clock).list() == []

    service.ingest_bytes(junit_xml({MISC: "passed"}), source="a.xml", meta=RunMeta(run_id="1"))

    assert [p.name for p in _projects(stores, clock).list()] == ["shop"]
