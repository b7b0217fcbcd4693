"""Dashboard pages of the trail (auditor role): ``/audit/search`` and ``/audit/timeline/...``.

Both read through :class:`~readiness.audit.query.service.TrailReader` with ``source``
``dashboard``, so every page view is itself an audit event. The search pages are keyset pages
(an "Older" link carries the cursor) served by the database, like the API's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from readiness.audit.query.core import make_filters, parse_time
from readiness.audittrail.api_query import trail_reader
from readiness.errors import InputError
from readiness.web.deps import Principal, require_auditor
from readiness.web.inputs import Line
from readiness.web.pages import DashboardPage, render

TEMPLATES = Path(__file__).parent / "templates"
FIELDS = ("actor", "target_type", "target_id", "action", "result", "tenant", "since", "until")
PER_PAGE = 50
Auditor = Annotated[Principal, Depends(require_auditor)]
Field = Annotated[Line | None, Query(max_length=256)]


def _compact(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def timeline_href(target_type: str, target_id: str, **params: str) -> str:
    path = f"/audit/timeline/{target_type}/{target_id}"
    return f"{path}?{urlencode(params)}" if params else path


def _search_href(params: dict[str, str]) -> str:
    return f"/audit/search?{urlencode(params)}" if params else "/audit/search"


def _row(leaf_index: int, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "leaf_index": leaf_index,
        **{k: event.get(k) for k in ("occurred_at", "actor_id", "action", "result", "source")},
        "target": f"{event['target_type']}/{event['target_id']}",
        "target_href": timeline_href(event["target_type"], event["target_id"]),
        "before": _compact(event.get("before")),
        "after": _compact(event.get("after")),
    }


def _search_router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def search_page(  # noqa: PLR0917 - one query parameter per filter
        request: Request,
        who: Auditor,
        actor: Field = None,
        target_type: Field = None,
        target_id: Field = None,
        action: Field = None,
        result: Field = None,
        tenant: Field = None,
        since: Annotated[Line | None, Query(max_length=40)] = None,
        until: Annotated[Line | None, Query(max_length=40)] = None,
        cursor: Annotated[Line | None, Query(max_length=64)] = None,
    ) -> Response:
        given = {
            "actor": actor,
            "target_type": target_type,
            "target_id": target_id,
            "action": action,
            "result": result,
            "tenant": tenant,
            "since": since,
            "until": until,
        }
        given = {k: (v.strip() or None) if v is not None else None for k, v in given.items()}
        context: dict[str, Any] = {"form": {k: v or "" for k, v in given.items()}, "rows": []}
        try:
            filters = make_filters(
                actor_id=given["actor"],
                target_type=given["target_type"],
                target_id=given["target_id"],
                action=given["action"],
                result=given["result"],
                tenant=given["tenant"],
                since=given["since"],
                until=given["until"],
                limit=PER_PAGE,
                cursor=cursor or None,
            )
        except InputError as exc:
            context["error"] = exc.message
            return render(request, "audittrail/search.html", context, status_code=400)
        page = trail_reader(request, who, source="dashboard").query(filters)
        kept = {k: v for k, v in given.items() if v}
        context.update(
            rows=[_row(h.leaf_index, h.event) for h in page.hits],
            first_href=_search_href(kept) if cursor else None,
            next_href=(
                _search_href({**kept, "cursor": page.next_cursor}) if page.next_cursor else None
            ),
        )
        return render(request, "audittrail/search.html", context)

    return router


def _timeline_router() -> APIRouter:
    router = APIRouter()

    @router.get("/{target_type}/{target_id}")
    def timeline_page(
        request: Request,
        who: Auditor,
        target_type: str,
        target_id: str,
        as_of: Annotated[Line | None, Query(max_length=40)] = None,
    ) -> Response:
        make_filters(target_type=target_type, target_id=target_id)
        context: dict[str, Any] = {
            "target_type": target_type,
            "target_id": target_id,
            "as_of": as_of or "",
        }
        try:
            at = parse_time(as_of, "as_of") if as_of else None
        except InputError as exc:
            context.update(error=exc.message, rows=[], state=None)
            return render(request, "audittrail/timeline.html", context, status_code=400)
        found = trail_reader(request, who, source="dashboard").timeline(
            target_type, target_id, as_of=at, reconstruct=True
        )
        state = found.as_of
        context.update(
            rows=[_row(h.leaf_index, h.event) for h in found.hits],
            truncated=found.truncated,
            state=state,
            state_rows=(
                [
                    (name, _compact(value), state.fields_set_by.get(name))
                    for name, value in sorted(state.state.items())
                ]
                if state is not None and state.exists
                else []
            ),
        )
        return render(request, "audittrail/timeline.html", context)

    return router


def dashboard_pages() -> list[DashboardPage]:
    """The search and timeline pages (served, not in the navigation: ``/audit`` links them)."""
    return [
        DashboardPage("Audit search", "/audit/search", None, _search_router(), TEMPLATES),
        DashboardPage("Audit timeline", "/audit/timeline", None, _timeline_router(), TEMPLATES),
    ]
