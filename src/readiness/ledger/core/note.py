"""Signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

A signed note is a UTF-8 text ending in a newline, a blank line, then one or more signature lines
``— <key name> <base64(key id ‖ signature)>``. The key id is the first four bytes (big-endian
uint32) of ``SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)``; type ``0x01`` is Ed25519 over the
note text. Keys travel as strings:

- verifier key: ``<name>+<hex key id>+<base64(0x01 ‖ 32-byte public key)>``
- signer key: ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ 32-byte seed)>``

:func:`open_note` verifies a note against the verifiers a caller trusts: signatures from unknown
keys are ignored (that is how witnesses and key rotation work), a known key whose signature fails
refuses the whole note, and a note no known key signed is refused. Every refusal is a
:class:`~readiness.errors.LedgerError` whose message says what was wrong.

This module does no I/O and draws no randomness: a new key is made from a 32-byte seed the caller
supplies (``os.urandom(32)`` in a service).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from readiness.errors import KeyFormatError, NoteFormatError, SignatureError

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100
"""More signature lines than this refuse the note (the spec asks for at least 16)."""


def check_key_name(name: str) -> None:
    """Refuse a key name that is empty or holds a Unicode space, a '+' or a control character."""
    if not name:
        raise KeyFormatError("key name is empty; expected a name such as example.com/log")
    for char in name:
        if char.isspace() or char == "+" or ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF:
            raise KeyFormatError(
                f"key name {name!r} contains {char!r}; names hold no whitespace, '+', "
                "control characters or lone surrogates"
            )


def key_id(name: str, alg: int, public_key: bytes) -> int:
    """``SHA-256(name ‖ 0x0A ‖ alg ‖ public_key)[:4]`` as a big-endian integer."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def b64decode_strict(text: str, what: str, error: type[Exception] = NoteFormatError) -> bytes:
    """Standard padded base64 whose canonical re-encoding is ``text`` exactly, else ``error``."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise error(f"{what} {text!r} is not standard padded base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} {text!r} is not canonical base64") from None
    return raw


def b64encode(raw: bytes) -> str:
    """Standard padded base64 as text."""
    return base64.b64encode(raw).decode("ascii")


class Verifier(Protocol):
    """A key that checks note signatures: its name, key id and check."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without the key id) is valid over ``message``."""
        ...


