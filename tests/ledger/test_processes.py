"""Several writer processes at once, and kill -9 of a writer at each point of a batch.

Children are spawned (never forked from a threaded parent) and synchronised with a barrier and
pipes: no sleeping. Both databases: real SQLite files, a real PostgreSQL schema.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from readiness._common.clock import FrozenClock
from readiness.ledger.core.merkle import leaf_hash, root_hash
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.ledger.store import iter_entries
from readiness.storage.engine import Stores
from tests.ledger import workers

ORIGIN = "audit.example/ledger"
SIGNER = Ed25519Signer(ORIGIN, bytes(range(32)))
spawn = multiprocessing.get_context("spawn")
Acked = list[tuple[list[bytes], list[int]]]


def _url(stores: Stores) -> str:
    return stores.audit.url.render_as_string(hide_password=False)


def _stored(stores: Stores) -> list[tuple[int, bytes, bytes]]:
    with stores.audit.connect() as conn:
        return list(iter_entries(conn, ORIGIN))


def test_concurrent_writer_processes_never_fork_or_lose_an_acknowledged_entry(
    stores: Stores, clock: FrozenClock
) -> None:
    processes, threads, batches, per_batch = 3, 4, 10, 5
    barrier = spawn.Barrier(processes)
    results = spawn.Queue()
    children = [
        spawn.Process(
            target=workers.append_concurrently,
            args=(_url(stores), ORIGIN, w, threads, batches, per_batch, barrier, results),
        )
        for w in range(processes)
    ]
    for child in children:
        child.start()
    acked: dict[bytes, int] = {}
    for _ in children:
        acked.update(results.get(timeout=120))
    for child in children:
        child.join()
        assert child.exitcode == 0

    total = processes * threads * batches * per_batch
    stored = _stored(stores)
    assert len(acked) == total
    assert sorted(acked.values()) == list(range(total))
    assert [index for index, _, _ in stored] == list(range(total))
    assert {entry: index for index, entry, _ in stored} == acked
    ledger = LedgerService(stores.audit, clock, SIGNER, ORIGIN)
    assert ledger.root() == root_hash(leaf_hash(entry) for _, entry, _ in stored)
    ledger.checkpoint()
    assert ledger.verify().verified


def _run_until_killed(
    stores: Stores, stop_at: str, after: int
) -> list[tuple[list[bytes], list[int]]]:
    """Start a writer, collect its acknowledgements, SIGKILL it at the chosen moment."""
    parent, child_end = spawn.Pipe()
    child = spawn.Process(
        target=workers.append_until_killed, args=(_url(stores), ORIGIN, stop_at, after, child_end)
    )
    child.start()
    acked: Acked = []
    while True:
        message = parent.recv()
        if message[0] == "stopped" or (not stop_at and len(acked) == after):
            break
        acked.append((message[1], message[2]))
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert child.exitcode == -signal.SIGKILL
    return acked


@pytest.mark.parametrize(
    ("stop_at", "after", "unacknowledged_but_stored"),
    [
        ("locked", 1, 0),  # killed holding the write lock, nothing written
        ("locked", 4, 0),
        ("inserted", 3, 0),  # rows written, not committed
        ("committed", 2, 3),  # durable, but the submitter never heard
        ("", 7, None),  # killed at whatever point the writer was after 7 acknowledgements
    ],
)
def test_kill_9_of_the_writer_loses_no_acknowledged_entry_and_the_log_continues(
    stores: Stores,
    clock: FrozenClock,
    stop_at: str,
    after: int,
    unacknowledged_but_stored: int | None,
) -> None:
    acked = _run_until_killed(stores, stop_at, after)

    stored = {index: entry for index, entry, _ in _stored(stores)}
    for data, indices in acked:
        assert [stored[i] for i in indices] == data
    acknowledged = sum(len(data) for data, _ in acked)
    if unacknowledged_but_stored is not None:
        assert len(stored) == acknowledged + unacknowledged_but_stored
    assert sorted(stored) == list(range(len(stored)))
    ledger = LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0)
    try:
        ledger.checkpoint()
        assert ledger.append([b"after the crash"]) == [len(stored)]
        ledger.checkpoint()
        report = ledger.verify()
        assert (report.verified, report.size, report.checkpoints) == (True, len(stored) + 1, 2)
    finally:
        ledger.close()


def test_repeated_crashes_of_writers_on_one_log_keep_every_acknowledged_entry(
    stores: Stores, clock: FrozenClock
) -> None:
    acked: Acked = []
    for stop_at, after in (("committed", 3), ("locked", 2), ("", 5), ("inserted", 4)):
        acked += _run_until_killed(stores, stop_at, after)

    stored = {index: entry for index, entry, _ in _stored(stores)}
    assert sorted(stored) == list(range(len(stored)))
    for data, indices in acked:
        assert [stored[i] for i in indices] == data
    ledger = LedgerService(stores.audit, clock, SIGNER, ORIGIN)
    ledger.checkpoint()
    assert ledger.verify().verified
