"""The kept whole-project evidence is the evidence a fresh load gives, whatever changed since:
an ingest by anyone, a fix verification, a deleted project; and one test or a connection is
never answered from it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from readiness.storage.engine import Stores
from readiness.testhealth.detection.model import TestEvidence
from readiness.testhealth.model import Outcome
from readiness.testhealth.store import evidence_cache
from readiness.testhealth.store.evidence import load_evidence
from readiness.testhealth.store.history import load_suite_health_inputs
from readiness.testhealth.store.memo import EngineMemo
from readiness.testhealth.store.tables import results, runs
from tests.testhealth._history import T0, History


def _cached(stores: Stores, test_key: str | None = None) -> list[TestEvidence]:
    return evidence_cache.cached_evidence(
        stores.state, project="default", default_branch="main", window_runs=50, test_key=test_key
    )


def _fresh(stores: Stores) -> list[TestEvidence]:
    return load_evidence(stores.state, project="default", default_branch="main", window_runs=50)


def test_a_second_read_is_the_kept_answer_and_equals_a_fresh_load(stores: Stores) -> None:
    History(stores.state).series({"a": "PFPF", "b": "PPPP"})
    first = _cached(stores)
    assert first == _fresh(stores)
    assert [e.test_key for e in first] == ["a", "b"]
    second = _cached(stores)
    assert second == first
    assert second is not first  # a new list: callers may sort it
    assert all(x is y for x, y in zip(second, first, strict=True))  # from the memo


def test_a_new_run_is_seen_at_once(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PP"})
    assert [e.failures for e in _cached(stores)] == [0]
    h.run({"a": "F", "c": "P"})
    got = _cached(stores)
    assert [(e.test_key, e.failures) for e in got] == [("a", 1), ("c", 0)]
    assert got == _fresh(stores)


def test_a_fix_verification_is_seen_at_once(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "FFPF"})
    assert _cached(stores)[0].fixed_at is None
    h.fix("a", T0 + timedelta(days=1))
    assert _cached(stores)[0].fixed_at == T0 + timedelta(days=1)


def test_a_deleted_run_whose_id_comes_back_is_not_answered_from_the_memo(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PP"})
    last = h.run({"a": "F"})
    assert [e.failures for e in _cached(stores)] == [1]
    with stores.state.begin() as conn:
        conn.execute(results.delete().where(results.c.run_id == last))
        conn.execute(runs.delete().where(runs.c.id == last))
    h.insert(h.spec({"a": "P"}, at=T0 + timedelta(days=3)))
    assert [e.failures for e in _cached(stores)] == [0]


def test_one_test_and_a_connection_are_always_read_fresh(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PP"})
    _cached(stores)
    with stores.state.begin() as conn:
        conn.execute(results.update().values(outcome=int(Outcome.FAILED)))
        inside = evidence_cache.cached_evidence(
            conn, project="default", default_branch="main", window_runs=50
        )
        assert [e.failures for e in inside] == [2]
        conn.rollback()
    with stores.state.begin() as conn:
        conn.execute(results.update().values(outcome=int(Outcome.FAILED)))
    one = _cached(stores, test_key="a")
    assert [e.failures for e in one] == [2]


def test_the_stamp_names_runs_ingest_time_and_fix_verifications(stores: Stores) -> None:
    h = History(stores.state)
    with stores.state.connect() as conn:
        assert evidence_cache.state_stamp(conn, "default") == (0, 0, "None", 0, 0)
    h.series({"a": "PP"})
    h.fix("a", T0)
    with stores.state.connect() as conn:
        count, highest, ingested, fixes, fix_id = evidence_cache.state_stamp(conn, "default")
    assert (count, highest, fixes, fix_id) == (2, h.run_ids[-1], 1, 1)
    assert ingested.startswith(str((T0 + timedelta(hours=1)).date()))


def test_suite_durations_follow_the_runs_chosen(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PP"})
    first = load_suite_health_inputs(stores.state, project="default")
    assert [(d.test_key, d.executions) for d in first.durations] == [("a", 2)]
    h.run({"a": "P", "b": "P"})
    again = load_suite_health_inputs(stores.state, project="default")
    assert sorted((d.test_key, d.executions) for d in again.durations) == [("a", 3), ("b", 1)]
    since = load_suite_health_inputs(stores.state, project="default", since=h.at(2))
    assert sorted((d.test_key, d.executions) for d in since.durations) == [("a", 1), ("b", 1)]


def test_engine_memo_keeps_the_most_recently_used_answers(stores: Stores) -> None:
    memo = EngineMemo(size=2)
    engine = sa.create_engine("sqlite://")
    memo.put(engine, "x", 1)
    memo.put(engine, "y", 2)
    assert memo.get(engine, "x") == 1  # x is now the most recent
    memo.put(engine, "z", 3)
    assert (memo.get(engine, "x"), memo.get(engine, "y"), memo.get(engine, "z")) == (1, None, 3)
    assert memo.get(sa.create_engine("sqlite://"), "x") is None  # per engine
    calls: list[int] = []

    def load(value: int) -> int:
        calls.append(value)
        return value

    assert memo.get_or_load(engine, "w", lambda: load(4)) == 4
    assert memo.get_or_load(engine, "w", lambda: load(5)) == 4
    assert calls == [4]
