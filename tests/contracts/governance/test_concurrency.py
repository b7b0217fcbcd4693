"""Concurrent governed registrations of one subject, on SQLite and PostgreSQL: governance
evaluates each against the version it is registered after, never both against the same one.

Two threads, each with its own service and connections, wait at a barrier and register at
once. Each of the two candidates passes governance against v1 alone, and each is refused after
the other:

- ``CENTS`` changes the meaning of ``amount``; its changelog names ``billing``, who reads it;
- ``RENUMBERED`` changes the meaning of ``id``; its changelog names ``search``, who reads it.

Each candidate keeps v1's other field, so after one of them the other changes both fields back
and forth, and its changelog misses the winner's consumer. So exactly one of them may become
v2, and the other must be refused against that v2.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.outbox.store import audit_outbox
from readiness.config import ContractsSettings
from readiness.contracts.schemas.governance.service import SchemaGovernance
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.errors import GovernanceRefusedError
from readiness.storage import Stores

ROUNDS = 6


def js(props: dict[str, Any]) -> str:
    return json.dumps({"type": "object", "properties": props})


ID = {"type": "integer", "x-meaning": "the order's number"}
EUR = {"type": "number", "x-unit": "EUR"}
V1 = js({"id": ID, "amount": EUR})
CENTS = js({"id": ID, "amount": {"type": "number", "x-unit": "cents"}})
REFERENCE = {"type": "integer", "x-meaning": "the shop's order reference"}
RENUMBERED = js({"id": REFERENCE, "amount": EUR})
CANDIDATES = {
    "cents": (CENTS, "billing: amount is in cents now"),
    "renumbered": (RENUMBERED, "search: id is the shop's order reference"),
}
# Why the loser is refused, by winner: its changelog misses the winner's consumer.
MISSED = {"cents": "billing", "renumbered": "search"}


def _governance(stores: Stores, clock: FrozenClock) -> SchemaGovernance:
    registry = SchemaRegistry(stores, clock, "shop", actor="alice")
    return SchemaGovernance(registry, ContractsSettings(governance=True))


def _race(stores: Stores, clock: FrozenClock, subject: str) -> dict[str, Any]:
    """Register both candidates at once; each one's version number or refusal."""
    barrier = threading.Barrier(len(CANDIDATES))
    outcome: dict[str, Any] = {}

    def register(name: str) -> None:
        text, changelog = CANDIDATES[name]
        gov = _governance(stores, clock)  # its own service, as two server requests have
        gov.registry._ensure_project()  # the project exists before the race starts
        barrier.wait()
        try:
            outcome[name] = gov.register(subject, text, "JSON", changelog).version
        except Exception as exc:  # collected for the assertions
            outcome[name] = exc

    threads = [threading.Thread(target=register, args=(name,)) for name in CANDIDATES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_of_two_concurrent_conflicting_registrations_exactly_one_passes_governance(
    stores: Stores, clock: FrozenClock, round_: int
) -> None:
    subject = f"orders-{round_}"
    gov = _governance(stores, clock)
    gov.register(subject, V1, "JSON")
    gov.register_consumer(subject, "billing", fields=["amount"])
    gov.register_consumer(subject, "search", fields=["id"])

    outcome = _race(stores, clock, subject)

    winners = [name for name, got in outcome.items() if got == 2]
    assert len(winners) == 1, outcome
    (winner,) = winners
    (loser,) = set(CANDIDATES) - {winner}
    refused = outcome[loser]
    assert isinstance(refused, GovernanceRefusedError), refused
    assert refused.details["reasons"] == [
        f"the changelog does not name the affected consumers: {MISSED[winner]}"
    ]
    stored = gov.registry.versions(subject)
    assert [(v.version, v.schema.text) for v in stored] == [
        (1, V1),
        (2, CANDIDATES[winner][0]),
    ]
    assert gov.changelogs(subject) == {2: CANDIDATES[winner][1]}
    with stores.state.connect() as conn:
        registered = conn.execute(
            sa.select(sa.func.count()).where(audit_outbox.c.action == "schemas.version.registered")
        ).scalar_one()
    assert registered == 2


def test_concurrent_plain_registrations_of_one_subject_get_consecutive_versions(
    stores: Stores, clock: FrozenClock
) -> None:
    registry = SchemaRegistry(stores, clock, "shop", actor="alice")
    registry.register("orders", V1, "JSON")
    registry.set_compatibility("NONE", "orders")
    barrier = threading.Barrier(2)
    got: dict[str, Any] = {}

    def register(name: str) -> None:
        mine = SchemaRegistry(stores, clock, "shop", actor=name)
        mine._ensure_project()
        barrier.wait()
        try:
            got[name] = mine.register("orders", CANDIDATES[name][0], "JSON").version
        except Exception as exc:  # collected for the assertion
            got[name] = exc

    threads = [threading.Thread(target=register, args=(name,)) for name in CANDIDATES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(got.values()) == [2, 3], got
    stored = [(v.version, v.schema.text) for v in registry.versions("orders")]
    registered = sorted((number, CANDIDATES[name][0]) for name, number in got.items())
    assert stored == [(1, V1), *registered]


def test_one_new_schema_registered_under_two_subjects_at_once_gets_one_id(
    stores: Stores, clock: FrozenClock
) -> None:
    barrier = threading.Barrier(2)
    got: dict[str, Any] = {}

    def register(subject: str) -> None:
        mine = SchemaRegistry(stores, clock, "shop", actor=subject)
        mine._ensure_project()
        barrier.wait()
        try:
            got[subject] = mine.register(subject, V1, "JSON").schema.id
        except Exception as exc:  # collected for the assertion
            got[subject] = exc

    threads = [threading.Thread(target=register, args=(s,)) for s in ("orders", "refunds")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    registry = SchemaRegistry(stores, clock, "shop")
    assert got["orders"] == got["refunds"], got
    assert registry.usages(got["orders"]) == [("orders", 1), ("refunds", 1)]
    assert registry.schema(got["orders"]).text == V1
