"""Triage on the dashboard: the test page's content and the actions on a test.

The actions (quarantine, release, set the owner, link an issue) are platform action blocks
(:mod:`readiness.web.actions`): drawn for writers and admins only, CSRF-checked, confirmed,
audited by the service call they make. :func:`add_test_actions` and
:func:`add_quarantine_actions` put their POST routes on the pages' routers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from readiness._common.when import parse_expiry
from readiness.errors import InputError
from readiness.testhealth.annotations import ISSUE_LENGTH, OWNER_LENGTH, issue_href
from readiness.testhealth.api import STORED_ID_LENGTH, TestHealthAPI, TestId, Writer
from readiness.testhealth.model import QuarantineEntry
from readiness.testhealth.views import (
    figure_cells,
    figures_sentence,
    figures_view,
    impact_row,
    signals_view,
)
from readiness.web import charts
from readiness.web.actions import Action, ActionField, ActionResult, Confirmed, run_action
from readiness.web.deps import get_clock, get_settings
from readiness.web.inputs import Line, Text

TestPageRenderer = Callable[[Request, TestHealthAPI, str, ActionResult | None], Response]
QuarantinePageRenderer = Callable[[Request, TestHealthAPI, ActionResult | None], Response]

REASON = Annotated[Text, Form(max_length=2000)]
OWNER = Annotated[Line, Form(max_length=OWNER_LENGTH)]
ISSUE = Annotated[Line, Form(max_length=ISSUE_LENGTH)]
EXPIRES = Annotated[Line, Form(max_length=40)]
EXPIRES_HINT = "A date (2026-04-30) or a number of days (90d); empty: {days} days."


def test_href(test_id: str) -> str:
    """The test page of ``test_id``."""
    return f"/tests/t/{quote(test_id)}"


def _expires_field(days: int) -> ActionField:
    return ActionField(
        "expires", "Expires", placeholder="90d or 2026-04-30", max_length=40,
        hint=EXPIRES_HINT.format(days=days),
    )  # fmt: skip


def quarantine_fields(days: int, owner: str = "", issue: str = "") -> tuple[ActionField, ...]:
    """The inputs of a quarantine form (the test page's and the quarantine page's)."""
    return (
        ActionField("reason", "Reason", required=True, max_length=2000),
        ActionField("owner", "Owner", placeholder="@team", value=owner, max_length=OWNER_LENGTH),
        ActionField("issue", "Issue", placeholder="URL or key", value=issue),
        _expires_field(days),
    )


def _owner_action(test_id: str, owner: str = "") -> Action:
    base = test_href(test_id)
    return Action(
        "owner", "Set owner", f"{base}/owner", f"Make the value given the owner of {test_id}?",
        (ActionField("owner", "Owner", required=True, placeholder="@team", value=owner,
                     max_length=OWNER_LENGTH),),
        back=base,
    )  # fmt: skip


def _issue_action(test_id: str, issue: str = "") -> Action:
    base = test_href(test_id)
    return Action(
        "issue", "Link issue", f"{base}/issue", f"Link the issue given to {test_id}?",
        (ActionField("issue", "Issue", required=True, placeholder="https://… or PAY-123",
                     value=issue),),
        back=base,
    )  # fmt: skip


def _quarantine_action(test_id: str, days: int, owner: str = "", issue: str = "") -> Action:
    base = test_href(test_id)
    return Action(
        "quarantine", "Quarantine", f"{base}/quarantine",
        f"Quarantine {test_id}? It keeps running; its failures stop blocking merges.",
        quarantine_fields(days, owner, issue), back=base,
    )  # fmt: skip


def _release_action(test_id: str) -> Action:
    base = test_href(test_id)
    return Action(
        "release", "Release", f"{base}/release",
        f"Release {test_id} from quarantine? Its failures block merges again.",
        (ActionField("reason", "Reason", required=True, max_length=2000),),
        back=base, danger=True,
    )  # fmt: skip


def test_actions(
    test_id: str, entry: QuarantineEntry | None, *, days: int, owner: str, issue: str
) -> dict[str, Action]:
    """The actions of the test page: quarantine or release (whichever applies; none for an
    entry of the reviewed file, which the server does not change), owner, issue."""
    actions = {"owner": _owner_action(test_id, owner), "issue": _issue_action(test_id, issue)}
    if entry is None:
        actions["quarantine"] = _quarantine_action(test_id, days, owner, issue)
    elif entry.source != "file":
        actions["release"] = _release_action(test_id)
    return actions


def _outcome(attempts: list[str]) -> str:
    if len(attempts) > 1 and attempts[-1] == "passed" and "passed" not in attempts[:-1]:
        return "passed on retry"
    return attempts[-1] if attempts else "no result"


def history_view(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs of a test oldest first (left to right), each with its run page and a label."""
    out = []
    for run in reversed(history):
        when = run["started_at"].strftime("%Y-%m-%d %H:%M")
        commit = (run["commit"] or "")[:8]
        outcome = _outcome(run["attempts"])
        words = " ".join(w for w in ("run", when, run["branch"] or "", commit) if w)
        out.append(
            {
                **run,
                "href": f"/tests/runs/{quote(run['run_key'], safe='')}",
                "date": when,
                "outcome": outcome,
                "label": f"{words}: {outcome}",
            }
        )
    return out


