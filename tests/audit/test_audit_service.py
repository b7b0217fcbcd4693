from __future__ import annotations

import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.service import GENESIS, list_events, record_event, verify_chain
from readiness.audit.tables import audit_events
from readiness.storage.engine import Stores


def test_events_are_chained_and_listed_newest_first(stores: Stores, clock: FrozenClock) -> None:
    first = record_event(stores.audit, clock=clock, actor="alice", action="a.one", target="x")
    record_event(
        stores.audit, clock=clock, actor="bob", action="a.two", target="y", details={"n": 1}
    )

    events = list_events(stores.audit)

    assert [e.action for e in events] == ["a.two", "a.one"]
    assert events[1].prev_hash == GENESIS
    assert events[0].prev_hash == first
    assert events[0].details == {"n": 1}
    assert verify_chain(stores.audit) == (True, None)


def test_editing_an_earlier_event_breaks_the_chain_at_that_event(
    stores: Stores, clock: FrozenClock
) -> None:
    for n in range(3):
        record_event(stores.audit, clock=clock, actor="alice", action=f"a.{n}", target="t")
    with stores.audit.begin() as conn:
        conn.execute(audit_events.update().where(audit_events.c.seq == 2).values(actor="mallory"))

    assert verify_chain(stores.audit) == (False, 2)
    with stores.audit.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_events)).scalar() == 3
