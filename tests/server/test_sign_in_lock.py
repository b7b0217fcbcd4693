"""Refused sign-ins lock the address out of the form for a while (429 + Retry-After), each
refusal is audited, a good sign-in clears the count; HSTS is sent only over HTTPS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readiness.audit.service import list_events
from tests.server.conftest import Server

LOCKED = "Too many failed sign-ins from this address: try again in 15 minutes."


def _fail(server: Server, times: int) -> None:
    for _ in range(times):
        assert server.sign_in("rdy_wrong").status_code == 401


def _limit(server: Server, failures: int, minutes: int) -> None:
    server.app.state.settings.server.sign_in_max_failures = failures
    server.app.state.settings.server.sign_in_lock_minutes = minutes


def test_the_limit_th_failure_locks_the_address_even_for_a_good_token(server: Server) -> None:
    _limit(server, 3, 15)
    _fail(server, 2)
    assert server.sign_in("rdy_wrong").status_code == 401  # the third refusal is still a 401
    locked = server.sign_in(server.tokens["reader"])
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "900"
    assert LOCKED in locked.text
    assert "readiness_session" not in locked.headers.get("set-cookie", "")


def test_one_failure_below_the_limit_leaves_the_form_open(server: Server) -> None:
    _limit(server, 3, 15)
    _fail(server, 2)
    assert server.sign_in(server.tokens["reader"]).status_code == 303


def test_the_lock_lifts_when_the_oldest_failure_is_a_window_old(server: Server) -> None:
    _limit(server, 2, 15)
    _fail(server, 1)
    server.clock.advance(timedelta(minutes=5))
    _fail(server, 1)
    server.clock.advance(timedelta(minutes=9, seconds=59))
    locked = server.sign_in(server.tokens["reader"])
    assert (locked.status_code, locked.headers["Retry-After"]) == (429, "1")
    assert "try again in 1 minute." in locked.text
    server.clock.advance(timedelta(seconds=1))
    assert server.sign_in(server.tokens["reader"]).status_code == 303


def test_a_good_sign_in_clears_the_count(server: Server) -> None:
    _limit(server, 2, 15)
    _fail(server, 1)
    assert server.sign_in(server.tokens["reader"]).status_code == 303
    _fail(server, 1)
    assert server.sign_in(server.tokens["reader"]).status_code == 303


def test_refusals_while_locked_are_audited_but_do_not_extend_the_lock(server: Server) -> None:
    _limit(server, 1, 15)
    _fail(server, 1)
    server.clock.advance(timedelta(minutes=10))
    assert server.sign_in(server.tokens["reader"]).status_code == 429
    server.clock.advance(timedelta(minutes=5))
    assert server.sign_in(server.tokens["reader"]).status_code == 303
    reasons = [
        e.details["reason"]
        for e in reversed(list_events(server.stores, action_prefix="session.login_failed"))
    ]
    assert reasons == ["token is not valid; create one with `readiness tokens create`", "locked"]


@pytest.mark.parametrize(
    ("base", "hsts_seconds", "expected"),
    [
        ("https://testserver", 31_536_000, "max-age=31536000"),
        ("https://testserver", 0, None),
        ("http://testserver", 31_536_000, None),
    ],
)
def test_hsts_is_sent_only_over_https(
    server: Server, base: str, hsts_seconds: int, expected: str | None
) -> None:
    server.app.state.settings.server.hsts_seconds = hsts_seconds
    server.client.base_url = base
    assert server.client.get("/healthz").headers.get("strict-transport-security") == expected


def test_hsts_behind_a_trusted_proxy(server: Server) -> None:
    server.app.state.settings.server.trusted_proxies = ["testclient"]
    response = server.client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["strict-transport-security"] == "max-age=31536000"
