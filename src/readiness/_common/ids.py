"""Identifiers: time-ordered UUIDv7 and content digests."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import datetime


def uuid7(at: datetime, rand: bytes | None = None) -> uuid.UUID:
    """A UUIDv7 (RFC 9562) for the instant ``at``; ``rand`` (10 bytes) is injectable for tests."""
    ms = int(at.timestamp() * 1000)
    tail = rand if rand is not None else os.urandom(10)
    if len(tail) != 10:
        raise ValueError(f"uuid7 needs 10 random bytes (got {len(tail)})")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (int.from_bytes(tail[:2], "big") & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= int.from_bytes(tail[2:], "big") & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
