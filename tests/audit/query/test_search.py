"""Searches, pages and timelines on SQLite and PostgreSQL: exact leaves, in order, once each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.audit.query.core import Cursor, Filters, iso, make_filters, parse_time
from readiness.audit.query.search import search, timeline
from readiness.storage import Stores
from tests.audit.query.conftest import T0, Trail, event


def leaves(trail: Trail, filters: Filters) -> list[int]:
    with trail.engine.connect() as conn:
        return [hit.leaf_index for hit in search(conn, trail.origin, filters).hits]


@pytest.fixture
def filled(trail: Trail) -> Trail:
    events = [event(n) for n in range(12)]
    events[5]["result"] = "denied"
    events[7]["tenant"] = "acme"
    events[8]["action"] = "payment.refund"
    trail.append(events)
    return trail


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ({}, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
        ({"actor_id": "usr_1"}, [10, 7, 4, 1]),
        ({"target_type": "invoice", "target_id": "inv_2"}, [10, 6, 2]),
        ({"action": "invoice.view"}, [10, 6, 4, 2, 0]),
        ({"action": "invoice.*"}, [11, 10, 9, 7, 6, 5, 4, 3, 2, 1, 0]),
        ({"action": "pay*"}, [8]),
        ({"action": "invoice_*"}, []),  # _ is a character, not a LIKE wildcard
        ({"result": "denied"}, [5]),
        ({"tenant": "acme"}, [7]),
        ({"since": iso(T0 + timedelta(hours=3)), "until": iso(T0 + timedelta(hours=5))}, [5, 4, 3]),
        ({"actor_id": "usr_0", "since": iso(T0 + timedelta(hours=4))}, [9, 6]),
        ({"limit": 2}, [11, 10]),
    ],
)
def test_each_filter_finds_exactly_its_events_newest_first(
    filled: Trail, given_: dict[str, Any], expected: list[int]
) -> None:
    assert leaves(filled, make_filters(**given_)) == expected


def test_the_next_page_starts_after_the_last_event_of_this_one(filled: Trail) -> None:
    with filled.engine.connect() as conn:
        first = search(conn, filled.origin, make_filters(actor_id="usr_1", limit=3))
        assert first.next_cursor is not None
        second = search(
            conn, filled.origin, make_filters(actor_id="usr_1", limit=3, cursor=first.next_cursor)
        )
    assert [h.leaf_index for h in first.hits] == [10, 7, 4]
    assert ([h.leaf_index for h in second.hits], second.next_cursor) == ([1], None)


def test_a_page_that_ends_exactly_at_the_last_event_has_no_next_cursor(filled: Trail) -> None:
    with filled.engine.connect() as conn:
        page = search(conn, filled.origin, make_filters(actor_id="usr_1", limit=4))
    assert (len(page.hits), page.next_cursor) == (4, None)


def test_a_timeline_is_every_event_of_the_target_oldest_first(filled: Trail) -> None:
    with filled.engine.connect() as conn:
        found = [h.leaf_index for h in timeline(conn, filled.origin, "invoice", "inv_1", chunk=2)]
        until = [
            h.leaf_index
            for h in timeline(
                conn, filled.origin, "invoice", "inv_1", until=T0 + timedelta(hours=5)
            )
        ]
    assert (found, until) == ([1, 5, 9], [1, 5])


_times = st.integers(min_value=0, max_value=6)  # hours: many ties


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hours=st.lists(_times, min_size=0, max_size=30),
    actors=st.lists(st.sampled_from(["usr_a", "usr_b"]), min_size=30, max_size=30),
    limit=st.integers(min_value=1, max_value=7),
    only_actor=st.booleans(),
)
def test_paging_returns_every_matching_event_exactly_once_in_order(
    stores: Stores, hours: list[int], actors: list[str], limit: int, only_actor: bool
) -> None:
    trail = Trail(stores)
    try:
        events = [
            event(0, actor_id=actors[i], occurred_at=iso(T0 + timedelta(hours=h)))
            for i, h in enumerate(hours)
        ]
        if events:
            trail.append(events)
        filters = make_filters(actor_id="usr_a" if only_actor else None, limit=limit)
        expected = sorted(
            (
                (parse_time(e["occurred_at"], "t"), leaf)
                for leaf, e in enumerate(events)
                if not only_actor or e["actor_id"] == "usr_a"
            ),
            reverse=True,
        )
        seen: list[int] = []
        cursor: Cursor | None = None
        with trail.engine.connect() as conn:
            while True:
                page = search(conn, trail.origin, filters.after(cursor))
                assert len(page.hits) <= limit
                seen.extend(hit.leaf_index for hit in page.hits)
                if page.next_cursor is None:
                    break
                cursor = Cursor.decode(page.next_cursor)
        assert seen == [leaf for _, leaf in expected]
    finally:
        trail.ledger.close()
