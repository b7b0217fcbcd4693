"""Pure cryptography of the privacy layer: keys derived from the vault key, wrapped secrets,
pseudonyms, keyed IP hashes. No files, no database, no clock; randomness is passed in.

- Sub-keys: ``HMAC-SHA256(vault key, label)`` for each purpose (subject index, wrapping), so
  one secret never serves two purposes.
- Wrapping: AES-256-GCM with a random 96-bit nonce, stored as ``nonce ‖ ciphertext ‖ tag``;
  the associated data binds a wrapped secret to the row it belongs to (a key copied onto
  another subject's row does not open).
- IP hashes: ``hmac-sha256:<key id, 8 hex><HMAC-SHA256(ip key, normalised IP), 64 hex>``; the
  key id tells which key made it, and once that key is destroyed the hash links to nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from readiness.errors import InputError, PrivacyError

KEY_BYTES = 32
NONCE_BYTES = 12
PSEUDONYM_PREFIX = "usr_"
PSEUDONYM_BYTES = 8  # 16 hex digits: collisions are checked, but 2^64 makes them moot
IP_HMAC_PREFIX = "hmac-sha256:"
IP_KEY_ID_HEX = 8
MAX_SUBJECT = 320  # an e-mail address is at most 320 characters (RFC 3696 errata)


def derive(vault_key: bytes, label: str) -> bytes:
    """The sub-key of ``vault_key`` for ``label`` (e.g. ``subject-index``)."""
    return hmac.new(vault_key, f"readiness/vault/{label}".encode(), hashlib.sha256).digest()


def normalise_subject(subject: str) -> str:
    """The form a subject is indexed by: NFC, trimmed, case-folded (``Ann@X.org`` = ``ann@x.org``).

    Refuses what cannot name a person (empty, too long, control characters).
    """
    text = unicodedata.normalize("NFC", subject).strip()
    if not text:
        raise InputError("subject: must not be empty; give an e-mail address, a name or an id")
    if len(text) > MAX_SUBJECT:
        raise InputError(f"subject: longer than {MAX_SUBJECT} characters ({len(text)})")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InputError("subject: holds a control character")
    return text.casefold()


def subject_index(index_key: bytes, subject: str) -> bytes:
    """The keyed digest a subject is looked up by (the vault never stores it in the clear)."""
    return hmac.new(index_key, normalise_subject(subject).encode(), hashlib.sha256).digest()


def new_pseudonym(rand: bytes) -> str:
    """``usr_`` + 16 hex digits from ``PSEUDONYM_BYTES`` random bytes.

    Random, not derived from the subject: after an erasure the same person registered again
    gets a new pseudonym, which links to none of the old events.
    """
    if len(rand) != PSEUDONYM_BYTES:
        raise ValueError(f"new_pseudonym needs {PSEUDONYM_BYTES} random bytes (got {len(rand)})")
    return PSEUDONYM_PREFIX + rand.hex()


def is_pseudonym(text: str) -> bool:
    """Whether ``text`` has the form of a pseudonym this vault issues."""
    body = text.removeprefix(PSEUDONYM_PREFIX)
    return (
        text.startswith(PSEUDONYM_PREFIX)
        and len(body) == 2 * PSEUDONYM_BYTES
        and all(c in "0123456789abcdef" for c in body)
    )


def wrap(key: bytes, nonce: bytes, secret: bytes, context: str) -> bytes:
    """``secret`` encrypted under ``key`` (AES-256-GCM), bound to ``context``."""
    return nonce + AESGCM(key).encrypt(nonce, secret, context.encode())


def unwrap(key: bytes, wrapped: bytes, context: str) -> bytes:
    """The secret :func:`wrap` sealed; PrivacyError when the key, context or bytes differ."""
    try:
        return AESGCM(key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise PrivacyError(
            f"a wrapped secret of {context} does not open with this vault key: the vault key "
            "file is not the one the vault was made with, or the row was altered"
        ) from exc


def normalise_ip(ip: str) -> str:
    """``ip`` in its canonical text form (IPv4-mapped IPv6 as IPv4); InputError if not an IP."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError as exc:
        raise InputError(f"ip: {ip[:60]!r} is not an IPv4 or IPv6 address") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def ip_hmac(ip_key: bytes, key_id: str, ip: str) -> str:
    """The trail's form of an IP: ``hmac-sha256:`` + key id + HMAC-SHA256 of the normalised IP."""
    if len(key_id) != IP_KEY_ID_HEX or any(c not in "0123456789abcdef" for c in key_id):
        raise ValueError(f"an IP key id is {IP_KEY_ID_HEX} hex digits (got {key_id!r})")
    mac = hmac.new(ip_key, normalise_ip(ip).encode(), hashlib.sha256).hexdigest()
    return f"{IP_HMAC_PREFIX}{key_id}{mac}"


def ip_hmac_key_id(value: str) -> str | None:
    """The key id inside an ``ip_hmac`` this module made; None for any other form."""
    body = value.removeprefix(IP_HMAC_PREFIX)
    if not value.startswith(IP_HMAC_PREFIX) or len(body) != IP_KEY_ID_HEX + 64:
        return None
    return body[:IP_KEY_ID_HEX]