def test_page_context(
    request: Request, service: TestHealthAPI, test_id: str, result: ActionResult | None
) -> dict[str, Any]:
    """What ``testhealth/test.html`` shows of ``test_id`` (NotFoundError for an unknown test)."""
    test = service.health(test_id=test_id)[0]
    history = service.test_history(test_id, limit=100)
    durations = [float(h.get("duration_s") or 0.0) for h in reversed(history)]
    entry = next((e for e in service.quarantine_entries() if e.test_id == test_id), None)
    annotation = service.annotation(test_id)
    owner = annotation.owner if annotation and annotation.owner else ""
    issue = annotation.issue if annotation and annotation.issue else ""
    settings = get_settings(request)
    found = service.triage(test_id)
    return {
        "signals": signals_view(found.signals),
        "impact": impact_row(found.impact),
        "test": test,
        "figures": figures_sentence(figure_cells(figures_view(test.figures))),
        "history": history_view(history),
        "duration_spark": charts.sparkline(durations, title=f"Duration of {test_id}", unit="s"),
        "entry": entry,
        "expired": entry is not None and entry.is_expired(get_clock(request).now()),
        "annotation": annotation,
        "issue_href": issue_href,
        "hints": service.hints_for_tests([test_id]).get(test_id),
        "actions": test_actions(
            test_id,
            entry,
            days=settings.testhealth.quarantine_default_days,
            owner=owner,
            issue=issue,
        ),
        "quarantine_file": settings.testhealth.quarantine_file,
        "result": result,
    }


def _expiry(request: Request, expires: str) -> Any:
    value = expires.strip()
    return parse_expiry(value, now=get_clock(request).now(), option="expires") if value else None


def quarantine(
    request: Request,
    service: TestHealthAPI,
    test_id: str,
    *,
    reason: str,
    owner: str,
    issue: str,
    expires: str,
    allow_unknown: bool = False,
) -> str:
    """Quarantine ``test_id`` from a form; the result message."""
    if not test_id.strip() or not reason.strip():
        raise InputError("test id and reason are both required to quarantine a test")
    entry = service.quarantine_add(
        test_id.strip(),
        reason=reason.strip(),
        owner=owner.strip() or None,
        issue=issue.strip() or None,
        expires=_expiry(request, expires),
        allow_unknown=allow_unknown,
    )
    return f"Quarantined {entry.test_id} until {entry.expires:%Y-%m-%d}."


def release(service: TestHealthAPI, test_id: str, reason: str) -> str:
    """Release ``test_id`` from quarantine; the result message."""
    if not reason.strip():
        raise InputError("a reason is required to release a test from quarantine")
    service.quarantine_remove(test_id, reason=reason.strip())
    return f"Released {test_id} from quarantine."


