"""The quarantine page: its form takes a date or a number of days, each entry has a release."""

from __future__ import annotations

import re
from typing import Any

from readiness.testing import captured_audit_events

PAY = "tests/test_orders.py::test_pay"


def sign_in(server: Any, role: str) -> str:
    assert server.sign_in(server.tokens[role]).status_code == 303
    page = server.client.get("/tests/quarantine").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def post(server: Any, path: str, **data: str) -> Any:
    return server.client.post(
        path, data={**data, "confirmed": "yes"}, headers={"HX-Request": "true"}
    )


def test_the_form_asks_for_a_date_or_a_number_of_days(server: Any) -> None:
    sign_in(server, "writer")

    page = server.client.get("/tests/quarantine").text

    assert "Expires in days" not in page
    assert (
        '<input id="add-expires" name="expires" value="" maxlength="40" '
        'placeholder="90d or 2026-04-30" aria-describedby="add-expires-hint">'
    ) in page
    assert "A date (2026-04-30) or a number of days (90d); empty: 30 days." in page


def test_quarantine_with_a_duration_then_release_from_its_row(server: Any) -> None:
    csrf = sign_in(server, "writer")

    added = post(
        server, "/tests/quarantine", test_id=PAY, reason="flaky", expires="90d", csrf_token=csrf
    )
    row_release = re.findall(r'id="action-(release-\d+)"', added.text)
    released = post(
        server, "/tests/quarantine/release", test_id=PAY, reason="fixed", csrf_token=csrf
    )

    assert f"Quarantined {PAY} until 2026-06-08." in added.text
    assert row_release == ["release-1"]
    assert f'<p class="notice" role="status">Released {PAY} from quarantine.</p>' in released.text
    assert "Nothing is quarantined." in released.text
    actions = [
        e.action for e in captured_audit_events(server.stores, action_prefix="tests.quarantine")
    ]
    assert actions == ["tests.quarantine.add", "tests.quarantine.remove"]


def test_a_reader_sees_no_form_and_no_release_column(server: Any) -> None:
    server.client.post(
        "/api/v1/tests/quarantine",
        json={"test_id": PAY, "reason": "flaky"},
        headers=server.auth("writer"),
    )
    sign_in(server, "reader")

    page = server.client.get("/tests/quarantine").text

    assert "<th>Release</th>" not in page
    assert '<form class="action' not in page
    assert "Quarantine a test</h2>" not in page


def test_releasing_a_test_not_in_quarantine_says_so(server: Any) -> None:
    csrf = sign_in(server, "writer")

    response = post(server, "/tests/quarantine/release", test_id=PAY, reason="x", csrf_token=csrf)

    assert (
        f'<p class="alert" role="alert">test &#39;{PAY}&#39; is not quarantined; see '
        "`readiness tests quarantine list`</p>"
    ) in response.text
