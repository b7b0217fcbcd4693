"""The sequencer in one process: group commit, failures, close (SQLite and PostgreSQL).

Moments are forced with the stage hook and events, never with sleeps.
"""

from __future__ import annotations

import threading

import pytest

from readiness._common.clock import FrozenClock
from readiness.errors import LedgerError
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash, root_plan
from readiness.ledger.sequencer import Sequencer
from readiness.ledger.store import fetch_nodes, iter_entries
from readiness.storage.engine import Stores

LOG = "audit.example/ledger"


def test_submissions_that_wait_for_a_batch_are_committed_together(
    stores: Stores, clock: FrozenClock
) -> None:
    release = threading.Event()
    holding = threading.Event()
    committed: list[str] = []

    def hook(stage: str) -> None:
        if stage == "locked" and not release.is_set():
            holding.set()
            release.wait()
        if stage == "committed":
            committed.append(stage)

    sequencer = Sequencer(stores.audit, LOG, clock, window_ms=0, stage_hook=hook)
    try:
        first = sequencer.submit([b"first"])
        holding.wait()  # the first batch holds the write lock
        waiting = [sequencer.submit([f"e{i}-{j}".encode() for j in range(3)]) for i in range(10)]
        release.set()

        assert first.result() == [0]
        assert [f.result() for f in waiting] == [
            [1 + 3 * i, 2 + 3 * i, 3 + 3 * i] for i in range(10)
        ]
        assert len(committed) == 2  # one group commit for the ten waiting submissions
    finally:
        sequencer.close()


def test_a_batch_that_fails_is_not_stored_and_the_next_one_continues_without_a_gap(
    stores: Stores, clock: FrozenClock
) -> None:
    fail = threading.Event()

    def hook(stage: str) -> None:
        if stage == "inserted" and fail.is_set():
            fail.clear()
            raise RuntimeError("disk full")

    sequencer = Sequencer(stores.audit, LOG, clock, window_ms=0, stage_hook=hook)
    try:
        assert sequencer.append([b"a", b"b"]) == [0, 1]
        fail.set()
        with pytest.raises(LedgerError, match="batch failed and was not acknowledged: disk full"):
            sequencer.append([b"lost"])
        assert sequencer.append([b"c"]) == [2]
    finally:
        sequencer.close()
    with stores.audit.connect() as conn:
        assert [entry for _, entry, _ in iter_entries(conn, LOG)] == [b"a", b"b", b"c"]


def test_close_writes_what_is_pending_and_refuses_more(stores: Stores, clock: FrozenClock) -> None:
    sequencer = Sequencer(stores.audit, LOG, clock, window_ms=0)
    pending = sequencer.submit([b"x", b"y"])
    sequencer.close()

    assert pending.result() == [0, 1]
    assert sequencer.submit([]).result() == []
    with pytest.raises(LedgerError, match="is closed"):
        sequencer.append([b"z"])


def test_a_log_name_too_long_or_empty_is_refused(stores: Stores, clock: FrozenClock) -> None:
    with pytest.raises(LedgerError, match="log name must be 1 to 200 characters"):
        Sequencer(stores.audit, "", clock)


def test_a_sequencer_that_finds_the_log_grown_by_another_reloads_and_continues(
    stores: Stores, clock: FrozenClock
) -> None:
    stages: list[str] = []
    first = Sequencer(stores.audit, LOG, clock, window_ms=0, stage_hook=stages.append)
    second = Sequencer(stores.audit, LOG, clock, window_ms=0)
    try:
        assert first.append([b"a", b"b"]) == [0, 1]
        assert second.append([b"c"]) == [2]
        stages.clear()
        # first's range still says 2 leaves: its guarded insert writes nothing, it reloads.
        assert first.append([b"d"] * 16) == list(range(3, 19))
        assert stages == ["locked", "inserted", "committed"]
        assert second.append([b"e"]) == [19]
    finally:
        first.close()
        second.close()
    tree = MemoryTree(leaf_hash(e) for e in [b"a", b"b", b"c", *[b"d"] * 16, b"e"])
    with stores.audit.connect() as conn:
        found = fetch_nodes(conn, LOG, root_plan(20))  # (4, 0) stored, (2, 4) folded
        assert [found[node] for node in root_plan(20)] == [
            tree.get_node(*node) for node in root_plan(20)
        ]
