"""Which requests are API calls: JSON errors, no dashboard cookie context. A module of its own
(it imports nothing of the web layer) so that deps, errors and query can all ask it."""

from __future__ import annotations

from starlette.requests import Request


def is_api(request: Request) -> bool:
    """Whether ``request`` is an API call: ``/api/...``, ``/healthz``, ``/version``,
    ``/openapi.json``, or a router the app factory mounted at the root too (the Pact broker's
    ``/pact``, listed in ``app.state.api_roots``)."""
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/version", "/openapi.json"):
        return True
    roots: tuple[str, ...] = getattr(request.app.state, "api_roots", ())
    return any(path == root or path.startswith(root + "/") for root in roots)
