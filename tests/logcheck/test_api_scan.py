"""``POST /api/v1/logs/scan``: reader tokens, masked findings only, the one error shape."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.logcheck import api_scan
from readiness.server.app import create_app
from readiness.storage import open_stores
from tests.server.conftest import empty_plugin_manager

with warnings.catch_warnings():
    # As in tests/server/conftest.py: Starlette deprecates plain httpx for its TestClient.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

URL = "/api/v1/logs/scan"
LOG = (
    '{"level":"info","message":"signup bob@example.com","password":"hunter22"}\n'
    "2025-03-15 payment card 4111 1111 1111 1111 from 203.0.113.42\n"
)

Client = tuple[TestClient, dict[str, str]]


@pytest.fixture
def client(settings: Settings, clock: FrozenClock) -> Iterator[Client]:
    stores = open_stores(settings)
    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="reader-bot", role="reader"
    )[0]
    app = create_app(
        settings, stores=stores, clock=clock, pm=empty_plugin_manager(),
        extra_routers=[api_scan.router],
    )  # fmt: skip
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client, {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    finally:
        stores.dispose()


def test_a_reader_gets_counts_and_masked_findings(client: Client) -> None:
    http, headers = client

    response = http.post(URL, content=LOG, headers=headers)

    assert response.status_code == 200
    assert response.json() == {
        "counts": {"card": 1, "email": 1, "ip": 1, "key": 1},
        "findings": [
            {"file": "body", "line": 1, "type": "email", "sample": "bo***********om",
             "key": "message"},
            {"file": "body", "line": 1, "type": "key", "sample": "********", "key": "password"},
            {"file": "body", "line": 2, "type": "card", "sample": "41***************11"},
            {"file": "body", "line": 2, "type": "ip", "sample": "20********42"},
        ],
        "lines": 2,
        "truncated": False,
    }  # fmt: skip
    for raw in ("bob@example.com", "hunter22", "4111 1111 1111 1111", "203.0.113.42"):
        assert raw not in response.text


def test_types_and_max_findings_are_query_parameters(client: Client) -> None:
    http, headers = client

    response = http.post(URL, params={"types": "ip,card", "max_findings": 1}, content=LOG,
                         headers=headers)  # fmt: skip

    assert response.status_code == 200
    assert response.json() == {
        "counts": {"card": 1, "ip": 1},
        "findings": [{"file": "body", "line": 2, "type": "card", "sample": "41***************11"}],
        "lines": 2,
        "truncated": True,
    }


def test_without_a_token_the_scan_is_refused(client: Client) -> None:
    http, _ = client

    response = http.post(URL, content=LOG, headers={"Content-Type": "text/plain"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_an_unknown_type_is_a_400_in_the_error_shape(client: Client) -> None:
    http, headers = client

    response = http.post(URL, params={"types": "passport"}, content=LOG, headers=headers)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_input",
            "message": "unknown type 'passport': expected a comma-separated list of api_key, "
            "bearer, card, email, iban, ip, jwt, key, phone, secret, ssn",
            "details": {"types": ["passport"]},
        }
    }


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    http, headers = client
    monkeypatch.setattr(api_scan, "MAX_BODY", 1000)

    response = http.post(URL, content="x" * 1001, headers=headers)

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "too_large",
            "message": "request body exceeds 1000 bytes; scan the logs in several requests or "
            "use `readiness logs scan`",
            "details": {"limit": 1000},
        }
    }


def test_invalid_utf8_and_an_empty_body_are_scanned_not_refused(client: Client) -> None:
    http, headers = client

    broken = http.post(URL, content=b"\xff\xfe mail a@example.com\n", headers=headers)
    empty = http.post(URL, content=b"", headers=headers)

    assert (broken.status_code, broken.json()["counts"]) == (200, {"email": 1})
    assert (empty.status_code, empty.json()) == (
        200, {"counts": {}, "findings": [], "lines": 0, "truncated": False}
    )  # fmt: skip
