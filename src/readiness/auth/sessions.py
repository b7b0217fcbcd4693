"""Dashboard sessions, stored on the server: start at sign-in, end at sign-out or by an admin.

The cookie carries a random secret (signed, see :mod:`readiness.auth.core`); the state database
keeps its SHA-256, so a copied cookie stops working the moment its session ends. Every start,
end, revocation and failed sign-in is an audit event.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock, utc
from readiness.audit.service import record, relay_after_commit
from readiness.auth.core import (
    TOKEN_BYTES,
    TokenInfo,
    hash_token,
    make_session_id,
    sign_in_locked_until,
)
from readiness.auth.tables import api_tokens, sessions, sign_in_failures
from readiness.errors import NotFoundError
from readiness.storage.engine import Stores

# Writing last_seen_at on every page view would turn every read into a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# Ended and expired sessions stay listed this long (the audit trail keeps them for good).
KEEP_ENDED = timedelta(days=30)
CLIENT_CHARS = 200
ADDRESS_CHARS = 64


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A stored session, without its secret."""

    id: int
    token_id: int
    token_name: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None  # "signed-out", "replaced" (signed in again) or "revoked"
    client: str
    address: str

    def is_active(self, now: datetime) -> bool:
        """Not ended and not expired at ``now``."""
        return self.ended_at is None and now < self.expires_at


def _opt(dt: datetime | None) -> datetime | None:
    return utc(dt) if dt is not None else None


def _info(row: Any) -> SessionInfo:
    return SessionInfo(
        id=int(row.id),
        token_id=int(row.token_id),
        token_name=row.name,
        created_at=utc(row.created_at),
        expires_at=utc(row.expires_at),
        last_seen_at=utc(row.last_seen_at),
        ended_at=_opt(row.ended_at),
        ended_by=row.ended_by,
        end_reason=row.end_reason,
        client=row.client,
        address=row.address,
    )


_SELECT = sa.select(
    *[c for c in sessions.c if c.name != "secret_hash"], api_tokens.c.name
).select_from(sessions.join(api_tokens, sessions.c.token_id == api_tokens.c.id))


def _one(engine: Engine, where: Any) -> SessionInfo | None:
    with engine.connect() as conn:
        row = conn.execute(_SELECT.where(where)).one_or_none()
    return _info(row) if row is not None else None


