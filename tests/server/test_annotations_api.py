"""``PUT /api/v1/tests/tests/{id}/owner|issue`` and ``GET .../annotation``."""

from __future__ import annotations

from typing import Any

import pytest

from readiness.testing import captured_audit_events
from tests.server.conftest import database_contents

PAY = "tests/test_orders.py::test_pay"
BASE = f"/api/v1/tests/tests/{PAY}"


def test_an_unset_test_has_null_owner_and_issue(server: Any) -> None:
    response = server.client.get(f"{BASE}/annotation", headers=server.auth("reader"))

    assert response.json() == {
        "test_id": PAY,
        "owner": None,
        "issue": None,
        "set_by": None,
        "set_at": None,
    }


def test_a_writer_sets_the_owner_and_links_an_issue(server: Any) -> None:
    owner = server.client.put(
        f"{BASE}/owner", json={"owner": "@payments"}, headers=server.auth("writer")
    )
    issue = server.client.put(
        f"{BASE}/issue", json={"issue": "PAY-9"}, headers=server.auth("admin")
    )

    assert owner.status_code == issue.status_code == 200
    assert issue.json() == {
        "test_id": PAY,
        "owner": "@payments",
        "issue": "PAY-9",
        "set_by": "admin-bot#3",
        "set_at": "2026-03-10T09:30:00+00:00",
    }
    events = captured_audit_events(server.stores, action_prefix="tests.")
    assert [(e.action, e.actor_id, e.details) for e in events if "run" not in e.action] == [
        (
            "tests.owner.set",
            "token:2",
            {"project": "project", "owner": "@payments", "previous": None},
        ),
        (
            "tests.issue.linked",
            "token:3",
            {"project": "project", "issue": "PAY-9", "previous": None},
        ),
    ]


def test_a_reader_may_not_set_an_owner(server: Any) -> None:
    response = server.client.put(
        f"{BASE}/owner", json={"owner": "@x"}, headers=server.auth("reader")
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# Each is a subtest on one server (a server costs about a second), checked to change nothing,
# so every value meets the database the first one met.
HOSTILE = [
        ("issue", {"issue": "javascript:alert(1)"}, 400,
         "issue 'javascript:alert(1)': only http and https links are accepted; give a URL such "
         "as https://tracker.example/PAY-123 or a key such as PAY-123"),
        ("issue", {"issue": "<img src=x>"}, 400,
         "issue '<img src=x>': expected one word of at most 1000 characters; give a URL such as "
         "https://tracker.example/PAY-123 or a key such as PAY-123"),
        ("owner", {"owner": "   "}, 400, "an owner is required, e.g. @payments"),
]  # fmt: skip


def test_hostile_values_are_400_in_the_one_error_shape(
    server: Any, subtests: pytest.Subtests
) -> None:
    before = database_contents(server.stores)
    for path, body, status, message in HOSTILE:
        with subtests.test(msg=f"{path}: {body}"):
            response = server.client.put(f"{BASE}/{path}", json=body, headers=server.auth("writer"))

            assert response.status_code == status
            assert response.json()["error"]["message"] == message
            assert set(response.json()) == {"error"}
            assert database_contents(server.stores) == before


def test_a_malformed_owner_body_is_422_in_the_one_error_shape(
    server: Any, subtests: pytest.Subtests
) -> None:
    before = database_contents(server.stores)
    for body in [{"owner": "x" * 201}, {"owner": 5}, {}]:
        with subtests.test(msg=repr(body)[:40]):
            response = server.client.put(f"{BASE}/owner", json=body, headers=server.auth("writer"))

            assert response.status_code == 422
            assert set(response.json()["error"]) == {"code", "message", "details"}
            assert database_contents(server.stores) == before


def test_an_unknown_test_is_404_naming_the_closest_id(server: Any) -> None:
    response = server.client.put(
        "/api/v1/tests/tests/tests/test_orders.py::test_pya/owner",
        json={"owner": "@x"},
        headers=server.auth("writer"),
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "test 'tests/test_orders.py::test_pya' has not run in any ingested report of project "
        "'project'; closest known: tests/test_orders.py::test_pay (`readiness tests known` "
        "lists them)"
    )
