"""The wire format of https://c2sp.org/tlog-witness ``add-checkpoint`` (pure, no I/O).

A request body is an ``old <size>`` line, the consistency proof from that size, one base64
hash a line, an empty line, and the signed checkpoint note. A ``409 Conflict`` answer carries
the witness's latest cosigned size (``text/x.tlog.size``, decimal and a newline); a ``200``
answer is the witness's cosignature line(s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from readiness.errors import LedgerError, WitnessError
from readiness.ledger.core.merkle import HASH_SIZE
from readiness.ledger.core.note import b64decode_strict, b64encode

SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 16 * 1024
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,19})")


class Refusal(WitnessError):
    """A witness's refusal of a request, with the HTTP status the protocol gives it."""

    def __init__(self, status: int, message: str, *, known_size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.known_size = known_size


@dataclass(frozen=True)
class AddCheckpoint:
    """One ``add-checkpoint`` request: the size the witness last cosigned, the proof, the note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def encode(self) -> bytes:
        lines = [f"old {self.old_size}", *(b64encode(h) for h in self.proof), ""]
        return ("\n".join(lines) + "\n" + self.checkpoint).encode()


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse a request body; a malformed one is a ``400`` :class:`Refusal`."""
    if len(body) > MAX_BODY_BYTES:
        raise Refusal(400, f"request body is {len(body)} bytes; at most {MAX_BODY_BYTES}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise Refusal(400, "request body has no empty line before the checkpoint")
    first, *proof_lines = head.split("\n")
    if not first.startswith("old ") or not _DECIMAL.fullmatch(first[4:]):
        raise Refusal(400, f"first line {first[:40]!r} is not 'old <decimal size>'")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise Refusal(400, f"consistency proof has {len(proof_lines)} lines; at most 63")
    proof = []
    for line in proof_lines:
        try:
            value = b64decode_strict(line, "proof line", LedgerError)
        except LedgerError:
            raise Refusal(400, f"proof line {line[:60]!r} is not canonical base64") from None
        if len(value) != HASH_SIZE:
            raise Refusal(400, f"proof line {line[:60]!r} is not a 32-byte hash")
        proof.append(value)
    return AddCheckpoint(int(first[4:]), tuple(proof), note)


def encode_size(size: int) -> bytes:
    """The body of a ``409 Conflict``: the witness's latest size."""
    return f"{size}\n".encode()


def parse_size(body: bytes) -> int:
    """The size a ``409 Conflict`` body names; anything else is a :class:`WitnessError`."""
    text = body.decode("ascii", errors="replace")
    if not text.endswith("\n") or not _DECIMAL.fullmatch(text[:-1]):
        raise WitnessError(f"the 409 body {text[:40]!r} is not a decimal size and a newline")
    return int(text[:-1])


def cosignature_lines(body: bytes) -> list[str]:
    """The signature lines of a ``200`` answer, each ending in a newline."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessError("the witness answered with a body that is not UTF-8") from None
    if not text.endswith("\n") or not text.strip():
        raise WitnessError("the witness answered 200 without cosignature lines")
    return [line + "\n" for line in text[:-1].split("\n")]
