"""The dashboard's action block: a form that changes state, for the roles allowed to change it.

An action is declared once (:class:`Action`), drawn by the ``action_form`` macro of
``_actions.html`` and served by a POST route that calls :func:`run_action`. The block gives:

- **roles**: the form is drawn only for a principal whose role allows the action's
  (:func:`can_act`; templates call ``may(principal, role)``); the route depends on that role too
  (``web.deps.require``), and :func:`run_action` checks it again, so a reader's POST is a 403
  even with a valid CSRF token;
- **CSRF**: the form carries the session's token, which ``web.deps.require`` checks (a missing
  or wrong token is a 403 before the action runs);
- **confirmation**: with JavaScript, htmx asks the action's question with ``window.confirm``
  (``hx-confirm``, no eval: the Content-Security-Policy holds) and sends ``confirmed=yes``;
  without JavaScript the form posts unconfirmed and :func:`run_action` answers with a
  confirmation page that posts the same values again with ``confirmed=yes``;
- **a result**: one message (``role=status``) or error (``role=alert``) on the page the route
  renders; htmx swaps that page's ``#main`` in place, a plain POST gets the whole page.

The audit event is the domain's: each service call an action makes records one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import Response

from readiness.errors import PermissionDeniedError, ReadinessError
from readiness.web.deps import CSRF_FIELD, Principal, may
from readiness.web.pages import is_htmx, render

CONFIRM_FIELD = "confirmed"
CONFIRMED = "yes"

Confirmed = Annotated[
    str,
    Form(
        alias=CONFIRM_FIELD,
        max_length=3,
        description="'yes' once the user confirmed the action (else a confirmation page).",
    ),
]


@dataclass(frozen=True, slots=True)
class ActionField:
    """One input of an action's form."""

    name: str
    label: str
    kind: Literal["text", "hidden", "checkbox"] = "text"
    required: bool = False
    placeholder: str = ""
    value: str = ""
    max_length: int = 1000
    hint: str = ""  # a short line under the input (e.g. the accepted spellings)


@dataclass(frozen=True, slots=True)
class Action:
    """A state change offered on a page: its button, its form and its confirmation question."""

    key: str  # unique on the page: prefixes the ids of the form's inputs
    label: str  # the button's text
    url: str  # where the form posts
    confirm: str  # the question asked before it runs
    fields: tuple[ActionField, ...] = ()
    role: str = "writer"
    back: str = ""  # where "Cancel" on the confirmation page leads (default: the referring page)
    danger: bool = False
    target: str = "#main"  # what htmx replaces with the same element of the response


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action did: a message for the person who asked, or why it did nothing."""

    message: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def can_act(principal: Principal | None, action: Action | str) -> bool:
    """Whether ``principal`` may see and run ``action`` (or an action needing that role)."""
    return may(principal, action if isinstance(action, str) else action.role)


def require_role(request: Request, action: Action) -> None:
    """PermissionDeniedError (403) unless the request's principal may run ``action``."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if not can_act(principal, action):
        role = principal.role if principal is not None else None
        raise PermissionDeniedError(
            f"role {role!r} may not {action.label.lower()}; it needs the {action.role!r} role",
            details={"role": role, "required": action.role},
        )


def confirmation_page(request: Request, action: Action, values: Mapping[str, str]) -> Response:
    """The page a browser without JavaScript confirms ``action`` on: the same values, again."""
    kept = {k: v for k, v in values.items() if k not in (CSRF_FIELD, CONFIRM_FIELD)}
    back = action.back or request.headers.get("referer", "") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"  # only ever back to a page of this site
    return render(request, "confirm.html", {"action": action, "values": kept, "back": back})


def run_action(
    request: Request,
    action: Action,
    *,
    confirmed: str,
    values: Mapping[str, str],
    perform: Callable[[], str],
    page: Callable[[ActionResult], Response],
) -> Response:
    """Run ``action`` once confirmed: ``perform`` returns the result message, ``page`` renders it.

    Unconfirmed, nothing runs and the confirmation page answers. A ``ReadinessError`` from
    ``perform`` becomes the page's error (status 422 for a plain POST; htmx gets 200, so that it
    swaps the page in, and reads the error from its ``role=alert``).
    """
    require_role(request, action)
    if confirmed != CONFIRMED:
        return confirmation_page(request, action, values)
    try:
        result = ActionResult(message=perform())
    except PermissionDeniedError:
        raise
    except ReadinessError as exc:
        result = ActionResult(error=exc.message)
    response = page(result)
    if result.error is not None and not is_htmx(request):
        response.status_code = 422
    return response