class Signer(Protocol):
    """A key that signs note texts."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes:
        """The signature (without the key id) over ``message``."""
        ...


@dataclass(frozen=True)
class Ed25519Verifier:
    """An Ed25519 note verifier (signature type 0x01, or another type byte such as 0x04)."""

    name: str
    public_key: bytes
    alg: int = ALG_ED25519
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise KeyFormatError(
                f"Ed25519 public key of {self.name!r} must be 32 bytes (got {len(self.public_key)})"
            )
        object.__setattr__(self, "key_id", key_id(self.name, self.alg, self.public_key))

    @classmethod
    def from_vkey(cls, vkey: str, *, alg: int = ALG_ED25519) -> Ed25519Verifier:
        """Parse ``name+hexid+base64(alg ‖ public key)``; refuse any other type or a wrong id."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError(f"verifier key {vkey!r} is not of the form name+keyid+base64(key)")
        name, hex_id, encoded = parts
        check_key_name(name)
        material = _parse_key_material(vkey, hex_id, encoded, alg)
        verifier = cls(name, material, alg)
        if verifier.key_id != int(hex_id, 16):
            raise KeyFormatError(
                f"verifier key {vkey!r} has key id {hex_id}, but its name and key give "
                f"{verifier.key_id:08x}"
            )
        return verifier

    @property
    def vkey(self) -> str:
        """The verifier key string ``name+hexid+base64(alg ‖ public key)``."""
        material = b64encode(bytes([self.alg]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid Ed25519 signature over ``message``."""
        if len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _parse_key_material(key: str, hex_id: str, encoded: str, alg: int) -> bytes:
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise KeyFormatError(f"key {key!r}: key id {hex_id!r} is not 8 hexadecimal digits")
    raw = b64decode_strict(encoded, f"key {key!r}: key material", KeyFormatError)
    if len(raw) != 33 or raw[0] != alg:
        raise KeyFormatError(
            f"key {key!r}: expected base64 of the type byte 0x{alg:02x} and 32 key bytes "
            f"(got {len(raw)} bytes" + (f", type 0x{raw[0]:02x})" if raw else ")")
        )
    return raw[1:]


@dataclass(frozen=True)
class Ed25519Signer:
    """An Ed25519 note signer made from a 32-byte seed (the RFC 8032 private key)."""

    name: str
    seed: bytes = field(repr=False)
    alg: int = ALG_ED25519
    public_key: bytes = field(init=False)
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise KeyFormatError(
                f"Ed25519 seed of {self.name!r} must be 32 bytes (got {len(self.seed)})"
            )
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        object.__setattr__(self, "public_key", public)
        object.__setattr__(self, "key_id", key_id(self.name, self.alg, public))

    @classmethod
    def from_skey(cls, skey: str, *, alg: int = ALG_ED25519) -> Ed25519Signer:
        """Parse ``PRIVATE+KEY+name+hexid+base64(alg ‖ seed)``; refuse a wrong id or type."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            # Never echo a private key into an error message or a log.
            raise KeyFormatError("signer key is not of the form PRIVATE+KEY+name+keyid+base64(key)")
        name, hex_id, encoded = parts[2], parts[3], parts[4]
        check_key_name(name)
        try:
            seed = _parse_key_material("PRIVATE+KEY+" + name, hex_id, encoded, alg)
        except KeyFormatError:
            raise KeyFormatError(
                f"signer key of {name!r}: key id or key material is malformed"
            ) from None
        signer = cls(name, seed, alg)
        if signer.key_id != int(hex_id, 16):
            raise KeyFormatError(
                f"signer key of {name!r} has key id {hex_id}, but its name and key give "
                f"{signer.key_id:08x}"
            )
        return signer

    @property
    def skey(self) -> str:
        """The signer key string ``PRIVATE+KEY+name+hexid+base64(alg ‖ seed)``: keep it secret."""
        return (
            f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{b64encode(bytes([self.alg]) + self.seed)}"
        )

    @property
    def verifier(self) -> Ed25519Verifier:
        """The matching verifier."""
        return Ed25519Verifier(self.name, self.public_key, self.alg)

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature over ``message`` (deterministic, RFC 8032)."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key id, and the signature bytes after the key id."""

    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        """The signature line, newline included."""
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(raw)}\n"


@dataclass(frozen=True)
class Note:
    """A note text and its signature lines, in order (verified or not)."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def format(self) -> str:
        """The note as text: text, blank line, signature lines (needs at least one signature)."""
        check_text(self.text)
        if not self.signatures:
            raise NoteFormatError("a signed note needs at least one signature")
        return self.text + "\n" + "".join(sig.line for sig in self.signatures)


@dataclass(frozen=True)
class VerifiedNote:
    """A note :func:`open_note` accepted: signatures by known keys, and the others it ignored."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def check_text(text: str) -> None:
    """Refuse a note text that is empty, lacks the final newline or holds control characters."""
    if not text.endswith("\n"):
        raise NoteFormatError("note text must be non-empty and end with a newline")
    for position, char in enumerate(text):
        if ord(char) < 0x20 and char != "\n":
            raise NoteFormatError(
                f"note text holds the control character {char!r} at offset {position}"
            )
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise NoteFormatError(f"note text holds a lone surrogate at offset {position}")


def parse_note(message: str | bytes) -> Note:
    """Split a signed note into text and signature lines; checks syntax, not signatures."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteFormatError(f"signed note is not valid UTF-8 (byte {exc.start})") from None
    check_text(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteFormatError("signed note has no blank line before its signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block:
        raise NoteFormatError("signed note has no signature lines after its blank line")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteFormatError(
            f"signed note has {len(lines)} signature lines; at most {MAX_SIGNATURES} are read"
        )
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteFormatError(f"signature line {line[:80]!r} does not start with '— '")
    parts = line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise NoteFormatError(
            f"signature line {line[:80]!r} is not '— <key name> <base64 signature>'"
        )
    name, encoded = parts
    try:
        check_key_name(name)
    except KeyFormatError as exc:
        raise NoteFormatError(f"signature line {line[:80]!r}: {exc}") from None
    raw = b64decode_strict(encoded, "signature")
    if len(raw) < 5:
        raise NoteFormatError(
            f"signature of {name!r} has {len(raw)} bytes; expected a 4-byte key id and a signature"
        )
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _index_verifiers(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], list[Verifier]]:
    known: dict[tuple[str, int], list[Verifier]] = {}
    for verifier in verifiers:
        known.setdefault((verifier.name, verifier.key_id), []).append(verifier)
    return known


def open_note(message: str | bytes, verifiers: Sequence[Verifier]) -> VerifiedNote:
    """Parse a signed note and verify it against the keys the caller trusts.

    Ignores signatures from unknown keys; refuses the note when a known key's signature fails, when
    two trusted verifiers share a name and key id that signed it, or when no known key signed it.
    Repeated identical signature lines count once.
    """
    note = parse_note(message)
    known = _index_verifiers(verifiers)
    payload = note.text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in dict.fromkeys(note.signatures):
        candidates = known.get((sig.name, sig.key_id))
        if not candidates:
            unverified.append(sig)
            continue
        if len(candidates) > 1:
            raise SignatureError(
                f"ambiguous key {sig.name}+{sig.key_id:08x}: {len(candidates)} trusted verifiers "
                "share this name and key id"
            )
        if not candidates[0].verify(payload, sig.signature):
            raise SignatureError(
                f"invalid signature for key {sig.name}+{sig.key_id:08x}; the note was altered "
                "or signed by another key"
            )
        verified.append(sig)
    if not verified:
        names = ", ".join(f"{v.name}+{v.key_id:08x}" for v in verifiers) or "none"
        raise SignatureError(f"note has no signature from a trusted key (trusted: {names})")
    return VerifiedNote(note.text, tuple(verified), tuple(unverified))


def sign_note(text: str, signers: Sequence[Signer], *, keep: Sequence[NoteSignature] = ()) -> str:
    """The signed note of ``text`` by every signer, after the ``keep`` signatures.

    A kept signature by the same name and key id as a signer is replaced by the new one.
    """
    check_text(text)
    if not signers and not keep:
        raise NoteFormatError("a signed note needs at least one signer")
    payload = text.encode("utf-8")
    fresh = []
    for signer in signers:
        check_key_name(signer.name)
        fresh.append(NoteSignature(signer.name, signer.key_id, signer.sign(payload)))
    replaced = {(sig.name, sig.key_id) for sig in fresh}
    kept = [sig for sig in keep if (sig.name, sig.key_id) not in replaced]
    return Note(text, (*kept, *fresh)).format()
