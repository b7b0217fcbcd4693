"""Checkpoints (https://c2sp.org/tlog-checkpoint): the signed statement of a tree head.

The body of a checkpoint is the text of a signed note::

    <origin>
    <tree size in decimal, no leading zeroes>
    <base64 root hash>
    [extension lines, each non-empty]

:meth:`Checkpoint.parse` is strict: anything else is a
:class:`~readiness.errors.CheckpointFormatError`. :func:`sign_checkpoint` and
:func:`open_checkpoint` add and check the log's signature (and witnesses' cosignatures, which are
ordinary note signatures, see :mod:`readiness.ledger.core.cosignature`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from readiness.errors import CheckpointFormatError, NoteFormatError, SignatureError
from readiness.ledger.core.merkle import HASH_SIZE
from readiness.ledger.core.note import (
    NoteSignature,
    Signer,
    VerifiedNote,
    Verifier,
    b64decode_strict,
    b64encode,
    check_text,
    open_note,
    sign_note,
)

MAX_TREE_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (``origin``), how many leaves, and the root hash at that size."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointFormatError(
                f"checkpoint origin {self.origin!r} must be one non-empty line"
            )
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointFormatError(
                f"checkpoint tree size must be between 0 and 2^64-1 (got {self.size})"
            )
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointFormatError(
                f"checkpoint root hash must be {HASH_SIZE} bytes (got {len(self.root_hash)})"
            )
        for line in self.extensions:
            if not line or "\n" in line:
                raise CheckpointFormatError(
                    f"checkpoint extension line {line!r} must be one non-empty line"
                )
        try:
            check_text(self.body())
        except NoteFormatError as exc:  # a control character in the origin or an extension
            raise CheckpointFormatError(f"checkpoint cannot be written: {exc}") from None

    def body(self) -> str:
        """The note text of this checkpoint, final newline included."""
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (a note text); strict about every line."""
        if not text.endswith("\n"):
            raise CheckpointFormatError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointFormatError(
                f"checkpoint body has {len(lines)} lines; expected origin, tree size and root hash"
            )
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise CheckpointFormatError("checkpoint origin line is empty")
        if not _DECIMAL.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
            raise CheckpointFormatError(
                f"checkpoint tree size {size_text[:40]!r} is not a decimal number without "
                "leading zeroes below 2^64"
            )
        root = b64decode_strict(root_text, "checkpoint root hash", CheckpointFormatError)
        for number, line in enumerate(extensions, start=4):
            if not line:
                raise CheckpointFormatError(f"checkpoint line {number} (an extension) is empty")
        return cls(origin, int(size_text), root, tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint the log's key verified, with the note it came from."""

    checkpoint: Checkpoint
    note: VerifiedNote


def sign_checkpoint(
    checkpoint: Checkpoint, signer: Signer, *, keep: Sequence[NoteSignature] = ()
) -> str:
    """The signed note of ``checkpoint`` by the log's ``signer`` (named like the origin)."""
    return sign_note(checkpoint.body(), [signer], keep=keep)


def open_checkpoint(
    message: str | bytes,
    log: Verifier,
    *,
    origin: str | None = None,
    witnesses: Sequence[Verifier] = (),
) -> SignedCheckpoint:
    """Parse and verify a signed checkpoint.

    The log's own signature is required (a witness cosignature alone is not enough); ``origin``,
    when given, must match the first line. Witness signatures present are verified, unknown ones
    ignored; which witnesses signed is in ``note.verified``.
    """
    note = open_note(message, [log, *witnesses])
    if not any(sig.name == log.name and sig.key_id == log.key_id for sig in note.verified):
        raise SignatureError(f"checkpoint is not signed by the log key {log.name}+{log.key_id:08x}")
    checkpoint = Checkpoint.parse(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointFormatError(
            f"checkpoint origin is {checkpoint.origin!r}, expected {origin!r}"
        )
    return SignedCheckpoint(checkpoint, note)
