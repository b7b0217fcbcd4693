"""Sessions and security headers over real HTTP: a uvicorn server on a loopback port, httpx as
the browser (cookies copied by hand, as an attacker would)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from tests._live import live_server
from tests.server.test_sessions import EXPECTED_HEADERS


@dataclass
class Live:
    url: str
    writer: str
    admin: str
    stores: Stores


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    settings = load_settings(tmp_path, environ={})
    settings.server.trusted_proxies = ["127.0.0.1"]
    stores = open_stores(settings)
    clock = SystemClock()
    tokens = TokenService(stores=stores, clock=clock, actor="live")
    writer, _ = tokens.create(name="live-writer", role="writer")
    admin, _ = tokens.create(name="live-admin", role="admin")
    app = create_app(settings, stores=stores, clock=clock)
    try:
        with live_server(app) as url:
            yield Live(url, writer, admin, stores)
    finally:
        stores.dispose()


def _field(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def _sign_in(client: httpx.Client, token: str, **headers: str) -> httpx.Response:
    csrf = _field(client.get("/login").text)
    return client.post(
        "/login", data={"token": token, "csrf_token": csrf, "next": "/"}, headers=headers
    )


def test_a_cookie_copied_before_sign_out_is_refused_afterwards(live: Live) -> None:
    with httpx.Client(base_url=live.url) as browser:
        assert _sign_in(browser, live.writer).status_code == 303
        stolen = browser.cookies["readiness_session"]
        csrf = _field(browser.get("/tests/quarantine").text)
        assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 303

    with httpx.Client(base_url=live.url, cookies={"readiness_session": stolen}) as thief:
        page = thief.get("/tests/flaky")
        assert page.status_code == 401
        assert "<h1>Sign in</h1>" in page.text
        form = thief.post(
            "/tests/quarantine",
            data={"test_id": "t::x", "reason": "r", "allow_unknown": "true", "csrf_token": csrf},
        )
        assert form.status_code == 401
        api = thief.get("/api/v1/tests/quarantine")
        assert api.status_code == 401
        assert api.json()["error"]["code"] == "unauthorized"


def test_an_admin_revokes_a_live_session_over_http(live: Live) -> None:
    admin = {"Authorization": f"Bearer {live.admin}"}
    with httpx.Client(base_url=live.url) as browser:
        _sign_in(browser, live.writer, **{"User-Agent": "Firefox/140"})
        assert browser.get("/tests/flaky").status_code == 200
        sessions = httpx.get(f"{live.url}/api/v1/sessions", headers=admin).json()
        assert [(s["token_name"], s["client"], s["address"]) for s in sessions] == [
            ("live-writer", "Firefox/140", "127.0.0.1")
        ]
        revoked = httpx.delete(f"{live.url}/api/v1/sessions/{sessions[0]['id']}", headers=admin)
        assert revoked.json()["end_reason"] == "revoked"
        assert browser.get("/tests/flaky").status_code == 401


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_sign_in_without_a_valid_csrf_token_is_403(live: Live, csrf: str | None) -> None:
    with httpx.Client(base_url=live.url) as browser:
        browser.get("/login")
        data = {"token": live.writer, **({"csrf_token": csrf} if csrf else {})}
        response = browser.post("/login", data=data)
    assert response.status_code == 403
    assert "<h1>403 · forbidden</h1>" in response.text
    assert "CSRF token missing or wrong; reload the page and submit the form again" in (
        response.text
    )
    assert "readiness_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("path", ["/login", "/", "/api/v1/tests/flaky", "/nope", "/static/app.js"])
def test_security_headers_over_http(live: Live, path: str) -> None:
    response = httpx.get(f"{live.url}{path}")
    assert {k: response.headers[k] for k in EXPECTED_HEADERS} == EXPECTED_HEADERS


@pytest.mark.parametrize(("proto", "secure"), [(None, False), ("https", True), ("http", False)])
def test_cookies_are_secure_when_a_trusted_proxy_says_https(
    live: Live, proto: str | None, secure: bool
) -> None:
    headers = {"X-Forwarded-Proto": proto} if proto else {}
    with httpx.Client(base_url=live.url) as browser:
        response = _sign_in(browser, live.writer, **headers)
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("readiness_session=")
    )
    assert ("; secure" in cookie.lower()) is secure
