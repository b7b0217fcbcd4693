"""Token use cases: create, list, revoke, authenticate. Creation and revocation are audited."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from readiness._common.clock import Clock
from readiness.audit.service import record, relay_after_commit
from readiness.auth import store
from readiness.auth.core import (
    MAX_EXPIRES_DAYS,
    TOKEN_BYTES,
    TokenInfo,
    display_prefix,
    hash_token,
    make_token,
    validate_role,
)
from readiness.errors import AuthError, InputError, NotFoundError
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores

# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenService:
    """API tokens of one deployment, stored hashed in the state database."""

    def __init__(
        self,
        *,
        stores: Stores,
        clock: Clock,
        actor: str = "cli",
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._stores = stores
        self._clock = clock
        self._actor = actor
        self._random = random_bytes

    def create(
        self,
        *,
        name: str,
        role: str,
        expires_days: int | None = None,
        expires_at: datetime | None = None,
        projects: Sequence[str] | None = None,
    ) -> tuple[str, TokenInfo]:
        """Create a token; the clear token is returned once and never stored.

        It expires ``expires_days`` from now or at ``expires_at`` (at most one of them; neither:
        never), within :data:`MAX_EXPIRES_DAYS`.

        ``projects`` limits the token to those (existing) projects; None lets it act on every
        project. Admin tokens administer every project and cannot be limited.
        """
        validate_role(role)
        if not name.strip():
            raise InputError("token name is empty; give --name a short description of its use")
        if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
            raise InputError(
                f"expires_days must be from 1 to {MAX_EXPIRES_DAYS} (got {expires_days}); "
                "omit it for no expiry"
            )
        scope = self._scope(role, projects)
        now = self._clock.now()
        if expires_days is not None:
            if expires_at is not None:
                raise InputError("give the token's expiry once: expires_days or expires_at")
            expires_at = now + timedelta(days=expires_days)
        if expires_at is not None:
            expires_at = expires_at.astimezone(UTC)
        if expires_at is not None and not now < expires_at <= now + timedelta(MAX_EXPIRES_DAYS):
            raise InputError(
                f"token expiry {expires_at:%Y-%m-%d %H:%M} UTC is not within the next "
                f"{MAX_EXPIRES_DAYS} days; give a later --expires, or omit it for no expiry"
            )
        token = make_token(self._random(TOKEN_BYTES))
        with self._stores.state.begin() as conn:
            info = store.insert_token(
                conn,
                name=name.strip(),
                role=role,
                token_hash=hash_token(token),
                prefix=display_prefix(token),
                created_at=now,
                created_by=self._actor,
                expires_at=expires_at,
                projects=scope,
            )
            record(
                conn,
                clock=self._clock,
                actor=self._actor,
                action="token.create",
                target_type="token",
                target_id=str(info.id),
                # The token by pseudonymous id, never its name: names are chosen by people
                # (often after a person) and the trail is permanent.
                details={
                    "token": f"token:{info.id}",
                    "role": role,
                    "prefix": info.prefix,
                    "expires_at": info.expires_at.isoformat() if info.expires_at else None,
                    "projects": list(info.projects) if info.projects is not None else None,
                },
            )
        relay_after_commit(self._stores, self._clock)
        return token, info

    def _scope(self, role: str, projects: Sequence[str] | None) -> list[str] | None:
        if projects is None:
            return None
        if role == "admin":
            raise InputError(
                "an admin token administers every project and cannot be limited to some; "
                "limit a reader, writer or auditor token instead, or drop --project",
                details={"field": "projects", "role": role},
            )
        if not projects:
            raise InputError(
                "the list of projects is empty; name at least one project, "
                "or omit it for a token that may use every project",
                details={"field": "projects"},
            )
        found = ProjectService(stores=self._stores, clock=self._clock)
        return sorted({found.get(p).name for p in projects})

    def list(self) -> list[TokenInfo]:
        """Every token (without secrets), oldest first."""
        return store.list_tokens(self._stores.state)

    def get(self, token_id: int) -> TokenInfo:
        """The token with ``token_id``; NotFoundError if there is none."""
        info = store.get_by_id(self._stores.state, token_id)
        if info is None:
            raise NotFoundError(
                f"token {token_id} does not exist; `readiness tokens list` shows the ids"
            )
        return info

    def revoke(self, token_id: int) -> TokenInfo:
        """Revoke a token for good; revoking twice is a no-op that is not audited again."""
        self.get(token_id)
        with self._stores.state.begin() as conn:
            revoked = store.mark_revoked(conn, token_id, self._clock.now())
            if revoked:
                record(
                    conn,
                    clock=self._clock,
                    actor=self._actor,
                    action="token.revoke",
                    target_type="token",
                    target_id=str(token_id),
                )
        if revoked:
            relay_after_commit(self._stores, self._clock)
        return self.get(token_id)

    def authenticate(self, token: str) -> TokenInfo:
        """The active token matching ``token``; AuthError when unknown, revoked or expired."""
        info = store.get_by_hash(self._stores.state, hash_token(token))
        return self._check_active(info)

    def authenticate_id(self, token_id: int) -> TokenInfo:
        """The active token with ``token_id`` (for dashboard sessions)."""
        return self._check_active(store.get_by_id(self._stores.state, token_id))

    def _check_active(self, info: TokenInfo | None) -> TokenInfo:
        now = self._clock.now()
        if info is None:
            raise AuthError("token is not valid; create one with `readiness tokens create`")
        if info.revoked_at is not None:
            raise AuthError(f"token {info.prefix}… was revoked; ask an admin for a new one")
        if info.expires_at is not None and now >= info.expires_at:
            raise AuthError(f"token {info.prefix}… expired; ask an admin for a new one")
        if info.last_used_at is None or now - info.last_used_at >= LAST_USED_RESOLUTION:
            store.touch_last_used(self._stores.state, info.id, now)
        return info
