"""Tokens limited to projects, on SQLite and PostgreSQL: creation rules, reading back, audit."""

from __future__ import annotations

import json

import pytest

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.errors import InputError
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores
from readiness.testing import captured_audit_events


@pytest.fixture
def tokens(stores: Stores, clock: FrozenClock) -> TokenService:
    for name in ("shop", "billing"):
        ProjectService(stores=stores, clock=clock).create(name)
    return TokenService(stores=stores, clock=clock, actor="alice")


def test_a_token_without_projects_may_use_every_project(tokens: TokenService) -> None:
    token, info = tokens.create(name="ci", role="writer")

    assert (info.projects, tokens.authenticate(token).may_use("anything")) == (None, True)


def test_a_limited_token_reads_back_its_projects_sorted_and_once(tokens: TokenService) -> None:
    token, _ = tokens.create(name="ci", role="writer", projects=["shop", "billing", "shop"])

    found = tokens.authenticate(token)

    assert found.projects == ("billing", "shop")
    assert (found.may_use("shop"), found.may_use("hr")) == (True, False)


def test_listing_tokens_shows_each_ones_projects(tokens: TokenService) -> None:
    tokens.create(name="all", role="reader")
    tokens.create(name="one", role="reader", projects=["shop"])

    assert [(t.name, t.projects) for t in tokens.list()] == [("all", None), ("one", ("shop",))]


def test_an_empty_list_of_projects_is_refused(tokens: TokenService) -> None:
    with pytest.raises(InputError) as caught:
        tokens.create(name="ci", role="reader", projects=[])

    assert caught.value.message == (
        "the list of projects is empty; name at least one project, or omit it for a token "
        "that may use every project"
    )


def test_the_creation_event_records_the_projects(stores: Stores, tokens: TokenService) -> None:
    tokens.create(name="ci", role="auditor", projects=["shop"])

    [event] = captured_audit_events(stores, action_prefix="token.create")

    assert event.details["projects"] == ["shop"]


def test_the_creation_event_names_the_token_by_id_never_by_its_name(
    stores: Stores, tokens: TokenService
) -> None:
    _, info = tokens.create(name="Ann Smith laptop", role="writer", expires_days=30)

    [event] = captured_audit_events(stores, action_prefix="token.create")

    assert "Ann Smith" not in json.dumps(event.details)
    assert event.details == {
        "token": f"token:{info.id}",
        "role": "writer",
        "prefix": info.prefix,
        "expires_at": info.expires_at.isoformat() if info.expires_at else None,
        "projects": None,
    }
    assert info.expires_at is not None
