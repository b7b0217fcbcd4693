"""``readiness tokens``: create, list and revoke API tokens (stored hashed, audited)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from readiness._common.when import parse_expiry
from readiness.auth.core import MAX_EXPIRES_DAYS
from readiness.console import Format, FormatOption, console, emit_json, state, warn
from readiness.errors import InputError

if TYPE_CHECKING:
    from readiness.auth.core import TokenInfo
    from readiness.auth.service import TokenService
    from readiness.storage import Stores

app = typer.Typer(no_args_is_help=True, help="API tokens: create, list, revoke.")

DEPRECATED_EXPIRES_DAYS = (
    "--expires-days is deprecated and will be removed; use --expires {days}d (or a date)"
)


class Role(StrEnum):
    """The four roles (``readiness.auth.core.ROLES``), offered as choices by ``--role``."""

    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"
    AUDITOR = "auditor"


def _service(ctx: typer.Context, *, create: bool = True) -> tuple[TokenService, Stores]:
    from readiness.auth.service import TokenService
    from readiness.storage import open_stores

    st = state(ctx)
    stores = open_stores(st.settings, create=create)
    return TokenService(stores=stores, clock=st.clock, actor=st.actor), stores


def default_token_name(role: str, day: date, existing: Iterable[str]) -> str:
    """``<role>-<day>-<n>``, n one more than the highest such name of that day.

    >>> default_token_name("writer", date(2026, 11, 30), ["writer-2026-11-30-1", "ci"])
    'writer-2026-11-30-2'
    """
    stem = f"{role}-{day.isoformat()}-"
    pattern = re.compile(re.escape(stem) + r"(\d+)")
    taken = [int(m.group(1)) for name in existing if (m := pattern.fullmatch(name))]
    return f"{stem}{max(taken, default=0) + 1}"


def _view(info: TokenInfo) -> dict[str, object]:
    return {
        "id": info.id,
        "name": info.name,
        "role": info.role,
        "prefix": info.prefix,
        "created_at": info.created_at,
        "created_by": info.created_by,
        "expires_at": info.expires_at,
        "revoked_at": info.revoked_at,
        "last_used_at": info.last_used_at,
        "projects": _projects(info),
    }


def _projects(info: TokenInfo) -> list[str] | None:
    return list(info.projects) if info.projects is not None else None


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    role: Annotated[Role, typer.Option("--role", help="What the token may do.")],
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="What the token is for, shown in lists (default: ROLE-DATE-N)."
        ),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            metavar="WHEN",
            help="When it expires: a date (2026-04-30) or a number of days from now (90d) "
            "(default: never).",
        ),
    ] = None,
    expires_days: Annotated[
        int | None,
        typer.Option(
            "--expires-days",
            min=1,
            max=MAX_EXPIRES_DAYS,
            hidden=True,
            help="Deprecated spelling of --expires Nd.",
        ),
    ] = None,
    project: Annotated[
        list[str] | None,
        typer.Option(
            "--project",
            metavar="NAME",
            help="Limit the token to this project (repeatable; default: every project).",
        ),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Create a token and print it once; only its SHA-256 digest is stored."""
    now = state(ctx).clock.now()
    if expires_days is not None:
        if expires is not None:
            raise InputError("--expires-days and --expires both given; give only --expires")
        warn(DEPRECATED_EXPIRES_DAYS.format(days=expires_days))
        expires = f"{expires_days}d"
    expires_at = parse_expiry(expires, now=now) if expires is not None else None
    service, stores = _service(ctx)
    try:
        if name is None:
            name = default_token_name(role.value, now.date(), (t.name for t in service.list()))
        token, info = service.create(
            name=name, role=role.value, expires_at=expires_at, projects=project or None
        )
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(
            {
                "token": token,
                "id": info.id,
                "role": info.role,
                "name": info.name,
                "projects": _projects(info),
            }
        )
        return
    console.print(token)
    scope = f"projects {', '.join(info.projects)}" if info.projects else "every project"
    console.print(
        f"token {info.id} ({info.role}, '{info.name}', {scope}) created; "
        "it is shown only this once",
        style="dim",
        markup=False,
    )


@app.command("list")
def list_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List tokens (never their secrets)."""
    service, stores = _service(ctx, create=False)
    try:
        tokens = service.list()
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json([_view(t) for t in tokens])
        return
    if not tokens:
        console.print("no tokens; create one with `readiness tokens create --role writer`")
    now = state(ctx).clock.now()
    for t in tokens:
        status = "active" if t.is_active(now) else ("revoked" if t.revoked_at else "expired")
        expires = f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry"
        scope = "*" if t.projects is None else (",".join(t.projects) or "(none)")
        console.print(
            f"{t.id:>4}  {t.prefix}…  {t.role:<8} {status:<8} {expires:<18} {scope:<16} {t.name}",
            markup=False,
        )


@app.command("revoke")
def revoke_cmd(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The id from `tokens list`.")],
    fmt: Format = FormatOption,
) -> None:
    """Revoke a token for good."""
    service, stores = _service(ctx, create=False)
    try:
        info = service.revoke(token_id)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(_view(info))
        return
    console.print(f"token {info.id} ('{info.name}') revoked", markup=False)
