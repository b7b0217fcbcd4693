"""Witness cosignatures (https://c2sp.org/tlog-cosignature), Ed25519 ``cosignature/v1``.

A cosignature is an ordinary note signature line on a checkpoint, by a witness key of signature
type ``0x04``. Its bytes are ``key id (4) ‖ timestamp (8, big-endian seconds) ‖ Ed25519 (64)``, and
the signed message is::

    cosignature/v1
    time <timestamp>
    <the whole checkpoint body>

:class:`CosignatureVerifier` fits the note :class:`~readiness.ledger.core.note.Verifier`
protocol, so :func:`~readiness.ledger.core.checkpoint.open_checkpoint` checks cosignatures with the
log key; the time is read back with :func:`cosignature_time`. The time is a parameter, never read
from a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readiness.errors import KeyFormatError, SignatureError
from readiness.ledger.core.note import Ed25519Signer, Ed25519Verifier, NoteSignature, check_text

ALG_COSIGNATURE_V1 = 0x04
MAX_TIMESTAMP = 2**63 - 1
_HEADER = "cosignature/v1\n"


def cosigned_message(body: str, timestamp: int) -> bytes:
    """The bytes a ``cosignature/v1`` signs: header, time line, checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise SignatureError(
            f"cosignature timestamp must be between 0 and 2^63-1 seconds (got {timestamp})"
        )
    check_text(body)
    return f"{_HEADER}time {timestamp}\n{body}".encode()


def cosignature_time(signature: NoteSignature) -> int:
    """The timestamp (POSIX seconds) a cosignature line carries."""
    if len(signature.signature) != 8 + 64:
        raise SignatureError(
            f"cosignature of {signature.name!r} has {len(signature.signature)} bytes after the "
            "key id; expected 72 (timestamp and Ed25519 signature)"
        )
    return int.from_bytes(signature.signature[:8], "big")


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness key: checks ``cosignature/v1`` signatures inside a checkpoint note."""

    name: str
    public_key: bytes
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        inner = Ed25519Verifier(self.name, self.public_key, ALG_COSIGNATURE_V1)
        object.__setattr__(self, "key_id", inner.key_id)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse a witness verifier key ``name+hexid+base64(0x04 ‖ public key)``."""
        inner = Ed25519Verifier.from_vkey(vkey, alg=ALG_COSIGNATURE_V1)
        return cls(inner.name, inner.public_key)

    @property
    def vkey(self) -> str:
        """The witness verifier key string."""
        return Ed25519Verifier(self.name, self.public_key, ALG_COSIGNATURE_V1).vkey

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp ‖ Ed25519) cosigns the checkpoint body ``message``."""
        if len(signature) != 72:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            body = message.decode("utf-8")
        except UnicodeDecodeError:
            return False
        signed = f"{_HEADER}time {timestamp}\n{body}".encode()
        inner = Ed25519Verifier(self.name, self.public_key, ALG_COSIGNATURE_V1)
        return inner.verify(signed, signature[8:])


@dataclass(frozen=True)
class CosignatureSigner:
    """A witness signing key (32-byte Ed25519 seed) producing ``cosignature/v1`` lines."""

    name: str
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise KeyFormatError(
                f"Ed25519 seed of {self.name!r} must be 32 bytes (got {len(self.seed)})"
            )

    @property
    def _inner(self) -> Ed25519Signer:
        return Ed25519Signer(self.name, self.seed, ALG_COSIGNATURE_V1)

    @classmethod
    def from_skey(cls, skey: str) -> CosignatureSigner:
        """Parse ``PRIVATE+KEY+name+hexid+base64(0x04 ‖ seed)``."""
        inner = Ed25519Signer.from_skey(skey, alg=ALG_COSIGNATURE_V1)
        return cls(inner.name, inner.seed)

    @property
    def skey(self) -> str:
        """The signer key string: keep it secret."""
        return self._inner.skey

    @property
    def key_id(self) -> int:
        """The ``0x04`` key id."""
        return self._inner.key_id

    @property
    def verifier(self) -> CosignatureVerifier:
        """The matching witness verifier."""
        return CosignatureVerifier(self.name, self._inner.public_key)

    def cosign(self, body: str, timestamp: int) -> NoteSignature:
        """The cosignature line of a checkpoint body at ``timestamp`` (POSIX seconds)."""
        message = cosigned_message(body, timestamp)
        signature = timestamp.to_bytes(8, "big") + self._inner.sign(message)
        return NoteSignature(self.name, self.key_id, signature)
