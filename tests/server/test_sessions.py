"""Dashboard sessions live on the server: sign-out and an admin end them; sign-in needs the
form's CSRF token; every response carries the security headers; every session event is audited."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from readiness.audit.service import list_events
from readiness.web.headers import SECURITY_HEADERS
from tests.server.conftest import Server, database_contents, empty_plugin_manager

PAY = "tests/test_orders.py::test_pay"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
EXPECTED_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}


def _csrf(server: Server, path: str = "/tests/quarantine") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', server.client.get(path).text)
    assert match is not None
    return match.group(1)


def _signed_in(server: Server, role: str) -> tuple[str, str]:
    """Sign in as ``role``; returns the session cookie and the session's CSRF token."""
    assert server.sign_in(server.tokens[role]).status_code == 303
    return server.client.cookies["readiness_session"], _csrf(server)


def _session_events(server: Server) -> list[tuple[str, str, str, dict[str, Any]]]:
    events = list_events(server.stores, action_prefix="session.")
    return [(e.actor_id, e.action, e.target, e.details) for e in reversed(events)]


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(server: Server) -> None:
    cookie, csrf = _signed_in(server, "writer")
    assert server.client.get("/tests/flaky").status_code == 200

    out = server.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")

    server.client.cookies.set("readiness_session", cookie)  # the copy kept before sign-out
    page = server.client.get("/tests/flaky")
    assert page.status_code == 401
    assert "<h1>Sign in</h1>" in page.text
    post = server.client.post(
        "/tests/quarantine",
        data={"test_id": PAY, "reason": "flaky", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert post.status_code == 401
    api = server.client.get("/api/v1/tests/flaky")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "unauthorized"
    assert server.client.get("/api/v1/tests/quarantine", headers=server.auth("reader")).json() == []


def test_an_admin_lists_the_active_sessions_and_revokes_one(server: Server) -> None:
    cookie, _ = _signed_in(server, "reader")
    server.clock.advance(timedelta(minutes=5))
    server.client.cookies.clear()

    listed = server.client.get("/api/v1/sessions", headers=server.auth("admin"))
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "id": 1,
            "token_id": 1,
            "token_name": "reader-bot",
            "created_at": "2026-03-10T09:30:00+00:00",
            "expires_at": "2026-03-10T21:30:00+00:00",
            "last_seen_at": "2026-03-10T09:30:00+00:00",
            "ended_at": None,
            "ended_by": None,
            "end_reason": None,
            "client": "testclient",
            "address": "testclient",
        }
    ]

    revoked = server.client.delete("/api/v1/sessions/1", headers=server.auth("admin"))
    assert revoked.status_code == 200
    assert (revoked.json()["ended_at"], revoked.json()["ended_by"]) == (
        "2026-03-10T09:35:00+00:00",
        "admin-bot#3",
    )
    assert revoked.json()["end_reason"] == "revoked"
    server.client.cookies.set("readiness_session", cookie)
    assert server.client.get("/tests/flaky").status_code == 401
    server.client.cookies.clear()
    assert server.client.get("/api/v1/sessions", headers=server.auth("admin")).json() == []
    everything = server.client.get(
        "/api/v1/sessions?include_ended=true", headers=server.auth("admin")
    ).json()
    assert [s["id"] for s in everything] == [1]

    again = server.client.delete("/api/v1/sessions/1", headers=server.auth("admin"))
    assert again.status_code == 200
    assert [a for _, a, _, _ in _session_events(server)] == ["session.start", "session.revoke"]


def test_revoking_an_unknown_session_is_404_in_the_one_error_shape(server: Server) -> None:
    response = server.client.delete("/api/v1/sessions/9", headers=server.auth("admin"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "session 9 does not exist; `readiness sessions list` (or GET "
            "/api/v1/sessions) shows the ids",
            "details": {"session": 9},
        }
    }