class SessionService:
    """Dashboard sessions of one deployment (state database) with their audit trail."""

    def __init__(
        self,
        *,
        stores: Stores,
        clock: Clock,
        actor: str = "server",
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._stores = stores
        self._state: Engine = stores.state
        self._clock = clock
        self._actor = actor
        self._random = random_bytes

    def _record(
        self,
        conn: Connection,
        action: str,
        session: int | None,
        details: dict[str, Any],
        *,
        result: str = "success",
    ) -> None:
        """The event, in the transaction of the change (the client's address stays in the state
        database: a raw IP does not belong in the permanent trail)."""
        record(
            conn,
            clock=self._clock,
            actor=self._actor,
            action=action,
            target_type="session",
            target_id=str(session) if session is not None else "none",
            details=details,
            result=result,
        )

    def start(
        self, token: TokenInfo, *, expires_at: datetime, client: str = "", address: str = ""
    ) -> tuple[str, SessionInfo]:
        """Start a session for ``token``; the secret is returned once and stored hashed."""
        secret = make_session_id(self._random(TOKEN_BYTES))
        now = self._clock.now()
        with self._state.begin() as conn:
            conn.execute(
                sessions.delete().where(
                    sa.func.coalesce(sessions.c.ended_at, sessions.c.expires_at) < now - KEEP_ENDED
                )
            )
            new_id = conn.execute(
                sessions.insert()
                .values(
                    secret_hash=hash_token(secret),
                    token_id=token.id,
                    created_at=now,
                    expires_at=expires_at,
                    last_seen_at=now,
                    client=client[:CLIENT_CHARS],
                    address=address[:ADDRESS_CHARS],
                )
                .returning(sessions.c.id)
            ).scalar_one()
            self._record(
                conn,
                "session.start",
                int(new_id),
                {
                    "token": f"token:{token.id}",
                    "expires_at": utc(expires_at).isoformat(),
                    "client": client[:CLIENT_CHARS],
                },
            )
        relay_after_commit(self._stores, self._clock)
        return secret, self.get(int(new_id))

    def login_failed(
        self,
        reason: str,
        *,
        client: str = "",
        address: str = "",
        window: timedelta | None = None,
    ) -> None:
        """Record a refused sign-in (never the token that was tried).

        With ``window``, the refusal also counts towards ``address``'s sign-in lock (see
        :meth:`sign_in_locked_until`); rows older than the window go at the same time.
        """
        now = self._clock.now()
        with self._state.begin() as conn:
            if window is not None:
                conn.execute(
                    sign_in_failures.delete().where(sign_in_failures.c.failed_at <= now - window)
                )
                conn.execute(
                    sign_in_failures.insert().values(address=address[:ADDRESS_CHARS], failed_at=now)
                )
            self._record(
                conn,
                "session.login_failed",
                None,
                {"reason": reason, "client": client[:CLIENT_CHARS]},
                result="failure",
            )
        relay_after_commit(self._stores, self._clock)

    def sign_in_locked_until(
        self, address: str, *, limit: int, window: timedelta
    ) -> datetime | None:
        """Until when ``address`` is locked out of signing in (None: it may try now)."""
        now = self._clock.now()
        with self._state.connect() as conn:
            failures = conn.execute(
                sa.select(sign_in_failures.c.failed_at).where(
                    sign_in_failures.c.address == address[:ADDRESS_CHARS],
                    sign_in_failures.c.failed_at > now - window,
                )
            ).scalars()
            times = [utc(t) for t in failures]
        return sign_in_locked_until(times, now=now, limit=limit, window=window)

    def sign_in_succeeded(self, address: str) -> None:
        """A good sign-in clears the address's refusals: its lock counts from zero again."""
        with self._state.begin() as conn:
            conn.execute(
                sign_in_failures.delete().where(
                    sign_in_failures.c.address == address[:ADDRESS_CHARS]
                )
            )

    def find_active(self, secret: str) -> SessionInfo | None:
        """The active session whose secret is ``secret``, else None (ended, expired, unknown)."""
        if not secret:
            return None
        info = _one(self._state, sessions.c.secret_hash == hash_token(secret))
        now = self._clock.now()
        if info is None or not info.is_active(now):
            return None
        if now - info.last_seen_at >= LAST_SEEN_RESOLUTION:
            with self._state.begin() as conn:
                conn.execute(
                    sessions.update().where(sessions.c.id == info.id).values(last_seen_at=now)
                )
        return info

    def get(self, session_id: int) -> SessionInfo:
        """The session with ``session_id``; NotFoundError if there is none."""
        info = _one(self._state, sessions.c.id == session_id)
        if info is None:
            raise NotFoundError(
                f"session {session_id} does not exist; `readiness sessions list` (or GET "
                "/api/v1/sessions) shows the ids",
                details={"session": session_id},
            )
        return info

    def list(self, *, include_ended: bool = False) -> list[SessionInfo]:
        """Sessions, newest first: the active ones, or every one with ``include_ended``."""
        query = _SELECT.order_by(sessions.c.id.desc())
        if not include_ended:
            query = query.where(
                sessions.c.ended_at.is_(None), sessions.c.expires_at > self._clock.now()
            )
        with self._state.connect() as conn:
            return [_info(r) for r in conn.execute(query)]

    def _end(self, session_id: int, reason: str, action: str, details: dict[str, Any]) -> None:
        """End the session and record ``action``, once: an ended session stays as it is."""
        with self._state.begin() as conn:
            result = conn.execute(
                sessions.update()
                .where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
                .values(ended_at=self._clock.now(), ended_by=self._actor, end_reason=reason)
            )
            ended = result.rowcount == 1
            if ended:
                self._record(conn, action, session_id, details)
        if ended:
            relay_after_commit(self._stores, self._clock)

    def sign_out(self, session_id: int, *, reason: str = "signed-out") -> None:
        """End a session at its holder's request: ``signed-out``, or ``replaced`` when the same
        browser signs in again; audited once."""
        self._end(session_id, reason, "session.end", {"reason": reason})

    def revoke(self, session_id: int) -> SessionInfo:
        """End a session as an admin; revoking an ended session is a no-op, not audited again."""
        before = self.get(session_id)
        self._end(session_id, "revoked", "session.revoke", {"token": f"token:{before.token_id}"})
        return self.get(session_id)
