"""Break-glass resolution: justification, fail-closed recording, second approver, window."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.privacy.runtime import privacy_service
from readiness.audit.privacy.service import PrivacyService
from readiness.config import Settings
from readiness.errors import (
    ConflictError,
    InputError,
    PermissionDeniedError,
    StorageError,
)
from readiness.storage import Stores

from .conftest import make_settings


class Recorder:
    """An append that keeps what it was given (and can be made to fail)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.events: list[dict[str, object]] = []
        self.fail = fail

    def __call__(self, entries: Sequence[bytes]) -> list[int]:
        if self.fail:
            raise StorageError("audit database unreachable")
        start = len(self.events)
        self.events.extend(json.loads(e) for e in entries)
        return list(range(start, start + len(entries)))


def test_a_resolution_is_recorded_with_its_justification_before_the_answer(
    service: PrivacyService,
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    recorder = Recorder()
    svc = PrivacyService(service.vault, recorder, service.settings, "tests")

    answer = svc.resolve(pseudonym, "INC-2041 account takeover", by="bob")

    assert (answer.status, answer.identity) == ("resolved", "ann@example.org")
    assert len(recorder.events) == 1
    event = recorder.events[0]
    assert event["action"] == "privacy.resolve"
    assert event["target_id"] == pseudonym
    assert event["justification"] == "INC-2041 account takeover"
    assert event["actor_id"] == service.vault.lookup("bob")
    assert "ann@example.org" not in json.dumps(recorder.events)


def test_a_resolution_whose_audit_append_fails_gives_no_answer(
    service: PrivacyService,
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    svc = PrivacyService(service.vault, Recorder(fail=True), service.settings, "tests")

    with pytest.raises(StorageError, match=r"^audit database unreachable$") as caught:
        svc.resolve(pseudonym, "INC-2041", by="bob")

    assert "ann@example.org" not in repr(caught.value.__dict__)


@pytest.mark.parametrize("justification", [None, "", "   "])
def test_a_resolution_without_justification_is_refused_and_not_recorded(
    service: PrivacyService, justification: str | None
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    recorder = Recorder()
    svc = PrivacyService(service.vault, recorder, service.settings, "tests")

    with pytest.raises(InputError, match=r"^justification: required to resolve a pseudonym"):
        svc.resolve(pseudonym, justification, by="bob")

    assert recorder.events == []


def test_an_erasure_whose_append_fails_erases_nothing(service: PrivacyService) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    svc = PrivacyService(service.vault, Recorder(fail=True), service.settings, "tests")

    with pytest.raises(StorageError):
        svc.erase("ann@example.org", by="alice")

    assert service.vault.identity(pseudonym) == "ann@example.org"


@pytest.fixture
def two_person(
    project_dir: Path, stores: Stores, vault_url: str, clock: FrozenClock
) -> Iterator[PrivacyService]:
    settings: Settings = make_settings(
        project_dir, stores, vault_url, resolve_approvers=2, resolve_window_minutes=60
    )
    with privacy_service(settings, clock, stores.audit, source="tests") as svc:
        yield svc


def test_with_two_approvers_the_first_call_opens_a_request_and_names_no_one(
    two_person: PrivacyService, clock: FrozenClock
) -> None:
    pseudonym, _ = two_person.register("ann@example.org", by="alice")

    pending = two_person.resolve(pseudonym, "INC-7", by="bob")

    assert (pending.status, pending.identity) == ("pending", None)
    assert (pending.approvals, pending.approvals_needed) == (1, 2)
    assert pending.expires_at == clock.now() + timedelta(minutes=60)


def test_the_requester_cannot_approve_their_own_request(two_person: PrivacyService) -> None:
    pseudonym, _ = two_person.register("ann@example.org", by="alice")
    request = two_person.resolve(pseudonym, "INC-7", by="bob").request_id
    assert request is not None

    with pytest.raises(PermissionDeniedError, match="the requester cannot approve"):
        two_person.approve(request, by="bob")


def test_after_another_principal_approves_the_requester_gets_the_answer(
    two_person: PrivacyService,
) -> None:
    pseudonym, _ = two_person.register("ann@example.org", by="alice")
    request = two_person.resolve(pseudonym, "INC-7", by="bob").request_id
    assert request is not None

    approved = two_person.approve(request, by="carol")
    answer = two_person.resolve(pseudonym, "INC-7", by="bob")

    assert (approved.status, approved.approvals) == ("approved", 2)
    assert (answer.status, answer.identity, answer.request_id) == (
        "resolved",
        "ann@example.org",
        request,
    )


def test_a_request_cannot_be_approved_once_its_window_has_passed(
    two_person: PrivacyService, clock: FrozenClock
) -> None:
    pseudonym, _ = two_person.register("ann@example.org", by="alice")
    request = two_person.resolve(pseudonym, "INC-7", by="bob").request_id
    assert request is not None
    clock.advance(timedelta(minutes=60))  # exactly at the end of the window: closed

    with pytest.raises(ConflictError, match="expired at 2026-03-10T10:30:00"):
        two_person.approve(request, by="carol")


def test_an_approved_request_answers_only_within_its_window(
    two_person: PrivacyService, clock: FrozenClock
) -> None:
    pseudonym, _ = two_person.register("ann@example.org", by="alice")
    request = two_person.resolve(pseudonym, "INC-7", by="bob").request_id
    assert request is not None
    two_person.approve(request, by="carol")
    clock.advance(timedelta(minutes=59, seconds=59))
    assert two_person.resolve(pseudonym, "INC-7", by="bob").status == "resolved"
    clock.advance(timedelta(seconds=1))

    again = two_person.resolve(pseudonym, "INC-7", by="bob")

    assert (again.status, again.identity) == ("pending", None)
    assert again.request_id != request


def test_what_is_not_a_pseudonym_is_refused_before_anything_is_recorded(
    service: PrivacyService,
) -> None:
    recorder = Recorder()
    svc = PrivacyService(service.vault, recorder, service.settings, "tests")

    with pytest.raises(InputError) as caught:
        svc.resolve("ann@example.org", "INC-1", by="bob")

    assert caught.value.message == (
        "pseudonym: 'ann@example.org' is not a pseudonym of this vault (usr_ and 16 hex digits, "
        "as `readiness audit lookup` prints)"
    )
    assert recorder.events == []


def test_a_lookup_is_recorded_by_pseudonym(service: PrivacyService) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    recorder = Recorder()
    svc = PrivacyService(service.vault, recorder, service.settings, "tests")

    assert svc.lookup("ann@example.org", by="bob") == pseudonym
    assert svc.lookup("zed@example.org", by="bob") is None

    assert [(e["action"], e["target_id"], e["result"]) for e in recorder.events] == [
        ("privacy.lookup", pseudonym, "success"),
        ("privacy.lookup", "none", "not_found"),
    ]
