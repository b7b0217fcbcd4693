"""The outbox: an event commits or rolls back with its change, and the relay moves each
committed row into the ledger exactly once, even when an attempt stopped half-way
(SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.outbox.relay import relay
from readiness.audit.outbox.service import list_events, record, relay_pending
from readiness.audit.outbox.store import audit_outbox
from readiness.auth.service import TokenService
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.store import iter_entries
from readiness.ledger.verify import verify_log
from readiness.storage.engine import Stores

ORIGIN = "project/audit"  # tests.conftest.TEST_AUDIT_ORIGIN


def _write(stores: Stores, clock: FrozenClock, n: int, *, action: str = "thing.create") -> None:
    with stores.state.begin() as conn:
        record(
            conn,
            clock=clock,
            actor="alice",
            action=action,
            target_type="thing",
            target_id=str(n),
            details={"n": n},
        )


def _entries(stores: Stores) -> list[dict[str, object]]:
    with stores.audit.connect() as conn:
        return [json.loads(entry) for _, entry, _ in iter_entries(conn, ORIGIN)]


def _rows(stores: Stores) -> list[tuple[int, int | None, int | None]]:
    with stores.state.connect() as conn:
        rows = conn.execute(
            sa.select(
                audit_outbox.c.id, audit_outbox.c.attempt_from, audit_outbox.c.leaf_index
            ).order_by(audit_outbox.c.id)
        ).all()
    return [(int(r[0]), r[1], r[2]) for r in rows]


class Stop(Exception):
    """Stands for a crash at one stage of the relay (the kill -9 test does it for real)."""


def _stop_at(stage: str) -> Callable[[str], None]:
    def hook(reached: str) -> None:
        if reached == stage:
            raise Stop(stage)

    return hook


def test_a_recorded_event_is_relayed_as_a_platform_entry_of_the_schema(
    stores: Stores, clock: FrozenClock
) -> None:
    _write(stores, clock, 7)

    assert relay_pending(stores, clock) == 1

    [entry] = _entries(stores)
    marker = entry.pop("request_id")
    assert entry == {
        "actor_id": "alice",
        "actor_type": "user",
        "action": "thing.create",
        "target_type": "thing",
        "target_id": "7",
        "result": "success",
        "occurred_at": "2026-03-10T09:30:00.000Z",
        "source": "readiness",
        "after": {"n": 7},
    }
    assert str(marker).startswith("outbox:")
    assert _rows(stores) == [(1, 0, 0)]


def test_an_event_rolled_back_with_its_change_is_never_relayed(
    stores: Stores, clock: FrozenClock
) -> None:
    with pytest.raises(RuntimeError, match="the change failed"), stores.state.begin() as conn:
        record(
            conn,
            clock=clock,
            actor="alice",
            action="thing.create",
            target_type="thing",
            target_id="1",
        )
        raise RuntimeError("the change failed")

    assert (relay_pending(stores, clock), _rows(stores), _entries(stores)) == (0, [], [])


def test_an_invalid_event_rolls_its_change_back(stores: Stores, clock: FrozenClock) -> None:
    service = TokenService(stores=stores, clock=clock, actor="alice")
    with stores.state.begin() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM rd_tokens")).scalar_one()

    with (
        pytest.raises(Exception, match="action: 'Token Create' is not"),
        stores.state.begin() as conn,
    ):
        conn.execute(sa.text("DELETE FROM rd_tokens"))
        record(
            conn,
            clock=clock,
            actor="alice",
            action="Token Create",
            target_type="token",
            target_id="1",
        )

    with stores.state.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM rd_tokens")).scalar_one() == before
    assert service.list() == []


@pytest.mark.parametrize("stage", ["claimed", "appended"])
def test_a_relay_stopped_after_claiming_or_appending_leaves_each_event_once_in_the_ledger(
    stores: Stores, clock: FrozenClock, stage: str
) -> None:
    for n in range(3):
        _write(stores, clock, n)
    with pytest.raises(Stop):
        relay(stores.state, stores.audit, ORIGIN, clock, stage_hook=_stop_at(stage))
    in_ledger = 3 if stage == "appended" else 0
    assert len(_entries(stores)) == in_ledger
    assert _rows(stores) == [(1, 0, None), (2, 0, None), (3, 0, None)]  # claimed, not marked

    _write(stores, clock, 3)  # a new event arrives before the next relay
    assert relay_pending(stores, clock) == 4

    assert [e["after"] for e in _entries(stores)] == [{"n": n} for n in range(4)]
    assert _rows(stores) == [
        (1, 0, 0),
        (2, 0, 1),
        (3, 0, 2),
        (4, 3 if stage == "appended" else 0, 3),
    ]
    assert relay_pending(stores, clock) == 0


def test_an_application_event_appended_between_claim_and_relay_is_not_taken_for_ours(
    stores: Stores, clock: FrozenClock
) -> None:
    from readiness.ledger.sequencer import Sequencer

    _write(stores, clock, 0)
    with pytest.raises(Stop):
        relay(stores.state, stores.audit, ORIGIN, clock, stage_hook=_stop_at("claimed"))
    sequencer = Sequencer(stores.audit, ORIGIN, clock)
    try:
        sequencer.append([b'{"source":"readiness","request_id":"outbox:ffff"}'])
    finally:
        sequencer.close()

    assert relay_pending(stores, clock) == 1

    assert _rows(stores) == [(1, 1, 1)]  # claimed again at size 1, appended after it


def test_concurrent_writers_never_fork_the_log_and_every_event_is_there_once(
    stores: Stores, clock: FrozenClock
) -> None:
    threads, each = 8, 25
    service = TokenService(stores=stores, clock=clock, actor="ci")
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(each):
                service.create(name=f"w{t}-{i}", role="reader")
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert errors == []
    created = list_events(stores, limit=1000, action_prefix="token.create")
    assert len(created) == threads * each
    assert sorted(int(e.target_id) for e in created) == list(range(1, threads * each + 1))
    assert [e.index for e in created] == list(range(threads * each - 1, -1, -1))
    report = verify_log(stores.audit, ORIGIN, Ed25519Signer(ORIGIN, bytes(32)).verifier)
    assert (report.size, report.errors) == (threads * each, [])
    assert all(leaf is not None for _, _, leaf in _rows(stores))


def test_direct_appends_share_one_sequencer_until_the_stores_are_disposed(
    stores: Stores, clock: FrozenClock
) -> None:
    from readiness.audit.outbox import service

    def sequencers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == f"ledger-sequencer:{ORIGIN}"]

    before = len(sequencers())
    indices = [
        service.append_direct(
            stores,
            clock=clock,
            actor="alice",
            action="audit.read",
            target_type="audit_log",
            target_id=str(n),
        )
        for n in range(3)
    ]

    assert indices == [0, 1, 2]
    assert len(sequencers()) == before + 1  # one thread for the three appends, still running
    stores.dispose()
    assert len(sequencers()) == before
    assert stores.on_dispose == []
