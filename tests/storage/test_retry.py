"""Bounded retries with backoff, and waiting for SQLite's write lock (time injected)."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.errors import ReadinessError, StorageError
from readiness.storage.retry import (
    RetryPolicy,
    begin_immediate,
    is_sqlite_busy,
    lock_wait_expired,
    retry,
)


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[], None] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


class Ceiling(random.Random):
    """Jitter that always draws the upper bound, so the backoff schedule is exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


class Busy(Exception):
    pass


def _failing(times: int) -> Callable[[], str]:
    calls = iter(range(times + 1))

    def operation() -> str:
        if next(calls) < times:
            raise Busy
        return "done"

    return operation


def _give_up(waited: float, _exc: BaseException) -> ReadinessError:
    return StorageError(f"gave up after {waited:.2f} s")


POLICY = RetryPolicy(wait_s=1.0, first_delay_s=0.1, max_delay_s=0.3, factor=2.0)


def test_a_busy_operation_is_retried_with_growing_capped_delays_until_it_succeeds() -> None:
    time = FakeTime()

    result = retry(
        _failing(4),
        retryable=lambda e: isinstance(e, Busy),
        give_up=_give_up,
        policy=POLICY,
        clock=time.clock,
        sleep=time.sleep,
        rng=Ceiling(),
    )

    assert (result, time.sleeps) == ("done", [0.1, 0.2, 0.3, 0.3])


def test_the_last_delay_is_cut_to_the_wait_that_is_left() -> None:
    time = FakeTime()

    with pytest.raises(StorageError):
        retry(
            _failing(99),
            retryable=lambda e: isinstance(e, Busy),
            give_up=_give_up,
            policy=POLICY,
            clock=time.clock,
            sleep=time.sleep,
            rng=Ceiling(),
        )

    assert time.sleeps == pytest.approx([0.1, 0.2, 0.3, 0.3, 0.1])


def test_the_wait_ends_exactly_at_its_bound_with_the_give_up_error() -> None:
    time = FakeTime()

    with pytest.raises(StorageError) as caught:
        retry(
            _failing(99),
            retryable=lambda e: isinstance(e, Busy),
            give_up=_give_up,
            policy=RetryPolicy(wait_s=0.3, first_delay_s=0.1, max_delay_s=0.1),
            clock=time.clock,
            sleep=time.sleep,
            rng=Ceiling(),
        )

    assert (str(caught.value), isinstance(caught.value.__cause__, Busy)) == (
        "gave up after 0.30 s",
        True,
    )
    assert len(time.sleeps) == 3


def test_one_attempt_just_before_the_bound_is_still_retried() -> None:
    time = FakeTime()

    result = retry(
        _failing(3),
        retryable=lambda e: isinstance(e, Busy),
        give_up=_give_up,
        policy=RetryPolicy(wait_s=0.3 + 1e-9, first_delay_s=0.1, max_delay_s=0.1),
        clock=time.clock,
        sleep=time.sleep,
        rng=Ceiling(),
    )

    assert result == "done"


def test_an_error_that_is_not_retryable_propagates_at_once() -> None:
    time = FakeTime()

    with pytest.raises(Busy):
        retry(
            _failing(1),
            retryable=lambda e: False,
            give_up=_give_up,
            policy=POLICY,
            clock=time.clock,
            sleep=time.sleep,
        )

    assert time.sleeps == []


@given(
    policy=st.builds(
        RetryPolicy,
        wait_s=st.floats(0.0, 50.0),
        first_delay_s=st.floats(0.001, 2.0),
        max_delay_s=st.floats(0.001, 5.0),
        factor=st.floats(1.0, 4.0),
    ),
    failures=st.integers(0, 200),
    seed=st.integers(0, 2**32),
)
def test_the_time_spent_sleeping_never_exceeds_the_bound_nor_any_delay_its_cap(
    policy: RetryPolicy, failures: int, seed: int
) -> None:
    time = FakeTime()

    with contextlib.suppress(StorageError):
        retry(
            _failing(failures),
            retryable=lambda e: isinstance(e, Busy),
            give_up=_give_up,
            policy=policy,
            clock=time.clock,
            sleep=time.sleep,
            rng=random.Random(seed),
        )

    assert sum(time.sleeps) <= policy.wait_s + 1e-9
    assert all(0 <= s <= policy.max_delay_s for s in time.sleeps)


def _locked_database(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "state.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    return path, holder


def test_sqlite_database_is_locked_is_recognised_and_other_errors_are_not(
    tmp_path: Path,
) -> None:
    path, holder = _locked_database(tmp_path)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as missing:
        other.execute("SELECT * FROM no_such_table")
    holder.close()
    other.close()

    assert (is_sqlite_busy(locked.value), is_sqlite_busy(missing.value)) == (True, False)


def test_a_writer_waits_for_the_lock_and_gets_it_once_the_other_writer_commits(
    tmp_path: Path,
) -> None:
    path, holder = _locked_database(tmp_path)
    waiter = sqlite3.connect(path, isolation_level=None)
    time = FakeTime()

    def the_other_writer_commits() -> None:
        if holder.in_transaction:
            holder.execute("COMMIT")

    time.on_sleep = the_other_writer_commits

    begin_immediate(
        waiter,
        database=str(path),
        policy=RetryPolicy(wait_s=60, attempt_ms=1),
        clock=time.clock,
        sleep=time.sleep,
    )

    assert (waiter.in_transaction, len(time.sleeps)) == (True, 1)
    waiter.execute("INSERT INTO t VALUES (2)")
    waiter.execute("COMMIT")
    assert waiter.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]
    assert waiter.execute("PRAGMA busy_timeout").fetchone() == (5000,)
    holder.close()
    waiter.close()


def test_a_writer_locked_out_past_the_bound_gets_one_line_naming_the_database(
    tmp_path: Path,
) -> None:
    path, holder = _locked_database(tmp_path)
    waiter = sqlite3.connect(path, isolation_level=None)
    time = FakeTime()

    with pytest.raises(StorageError) as caught:
        begin_immediate(
            waiter,
            database=str(path),
            policy=RetryPolicy(wait_s=120, first_delay_s=1, max_delay_s=30, attempt_ms=1),
            clock=time.clock,
            sleep=time.sleep,
        )

    assert str(caught.value) == (
        f"SQLite database {path}: another writer held the write lock for 120 s; nothing was "
        "written. Run the command again once the other writer is done, or use PostgreSQL "
        "(state_url) for many concurrent writers"
    )
    assert waiter.in_transaction is False
    holder.close()
    waiter.close()


def test_the_give_up_error_carries_the_database_and_the_wait_as_details() -> None:
    assert lock_wait_expired("/srv/state.db", 120.04).details == {
        "database": "/srv/state.db",
        "waited_s": 120.0,
    }
