"""Sealing and opening the personal values an application keeps in ``before``/``after``.

``seal_fields`` is what an application calls to build such an event; ``open_fields`` is the
reading side: each envelope becomes its value while the subject's key exists, and
:data:`~readiness.audit.privacy.envelope.ERASED` once the subject was erased.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from readiness.audit.events import validate_event
from readiness.audit.privacy import crypto
from readiness.audit.privacy.envelope import (
    ERASED,
    SEALABLE,
    envelope_kid,
    is_sealed,
    open_value,
    seal_value,
)
from readiness.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from readiness.audit.privacy.vault import Random, Vault


def _paths(fields: Iterable[str], event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(side, name)`` for each field: ``email`` names it in both sides, ``after.email`` one."""
    wanted: list[tuple[str, str]] = []
    for field in fields:
        side, dot, name = field.partition(".")
        sides = [side] if dot and side in SEALABLE else list(SEALABLE)
        name = name if dot and side in SEALABLE else field
        if not name:
            raise InputError(f"fields: {field!r} names no field; write e.g. email or after.email")
        wanted.extend((s, name) for s in sides if isinstance(event.get(s), Mapping))
    return wanted


def seal_fields(
    event: Mapping[str, Any],
    subject: str,
    fields: Iterable[str],
    *,
    vault: Vault,
    rand: Random = os.urandom,
) -> dict[str, Any]:
    """``event`` (validated) with the named ``before``/``after`` values sealed under the key of
    ``subject`` (an identity, registered if new, or a pseudonym the vault knows)."""
    fields = list(fields)
    checked = validate_event(event)
    named = subject.strip()
    pseudonym = named if crypto.is_pseudonym(named) else vault.register(subject).pseudonym
    key = vault.data_key(pseudonym)  # one query: the key, or None when unknown or erased
    if key is None:
        raise NotFoundError(
            "subject: no key for that pseudonym in the identity vault (never registered, or "
            "erased); nothing sealed"
        )
    out = dict(checked)
    for side, name in _paths(fields, checked):
        values = dict(out[side])
        if name not in values:
            continue
        values[name] = seal_value(
            key, rand(crypto.NONCE_BYTES), pseudonym, f"{side}.{name}", checked, values[name]
        )
        out[side] = values
    return validate_event(out)


def sealed_paths(event: Mapping[str, Any]) -> list[str]:
    """The ``side.name`` of every sealed value in ``event``."""
    return [
        f"{side}.{name}"
        for side in SEALABLE
        if isinstance(event.get(side), Mapping)
        for name, value in event[side].items()
        if is_sealed(value)
    ]


def open_fields(event: Mapping[str, Any], *, vault: Vault) -> dict[str, Any]:
    """``event`` with each sealed value opened, or :data:`ERASED` when its key is gone.

    A value that does not authenticate (altered, moved) is a PrivacyError, never shown.
    """
    out = dict(event)
    keys: dict[str, bytes | None] = {}
    for path in sealed_paths(event):
        side, _, name = path.partition(".")
        envelope = event[side][name]
        kid = envelope_kid(envelope)
        if kid not in keys:
            keys[kid] = vault.data_key(kid)
        key = keys[kid]
        values = dict(out[side])
        values[name] = ERASED if key is None else open_value(key, path, event, envelope)
        out[side] = values
    return out
