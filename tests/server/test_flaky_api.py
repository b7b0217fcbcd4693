"""GET /api/v1/tests/flaky: the flaky page's filters and sorts, limit/offset, a total count."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.test_table_pages import ADD, BY_ID, CARD, CREATE, PAY, REFUND, site

__all__ = ["site"]  # the fixture, shared with the page tests


def _ids(site: Any, query: str) -> tuple[list[str], str]:
    response = site.client.get(f"/api/v1/tests/flaky?{query}", headers=site.auth("reader"))
    assert response.status_code == 200, response.text
    return [t["test_id"] for t in response.json()], response.headers["X-Total-Count"]


def test_without_parameters_the_api_lists_the_tests_needing_attention(site: Any) -> None:
    assert _ids(site, "") == ([REFUND, CARD], "2")


def test_limit_and_offset_cut_one_page_and_the_header_counts_every_match(site: Any) -> None:
    assert _ids(site, "status=all&sort=test&limit=2&offset=2") == ([CREATE, PAY], "6")
    assert _ids(site, "status=all&sort=test&offset=6") == ([], "6")
    assert _ids(site, "status=all&sort=test&dir=desc&limit=1") == ([BY_ID[-1]], "6")


def test_the_api_filters_like_the_page(site: Any) -> None:
    assert _ids(site, "status=all&owner=@payments") == ([REFUND, CARD], "2")
    assert _ids(site, "status=all&branch=feature/cart") == ([ADD], "1")
    assert _ids(site, "status=all&since=7d&sort=test") == ([CREATE, PAY], "2")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=bogus", "sort"),
        ("sort=a%00b", "sort"),
        ("dir=sideways", "dir"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999", "offset"),
        ("since=soon", "since"),
        ("status=bogus", "status"),
    ],
)
def test_a_bad_parameter_is_a_422_in_the_error_shape(site: Any, query: str, field: str) -> None:
    response = site.client.get(f"/api/v1/tests/flaky?{query}", headers=site.auth("reader"))

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("invalid_input", field)


def test_the_openapi_document_describes_the_parameters_and_the_total_header(site: Any) -> None:
    doc = site.client.get("/openapi.json", headers=site.auth("reader")).json()
    operation = doc["paths"]["/api/v1/tests/flaky"]["get"]

    assert [p["name"] for p in operation["parameters"]] == [
        "sort",
        "dir",
        "limit",
        "offset",
        "project",
        "q",
        "status",
        "owner",
        "branch",
        "since",
    ]
    assert operation["responses"]["200"]["headers"]["X-Total-Count"]["schema"] == {
        "type": "integer"
    }
