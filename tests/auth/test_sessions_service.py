"""SessionService against SQLite and PostgreSQL: start, find, sign out, revoke, expire, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.audit.service import list_events
from readiness.auth.core import check_login_csrf, hash_token, login_csrf_token
from readiness.auth.service import TokenService
from readiness.auth.sessions import SessionService
from readiness.storage.engine import Stores

KEY = b"k" * 32


def _sessions(stores: Stores, clock: FrozenClock, actor: str = "server") -> SessionService:
    return SessionService(
        stores=stores,
        clock=clock,
        actor=actor,
        random_bytes=lambda n: b"\x02" * n,
    )


def test_a_session_is_found_by_its_secret_until_it_is_signed_out(
    stores: Stores, clock: FrozenClock
) -> None:
    _, token = TokenService(stores=stores, clock=clock).create(name="dash", role="reader")
    svc = _sessions(stores, clock, actor="dash#1")
    secret, info = svc.start(token, expires_at=clock.now() + timedelta(hours=2), client="x" * 300)
    assert secret == "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"
    assert (info.id, info.token_name, len(info.client)) == (1, "dash", 200)
    with stores.state.connect() as conn:
        stored = conn.exec_driver_sql("select secret_hash from rd_sessions").scalar_one()
    assert stored == hash_token(secret)

    clock.advance(timedelta(minutes=3))
    found = svc.find_active(secret)
    assert found is not None
    assert found.last_seen_at == datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # the value before
    assert svc.get(1).last_seen_at == datetime(2026, 3, 10, 9, 33, tzinfo=UTC)
    assert svc.find_active("") is None
    assert svc.find_active("another") is None

    svc.sign_out(1)
    svc.sign_out(1)
    assert svc.find_active(secret) is None
    ended = svc.get(1)
    assert (ended.end_reason, ended.ended_by, ended.ended_at) == (
        "signed-out",
        "dash#1",
        datetime(2026, 3, 10, 9, 33, tzinfo=UTC),
    )
    actions = [e.action for e in reversed(list_events(stores, action_prefix="session."))]
    assert actions == ["session.start", "session.end"]


def test_an_expired_session_is_not_found_nor_listed_as_active(
    stores: Stores, clock: FrozenClock
) -> None:
    _, token = TokenService(stores=stores, clock=clock).create(name="dash", role="reader")
    svc = _sessions(stores, clock)
    secret, _ = svc.start(token, expires_at=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=1))
    assert svc.find_active(secret) is None
    assert svc.list() == []
    assert [s.id for s in svc.list(include_ended=True)] == [1]


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_a_login_csrf_token_fits_only_its_own_nonce(nonce: str, other: str) -> None:
    token = login_csrf_token(KEY, nonce)
    assert check_login_csrf(KEY, nonce, token)
    assert check_login_csrf(KEY, other, token) is (other == nonce)
    assert not check_login_csrf(KEY, nonce, token[:-1])
    assert not check_login_csrf(KEY, None, token)
    assert not check_login_csrf(KEY, nonce, None)


def test_sessions_over_for_30_days_are_dropped_when_another_starts(
    stores: Stores, clock: FrozenClock
) -> None:
    _, token = TokenService(stores=stores, clock=clock).create(name="dash", role="reader")
    rand = iter(bytes([i]) * 32 for i in range(1, 10))
    svc = SessionService(stores=stores, clock=clock, random_bytes=lambda n: next(rand))
    svc.start(token, expires_at=clock.now() + timedelta(hours=1))  # expires, then 30 days pass
    svc.start(token, expires_at=clock.now() + timedelta(days=60))
    svc.sign_out(2)  # ended at 09:30 on day 0
    svc.start(token, expires_at=clock.now() + timedelta(days=90))
    clock.advance(timedelta(days=30, hours=2))  # session 1 expired at 10:30 on day 0
    svc.start(token, expires_at=clock.now() + timedelta(hours=1))
    assert [s.id for s in svc.list(include_ended=True)] == [4, 3]
