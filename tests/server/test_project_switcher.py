"""The dashboard's project switcher: visible on every page, works without JavaScript, keeps the
choice for the next pages, and offers a reader only the projects their token may use."""

from __future__ import annotations

import re
from typing import Any

import pytest

from readiness.auth.service import TokenService
from readiness.testing import junit_xml

PAY = "tests/test_orders.py::test_pay"  # in the server's default project, "project"
CHARGE = "tests/test_bill.py::test_charge"  # in "billing"


@pytest.fixture
def billing(server: Any) -> Any:
    """The ``server`` with a second project, ``billing``, holding one failing test."""
    admin = server.auth("admin")
    assert server.client.post("/api/v1/projects", json={"name": "billing"}, headers=admin)
    response = server.client.post(
        "/api/v1/tests/runs?project=billing&run_id=7",
        content=junit_xml({CHARGE: "failed"}),
        headers={**server.auth("writer"), "Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    return server


def _login(server: Any, token: str) -> str:
    """Sign in with ``token``; returns the session's CSRF token."""
    response = server.sign_in(token)
    assert response.status_code == 303
    match = re.search(r'name="csrf_token" value="([^"]+)"', server.client.get("/tests/runs").text)
    assert match is not None
    return match.group(1)


def _limited(server: Any, *projects: str) -> str:
    svc = TokenService(stores=server.stores, clock=server.clock, actor="setup")
    token, _ = svc.create(name="team", role="reader", projects=list(projects))
    return token


def _options(html: str) -> list[tuple[str, bool]]:
    """The switcher's choices, and which one is current."""
    switcher = re.search(r'<form class="project-switch".*?</form>', html, re.DOTALL)
    assert switcher is not None, "no project switcher on the page"
    found = re.findall(r'<option value="([^"]+)"( selected)?>', switcher.group(0))
    return [(name, bool(selected)) for name, selected in found]


def test_every_page_shows_the_current_project_among_the_readers_projects(billing: Any) -> None:
    _login(billing, billing.tokens["reader"])

    for path in ("/", "/tests/flaky", "/tests/health", "/tests/quarantine", "/tests/runs"):
        page = billing.client.get(path)
        assert _options(page.text) == [("billing", False), ("project", True)], path


def test_switching_without_javascript_redirects_back_and_later_pages_show_that_project(
    billing: Any,
) -> None:
    csrf = _login(billing, billing.tokens["reader"])

    response = billing.client.post(
        "/project",
        data={"project": "billing", "next": "/tests/flaky", "csrf_token": csrf},
        follow_redirects=False,
    )

    assert (response.status_code, response.headers["location"]) == (303, "/tests/flaky")
    assert billing.client.get(f"/tests/t/{CHARGE}").status_code == 200
    assert billing.client.get(f"/tests/t/{PAY}").status_code == 404
    assert _options(billing.client.get("/").text) == [("billing", True), ("project", False)]


def test_switching_with_htmx_answers_with_a_redirect_header(billing: Any) -> None:
    csrf = _login(billing, billing.tokens["reader"])

    response = billing.client.post(
        "/project",
        data={"project": "billing", "next": "/tests/runs"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )

    assert (response.status_code, response.headers["HX-Redirect"]) == (200, "/tests/runs")


def test_switching_without_the_csrf_token_is_refused(billing: Any) -> None:
    _login(billing, billing.tokens["reader"])

    response = billing.client.post("/project", data={"project": "billing"})

    assert response.status_code == 403


def test_a_link_that_names_a_project_makes_it_current_for_the_next_pages(billing: Any) -> None:
    _login(billing, billing.tokens["reader"])

    assert billing.client.get("/tests/runs?project=billing").status_code == 200

    assert billing.client.get(f"/tests/t/{CHARGE}").status_code == 200


def test_a_reader_limited_to_projects_is_offered_only_those(billing: Any) -> None:
    billing.client.post("/api/v1/projects", json={"name": "hr"}, headers=billing.auth("admin"))
    _login(billing, _limited(billing, "billing", "hr"))

    page = billing.client.get("/tests/runs")

    assert _options(page.text) == [("billing", True), ("hr", False)]


def test_a_reader_of_one_project_sees_its_name_and_no_choice(billing: Any) -> None:
    _login(billing, _limited(billing, "billing"))

    page = billing.client.get("/tests/runs")

    assert '<strong id="project-select" class="current-project">billing</strong>' in page.text
    assert _options(page.text) == []


def test_switching_to_a_project_the_token_may_not_use_is_refused(billing: Any) -> None:
    csrf = _login(billing, _limited(billing, "billing"))

    response = billing.client.post("/project", data={"project": "project", "csrf_token": csrf})

    assert response.status_code == 403
    assert "may not use project &#39;project&#39;" in response.text


def test_a_remembered_project_that_no_longer_exists_falls_back_to_the_default(
    billing: Any,
) -> None:
    _login(billing, billing.tokens["reader"])
    billing.client.cookies.set("readiness_project", "gone")

    page = billing.client.get("/tests/runs")

    assert (page.status_code, _options(page.text)) == (200, [("billing", False), ("project", True)])
