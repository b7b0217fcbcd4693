"""TokenService against SQLite and PostgreSQL: create, authenticate, expire, revoke, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.service import list_events
from readiness.auth.service import TokenService
from readiness.errors import AuthError, InputError, NotFoundError
from readiness.storage.engine import Stores


def _service(stores: Stores, clock: FrozenClock) -> TokenService:
    return TokenService(
        stores=stores, clock=clock, actor="alice", random_bytes=lambda n: b"\x01" * n
    )


def test_a_created_token_authenticates_and_is_stored_only_as_a_digest(
    stores: Stores, clock: FrozenClock
) -> None:
    svc = _service(stores, clock)
    token, info = svc.create(name="ci", role="writer", expires_days=30)
    assert token == "rdy_AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
    assert (info.name, info.role, info.prefix, info.created_by) == (
        "ci",
        "writer",
        "rdy_AQEB",
        "alice",
    )
    assert info.expires_at == datetime(2026, 4, 9, 9, 30, tzinfo=UTC)
    assert svc.authenticate(token).id == info.id
    with stores.state.connect() as conn:
        raw = conn.exec_driver_sql("select token_hash from rd_tokens").scalar_one()
    assert token not in raw and len(raw) == 64


def test_authentication_records_last_used(stores: Stores, clock: FrozenClock) -> None:
    svc = _service(stores, clock)
    token, info = svc.create(name="ci", role="reader")
    svc.authenticate(token)
    assert svc.get(info.id).last_used_at == clock.now()


def test_an_unknown_token_is_rejected(stores: Stores, clock: FrozenClock) -> None:
    with pytest.raises(AuthError) as err:
        _service(stores, clock).authenticate("rdy_nope")
    assert err.value.message == "token is not valid; create one with `readiness tokens create`"


def test_an_expired_token_is_rejected(stores: Stores, clock: FrozenClock) -> None:
    svc = _service(stores, clock)
    token, _ = svc.create(name="ci", role="reader", expires_days=1)
    clock.advance(timedelta(days=1))
    with pytest.raises(AuthError) as err:
        svc.authenticate(token)
    assert err.value.message == "token rdy_AQEB… expired; ask an admin for a new one"


def test_a_revoked_token_is_rejected_and_both_acts_are_audited(
    stores: Stores, clock: FrozenClock
) -> None:
    svc = _service(stores, clock)
    token, info = svc.create(name="ci", role="admin")
    revoked = svc.revoke(info.id)
    svc.revoke(info.id)
    assert revoked.revoked_at == clock.now()
    with pytest.raises(AuthError, match="was revoked"):
        svc.authenticate(token)
    events = list_events(stores, action_prefix="token.")
    assert [(e.action, e.target, e.actor_id) for e in events] == [
        ("token.revoke", f"token:{info.id}", "alice"),
        ("token.create", f"token:{info.id}", "alice"),
    ]
    assert token not in repr(events)


def test_revoking_an_unknown_token_is_not_found(stores: Stores, clock: FrozenClock) -> None:
    with pytest.raises(NotFoundError, match="token 99 does not exist"):
        _service(stores, clock).revoke(99)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("ci", "root", None), "role 'root' is not known"),
        (("  ", "reader", None), "token name is empty"),
        (("ci", "reader", 0), "expires_days must be from 1 to 36500 (got 0)"),
        (("ci", "reader", 2**64), f"expires_days must be from 1 to 36500 (got {2**64})"),
    ],
)
def test_invalid_token_requests_are_input_errors(
    stores: Stores, clock: FrozenClock, fields: tuple[str, str, int | None], message: str
) -> None:
    name, role, days = fields
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _service(stores, clock).create(name=name, role=role, expires_days=days)


def test_list_returns_tokens_oldest_first(stores: Stores, clock: FrozenClock) -> None:
    svc = TokenService(stores=stores, clock=clock)
    svc.create(name="a", role="reader")
    svc.create(name="b", role="auditor")
    assert [(t.name, t.role) for t in svc.list()] == [("a", "reader"), ("b", "auditor")]
