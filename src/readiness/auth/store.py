"""Queries on ``rd_tokens`` and the projects each token is limited to (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import utc
from readiness.auth.core import TokenInfo
from readiness.auth.tables import api_tokens, token_projects


def _opt(dt: datetime | None) -> datetime | None:
    return utc(dt) if dt is not None else None


def _info(row: Any, projects: tuple[str, ...] | None) -> TokenInfo:
    return TokenInfo(
        id=int(row.id),
        name=row.name,
        role=row.role,
        prefix=row.prefix,
        created_at=utc(row.created_at),
        created_by=row.created_by,
        expires_at=_opt(row.expires_at),
        revoked_at=_opt(row.revoked_at),
        last_used_at=_opt(row.last_used_at),
        projects=projects,
    )


_COLUMNS = [c for c in api_tokens.c if c.name != "token_hash"]


def _with_projects(conn: Connection, rows: Sequence[Any]) -> list[TokenInfo]:
    limited = [int(r.id) for r in rows if not r.all_projects]
    scopes: dict[int, list[str]] = {i: [] for i in limited}
    if limited:
        found = conn.execute(
            sa.select(token_projects.c.token_id, token_projects.c.project)
            .where(token_projects.c.token_id.in_(limited))
            .order_by(token_projects.c.project)
        )
        for token_id, project in found:
            scopes[int(token_id)].append(project)
    return [_info(r, None if r.all_projects else tuple(scopes[int(r.id)])) for r in rows]


def insert_token(
    conn: Connection,
    *,
    name: str,
    role: str,
    token_hash: str,
    prefix: str,
    created_at: datetime,
    created_by: str,
    expires_at: datetime | None,
    projects: Sequence[str] | None = None,
) -> TokenInfo:
    """Store a new token digest (in the caller's transaction) and return it; ``projects``
    limits it (None: every project)."""
    new_id = conn.execute(
        api_tokens.insert()
        .values(
            name=name,
            role=role,
            token_hash=token_hash,
            prefix=prefix,
            created_at=created_at,
            created_by=created_by,
            expires_at=expires_at,
            all_projects=projects is None,
        )
        .returning(api_tokens.c.id)
    ).scalar_one()
    if projects:
        conn.execute(
            token_projects.insert(),
            [{"token_id": new_id, "project": p} for p in sorted(set(projects))],
        )
    row = conn.execute(sa.select(*_COLUMNS).where(api_tokens.c.id == new_id)).one()
    return _with_projects(conn, [row])[0]


def get_by_hash(engine: Engine, token_hash: str) -> TokenInfo | None:
    """The token stored under ``token_hash``, if any."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(*_COLUMNS).where(api_tokens.c.token_hash == token_hash)
        ).one_or_none()
        return _with_projects(conn, [row])[0] if row is not None else None


def get_by_id(engine: Engine, token_id: int) -> TokenInfo | None:
    """The token with ``token_id``, if any."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(*_COLUMNS).where(api_tokens.c.id == token_id)).one_or_none()
        return _with_projects(conn, [row])[0] if row is not None else None


def list_tokens(engine: Engine) -> list[TokenInfo]:
    """Every token, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*_COLUMNS).order_by(api_tokens.c.id)).all()
        return _with_projects(conn, rows)


def mark_revoked(conn: Connection, token_id: int, at: datetime) -> bool:
    """Set ``revoked_at`` once (in the caller's transaction); False when the token does not
    exist or was already revoked."""
    result = conn.execute(
        api_tokens.update()
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return result.rowcount == 1


def touch_last_used(engine: Engine, token_id: int, at: datetime) -> None:
    """Record that a token was used at ``at``."""
    with engine.begin() as conn:
        conn.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=at))
