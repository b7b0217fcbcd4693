"""The flaky-tests and runs tables on the dashboard: each filter, sort and page gives exactly
its rows, the URL holds the view, and a hostile parameter is a 422 error page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from readiness.config import Settings
from tests.server.conftest import database_contents
from tests.testhealth._history import T0, History

REFUND = "tests/test_pay.py::test_refund"  # broken
CARD = "tests/test_pay.py::test_card"  # flaky
ADD = "tests/test_cart.py::test_add"  # healthy; failed once on feature/cart
REMOVE = "tests/test_cart.py::test_remove"  # healthy; last seen early
CREATE = "tests/test_orders.py::test_create"  # healthy, the server fixture's run (now)
PAY = "tests/test_orders.py::test_pay"  # healthy, the server fixture's run (now)
BY_ID = [ADD, REMOVE, CREATE, PAY, CARD, REFUND]


@pytest.fixture
def site(server: Any, settings: Settings) -> Any:
    (settings.root / "CODEOWNERS").write_text(
        "tests/test_pay.py @payments\ntests/test_cart.py @cart\n", encoding="utf-8"
    )
    history = History(server.stores.state, project=settings.project)
    history.series(
        {REFUND: "FFFFFFFFFF", CARD: "PPPFPPPFPP", ADD: "PPPPPPPPPP", REMOVE: "PPPPP-----"},
        branch="main",
        job="unit",
    )
    history.run({ADD: "F"}, branch="feature/cart", job="cart", at=T0 + timedelta(hours=20))
    return server


def _get(site: Any, url: str) -> Any:
    return site.client.get(url, headers=site.auth("reader"))


def listed(site: Any, query: str) -> list[str]:
    """The test ids the flaky table lists for ``query``, in order."""
    response = _get(site, f"/tests/flaky?{query}")
    assert response.status_code == 200, response.text
    return re.findall(r'<td class="test"><a href="[^"]*">([^<]*)</a>', response.text)


def test_without_filters_the_tests_needing_attention_come_worst_first(site: Any) -> None:
    assert listed(site, "") == [REFUND, CARD]


# Each view is a subtest of one test on one server (a server costs about a second): reading a
# table changes nothing, which each subtest checks, so every view meets the same database.
FILTERS = [
    ("status=all&sort=test", BY_ID),
    ("status=healthy&sort=test", [ADD, REMOVE, CREATE, PAY]),
    ("status=broken", [REFUND]),
    ("status=quarantined", []),
    ("status=all&q=CART&sort=test", [ADD, REMOVE]),
    ("status=all&owner=@payments", [REFUND, CARD]),
    ("status=all&owner=PAYMENTS", [REFUND, CARD]),
    ("status=all&owner=@nobody", []),
    ("status=all&branch=feature/cart", [ADD]),
    ("status=all&branch=main&sort=status", [REFUND, CARD, PAY]),
    ("status=all&since=7d&sort=test", [CREATE, PAY]),
    ("status=all&since=2026-03-02&sort=test", [ADD, CREATE, PAY]),
    ("status=all&since=all&sort=test", BY_ID),
    ("status=all&branch=main&since=2026-03-02", [PAY]),
    ("status=all&branch=main&since=7d&q=cart", []),
]


def test_each_filter_lists_exactly_its_tests(site: Any, subtests: pytest.Subtests) -> None:
    before = database_contents(site.stores)
    for query, expected in FILTERS:
        with subtests.test(msg=query):
            assert listed(site, query) == expected
            assert database_contents(site.stores) == before


SORTS = [
    ("status=all&sort=test&dir=desc", BY_ID[::-1]),
    ("status=all&sort=last_seen", [CREATE, PAY, ADD, CARD, REFUND, REMOVE]),
    ("status=all&sort=last_seen&dir=asc", [REMOVE, CARD, REFUND, ADD, CREATE, PAY]),
    ("status=all&sort=runs", [ADD, CARD, REFUND, REMOVE, CREATE, PAY]),
    ("status=all&sort=failures", [REFUND, CARD, ADD, PAY, REMOVE, CREATE]),
    ("status=all&sort=failure_rate", [PAY, REFUND, CARD, ADD, REMOVE, CREATE]),
    # A broken test has no flake rate: it comes last both ways.
    ("status=all&sort=flake_rate", [PAY, CARD, ADD, REMOVE, CREATE, REFUND]),
    ("status=all&sort=flake_rate&dir=asc", [REMOVE, CREATE, ADD, CARD, PAY, REFUND]),
    ("status=all&sort=owner", [ADD, REMOVE, CARD, REFUND, CREATE, PAY]),
]


def test_each_sort_orders_the_rows_exactly(site: Any, subtests: pytest.Subtests) -> None:
    before = database_contents(site.stores)
    for query, expected in SORTS:
        with subtests.test(msg=query):
            assert listed(site, query) == expected
            assert database_contents(site.stores) == before


def test_a_page_shows_its_rows_and_links_keep_every_parameter(site: Any) -> None:
    page = _get(site, "/tests/flaky?status=all&sort=test&per_page=2&page=2").text

    assert listed(site, "status=all&sort=test&per_page=2&page=2") == [CREATE, PAY]
    assert "rows 3–4 of 6 · page 2 of 3" in page
    assert (
        '<a class="pager-link" rel="next" href="/tests/flaky?status=all&amp;sort=test&amp;'
        'dir=asc&amp;per_page=2&amp;page=3"'
    ) in page
    assert (
        '<a class="pager-link" rel="first" href="/tests/flaky?status=all&amp;sort=test&amp;'
        'dir=asc&amp;per_page=2"'
    ) in page


def test_a_page_past_the_end_shows_the_last_page(site: Any) -> None:
    assert listed(site, "status=all&sort=test&per_page=4&page=99") == [CARD, REFUND]


def test_headers_are_sort_links_with_aria_sort(site: Any) -> None:
    page = _get(site, "/tests/flaky?status=all&sort=status").text

    assert (
        '<th scope="col" aria-sort="ascending"><a class="sort" href="/tests/flaky?status=all&amp;'
        'sort=status&amp;dir=desc" hx-get="/tests/flaky/table?status=all&amp;sort=status&amp;'
        'dir=desc" hx-target="#flaky-table" hx-swap="innerHTML">Status'
    ) in page
    assert '<th scope="col" class="num" aria-sort="none"><a class="sort" href=' in page
    assert '<th scope="col">Rules</th>' in page


def test_the_table_partial_pushes_the_page_url_of_its_view(site: Any) -> None:
    response = _get(site, "/tests/flaky/table?status=all&sort=runs&page=1&q=")

    assert response.headers["HX-Push-Url"] == "/tests/flaky?status=all&sort=runs&dir=desc"
    assert "<h1>" not in response.text


HOSTILE = [
    ("sort=bogus", "query parameter &#39;sort&#39;: &#39;bogus&#39; is not a sortable column"),
    ("sort=rules", "query parameter &#39;sort&#39;: &#39;rules&#39; is not a sortable column"),
    ("sort=te%00st", "query parameter &#39;sort&#39;: a control character"),
    ("dir=up", "query parameter &#39;dir&#39;: &#39;up&#39; is not a direction"),
    ("page=0", "query parameter &#39;page&#39;: Input should be greater than or equal to 1"),
    ("page=99999999999999999999", "query parameter &#39;page&#39;: Input should be less"),
    ("per_page=201", "query parameter &#39;per_page&#39;: Input should be less than or"),
    ("since=yesterday", "query parameter &#39;since&#39;: &#39;yesterday&#39; is not a time"),
    ("since=2026-02-30", "query parameter &#39;since&#39;: &#39;2026-02-30&#39; is not a"),
    ("owner=a%00b", "query parameter &#39;owner&#39;: a control character"),
]


def test_a_hostile_table_parameter_is_a_422_page_naming_it(
    site: Any, subtests: pytest.Subtests
) -> None:
    before = database_contents(site.stores)
    for query, words in HOSTILE:
        with subtests.test(msg=query):
            for path in ("/tests/flaky", "/tests/flaky/table"):
                response = _get(site, f"{path}?{query}")

                assert response.status_code == 422
                assert words in response.text
            assert database_contents(site.stores) == before


def test_every_status_of_the_overview_lists_as_many_tests_as_it_counts(site: Any) -> None:
    overview = _get(site, "/").text
    tiles = re.findall(
        r'href="/tests/flaky\?status=(\w+)"><span class="num">(\d+)</span>', overview
    )

    assert tiles == [
        ("all", "6"),
        ("healthy", "4"),
        ("flaky", "1"),
        ("broken", "1"),
        ("quarantined", "0"),
        ("fixed", "0"),
    ]
    for status, count in tiles:
        assert len(listed(site, f"status={status}&per_page=200")) == int(count)


def runs_listed(site: Any, query: str) -> list[str]:
    """The commits the runs table lists for ``query``, in order."""
    response = _get(site, f"/tests/runs?{query}")
    assert response.status_code == 200, response.text
    table = response.text.split('<div id="runs-table"', 1)[1]
    return re.findall(r"<td><code>([^<]*)</code></td>", table)


def test_the_runs_table_filters_by_branch_and_text(site: Any) -> None:
    assert runs_listed(site, "branch=feature/cart") == ["c010"]
    assert runs_listed(site, "q=CART") == ["c010"]
    assert runs_listed(site, "q=abc1") == ["abc123"]
    assert runs_listed(site, "q=nothing") == []
    assert "No runs match this filter." in _get(site, "/tests/runs?q=nothing").text


def test_the_runs_table_sorts_and_pages_in_the_database(site: Any) -> None:
    newest = ["abc123", "c010", "c009", "c008", "c007", "c006"]
    assert runs_listed(site, "per_page=6") == newest
    assert runs_listed(site, "sort=started&dir=asc&per_page=3&page=2") == ["c003", "c004", "c005"]
    # Runs 3 and 7 failed twice (the flaky test too); ties come newest first.
    assert runs_listed(site, "sort=failures&per_page=3") == ["c007", "c003", "abc123"]
    assert runs_listed(site, "sort=tests&dir=asc&per_page=2") == ["c010", "abc123"]
    assert runs_listed(site, "per_page=5&page=99") == ["c001", "c000"]
    page = _get(site, "/tests/runs?per_page=5").text
    assert "rows 1–5 of 12 · page 1 of 3" in page
    assert '<a class="pager-link" rel="last" href="/tests/runs?per_page=5&amp;page=3"' in page


def test_the_runs_table_refuses_a_column_it_cannot_sort(site: Any) -> None:
    response = _get(site, "/tests/runs/table?sort=seed")

    assert response.status_code == 422
    assert "choose one of started, tests, failures, duration" in response.text


def test_by_default_the_costliest_test_comes_first_and_impact_is_the_sorted_column(
    site: Any,
) -> None:
    page = _get(site, "/tests/flaky?status=all&branch=main").text

    # Equal scores fall back to the test id.
    assert listed(site, "status=all&branch=main") == [PAY, REFUND, CARD]
    assert (
        '<th scope="col" aria-sort="descending"><a class="sort" href="/tests/flaky?status=all&amp;'
        'branch=main&amp;sort=impact&amp;dir=asc"'
    ) in page
    scores = re.findall(r'<td class="num impact"[^>]*>([^<]*)<span class="impact-summary">', page)
    assert scores == ["10.0", "10.0", "2.0"]
    assert (
        '<span class="impact-summary">1 CI run failed · 0 retried · 0.0 min lost · 0 PRs · '
        "1 branch</span>"
    ) in page
