"""/audit/search and /audit/timeline/{type}/{id}: server-side pages, as-of view, audited views.

The platform's own audit events share the ledger: the ``server`` fixture's tokens and test run
are in it before a test starts (and, dated by the server's clock, are newer than the 60 invoice
events) and each page view appends an ``audit.query`` event. So leaf indices are asserted
relative to ``trail.base``, the log's size before the test's application events were appended,
and a search that should show only those events filters on their target type."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from readiness.audit.trail import append_events, open_ledger
from readiness.config import Settings
from readiness.ledger import store
from readiness.ledger.service import LedgerService
from tests.audit.query.conftest import event


@dataclass(frozen=True)
class Trail:
    """The server's ledger and its size before the test's 60 application events."""

    ledger: LedgerService
    base: int


@pytest.fixture
def trail(server: Any, settings: Settings) -> Iterator[Trail]:
    ledger = open_ledger(settings, server.stores.audit, server.clock)
    try:
        with server.stores.audit.connect() as conn:
            base = store.stored_size(conn, settings.audit_origin)
        events = [event(n) for n in range(60)]
        events[0].update(target_id="inv_9", after={"amount": 1, "status": "draft"})
        events[4].update(target_id="inv_9", before={"amount": 1}, after={"amount": 2})
        events[8].update(target_id="inv_9", before={"amount": 2, "status": "draft"})
        append_events(ledger, server.stores.audit, events)
        yield Trail(ledger, base)
    finally:
        ledger.close()


def leaves(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>\s*<td>2026', page)]


def test_the_search_page_shows_fifty_events_and_links_to_the_older_ones(
    server: Any, trail: Trail
) -> None:
    base = trail.base
    first = server.client.get("/audit/search?target_type=invoice", headers=server.auth("auditor"))
    assert first.status_code == 200
    assert leaves(first.text) == list(range(base + 59, base + 9, -1))
    older = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert older is not None
    second = server.client.get(html.unescape(older.group(1)), headers=server.auth("auditor"))
    assert leaves(second.text) == list(range(base + 9, base - 1, -1))
    assert 'rel="next"' not in second.text
    assert (
        '<a class="pager-link" rel="first" href="/audit/search?target_type=invoice">Newest</a>'
    ) in second.text


def test_each_row_links_to_its_targets_timeline_and_the_header_to_the_overview(
    server: Any, trail: Trail
) -> None:
    base = trail.base
    page = server.client.get(
        "/audit/search?target_type=invoice&target_id=inv_9", headers=server.auth("auditor")
    ).text
    assert leaves(page) == [base + 8, base + 4, base]
    assert page.count('<a href="/audit/timeline/invoice/inv_9">invoice/inv_9</a>') == 3
    assert '<a href="/audit">Audit overview</a>' in page


def test_a_page_view_is_recorded_in_the_trail(
    server: Any, trail: Trail, settings: Settings
) -> None:
    server.client.get("/audit/search?actor=usr_1", headers=server.auth("auditor"))
    with server.stores.audit.connect() as conn:
        size = store.stored_size(conn, settings.audit_origin)
        [(_, entry, _)] = store.iter_entries(conn, settings.audit_origin, size - 1, size)
    recorded = json.loads(entry)
    assert (recorded["action"], recorded["source"], recorded["after"]) == (
        "audit.query",
        "dashboard",
        {"query": "search", "filters": {"actor_id": "usr_1", "limit": 50}, "returned": 20},
    )


def test_a_bad_filter_is_shown_in_the_form_with_400(server: Any, trail: Trail) -> None:
    response = server.client.get("/audit/search?since=tomorrow", headers=server.auth("auditor"))
    assert response.status_code == 400
    assert (
        '<p class="alert" role="alert">since: &#39;tomorrow&#39; is not a date (2026-04-10) or a '
        "time with a zone (2026-04-10T14:23:01Z)</p>"
    ) in response.text
    assert 'value="tomorrow"' in response.text


def test_the_timeline_shows_the_state_as_of_a_time(server: Any, trail: Trail) -> None:
    base = trail.base
    page = server.client.get(
        "/audit/timeline/invoice/inv_9?as_of=2026-01-01T05:00:00Z", headers=server.auth("auditor")
    ).text
    assert leaves(page) == [base, base + 4]
    assert f'<tr><td>amount</td><td class="note">2</td><td class="num">{base + 4}</td></tr>' in page
    assert (
        f'<tr><td>status</td><td class="note">&#34;draft&#34;</td><td class="num">{base}</td></tr>'
    ) in page


def test_after_a_delete_the_timeline_says_the_target_does_not_exist(
    server: Any, trail: Trail
) -> None:
    base = trail.base
    page = server.client.get("/audit/timeline/invoice/inv_9", headers=server.auth("auditor")).text
    assert leaves(page) == [base, base + 4, base + 8]
    assert '<p class="empty">The target does not exist now (3 events before).</p>' in page
