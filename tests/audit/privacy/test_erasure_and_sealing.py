"""Erasure keeps the ledger verifiable; sealed values become [erased] (crypto-shredding)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.events import entry_bytes, parse_line
from readiness.audit.privacy.envelope import ERASED, SEALED
from readiness.audit.privacy.sealing import open_fields, seal_fields
from readiness.audit.privacy.service import PrivacyService
from readiness.audit.trail import open_ledger, publish, verify_trail
from readiness.config import Settings
from readiness.errors import PrivacyError
from readiness.storage import Stores


def event(actor: str) -> dict[str, Any]:
    return {
        "actor_id": actor,
        "actor_type": "customer",
        "action": "profile.update",
        "target_type": "profile",
        "target_id": "prof_1",
        "before": {"email": "ann@old.example", "plan": "free"},
        "after": {"email": "ann@example.org", "plan": "pro"},
        "result": "success",
        "occurred_at": "2026-04-10T14:23:01Z",
    }


def _stored(stores: Stores, settings: Settings) -> list[dict[str, Any]]:
    with stores.audit.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT entry FROM ledger_entries WHERE log = :log ORDER BY leaf_index"),
            {"log": settings.audit_origin},
        ).all()
    return [parse_line(bytes(r[0])) for r in rows]


def test_after_erasure_the_ledger_verifies_and_the_subject_resolves_to_no_one(
    service: PrivacyService, privacy_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    sealed = seal_fields(event(pseudonym), pseudonym, ["email"], vault=service.vault)
    ledger = open_ledger(privacy_settings, stores.audit, clock)
    try:
        ledger.append([entry_bytes(sealed)])
        publish(privacy_settings, ledger.checkpoint(), ledger.verifier)
        service.erase("ann@example.org", by="alice")
        publish(privacy_settings, ledger.checkpoint(), ledger.verifier)
    finally:
        ledger.close()

    report = verify_trail(privacy_settings)
    resolution = service.resolve(pseudonym, "DSAR-12 erasure check", by="bob")
    stored = [e for e in _stored(stores, privacy_settings) if e["action"] == "profile.update"]

    assert report.errors == []
    assert (report.verified, report.checkpoints) == (True, 3)
    assert (resolution.status, resolution.identity) == ("no_one", None)
    assert open_fields(stored[0], vault=service.vault)["after"] == {"email": ERASED, "plan": "pro"}


def test_while_the_key_exists_sealed_values_open_to_the_originals(
    service: PrivacyService,
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")

    sealed = seal_fields(event(pseudonym), "ann@example.org", ["email"], vault=service.vault)
    opened = open_fields(json.loads(entry_bytes(sealed)), vault=service.vault)

    assert SEALED in sealed["before"]["email"]
    assert SEALED in sealed["after"]["email"]
    assert b"ann@" not in entry_bytes(sealed)
    assert opened == event(pseudonym)


def test_only_the_named_side_is_sealed_when_the_field_names_one(
    service: PrivacyService,
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")

    sealed = seal_fields(event(pseudonym), pseudonym, ["after.email"], vault=service.vault)

    assert sealed["before"]["email"] == "ann@old.example"
    assert SEALED in sealed["after"]["email"]


def test_a_sealed_value_altered_in_the_stored_event_is_refused_not_shown(
    service: PrivacyService,
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    sealed = seal_fields(event(pseudonym), pseudonym, ["email"], vault=service.vault)
    moved = {**sealed, "target_id": "prof_2"}

    with pytest.raises(PrivacyError, match="does not authenticate"):
        open_fields(moved, vault=service.vault)


def test_nothing_is_sealed_for_an_erased_subject(service: PrivacyService) -> None:
    from readiness.errors import NotFoundError

    pseudonym, _ = service.register("ann@example.org", by="alice")
    service.erase(pseudonym, by="alice")

    with pytest.raises(NotFoundError) as caught:
        seal_fields(event(pseudonym), pseudonym, ["email"], vault=service.vault)

    assert caught.value.message == (
        "subject: no key for that pseudonym in the identity vault (never registered, or "
        "erased); nothing sealed"
    )
