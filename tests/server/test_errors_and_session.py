"""The one error shape, body limits, and the dashboard's session cookie and CSRF checks."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest


def test_an_unknown_api_path_is_a_404_in_the_error_shape(server: Any) -> None:
    response = server.client.get("/api/v1/nope", headers=server.auth("reader"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "nothing at GET /api/v1/nope; the API is described at /openapi.json",
            "details": {},
        }
    }


def test_a_validation_error_is_422_invalid_input_naming_the_field(server: Any) -> None:
    response = server.client.get("/api/v1/tests/runs?limit=lots", headers=server.auth("reader"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == (
        "query parameter 'limit': Input should be a valid integer, unable to parse string "
        "as an integer (got 'lots')"
    )
    assert error["details"] == {"field": "limit", "location": "query", "errors": 1}


def test_anonymous_api_calls_get_401_with_a_bearer_challenge(server: Any) -> None:
    response = server.client.get("/api/v1/tests/flaky")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_readiness_error_keeps_its_code_and_status(server: Any) -> None:
    response = server.client.post(
        "/api/v1/tests/runs",
        content=b"<testsuite><testcase",
        headers={**server.auth("writer"), "Content-Type": "application/xml"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "junit_invalid"
    assert "Traceback" not in response.text


def test_basic_auth_with_the_token_as_password_is_accepted(server: Any) -> None:
    basic = base64.b64encode(f"pact:{server.tokens['reader']}".encode()).decode()
    response = server.client.get("/api/v1/tests/flaky", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200


def test_a_revoked_token_is_refused(server: Any) -> None:
    created = server.client.post(
        "/api/v1/tokens", json={"name": "tmp", "role": "reader"}, headers=server.auth("admin")
    ).json()
    server.client.delete(f"/api/v1/tokens/{created['id']}", headers=server.auth("admin"))
    response = server.client.get(
        "/api/v1/tests/flaky", headers={"Authorization": f"Bearer {created['token']}"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"].endswith("was revoked; ask an admin for a new one")


def test_a_declared_oversized_json_body_is_refused_with_413(server: Any) -> None:
    response = server.client.post(
        "/api/v1/tests/quarantine",
        content=b"x" * (1 << 20 + 1),
        headers={**server.auth("writer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "request body exceeds 1048576 bytes; split the upload into several requests",
        "details": {"limit": 1048576},
    }


def test_multipart_upload_ingests_each_file_part(server: Any) -> None:
    second = server.junit.replace(b'name="shop"', b'name="shop2"')
    response = server.client.post(
        "/api/v1/tests/runs?run_id=7&tag=python:3.11",
        files=[("file", ("a.xml", server.junit)), ("file", ("b.xml", second))],
        headers=server.auth("writer"),
    )
    assert response.status_code == 200
    assert [(r["source"], r["results"]) for r in response.json()] == [("a.xml", 2), ("b.xml", 2)]


def test_a_tag_without_colon_is_an_input_error(server: Any) -> None:
    response = server.client.post(
        "/api/v1/tests/runs?tag=oops",
        content=server.junit,
        headers={**server.auth("writer"), "Content-Type": "application/xml"},
    )
    assert response.status_code == 400
    assert (
        response.json()["error"]["message"]
        == "tag 'oops' is not key:value; write e.g. tag=python:3.11"
    )


def _login(server: Any, role: str) -> str:
    response = server.sign_in(server.tokens[role], "/tests/quarantine")
    assert response.status_code == 303
    assert response.headers["location"] == "/tests/quarantine"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = server.client.get("/tests/quarantine")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_login_with_a_wrong_token_shows_the_form_again_with_401(server: Any) -> None:
    response = server.sign_in("rdy_wrong")
    assert response.status_code == 401
    assert "token is not valid; create one with" in response.text


def test_an_anonymous_dashboard_visit_shows_the_sign_in_form(server: Any) -> None:
    response = server.client.get("/tests/flaky")
    assert response.status_code == 401
    assert "<h1>Sign in</h1>" in response.text


def test_a_session_form_post_without_csrf_token_is_refused(server: Any) -> None:
    _login(server, "writer")
    response = server.client.post(
        "/tests/quarantine", data={"test_id": "t", "reason": "r"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "CSRF token missing or wrong" in response.text


def test_a_session_form_post_with_csrf_token_quarantines_the_test(server: Any) -> None:
    csrf = _login(server, "writer")
    response = server.client.post(
        "/tests/quarantine",
        data={
            "test_id": "tests/test_orders.py::test_pay",
            "reason": "flaky",
            "csrf_token": csrf,
            "confirmed": "yes",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Quarantined tests/test_orders.py::test_pay until 2026-04-09." in response.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_login_never_redirects_off_site(server: Any, target: str) -> None:
    response = server.sign_in(server.tokens["reader"], target)
    assert response.headers["location"] == "/"


def test_a_forged_session_cookie_is_anonymous(server: Any) -> None:
    server.client.cookies.set("readiness_session", "eyJ0aWQiOjF9.AAAA")
    assert server.client.get("/tests/flaky").status_code == 401
