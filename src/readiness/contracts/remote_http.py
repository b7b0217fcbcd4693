"""The HTTP side the contracts clients share (the remote Pact broker and the gate's view of a
server's registry): one client per base URL with the token and project, and one request whose
unreachable server or refused token is a one-line :class:`RemoteError` naming the setting to
check, never the token."""

from __future__ import annotations

from typing import Any

import httpx

from readiness.errors import RemoteError


def client(
    token: str | None,
    project: str | None,
    *,
    transport: httpx.BaseTransport | None = None,
    accept: str | None = None,
) -> httpx.Client:
    """A client sending ``token`` as a Bearer token and ``project`` as a query parameter."""
    headers = {"Accept": accept} if accept else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(
        headers=headers,
        params={"project": project} if project else None,
        timeout=httpx.Timeout(30.0, connect=10.0),
        transport=transport,
    )


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    who: str,
    url_setting: str,
    auth_setting: str,
    **kwargs: Any,
) -> httpx.Response:
    """``method url`` on ``http``; ``who`` (e.g. "the Pact broker at URL") names the server in
    the one line raised when it cannot be reached or refuses the token."""
    try:
        answer = http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise RemoteError(
            f"{who} cannot be reached ({type(exc).__name__}); check {url_setting}"
        ) from exc
    if answer.status_code in (401, 403):
        raise RemoteError(
            f"{who} refused the token ({answer.status_code}); check {auth_setting} and its role"
        )
    return answer
