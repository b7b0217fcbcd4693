"""What ``audit verify`` checks of the outbox: every relayed row's leaf index holds its event.

A relayed row records the leaf index its event got. The ledger verifies by itself (hashes,
checkpoints), but not that the platform's events are where the outbox says: a log rebuilt
without them, or with other events at their places, would still verify. This check reads each
relayed row's leaf and compares its bytes with the row's entry.
"""

from __future__ import annotations

from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness.audit.outbox.store import audit_outbox
from readiness.ledger.store import ledger_entries

CHUNK = 500
MAX_REPORTED = 20


def check_relayed(state: Engine, audit: Engine, origin: str) -> list[str]:
    """One error per relayed outbox row whose leaf index does not hold exactly its event
    (at most :data:`MAX_REPORTED`, then a count of the rest)."""
    errors: list[str] = []
    wrong = 0
    o = audit_outbox.c
    query = (
        sa.select(o.id, o.action, o.entry, o.leaf_index)
        .where(o.leaf_index.is_not(None))
        .order_by(o.leaf_index)
    )
    with state.connect() as s_conn, audit.connect() as a_conn:
        rows = iter(s_conn.execute(query).all())
        while chunk := list(islice(rows, CHUNK)):
            indices = [int(r.leaf_index) for r in chunk]
            stored = dict(
                a_conn.execute(
                    sa.select(ledger_entries.c.leaf_index, ledger_entries.c.entry).where(
                        ledger_entries.c.log == origin, ledger_entries.c.leaf_index.in_(indices)
                    )
                ).all()
            )
            for row in chunk:
                index = int(row.leaf_index)
                found = stored.get(index)
                if found is not None and bytes(found) == bytes(row.entry):
                    continue
                wrong += 1
                if wrong <= MAX_REPORTED:
                    what = "is missing" if found is None else "holds another event"
                    errors.append(
                        f"outbox row {row.id} ({row.action}) was relayed to leaf {index}, but "
                        f"leaf {index} of the audit log {what}: the log or the outbox was altered"
                    )
    if wrong > MAX_REPORTED:
        rest = wrong - MAX_REPORTED
        verb = "row does" if rest == 1 else "rows do"
        errors.append(f"{rest} more relayed outbox {verb} not match the log")
    return errors
