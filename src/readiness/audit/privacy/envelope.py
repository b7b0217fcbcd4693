"""Sealed field values (crypto-shredding): AES-256-GCM under the subject's own key.

Where an application must keep a personal value in an event's ``before``/``after``, the value is
replaced by an envelope, itself a JSON object (so the event stays valid)::

    {"$sealed": {"v": 1, "alg": "A256GCM", "kid": "usr_3f9c1a2b4d5e6f70",
                 "nonce": "<base64url, 12 bytes>", "ct": "<base64url, ciphertext ‖ 16-byte tag>"}}

- ``kid`` names the key: the subject's pseudonym, whose key the identity vault keeps.
- The plaintext is the RFC 8785 canonical JSON of the value.
- The associated data (authenticated, not stored) is the canonical JSON of
  ``{"v", "alg", "kid", "field", "action", "target_type", "target_id", "occurred_at"}``, where
  ``field`` is the path (``after.email``). The leaf index is not known before the append, so the
  binding is to the event's identity instead: an envelope copied to another field or another
  event does not open.

Erasing the subject destroys its key: the envelope stays in the ledger (every hash and proof
still verifies) but no one can open it again; readers show :data:`ERASED`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from readiness.audit.events import canonical
from readiness.errors import PrivacyError

SEALED = "$sealed"
VERSION = 1
ALG = "A256GCM"
ERASED = "[erased]"
BOUND_FIELDS = ("action", "target_type", "target_id", "occurred_at")
SEALABLE = ("before", "after")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise PrivacyError(f"sealed value: {what} must be base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PrivacyError(f"sealed value: {what} is not base64url") from exc


def associated_data(kid: str, path: str, event: Mapping[str, Any]) -> bytes:
    """What a sealed value is bound to: its key, its field and the event's identity."""
    bound = {name: event.get(name) for name in BOUND_FIELDS}
    return canonical({"v": VERSION, "alg": ALG, "kid": kid, "field": path, **bound})


def is_sealed(value: object) -> bool:
    """Whether ``value`` is an envelope (a one-key object under ``$sealed``)."""
    return isinstance(value, Mapping) and len(value) == 1 and SEALED in value


def seal_value(  # noqa: PLR0917 - each argument is one part of the binding
    key: bytes, nonce: bytes, kid: str, path: str, event: Mapping[str, Any], value: object
) -> dict[str, Any]:
    """``value`` sealed under ``key`` as an envelope bound to ``path`` of ``event``."""
    ciphertext = AESGCM(key).encrypt(nonce, canonical(value), associated_data(kid, path, event))
    return {
        SEALED: {"v": VERSION, "alg": ALG, "kid": kid, "nonce": _b64(nonce), "ct": _b64(ciphertext)}
    }


def envelope_kid(envelope: Mapping[str, Any]) -> str:
    """The key id an envelope names; PrivacyError when it is not a well-formed envelope."""
    body = envelope.get(SEALED)
    if not isinstance(body, Mapping) or set(body) != {"v", "alg", "kid", "nonce", "ct"}:
        raise PrivacyError("sealed value: expected v, alg, kid, nonce and ct")
    if body["v"] != VERSION or body["alg"] != ALG:
        raise PrivacyError(
            f"sealed value: version {body['v']!r} / {body['alg']!r} is not {VERSION} / {ALG}"
        )
    kid = body["kid"]
    if not isinstance(kid, str) or not kid:
        raise PrivacyError("sealed value: kid must name a key")
    return kid


def open_value(key: bytes, path: str, event: Mapping[str, Any], envelope: Mapping[str, Any]) -> Any:
    """The value inside ``envelope`` at ``path`` of ``event``; PrivacyError if it was altered,
    moved, or is opened with another key."""
    kid = envelope_kid(envelope)
    body = envelope[SEALED]
    nonce = _unb64(body["nonce"], "nonce")
    ciphertext = _unb64(body["ct"], "ct")
    if len(nonce) != 12:
        raise PrivacyError("sealed value: the nonce is not 12 bytes")
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, associated_data(kid, path, event))
    except (InvalidTag, ValueError) as exc:
        raise PrivacyError(
            f"sealed value at {path}: does not authenticate: it was altered, moved from another "
            "field or event, or sealed under another key"
        ) from exc
    return json.loads(plain)
