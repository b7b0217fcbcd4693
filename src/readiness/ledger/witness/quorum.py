"""``audit.witness_quorum``: every stored checkpoint needs that many witness cosignatures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from readiness._common.words import plural
from readiness.errors import LedgerError
from readiness.ledger import store
from readiness.ledger.core.cosignature import CosignatureVerifier
from readiness.ledger.core.note import parse_note


def count_cosignatures(note: str, witnesses: Sequence[CosignatureVerifier]) -> int:
    """How many of ``witnesses`` have a valid cosignature line in ``note``."""
    parsed = parse_note(note)
    payload = parsed.text.encode()
    keys = {(w.name, w.key_id): w for w in witnesses}
    valid = {
        (sig.name, sig.key_id)
        for sig in parsed.signatures
        if (sig.name, sig.key_id) in keys
        and keys[(sig.name, sig.key_id)].verify(payload, sig.signature)
    }
    return len(valid)


def quorum_errors(
    engine: Engine, origin: str, witnesses: Sequence[CosignatureVerifier], quorum: int
) -> list[str]:
    """One error per stored checkpoint with fewer than ``quorum`` valid witness cosignatures."""
    if quorum <= 0:
        return []
    errors = []
    with engine.connect() as conn:
        for stored in store.list_checkpoints(conn, origin):
            note = stored.note + "".join(store.list_cosignatures(conn, stored.id))
            try:
                count = count_cosignatures(note, witnesses)
            except LedgerError as exc:
                errors.append(f"checkpoint {stored.id} (size {stored.size}): {exc.message}")
                continue
            if count < quorum:
                errors.append(
                    f"checkpoint {stored.id} (size {stored.size}) has "
                    f"{plural(count, 'witness cosignature')} of the {quorum} "
                    "audit.witness_quorum requires"
                )
    return errors