def test_signing_in_again_replaces_the_browsers_session(server: Server) -> None:
    first, _ = _signed_in(server, "reader")
    _signed_in(server, "writer")
    listed = server.client.get(
        "/api/v1/sessions?include_ended=true", headers=server.auth("admin")
    ).json()
    assert [(s["id"], s["token_name"], s["end_reason"]) for s in listed] == [
        (2, "writer-bot", None),
        (1, "reader-bot", "replaced"),
    ]
    server.client.cookies.set("readiness_session", first)
    assert server.client.get("/tests/flaky").status_code == 401


def test_a_session_expires_with_the_clock(server: Server) -> None:
    _signed_in(server, "reader")
    server.clock.advance(timedelta(hours=12))
    assert server.client.get("/tests/flaky").status_code == 401


def test_revoking_the_token_ends_its_sessions(server: Server) -> None:
    _signed_in(server, "reader")
    assert server.client.delete("/api/v1/tokens/1", headers=server.auth("admin")).status_code == 200
    assert server.client.get("/tests/flaky").status_code == 401


def test_every_session_event_is_audited_word_for_word(server: Server) -> None:
    server.client.post(
        "/login", data={"token": server.tokens["writer"]}, headers={"User-Agent": "ua/1"}
    )
    server.sign_in("rdy_wrong")
    _, csrf = _signed_in(server, "writer")
    server.client.post("/logout", data={"csrf_token": csrf})
    server.client.delete("/api/v1/sessions/1", headers=server.auth("admin"))

    # The client's address stays in the state database, out of the permanent trail.
    assert _session_events(server) == [
        ("server", "session.login_failed", "session:none", {"reason": "csrf", "client": "ua/1"}),
        (
            "server",
            "session.login_failed",
            "session:none",
            {
                "reason": "token is not valid; create one with `readiness tokens create`",
                "client": "testclient",
            },
        ),
        (
            "token:2",
            "session.start",
            "session:1",
            {
                "token": "token:2",
                "expires_at": "2026-03-10T21:30:00+00:00",
                "client": "testclient",
            },
        ),
        ("token:2", "session.end", "session:1", {"reason": "signed-out"}),
    ]


@pytest.mark.parametrize("given", [None, "", "wrong"])
def test_sign_in_without_the_forms_csrf_token_is_403(server: Server, given: str | None) -> None:
    server.login_csrf()  # the browser holds the nonce cookie; only the field is missing/wrong
    data = {"token": server.tokens["admin"]}
    if given is not None:
        data["csrf_token"] = given
    response = server.client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "<h1>403 · forbidden</h1>" in response.text
    assert (
        '<p role="alert">CSRF token missing or wrong; reload the page and submit the form again</p>'
        in response.text
    )
    assert "readiness_session" not in response.headers.get("set-cookie", "")


def test_sign_in_with_a_token_from_another_browser_is_403(server: Server) -> None:
    csrf = server.login_csrf()
    server.client.cookies.clear()  # another browser: no nonce cookie, the token copied over
    response = server.client.post(
        "/login", data={"token": server.tokens["admin"], "csrf_token": csrf}
    )
    assert response.status_code == 403


