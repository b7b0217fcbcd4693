"""``audit.witness_quorum``: every stored checkpoint needs that many witness cosignatures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from readiness._common.words import plural
from readiness.errors import LedgerError
from readiness.ledger import store
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.note import Ed25519Verifier
from readiness.ledger.witness.client import WitnessTarget


def quorum_errors(
    engine: Engine,
    origin: str,
    log: Ed25519Verifier,
    witnesses: Sequence[WitnessTarget],
    quorum: int,
) -> list[str]:
    """One error per stored checkpoint with fewer than ``quorum`` verifying cosignatures."""
    if quorum <= 0:
        return []
    keys = [w.verifier for w in witnesses]
    errors = []
    with engine.connect() as conn:
        for stored in store.list_checkpoints(conn, origin):
            note = stored.note + "".join(store.list_cosignatures(conn, stored.id))
            try:
                opened = open_checkpoint(note, log, origin=origin, witnesses=keys)
            except LedgerError as exc:
                errors.append(f"checkpoint {stored.id} (size {stored.size}): {exc.message}")
                continue
            count = len(
                {(s.name, s.key_id) for s in opened.note.verified} - {(log.name, log.key_id)}
            )
            if count < quorum:
                errors.append(
                    f"checkpoint {stored.id} (size {stored.size}) has "
                    f"{plural(count, 'witness cosignature')}; audit.witness_quorum wants {quorum}"
                )
    return errors
