"""The log's Ed25519 signing key, kept in a private key file (generated when missing)."""

from __future__ import annotations

import os
from pathlib import Path

from readiness.errors import KeyFormatError
from readiness.ledger.core.note import Ed25519Signer
from readiness.storage.files import create_private_file


def load_or_create_signer(path: Path, name: str) -> Ed25519Signer:
    """The signer named ``name`` whose key is in ``path`` (``PRIVATE+KEY+...``).

    A missing file gets a new random key, created 0600 atomically (two processes starting at
    once agree on one key). A key of another name is refused: a checkpoint's signer is its log.
    """
    fresh = Ed25519Signer(name, os.urandom(32))
    create_private_file(path, (fresh.skey + "\n").encode())
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFormatError(f"cannot read the ledger key file {path}: {exc}") from exc
    signer = Ed25519Signer.from_skey(text)
    if signer.name != name:
        raise KeyFormatError(
            f"the ledger key file {path} holds a key named {signer.name!r}, not {name!r}"
        )
    return signer
