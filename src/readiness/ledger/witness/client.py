"""Ask witnesses to cosign a stored checkpoint (the client side of c2sp.org/tlog-witness).

For each witness, :func:`collect` sends ``add-checkpoint`` with the size that witness last
cosigned (read from the stored cosignatures) and the consistency proof from it. A ``409`` names
the size the witness really knows: the request is sent once more with that size and its proof.
A returned line is verified with the witness's key before it is stored
(:meth:`~readiness.ledger.service.LedgerService.add_cosignature`). A witness that refuses or is
down is reported in its :class:`Outcome`; it never stops the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.redact import mask_urls
from readiness.errors import LedgerError, WitnessError
from readiness.ledger.core.cosignature import CosignatureVerifier
from readiness.ledger.service import LedgerService
from readiness.ledger.store import StoredCheckpoint, ledger_checkpoints, ledger_cosignatures
from readiness.ledger.witness.protocol import (
    SIZE_CONTENT_TYPE,
    AddCheckpoint,
    cosignature_lines,
    parse_size,
)

ADD_CHECKPOINT = "add-checkpoint"


@dataclass(frozen=True)
class WitnessTarget:
    """A configured witness: its name, base URL and cosignature verifier key."""

    name: str
    url: str
    verifier: CosignatureVerifier

    @classmethod
    def parse(cls, name: str, url: str, key: str) -> WitnessTarget:
        verifier = CosignatureVerifier.from_vkey(key)
        if verifier.name != name:
            raise WitnessError(f"witness {name!r}: its key is named {verifier.name!r}")
        return cls(name, url, verifier)

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + "/" + ADD_CHECKPOINT


@dataclass(frozen=True)
class Outcome:
    """What one witness did with one checkpoint: cosigned (``ok``) or why not."""

    witness: str
    ok: bool
    message: str


def last_cosigned(engine: Engine, origin: str) -> dict[tuple[str, int], int]:
    """Per witness ``(name, key id)``: the largest checkpoint size it cosigned for ``origin``."""
    query = (
        sa.select(
            ledger_cosignatures.c.witness,
            ledger_cosignatures.c.key_id,
            sa.func.max(ledger_checkpoints.c.size),
        )
        .join(ledger_checkpoints, ledger_checkpoints.c.id == ledger_cosignatures.c.checkpoint_id)
        .where(ledger_checkpoints.c.log == origin)
        .group_by(ledger_cosignatures.c.witness, ledger_cosignatures.c.key_id)
    )
    with engine.connect() as conn:
        return {(str(w), int(k)): int(size) for w, k, size in conn.execute(query)}


def cosigners(engine: Engine, checkpoint_id: int) -> set[tuple[str, int]]:
    """The witnesses ``(name, key id)`` whose cosignature of the checkpoint is stored."""
    query = sa.select(ledger_cosignatures.c.witness, ledger_cosignatures.c.key_id).where(
        ledger_cosignatures.c.checkpoint_id == checkpoint_id
    )
    with engine.connect() as conn:
        return {(str(w), int(k)) for w, k in conn.execute(query)}


def send(http: httpx.Client, witness: WitnessTarget, request: AddCheckpoint) -> list[str]:
    """POST one request; the cosignature lines, or a :class:`WitnessError` saying why not.

    A ``409`` with the witness's size raises :class:`SizeConflict`.
    """
    try:
        answer = http.post(
            witness.endpoint, content=request.encode(), headers={"content-type": "text/plain"}
        )
    except httpx.HTTPError as exc:
        raise WitnessError(f"unreachable ({type(exc).__name__}: {mask_urls(str(exc))})") from None
    if answer.status_code == 200:
        return cosignature_lines(answer.content)
    content_type = answer.headers.get("content-type", "")
    if answer.status_code == 409 and content_type == SIZE_CONTENT_TYPE:
        raise SizeConflict(parse_size(answer.content))
    reason = mask_urls(" ".join(answer.text.split())[:200])
    meaning = {
        400: "refused the request as malformed",
        403: "does not trust the log's key",
        404: "does not know this log",
        409: "holds another checkpoint of the same size: the log forked",
        422: "refused the consistency proof",
    }.get(answer.status_code, "failed")
    raise WitnessError(f"{meaning} (HTTP {answer.status_code}: {reason})")


class SizeConflict(WitnessError):
    """The witness answered ``409``: it knows ``size``, not the size we sent."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the witness knows size {size}")
        self.size = size


def _request(ledger: LedgerService, old: int, stored: StoredCheckpoint) -> AddCheckpoint:
    if old > stored.size:
        raise WitnessError(
            f"knows size {old}, beyond this checkpoint's {stored.size}: it saw a newer "
            "checkpoint of this log (or another log of the same name)"
        )
    proof = ledger.prove_consistency(old, stored.size) if 0 < old < stored.size else []
    return AddCheckpoint(old, tuple(proof), stored.note)


def cosign_one(
    ledger: LedgerService,
    engine: Engine,
    http: httpx.Client,
    witness: WitnessTarget,
    stored: StoredCheckpoint,
) -> Outcome:
    """Ask one witness to cosign ``stored`` and store its verified cosignature."""
    ident = (witness.verifier.name, witness.verifier.key_id)
    if ident in cosigners(engine, stored.id):
        return Outcome(witness.name, True, f"cosigned size {stored.size} already")
    old = last_cosigned(engine, ledger.origin).get(ident, 0)
    try:
        try:
            lines = send(http, witness, _request(ledger, old, stored))
        except SizeConflict as conflict:  # retried once, from the size the witness knows
            if conflict.size == old:
                raise WitnessError(f"answered 409 with the size {old} it was sent") from None
            lines = send(http, witness, _request(ledger, conflict.size, stored))
        mine = [line for line in lines if line.startswith(f"\u2014 {witness.name} ")]
        if not mine:
            raise WitnessError("answered without a cosignature line of its own name")
        for line in mine:
            ledger.add_cosignature(stored.id, witness.verifier, line)
    except LedgerError as exc:
        return Outcome(witness.name, False, exc.message)
    return Outcome(witness.name, True, f"cosigned size {stored.size}")


def collect(
    ledger: LedgerService,
    engine: Engine,
    http: httpx.Client,
    witnesses: Sequence[WitnessTarget],
    stored: StoredCheckpoint,
) -> list[Outcome]:
    """Ask every witness, in order, to cosign ``stored``; one :class:`Outcome` each."""
    return [cosign_one(ledger, engine, http, witness, stored) for witness in witnesses]
