"""Empty states say what to do next; the flaky page's status filter lists every status."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any, get_args

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.testhealth.model import TestStatus
from readiness.testhealth.pages import StatusFilter

from .conftest import database_contents, reader_client

with warnings.catch_warnings():  # as in conftest: Starlette 1.0 prefers httpx2, not a dependency
    warnings.simplefilter("ignore", StarletteDeprecationWarning)

NO_RUNS = (
    '<p class="empty">No test runs yet. Ingest a JUnit XML report with '
    "<code>readiness tests ingest report.xml --commit SHA --branch NAME</code>, or run pytest "
    "with <code>--readiness-upload</code>; see <code>docs/testhealth.md</code>.</p>"
)


@pytest.fixture
def fresh(settings: Settings, clock: FrozenClock) -> Iterator[tuple[Any, dict[str, str]]]:
    """A new project with no runs at all, and a reader's headers."""
    with reader_client(settings, clock) as found:
        yield found


def test_every_testhealth_page_of_a_fresh_project_says_how_to_ingest(
    fresh: tuple[Any, dict[str, str]], subtests: pytest.Subtests
) -> None:
    # One server for every page (a server costs about a second): reading a page changes
    # nothing (checked), so each page meets the fresh project the first one met.
    client, headers = fresh
    before = database_contents(client.app.state.stores)
    for path in ["/", "/tests/flaky", "/tests/flaky/table", "/tests/runs", "/tests/health"]:
        with subtests.test(msg=path):
            response = client.get(path, headers=headers)

            assert response.status_code == 200
            assert NO_RUNS in response.text
            assert database_contents(client.app.state.stores) == before


def test_an_empty_quarantine_says_how_to_quarantine(fresh: tuple[Any, dict[str, str]]) -> None:
    client, headers = fresh
    page = client.get("/tests/quarantine", headers=headers).text

    assert (
        '<p class="empty">Nothing is quarantined. Quarantine a flaky test with the form below, '
        "or with <code>readiness tests quarantine add TEST_ID --reason WHY</code>; see "
        "<code>docs/testhealth.md</code>.</p>"
    ) in page


def test_a_project_with_runs_shows_no_ingest_hint(server: Any) -> None:
    for path in ("/", "/tests/flaky", "/tests/runs", "/tests/health"):
        assert NO_RUNS not in server.client.get(path, headers=server.auth("reader")).text


def test_the_overview_healthy_link_lists_the_healthy_tests(server: Any) -> None:
    overview = server.client.get("/", headers=server.auth("reader")).text
    assert 'href="/tests/flaky?status=healthy"' in overview

    page = server.client.get("/tests/flaky?status=healthy", headers=server.auth("reader")).text

    assert ">tests/test_orders.py::test_create</a>" in page
    assert ">tests/test_orders.py::test_pay</a>" in page  # one failure is not yet evidence
    assert '<option value="healthy" selected>healthy</option>' in page


def test_without_a_status_the_flaky_page_lists_the_tests_needing_attention(server: Any) -> None:
    page = server.client.get("/tests/flaky", headers=server.auth("reader")).text

    assert "test_create</a>" not in page
    assert (
        '<p class="empty">No test needs attention: none is flaky, broken, quarantined or fixed. '
        "Choose status healthy to list the others.</p>"
    ) in page


def test_a_broken_filter_leaves_out_the_healthy_tests(server: Any) -> None:
    page = server.client.get("/tests/flaky?status=broken", headers=server.auth("reader")).text

    assert '<p class="empty">No tests match this filter.</p>' in page


def test_a_bogus_status_is_a_422_naming_the_allowed_values(server: Any) -> None:
    for path in ("/tests/flaky?status=bogus", "/tests/flaky/table?status=bogus"):
        response = server.client.get(path, headers=server.auth("reader"))

        assert response.status_code == 422
        assert (
            "query parameter &#39;status&#39;: Input should be &#39;&#39;, &#39;all&#39;, "
            "&#39;healthy&#39;, "
            "&#39;flaky&#39;, &#39;broken&#39;, &#39;quarantined&#39; or &#39;fixed&#39; "
            "(got &#39;bogus&#39;)"
        ) in response.text


def test_the_status_filter_allows_exactly_the_statuses() -> None:
    assert get_args(StatusFilter) == ("", "all", *(s.value for s in TestStatus))
