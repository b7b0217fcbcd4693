"""A witness (https://c2sp.org/tlog-witness): check a log's checkpoints and cosign them.

:class:`Witness` keeps, per log origin, the latest size and root it cosigned in its own SQLite
file (:class:`WitnessState`). It cosigns a checkpoint only when the log's signature verifies,
the request's ``old`` size is the one it knows, and the consistency proof from that tree to the
new one verifies: a log can never make it sign a rollback or a fork. :func:`create_app` serves
``POST /add-checkpoint`` over HTTP. Checks run in the order the protocol states them:

- 400 malformed request, or ``old`` larger than the checkpoint's size;
- 404 a log origin the witness does not know; 403 the log's signature does not verify;
- 409 ``old`` is not the size the witness knows (its size in the body, ``text/x.tlog.size``),
  or the same size with another root (plain text);
- 422 the consistency proof does not verify.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from readiness._common.clock import Clock
from readiness.errors import LedgerError, ProofError
from readiness.ledger.core.checkpoint import Checkpoint, open_checkpoint
from readiness.ledger.core.cosignature import CosignatureSigner
from readiness.ledger.core.merkle import EMPTY_ROOT, verify_consistency
from readiness.ledger.core.note import Ed25519Verifier, parse_note
from readiness.ledger.witness.protocol import (
    SIZE_CONTENT_TYPE,
    Refusal,
    encode_size,
    parse_add_checkpoint,
)

_metadata = sa.MetaData()
witness_logs = sa.Table(
    "witness_logs",
    _metadata,
    sa.Column("origin", sa.String(255), primary_key=True),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
)


class WitnessState:
    """The witness's own SQLite file: per origin, the latest cosigned size, root and note."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = sa.create_engine(f"sqlite:///{path}")
        _metadata.create_all(self._engine)

    def latest(self, origin: str) -> tuple[int, bytes]:
        """``(size, root)`` last cosigned for ``origin``; ``(0, EMPTY_ROOT)`` when none."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(witness_logs.c.size, witness_logs.c.root).where(
                    witness_logs.c.origin == origin
                )
            ).first()
        return (0, EMPTY_ROOT) if row is None else (int(row.size), bytes(row.root))

    def advance(self, origin: str, old_size: int, checkpoint: Checkpoint, note: str) -> bool:
        """Move ``origin`` from ``old_size`` to ``checkpoint``; False if another request won."""
        values = {"size": checkpoint.size, "root": checkpoint.root_hash, "note": note}
        with self._engine.begin() as conn:
            found = conn.execute(
                sa.select(witness_logs.c.size).where(witness_logs.c.origin == origin)
            ).first()
            if found is None:
                if old_size != 0:
                    return False
                conn.execute(witness_logs.insert().values(origin=origin, **values))
                return True
            updated = conn.execute(
                witness_logs.update()
                .where(witness_logs.c.origin == origin, witness_logs.c.size == old_size)
                .values(**values)
            )
            return updated.rowcount == 1

    def dispose(self) -> None:
        self._engine.dispose()


class Witness:
    """Cosigns the checkpoints of the ``logs`` it trusts (each named by its origin)."""

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Sequence[Ed25519Verifier],
        state: WitnessState,
        clock: Clock,
    ) -> None:
        self.signer = signer
        self._logs = {log.name: log for log in logs}
        self._state = state
        self._clock = clock

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line for a request body, or a :class:`Refusal` with its status."""
        request = parse_add_checkpoint(body)
        try:
            checkpoint = Checkpoint.parse(parse_note(request.checkpoint).text)
        except LedgerError as exc:
            raise Refusal(400, f"the checkpoint is malformed: {exc.message}") from None
        log = self._logs.get(checkpoint.origin)
        if log is None:
            raise Refusal(404, f"unknown log {checkpoint.origin!r}")
        try:
            open_checkpoint(request.checkpoint, log, origin=checkpoint.origin)
        except LedgerError as exc:
            raise Refusal(403, f"the log's signature does not verify: {exc.message}") from None
        if request.old_size > checkpoint.size:
            raise Refusal(
                400,
                f"old size {request.old_size} is larger than the checkpoint's {checkpoint.size}",
            )
        known_size, known_root = self._state.latest(checkpoint.origin)
        if request.old_size != known_size:
            raise Refusal(409, f"the witness knows size {known_size}", known_size=known_size)
        self._check_consistency(request.old_size, known_root, checkpoint, request.proof)
        if not self._state.advance(checkpoint.origin, known_size, checkpoint, request.checkpoint):
            size, _ = self._state.latest(checkpoint.origin)
            raise Refusal(409, f"the witness knows size {size}", known_size=size)
        timestamp = int(self._clock.now().timestamp())
        return self.signer.cosign(checkpoint.body(), timestamp).line

    @staticmethod
    def _check_consistency(
        old_size: int, old_root: bytes, checkpoint: Checkpoint, proof: Sequence[bytes]
    ) -> None:
        if old_size == checkpoint.size:
            if old_root != checkpoint.root_hash:
                raise Refusal(409, f"another root is cosigned at size {old_size}: the log forked")
            if proof:
                raise Refusal(422, "a proof between equal sizes must be empty")
            return
        if old_size == 0:
            if proof:
                raise Refusal(422, "a proof from size 0 must be empty")
            return
        try:
            verify_consistency(old_size, checkpoint.size, old_root, checkpoint.root_hash, proof)
        except ProofError as exc:
            raise Refusal(422, f"the consistency proof does not verify: {exc.message}") from None


def create_app(witness: Witness) -> FastAPI:
    """The witness over HTTP: ``POST /add-checkpoint`` (the protocol's only call)."""
    app = FastAPI(title="readiness witness", openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        try:
            line = witness.add_checkpoint(body)
        except Refusal as refusal:
            if refusal.known_size is not None:
                # Exactly this content type (no charset): clients compare it whole.
                headers = {"content-type": SIZE_CONTENT_TYPE}
                return Response(encode_size(refusal.known_size), 409, headers=headers)
            return PlainTextResponse(refusal.message + "\n", refusal.status)
        return PlainTextResponse(line, 200)

    return app
