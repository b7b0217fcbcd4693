"""``audit.witness_quorum``: every stored checkpoint needs that many witness cosignatures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from readiness._common.words import plural
from readiness.errors import LedgerError
from readiness.ledger import store
from readiness.ledger.core.cosignature import CosignatureVerifier, cosignature_time
from readiness.ledger.core.note import NoteSignature, parse_note


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


@dataclass(frozen=True)
class Cosigned:
    """One stored cosignature of a checkpoint: who, the size and time it cosigned, and whether
    it is from a configured witness and verifies under its key."""

    name: str
    key_id: int
    size: int
    time: datetime | None
    configured: bool
    valid: bool


@dataclass(frozen=True)
class Standing:
    """The newest checkpoint's cosignatures against the configured witnesses and the quorum."""

    checkpoint_id: int
    size: int
    cosigned: tuple[Cosigned, ...]
    missing: tuple[CosignatureVerifier, ...]
    quorum: int

    @property
    def count(self) -> int:
        """Valid cosignatures from configured witnesses."""
        return sum(1 for c in self.cosigned if c.configured and c.valid)

    @property
    def met(self) -> bool:
        return self.count >= self.quorum


def _cosigned(
    sig: NoteSignature, size: int, payload: bytes, keys: dict[tuple[str, int], CosignatureVerifier]
) -> Cosigned:
    key = keys.get((sig.name, sig.key_id))
    try:
        time: datetime | None = datetime.fromtimestamp(cosignature_time(sig), UTC)
    except (LedgerError, OverflowError, OSError, ValueError):
        time = None
    valid = key is not None and time is not None and key.verify(payload, sig.signature)
    return Cosigned(sig.name, sig.key_id, size, time, key is not None, valid)


def newest_standing(
    engine: Engine, origin: str, witnesses: Sequence[CosignatureVerifier], quorum: int
) -> Standing | None:
    """The newest checkpoint of ``origin`` and who cosigned it (None without a checkpoint)."""
    with engine.connect() as conn:
        checkpoints = store.list_checkpoints(conn, origin)
        if not checkpoints:
            return None
        newest = checkpoints[-1]
        lines = store.list_cosignatures(conn, newest.id)
    own = len(parse_note(newest.note).signatures)
    parsed = parse_note(newest.note + "".join(lines))
    payload = parsed.text.encode()
    keys = {(w.name, w.key_id): w for w in witnesses}
    cosigned = tuple(_cosigned(s, newest.size, payload, keys) for s in parsed.signatures[own:])
    signed = {(c.name, c.key_id) for c in cosigned if c.valid}
    missing = tuple(w for w in witnesses if (w.name, w.key_id) not in signed)
    return Standing(newest.id, newest.size, cosigned, missing, quorum)
