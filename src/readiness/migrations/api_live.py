"""The toolkit over HTTP: ``/api/v1/migrations/plan`` and ``/api/v1/migrations/applied``.

``plan`` is pure (it returns the six steps' SQL; nothing is written on the server) and needs a
``reader`` token. ``applied`` reads the deployed database's head with the server's
``READINESS_MIGRATIONS_*`` configuration (``reader``). ``verify``, ``backfill`` and ``drift``
are deliberately not routes: they connect to a database the caller names, which a server must
not do on a request's behalf; run them from the CLI in CI.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from readiness.errors import InputError
from readiness.web.deps import Principal, get_settings, require_reader
from readiness.web.inputs import JsonBody, Line

router = APIRouter(prefix="/migrations", tags=["migrations"])
Reader = Annotated[Principal, Depends(require_reader)]


class PlanBody(JsonBody):
    kind: Literal["rename-column", "change-type", "set-not-null"]
    target: Line = Field(min_length=3, max_length=130, description="TABLE.COLUMN")
    new: Line | None = Field(default=None, max_length=63, description="rename-column: new name")
    new_type: Line | None = Field(default=None, max_length=100, description="change-type")
    column_type: Line | None = Field(
        default=None, max_length=100, description="the column's current type"
    )
    default: Line | None = Field(default=None, max_length=200, description="set-not-null")
    key: Line = Field(default="id", max_length=63)


def _need(value: str | None, name: str, kind: str) -> str:
    if not value:
        raise InputError(f"{kind} needs {name!r} in the request body")
    return value


@router.post("/plan")
def plan_migration(body: PlanBody, _who: Reader) -> dict[str, Any]:
    """The six expand/contract steps as SQL (handbook 21.2), for review; nothing is stored."""
    from readiness.migrations.toolkit import plan

    table, column = plan.split_target(body.target, "target")
    if body.kind == "rename-column":
        steps = plan.rename_column(
            table,
            column,
            _need(body.new, "new", body.kind),
            _need(body.column_type, "column_type", body.kind),
            key=body.key,
        )
    elif body.kind == "change-type":
        steps = plan.change_type(
            table,
            column,
            _need(body.new_type, "new_type", body.kind),
            _need(body.column_type, "column_type", body.kind),
            key=body.key,
        )
    else:
        steps = plan.set_not_null(
            table, column, _need(body.default, "default", body.kind), key=body.key
        )
    return {
        "steps": [
            {"number": n, "slug": s.slug, "purpose": s.purpose, "sql": s.sql}
            for n, s in enumerate(steps, start=1)
        ]
    }


@router.get("/applied")
def applied_head(request: Request, _who: Reader) -> dict[str, Any]:
    """The deployed database's migration head and the expected one (None: unknown)."""
    from readiness.migrations.live.gate import LiveGate

    facts = LiveGate.from_settings(get_settings(request))
    applied = facts.applied()
    return {
        "expected": facts.expected(),
        "applied": applied[1] if applied else None,
        "tool": applied[0] if applied else None,
    }


def api_router() -> APIRouter:
    """The router the plugin mounts (under ``/api/v1``)."""
    return router
