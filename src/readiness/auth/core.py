"""Pure auth logic: token format, roles, signed session cookies, CSRF tokens, header parsing.

Nothing here reads a clock, a file or a database: the time, the key and the random bytes are
parameters, so every rule is unit-tested directly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from readiness.errors import InputError

TOKEN_PREFIX = "rdy_"  # noqa: S105 - the public marker of a token, not a secret
TOKEN_BYTES = 32
DISPLAY_PREFIX_LEN = 8

ROLES = ("reader", "writer", "admin", "auditor")
MAX_EXPIRES_DAYS = 36_500  # a token lives at most 100 years (a date any database can hold)

# What each role may do. The auditor reads everything a reader can, plus audit events, and
# never writes; the admin may do everything.
_GRANTS: dict[str, frozenset[str]] = {
    "reader": frozenset({"reader"}),
    "writer": frozenset({"reader", "writer"}),
    "auditor": frozenset({"reader", "auditor"}),
    "admin": frozenset({"reader", "writer", "auditor", "admin"}),
}


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token, without its secret."""

    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    # None: the token may act on every project; else only on these (sorted, maybe none left).
    projects: tuple[str, ...] | None = None

    def may_use(self, project: str) -> bool:
        """Whether this token may act on ``project``."""
        return self.projects is None or project in self.projects

    def is_active(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class SessionData:
    """What the dashboard session cookie carries."""

    token_id: int
    expires: int  # unix seconds
    # The session's secret: its SHA-256 names the server-side row that sign-out and an admin end.
    session_id: str = ""


def validate_role(role: str) -> str:
    """Return ``role`` if known, else raise an InputError naming the choices."""
    if role not in ROLES:
        raise InputError(
            f"role {role!r} is not known; expected one of {', '.join(ROLES)}",
            details={"field": "role", "got": role},
        )
    return role


def role_allows(have: str, need: str) -> bool:
    """True when a token of role ``have`` may do what needs role ``need``."""
    return need in _GRANTS.get(have, frozenset())


def make_token(rand: bytes) -> str:
    """A new token from 32 random bytes: ``rdy_`` + URL-safe base64 without padding."""
    if len(rand) != TOKEN_BYTES:
        raise ValueError(f"make_token needs {TOKEN_BYTES} random bytes (got {len(rand)})")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(rand).rstrip(b"=").decode("ascii")


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, safe to show in listings."""
    return token[:DISPLAY_PREFIX_LEN]


def parse_authorization(header: str | None) -> str | None:
    """The token in ``Bearer <token>`` or in the password of ``Basic base64(user:token)``."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if not value:
        return None
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, data: bytes) -> bytes:
    return hmac.new(key, purpose.encode("ascii") + b"\x00" + data, hashlib.sha256).digest()


def sign_session(key: bytes, session: SessionData) -> str:
    """The cookie value: ``base64(payload).base64(hmac)``."""
    payload = json.dumps(
        {"tid": session.token_id, "exp": session.expires, "sid": session.session_id},
        separators=(",", ":"),
    ).encode("utf-8")
    return f"{_b64(payload)}.{_b64(_mac(key, 'session', payload))}"


def read_session(key: bytes, value: str | None, *, now: datetime) -> SessionData | None:
    """The session in a cookie value, or None when it is missing, forged or expired."""
    if not value or value.count(".") != 1:
        return None
    body, sig = value.split(".")
    try:
        payload = _unb64(body)
        given = _unb64(sig)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(given, _mac(key, "session", payload)):
        return None
    try:
        data = json.loads(payload)
        session = SessionData(
            token_id=int(data["tid"]), expires=int(data["exp"]), session_id=str(data["sid"])
        )
    except (ValueError, KeyError, TypeError):
        return None
    if now.timestamp() >= session.expires:
        return None
    return session


def make_session_id(rand: bytes) -> str:
    """A new session secret from 32 random bytes (URL-safe base64, no padding)."""
    if len(rand) != TOKEN_BYTES:
        raise ValueError(f"make_session_id needs {TOKEN_BYTES} random bytes (got {len(rand)})")
    return _b64(rand)


def login_csrf_token(key: bytes, nonce: str) -> str:
    """The sign-in form's CSRF token, bound to the nonce of its pre-session cookie."""
    return _b64(_mac(key, "login-csrf", nonce.encode("utf-8")))


def check_login_csrf(key: bytes, nonce: str | None, given: str | None) -> bool:
    """True when ``given`` is the sign-in CSRF token of ``nonce`` (both present)."""
    if not nonce or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), login_csrf_token(key, nonce).encode())


def csrf_token(key: bytes, session_value: str) -> str:
    """The CSRF token bound to one session cookie (an HMAC, so it needs no storage)."""
    return _b64(_mac(key, "csrf", session_value.encode("utf-8")))


def check_csrf(key: bytes, session_value: str, given: str | None) -> bool:
    """True when ``given`` is the CSRF token of ``session_value``."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), csrf_token(key, session_value).encode())


def sign_in_locked_until(
    failures: Sequence[datetime], *, now: datetime, limit: int, window: timedelta
) -> datetime | None:
    """When an address may try to sign in again, or None if it may now.

    ``limit`` failed sign-ins within ``window`` lock the address until the oldest of the last
    ``limit`` failures is ``window`` old, so the lock lifts by itself and a patient guesser gets
    at most ``limit`` tries per ``window``.

    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> sign_in_locked_until([t, t], now=t, limit=2, window=timedelta(minutes=15))
    datetime.datetime(2026, 1, 1, 0, 15, tzinfo=datetime.timezone.utc)
    >>> sign_in_locked_until([t], now=t, limit=2, window=timedelta(minutes=15)) is None
    True
    """
    recent = sorted(f for f in failures if now - window < f <= now)
    if len(recent) < limit:
        return None
    return recent[-limit] + window
