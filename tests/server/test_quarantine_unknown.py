"""``POST /api/v1/tests/quarantine`` refuses a test id never seen unless ``allow_unknown``."""

from __future__ import annotations

import re
from typing import Any

TYPO = "tests/test_orders.py::test_pya"


def test_an_unknown_test_id_is_404_in_the_one_error_shape(server: Any) -> None:
    response = server.client.post(
        "/api/v1/tests/quarantine",
        json={"test_id": TYPO, "reason": "flaky"},
        headers=server.auth("writer"),
    )

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": (
                f"test {TYPO!r} has not run in any ingested report of project 'project' "
                "(a typo?); closest known: tests/test_orders.py::test_pay. To quarantine it "
                "anyway (a test that has not run yet), pass --allow-unknown (API: "
                '"allow_unknown": true)'
            ),
            "details": {"test_id": TYPO, "closest": ["tests/test_orders.py::test_pay"]},
        }
    }


def test_allow_unknown_true_quarantines_it(server: Any) -> None:
    response = server.client.post(
        "/api/v1/tests/quarantine",
        json={"test_id": TYPO, "reason": "new test", "allow_unknown": True},
        headers=server.auth("writer"),
    )

    assert response.status_code == 201
    assert response.json()["test_id"] == TYPO


def login_for_csrf(server: Any) -> str:
    server.sign_in(server.tokens["writer"])
    page = server.client.get("/tests/quarantine")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_the_dashboard_form_shows_the_refusal_of_an_unknown_id(server: Any) -> None:
    csrf = login_for_csrf(server)

    response = server.client.post(
        "/tests/quarantine",
        data={"test_id": TYPO, "reason": "flaky", "csrf_token": csrf, "confirmed": "yes"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "closest known: tests/test_orders.py::test_pay." in response.text
    assert "Quarantined tests/test_orders.py::test_pya" not in response.text


def test_the_dashboard_form_quarantines_an_unknown_id_when_allowed(server: Any) -> None:
    csrf = login_for_csrf(server)

    response = server.client.post(
        "/tests/quarantine",
        data={
            "test_id": TYPO,
            "reason": "new",
            "allow_unknown": "true",
            "csrf_token": csrf,
            "confirmed": "yes",
        },
        headers={"HX-Request": "true"},
    )

    assert f"Quarantined {TYPO} until 2026-04-09." in response.text