def test_the_anonymous_401_page_is_a_working_sign_in_form(server: Server) -> None:
    page = server.client.get("/tests/runs")
    assert page.status_code == 401
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    response = server.client.post(
        "/login",
        data={"token": server.tokens["reader"], "next": "/tests/runs", "csrf_token": match[1]},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/tests/runs")


def test_every_response_carries_the_security_headers(
    server: Server, subtests: pytest.Subtests
) -> None:
    # One server for every path (a server costs about a second): each request is anonymous,
    # without the cookies an earlier one set, and changes nothing (checked).
    before = database_contents(server.stores)
    paths = [
        "/login",
        "/tests/flaky",
        "/api/v1/tests/flaky",
        "/nope",
        "/static/app.css",
        "/healthz",
    ]
    for path in paths:
        with subtests.test(msg=path):
            server.client.cookies.clear()
            response = server.client.get(path)
            assert {k: response.headers[k] for k in EXPECTED_HEADERS} == EXPECTED_HEADERS
            assert {k.lower(): v for k, v in SECURITY_HEADERS.items()} == EXPECTED_HEADERS
            assert database_contents(server.stores) == before


def test_an_unexpected_error_page_carries_the_security_headers(server: Server) -> None:
    from fastapi import APIRouter

    boom = APIRouter()

    @boom.get("/boom")
    def _boom() -> None:
        raise RuntimeError("boom")

    server.app.include_router(boom)
    response = server.client.get("/boom")
    assert response.status_code == 500
    assert {k: response.headers[k] for k in EXPECTED_HEADERS} == EXPECTED_HEADERS


def test_no_template_has_inline_script_style_or_handlers() -> None:
    from pathlib import Path

    import readiness

    root = Path(readiness.__file__).parent
    found = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|hx-on|javascript:", text):
            found.append(template.name)
    assert found == []


def _cookie_flags(response: Any, name: str) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert len(cookies) == 1
    return str(cookies[0])


def test_cookies_are_secure_over_https(server: Server) -> None:
    server.client.base_url = "https://testserver"
    response = server.sign_in(server.tokens["reader"])
    assert "; secure" in _cookie_flags(response, "readiness_session").lower()


@pytest.mark.parametrize(("trusted", "secure"), [([], False), (["testclient"], True)])
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(
    server: Server, trusted: list[str], secure: bool
) -> None:
    server.app.state.settings.server.trusted_proxies = trusted
    csrf = server.login_csrf()
    response = server.client.post(
        "/login",
        data={"token": server.tokens["reader"], "csrf_token": csrf},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    flags = _cookie_flags(response, "readiness_session").lower()
    assert ("; secure" in flags) is secure
    assert "httponly" in flags and "samesite=strict" in flags


def test_the_404_page_links_to_the_first_page_of_the_navigation(server: Server) -> None:
    _signed_in(server, "reader")
    response = server.client.get("/tests/nope")
    assert response.status_code == 404
    assert "nothing at GET /tests/nope; the link below leads back to the dashboard" in response.text
    assert '<a href="/">Back to Overview</a>' in response.text
    assert server.client.get("/").status_code == 200


def test_without_feature_pages_the_404_page_links_to_the_platform_gates_page(
    settings: Any, clock: Any
) -> None:
    from starlette.testclient import TestClient  # imported (warning silenced) by conftest

    from readiness.server.app import create_app
    from readiness.storage import open_stores

    stores = open_stores(settings)
    try:
        app = create_app(settings, stores=stores, clock=clock, pm=empty_plugin_manager())
        with TestClient(app) as client:
            response = client.get("/nope")
            assert response.status_code == 404
            assert '<a href="/gates">Back to Gates</a>' in response.text
    finally:
        stores.dispose()


def test_an_admin_revokes_a_session_from_the_dashboard_page(server: Server) -> None:
    from readiness.auth.service import TokenService
    from readiness.auth.sessions import SessionService

    reader = TokenService(stores=server.stores, clock=server.clock).get(1)
    SessionService(stores=server.stores, clock=server.clock).start(
        reader, expires_at=server.clock.now() + timedelta(hours=1), client="Safari/18"
    )
    _, csrf = _signed_in(server, "admin")
    page = server.client.get("/admin/sessions")
    assert page.status_code == 200
    rows = re.findall(r"<td>(\d+)</td>\s*<td>([^<]+)</td>", page.text)
    assert rows == [("2", "admin-bot#3"), ("1", "reader-bot#1")]
    assert "this browser" in page.text
    assert '<a href="/admin/sessions">Sessions</a>' in page.text

    refused = server.client.post("/admin/sessions/1/revoke", follow_redirects=False)
    assert refused.status_code == 403
    done = server.client.post("/admin/sessions/1/revoke", data={"csrf_token": csrf})
    assert done.status_code == 200
    assert '<p class="notice" role="status">Session 1 revoked.</p>' in done.text
    assert re.findall(r"<td>(\d+)</td>\s*<td>([^<]+)</td>", done.text) == [("2", "admin-bot#3")]


def test_the_sessions_link_is_for_admins_only(server: Server) -> None:
    _signed_in(server, "writer")
    assert "/admin/sessions" not in server.client.get("/").text
    assert server.client.get("/admin/sessions").status_code == 403
