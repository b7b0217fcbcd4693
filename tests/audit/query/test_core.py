"""Pure rules of audit queries: filters, cursors, the as-of fold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.audit.query.core import (
    Cursor,
    decode_entry,
    fold_as_of,
    index_row,
    iso,
    make_filters,
    parse_time,
)
from readiness.errors import InputError

T0 = datetime(2026, 4, 1, tzinfo=UTC)


def test_a_date_is_midnight_utc_and_a_time_keeps_its_zone() -> None:
    assert parse_time("2026-04-10", "since") == datetime(2026, 4, 10, tzinfo=UTC)
    assert parse_time("2026-04-10T14:23:01+02:00", "since") == datetime(
        2026, 4, 10, 12, 23, 1, tzinfo=UTC
    )
    assert parse_time("2026-04-10T14:23:01.123456789Z", "x").microsecond == 123456


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "2026-04-10T14:23:01", ""])
def test_a_bad_date_names_the_filter_and_the_forms_it_takes(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_time(text, "since")
    assert caught.value.message == (
        f"since: {text!r} is not a date (2026-04-10) or a time with a zone (2026-04-10T14:23:01Z)"
    )


@pytest.mark.parametrize(
    ("given_", "message"),
    [
        ({"limit": 0}, "limit: 0 is out of range; give 1 to 1000"),
        ({"limit": 1001}, "limit: 1001 is out of range; give 1 to 1000"),
        (
            {"target_id": "inv_1"},
            "target_id: give target_type too (an id is unique only within its type)",
        ),
        (
            {"actor_id": "alice smith"},
            "actor: 'alice smith' is not an id or name (1 to 256 letters, digits, _ . : / -)",
        ),
        (
            {"action": "a b*"},
            "action: 'a b*' is not an action (invoice.update) or a prefix ending in * (invoice.*)",
        ),
        (
            {"since": "2026-04-02", "until": "2026-04-01"},
            "since: 2026-04-02T00:00:00.000000Z is after until 2026-04-01T00:00:00.000000Z; "
            "give since <= until",
        ),
        ({"cursor": "%%%"}, "cursor: '%%%' is not a cursor this query returned (next_cursor)"),
        (
            {"cursor": "bm90IGEgY3Vyc29y"},
            "cursor: 'bm90IGEgY3Vyc29y' is not a cursor this query returned (next_cursor)",
        ),
    ],
)
def test_bad_filters_are_refused_with_what_to_give(given_: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as caught:
        make_filters(**given_)
    assert caught.value.message == message


def test_the_limit_is_accepted_at_both_ends() -> None:
    assert make_filters(limit=1).limit == 1
    assert make_filters(limit=1000).limit == 1000


def test_an_action_ending_in_a_star_is_a_prefix() -> None:
    assert make_filters(action="invoice.*").action_prefix == "invoice."
    assert make_filters(action="invoice.update").action_prefix is None
    assert make_filters(action="*").action is None


def test_filters_are_recorded_without_the_empty_ones() -> None:
    filters = make_filters(actor_id="usr_1", since="2026-04-01", limit=10)
    assert filters.as_record() == {
        "actor_id": "usr_1",
        "since": "2026-04-01T00:00:00.000000Z",
        "limit": 10,
    }


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(8999, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=2**62),
)
def test_a_cursor_round_trips(at: datetime, leaf: int) -> None:
    cursor = Cursor(at, leaf)
    assert Cursor.decode(cursor.encode()) == cursor


def test_an_index_row_holds_the_fields_searches_filter_on() -> None:
    event = {
        "actor_id": "usr_1",
        "actor_type": "user",
        "action": "invoice.update",
        "target_type": "invoice",
        "target_id": "inv_1",
        "result": "success",
        "occurred_at": "2026-04-10T14:23:01.5Z",
        "tenant": "acme",
        "after": {"amount": 3},
    }
    assert index_row("p/audit", 7, event) == {
        "log": "p/audit",
        "leaf_index": 7,
        "occurred_at": datetime(2026, 4, 10, 14, 23, 1, 500000, tzinfo=UTC),
        "actor_id": "usr_1",
        "actor_type": "user",
        "action": "invoice.update",
        "target_type": "invoice",
        "target_id": "inv_1",
        "result": "success",
        "tenant": "acme",
        "source": None,
    }


@pytest.mark.parametrize(
    "entry", [b"not json", b"[1]", b'{"actor_id": "a"}', b'{"occurred_at": "x"}']
)
def test_an_entry_that_is_not_an_event_is_not_indexed(entry: bytes) -> None:
    assert decode_entry(entry) is None


# --- as-of -----------------------------------------------------------------------------------


def ev(
    n: int,
    *,
    after: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    result: str = "success",
) -> tuple[int, dict[str, Any]]:
    event: dict[str, Any] = {"occurred_at": iso(T0 + timedelta(days=n)), "result": result}
    if after is not None:
        event["after"] = after
    if before is not None:
        event["before"] = before
    return n, event


def test_after_fields_override_and_unnamed_fields_stay() -> None:
    events = [ev(0, after={"a": 1, "b": 1}), ev(1, before={"a": 1}, after={"a": 2})]
    state = fold_as_of("t", "1", events, None)
    assert (state.exists, state.state, state.fields_set_by) == (
        True,
        {"a": 2, "b": 1},
        {"a": 1, "b": 0},
    )


def test_a_delete_empties_the_state_and_a_later_create_starts_from_nothing() -> None:
    events = [ev(0, after={"a": 1, "b": 1}), ev(1, before={"a": 1}), ev(2, after={"c": 3})]
    assert fold_as_of("t", "1", events, T0 + timedelta(days=1)).as_dict()["state"] is None
    assert fold_as_of("t", "1", events, None).state == {"c": 3}


def test_reads_and_refused_changes_change_nothing() -> None:
    events = [ev(0, after={"a": 1}), ev(1), ev(2, after={"a": 9}, result="denied")]
    state = fold_as_of("t", "1", events, None)
    assert (state.state, state.events, state.applied, state.last_leaf_index) == ({"a": 1}, 3, 1, 2)


def test_as_of_a_time_before_the_first_event_the_target_does_not_exist() -> None:
    state = fold_as_of("t", "1", [ev(1, after={"a": 1})], T0)
    assert state.as_dict() == {
        "target_type": "t",
        "target_id": "1",
        "as_of": "2026-04-01T00:00:00.000000Z",
        "exists": False,
        "state": None,
        "fields_set_by": {},
        "events": 0,
        "applied": 0,
        "last_leaf_index": None,
    }


_changes: st.SearchStrategy[tuple[str, dict[str, int]]] = st.one_of(
    st.dictionaries(st.sampled_from("abcd"), st.integers(0, 9), min_size=1, max_size=3).map(
        lambda d: ("set", d)
    ),
    st.just(("delete", {})),
    st.just(("read", {})),
)


@given(st.lists(_changes, max_size=20), st.integers(min_value=-1, max_value=21))
def test_as_of_equals_replaying_each_change_in_turn(
    changes: list[tuple[str, dict[str, int]]], cut: int
) -> None:
    events = []
    for n, (kind, values) in enumerate(changes):
        if kind == "set":
            events.append(ev(n, after=values))
        elif kind == "delete":
            events.append(ev(n, before={"a": 0}))
        else:
            events.append(ev(n))
    # The model: a dict replayed change by change, None while the target does not exist.
    model: dict[str, int] | None = None
    for kind, values in changes[: max(cut + 1, 0)]:
        if kind == "set":
            model = {**(model or {}), **values}
        elif kind == "delete":
            model = None
    state = fold_as_of("t", "1", events, T0 + timedelta(days=cut))
    assert state.as_dict()["state"] == model
    assert state.events == min(max(cut + 1, 0), len(changes))