def add_test_actions(router: APIRouter, page: TestPageRenderer) -> None:
    """POST routes of the test page's actions; ``page`` renders the test page with a result."""

    def _run(  # noqa: PLR0917 - one route's request, what it acts on, and how
        request: Request,
        service: TestHealthAPI,
        test_id: str,
        key: str,
        confirmed: str,
        values: dict[str, str],
        perform: Callable[[], str],
    ) -> Response:
        days = get_settings(request).testhealth.quarantine_default_days
        action = {
            "quarantine": lambda: _quarantine_action(test_id, days),
            "release": lambda: _release_action(test_id),
            "owner": lambda: _owner_action(test_id),
            "issue": lambda: _issue_action(test_id),
        }[key]()
        return run_action(
            request,
            action,
            confirmed=confirmed,
            values=values,
            perform=perform,
            page=lambda result: page(request, service, test_id, result),
        )

    @router.post("/{test_id:path}/quarantine")
    def quarantine_test(
        request: Request, service: Writer, test_id: TestId, *, reason: REASON,
        owner: OWNER = "", issue: ISSUE = "", expires: EXPIRES = "", confirmed: Confirmed = "",
    ) -> Response:  # fmt: skip
        values = {"reason": reason, "owner": owner, "issue": issue, "expires": expires}
        return _run(request, service, test_id, "quarantine", confirmed, values,
                    lambda: quarantine(request, service, test_id, reason=reason, owner=owner,
                                       issue=issue, expires=expires))  # fmt: skip

    @router.post("/{test_id:path}/release")
    def release_test(
        request: Request, service: Writer, test_id: TestId, *, reason: REASON,
        confirmed: Confirmed = "",
    ) -> Response:  # fmt: skip
        return _run(request, service, test_id, "release", confirmed, {"reason": reason},
                    lambda: release(service, test_id, reason))  # fmt: skip

    @router.post("/{test_id:path}/owner")
    def set_owner(
        request: Request, service: Writer, test_id: TestId, *, owner: OWNER,
        confirmed: Confirmed = "",
    ) -> Response:  # fmt: skip
        def perform() -> str:
            done = service.set_owner(test_id, owner)
            return f"Owner of {test_id} set to {done.owner}."

        return _run(request, service, test_id, "owner", confirmed, {"owner": owner}, perform)

    @router.post("/{test_id:path}/issue")
    def link_issue(
        request: Request, service: Writer, test_id: TestId, *, issue: ISSUE,
        confirmed: Confirmed = "",
    ) -> Response:  # fmt: skip
        def perform() -> str:
            done = service.link_issue(test_id, issue)
            return f"Linked {done.issue} to {test_id}."

        return _run(request, service, test_id, "issue", confirmed, {"issue": issue}, perform)


def quarantine_page_actions(entries: list[QuarantineEntry], *, days: int) -> dict[str, Action]:
    """The quarantine page's actions: quarantine a test, and release each server-held entry."""
    actions = {
        "add": Action(
            "add", "Quarantine", "/tests/quarantine",
            "Quarantine this test? It keeps running; its failures stop blocking merges.",
            (ActionField("test_id", "Test id", required=True, max_length=STORED_ID_LENGTH),
             *quarantine_fields(days),
             ActionField("allow_unknown", "It has not run yet (allow an id no report has shown)",
                         kind="checkbox")),
            back="/tests/quarantine",
        ),
    }  # fmt: skip
    for n, e in enumerate(entries, 1):
        if e.source != "file":
            actions[e.test_id] = Action(
                f"release-{n}", "Release", "/tests/quarantine/release",
                f"Release {e.test_id} from quarantine? Its failures block merges again.",
                (ActionField("test_id", "Test", kind="hidden", value=e.test_id),
                 ActionField("reason", "Reason", required=True, max_length=2000,
                             placeholder="Why release it?")),
                back="/tests/quarantine", danger=True,
            )  # fmt: skip
    return actions


def add_quarantine_actions(router: APIRouter, page: QuarantinePageRenderer) -> None:
    """POST routes of the quarantine page: quarantine a test, release one."""

    def _action(request: Request, key: str) -> Action:
        days = get_settings(request).testhealth.quarantine_default_days
        if key == "add":
            return quarantine_page_actions([], days=days)["add"]
        return _release_from_list()

    @router.post("")
    def add(
        request: Request, service: Writer, *,
        test_id: Annotated[Text, Form(max_length=STORED_ID_LENGTH)], reason: REASON,
        owner: OWNER = "", issue: ISSUE = "", expires: EXPIRES = "",
        allow_unknown: Annotated[bool, Form()] = False, confirmed: Confirmed = "",
    ) -> Response:  # fmt: skip
        values = {"test_id": test_id, "reason": reason, "owner": owner, "issue": issue,
                  "expires": expires, "allow_unknown": "true" if allow_unknown else ""}  # fmt: skip
        return run_action(
            request, _action(request, "add"), confirmed=confirmed, values=values,
            perform=lambda: quarantine(request, service, test_id, reason=reason, owner=owner,
                                       issue=issue, expires=expires, allow_unknown=allow_unknown),
            page=lambda result: page(request, service, result),
        )  # fmt: skip

    @router.post("/release")
    def release_entry(
        request: Request, service: Writer, *,
        test_id: Annotated[Text, Form(max_length=STORED_ID_LENGTH)], reason: REASON,
        confirmed: Confirmed = "",
    ) -> Response:  # fmt: skip
        return run_action(
            request, _action(request, "release"), confirmed=confirmed,
            values={"test_id": test_id, "reason": reason},
            perform=lambda: release(service, test_id, reason),
            page=lambda result: page(request, service, result),
        )  # fmt: skip


def _release_from_list() -> Action:
    return Action(
        "release", "Release", "/tests/quarantine/release",
        "Release this test from quarantine? Its failures block merges again.",
        back="/tests/quarantine", danger=True,
    )  # fmt: skip
