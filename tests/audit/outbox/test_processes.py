"""Several writer processes, and writers killed (SIGKILL) at each point between a state change
and its ledger entry: no fork, no gap, every stored change audited exactly once (SQLite and
PostgreSQL). Children are spawned, never forked from a threaded parent."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.outbox.service import list_events
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.verify import verify_log
from readiness.storage.engine import Stores
from tests.audit.outbox import workers

spawn = multiprocessing.get_context("spawn")
ORIGIN = "project/audit"


def _urls(stores: Stores) -> tuple[str, str]:
    return (
        stores.state.url.render_as_string(hide_password=False),
        stores.audit.url.render_as_string(hide_password=False),
    )


def _audited_once(stores: Stores) -> tuple[list[int], Counter[str]]:
    """Token ids stored, and how many token.create events name each."""
    with stores.state.connect() as conn:
        ids = sorted(int(i) for i in conn.execute(sa.text("SELECT id FROM rd_tokens")).scalars())
    events = list_events(stores, limit=100_000, action_prefix="token.create")
    return ids, Counter(e.target_id for e in events)


def _verified(stores: Stores) -> tuple[int, list[str]]:
    report = verify_log(stores.audit, ORIGIN, Ed25519Signer(ORIGIN, bytes(32)).verifier)
    return report.size, report.errors


def test_four_writer_processes_never_fork_the_log(stores: Stores) -> None:
    processes, each = 4, 30
    barrier = spawn.Barrier(processes)
    children = [
        spawn.Process(
            target=workers.create_tokens,
            args=(*_urls(stores), ORIGIN, f"p{p}", each, barrier),
        )
        for p in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=300)

    assert [child.exitcode for child in children] == [0] * processes
    ids, audited = _audited_once(stores)
    assert ids == list(range(1, processes * each + 1))
    assert audited == Counter({str(i): 1 for i in ids})
    assert _verified(stores) == (processes * each, [])


@pytest.mark.parametrize("stage", ["committed", "claimed", "appended", "marked"])
def test_a_writer_killed_at_any_point_leaves_every_stored_change_audited_once(
    stores: Stores, clock: FrozenClock, stage: str, tmp_path: Path
) -> None:
    rounds, count = 3, 3
    for _ in range(rounds):
        child = spawn.Process(
            target=workers.create_until_killed, args=(*_urls(stores), ORIGIN, stage, count)
        )
        child.start()
        child.join(timeout=300)
        assert child.exitcode == -9  # SIGKILL

    ids, audited = _audited_once(stores)  # the reader relays what was left first

    assert ids == list(range(1, rounds * count + 1))
    assert audited == Counter({str(i): 1 for i in ids})
    assert _verified(stores) == (rounds * count, [])
