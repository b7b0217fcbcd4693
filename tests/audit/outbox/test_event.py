"""The mapping of platform actions onto the event schema (pure)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.audit.events import validate_event
from readiness.audit.outbox.event import (
    entry_marker,
    platform_entry,
    platform_event,
    pseudonym,
    read_entry,
    rfc3339,
)
from readiness.errors import InputError

AT = datetime(2026, 3, 10, 9, 30, 1, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given_text", "expected"),
    [
        ("alice", "alice"),
        ("ci-bot", "ci-bot"),
        ("writer-bot#2", "token:2"),
        ("my token name#17", "token:17"),
        # e-mail addresses and names with spaces: the first 32 hex digits of their SHA-256
        ("alice@example.com", "sha256:" + hashlib.sha256(b"alice@example.com").hexdigest()[:32]),
        ("Alice Smith", "sha256:" + hashlib.sha256(b"Alice Smith").hexdigest()[:32]),
    ],
)
def test_an_actor_becomes_a_pseudonymous_id(given_text: str, expected: str) -> None:
    assert pseudonym(given_text) == expected


@given(st.text(max_size=300))
def test_every_pseudonym_is_a_valid_actor_id(text: str) -> None:
    event = platform_event(
        actor=text,
        action="x.y",
        target_type="thing",
        target_id=text,
        details={},
        at=AT,
        request_id="outbox:1",
    )
    assert event["actor_id"] == pseudonym(text)
    assert "@" not in event["actor_id"]


def test_times_are_rfc3339_utc_with_milliseconds() -> None:
    paris = AT.astimezone(timezone(timedelta(hours=1)))
    assert (rfc3339(AT), rfc3339(paris)) == ("2026-03-10T09:30:01.123Z",) * 2


def test_a_platform_event_reads_back_and_names_its_marker() -> None:
    event = platform_event(
        actor="alice",
        action="token.create",
        target_type="token",
        target_id="5",
        details={"role": "writer"},
        at=AT,
        request_id="outbox:abc123",
    )
    entry = platform_entry(event)

    back = read_entry(7, entry)

    assert validate_event(event) == event
    assert back is not None
    assert (back.index, back.occurred_at, back.actor_id, back.target, back.details) == (
        7,
        datetime(2026, 3, 10, 9, 30, 1, 123000, tzinfo=UTC),
        "alice",
        "token:5",
        {"role": "writer"},
    )
    assert entry_marker(entry) == "abc123"


def test_an_application_event_is_not_a_platform_event() -> None:
    entry = b'{"action":"x.y","request_id":"outbox:abc","source":"shop"}'
    assert (read_entry(0, entry), entry_marker(entry), entry_marker(b"not json")) == (
        None,
        None,
        None,
    )


def test_an_invalid_action_is_refused_with_the_schema_message() -> None:
    with pytest.raises(InputError) as caught:
        platform_event(
            actor="alice",
            action="Token Create",
            target_type="token",
            target_id="5",
            details={},
            at=AT,
            request_id="outbox:1",
        )
    assert caught.value.message == (
        "action: 'Token Create' is not a lowercase dotted name like patient_record.view or "
        "authn_login_fail"
    )
