"""`audit verify` checks the outbox: each relayed row's leaf index holds exactly its event."""

from __future__ import annotations

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.outbox.check import MAX_REPORTED, check_relayed
from readiness.audit.outbox.service import relay_pending
from readiness.audit.outbox.store import audit_outbox
from readiness.audit.trail import verify_trail
from readiness.config import Settings
from readiness.storage.engine import Stores
from tests.audit.outbox.test_outbox import ORIGIN, _write


def _relayed(stores: Stores, clock: FrozenClock, n: int) -> None:
    for k in range(n):
        _write(stores, clock, k)
    assert relay_pending(stores, clock) == n


def test_a_faithfully_relayed_outbox_verifies(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    _relayed(stores, clock, 3)

    report = verify_trail(backend_settings, clock)

    assert check_relayed(stores.state, stores.audit, ORIGIN) == []
    assert (report.verified, report.errors) == (True, [])


def test_a_row_whose_leaf_holds_another_event_is_an_error_of_verify(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    _relayed(stores, clock, 3)
    with stores.state.begin() as conn:  # as if the log had been rebuilt with other events
        conn.execute(audit_outbox.update().where(audit_outbox.c.id == 2).values(leaf_index=0))
        conn.execute(audit_outbox.update().where(audit_outbox.c.id == 3).values(leaf_index=7))

    report = verify_trail(backend_settings, clock)

    assert report.verified is False
    assert report.errors == [
        "outbox row 2 (thing.create) was relayed to leaf 0, but leaf 0 of the audit log holds "
        "another event: the log or the outbox was altered",
        "outbox row 3 (thing.create) was relayed to leaf 7, but leaf 7 of the audit log is "
        "missing: the log or the outbox was altered",
    ]


@pytest.mark.parametrize(("wrong", "last"), [(20, None), (21, "1 more relayed outbox row")])
def test_errors_stop_at_twenty_and_count_the_rest(
    stores: Stores, clock: FrozenClock, wrong: int, last: str | None
) -> None:
    _relayed(stores, clock, wrong)
    with stores.state.begin() as conn:
        conn.execute(audit_outbox.update().values(leaf_index=audit_outbox.c.leaf_index + 100))

    errors = check_relayed(stores.state, stores.audit, ORIGIN)

    assert len(errors) == MAX_REPORTED + (last is not None)
    assert errors[-1].startswith("1 more") if last else errors[-1].startswith("outbox row 20 ")
    if last:
        assert errors[-1] == "1 more relayed outbox row does not match the log"
