"""The broker's service on SQLite and PostgreSQL: rows per project, deployments replacing each
other, releases, undo, the snapshot the core decides on, and the migration's downgrade."""

from __future__ import annotations

from readiness._common.clock import FrozenClock
from readiness.contracts.pact.service import PactService
from readiness.projects.service import ProjectService
from readiness.storage import Stores
from readiness.storage.migrate import current_revision, downgrade, head_revision, upgrade

PACT = {"consumer": {"name": "web"}, "provider": {"name": "users"}, "messages": [{"d": "x"}]}


def _service(stores: Stores, clock: FrozenClock, project: str) -> PactService:
    ProjectService(stores=stores, clock=clock, actor="test").ensure(project)
    return PactService(stores, clock, project)


def test_rows_belong_to_their_project(stores: Stores, clock: FrozenClock) -> None:
    a = _service(stores, clock, "alpha")
    b = _service(stores, clock, "beta")

    assert a.publish("web", "users", "1", PACT, branch="main").created is True
    assert a.publish("web", "users", "1", PACT).created is False

    assert [p.consumer_version for p in a.snapshot().pacts] == ["1"]
    assert b.snapshot().pacts == ()
    assert a.snapshot().main_branches == {"web": "main", "users": None}


def test_deployments_replace_each_other_and_releases_accumulate(
    stores: Stores, clock: FrozenClock
) -> None:
    s = _service(stores, clock, "alpha")
    s.create_environment("prod", production=True)
    for version in ("p1", "p2"):
        s.branch_version("users", "main", version)
    s.record("users", "p1", "prod")
    s.record("users", "p2", "prod")
    s.record("users", "p1", "prod", kind="release")

    assert sorted((d.version, d.kind) for d in s.snapshot().deployments) == [
        ("p1", "release"),
        ("p2", "deployment"),
    ]
    assert s.undo("users", "p1", "prod", kind="release") == 1
    assert [(d.version, d.kind) for d in s.snapshot().deployments] == [("p2", "deployment")]
    assert s.environments()[0]["production"] is True


def test_verification_covers_every_version_with_the_same_content(
    stores: Stores, clock: FrozenClock
) -> None:
    s = _service(stores, clock, "alpha")
    s.create_environment("prod")
    s.publish("web", "users", "1", PACT)
    s.publish("web", "users", "2", PACT)  # same content, another version
    s.verify(s.pact("users", "web", "1")[0], "p1", True, {"success": True})
    s.record("users", "p1", "prod")

    decision = s.can_i_deploy("web", "2", "prod")

    assert decision.deployable is True
    assert s.can_i_deploy("web", "2", "staging").reason == (
        "no environment 'staging' is known to the broker"
    )


def test_the_migration_downgrades_and_upgrades(stores: Stores) -> None:
    downgrade("state", stores.state, "0011_audit_outbox")
    assert current_revision("state", stores.state) == "0011_audit_outbox"
    upgrade("state", stores.state)
    assert current_revision("state", stores.state) == head_revision("state")
