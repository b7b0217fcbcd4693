"""The flaky list, filtered and sorted the same way on the dashboard and the API.

``GET /api/v1/tests/flaky`` takes the flaky page's filters (``q``, ``status``, ``owner``,
``branch``, ``since``) and sort (``sort``, ``dir``), plus ``limit``/``offset``; the response
stays a JSON list (what ``readiness tests flaky --server`` reads) and carries the number of
tests that match in the ``X-Total-Count`` header. Without ``limit`` every matching test is
returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, Query

from readiness.testhealth import lists
from readiness.testhealth.detection.impact import TestImpact
from readiness.testhealth.model import TestHealth
from readiness.web.inputs import Line, Text
from readiness.web.tables import TableView, sort_rows

MAX_LIMIT = 1000
TOTAL_HEADER = "X-Total-Count"
TOTAL_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The matching tests (one page with ``limit``).",
        "headers": {
            TOTAL_HEADER: {
                "description": "How many tests match, over all pages.",
                "schema": {"type": "integer"},
            }
        },
    }
}


class FlakySource(Protocol):
    """What the flaky list reads of the service (``TestHealthAPI`` has it)."""

    def health(self) -> list[TestHealth]: ...
    def owners(self, test_ids: Iterable[str]) -> dict[str, str | None]: ...
    def failed_on_branch(self, branch: str, *, since: datetime | None = None) -> set[str]: ...
    def impacts(self, test_ids: Iterable[str]) -> dict[str, TestImpact]: ...


def flaky_filters(
    q: Annotated[Text, Query(max_length=200, description="Text the test id contains.")] = "",
    status: Annotated[
        lists.StatusFilter,
        Query(description="Empty: the tests needing attention; all; or one status."),
    ] = "",
    owner: Annotated[
        Line, Query(max_length=200, description="Quarantine or CODEOWNERS owner.")
    ] = "",
    branch: Annotated[
        Line, Query(max_length=255, description="Tests that failed on a run of this branch.")
    ] = "",
    since: Annotated[
        Line, Query(max_length=20, description="Last seen within 7d, 30d, 90d, Nd, all or a date.")
    ] = "",
) -> dict[str, str]:
    """The flaky list's filters as a request gives them (see ``testhealth.lists``)."""
    return {"q": q, "status": status, "owner": owner, "branch": branch, "since": since}


FlakyFilters = Annotated[dict[str, str], Depends(flaky_filters)]


@dataclass(frozen=True)
class FlakyList:
    """The rows a flaky view keeps (sorted), and what the page's filter choices need."""

    rows: list[lists.FlakyRow]
    known: list[TestHealth]
    owners: dict[str, str | None]


def flaky_list(service: FlakySource, view: TableView[lists.FlakyRow], now: datetime) -> FlakyList:
    """Every row of ``view`` in its order: the verdicts are computed once per request, the
    branch filter asks the store for the tests that failed there."""
    since = lists.parse_since(view.filter("since"), now)
    known = service.health()
    owners = service.owners(t.test_id for t in known)
    branch = view.filter("branch")
    on_branch = service.failed_on_branch(branch, since=since) if branch else None
    rows = lists.select_flaky(known, view, owners=owners, failed_on_branch=on_branch, since=since)
    # Only a test that failed has a cost: the others keep no impact (and sort last by it).
    failing = [r.test.test_id for r in rows if r.test.status.value != "healthy" or r.test.failures]
    costs = service.impacts(failing)
    rows = [replace(r, impact=costs.get(r.test.test_id)) for r in rows]
    return FlakyList(sort_rows(rows, view), known, owners)
