"""Every route × role: anonymous → 401, a role without the right → 403, the right role → 2xx."""

from __future__ import annotations

from typing import Any

import pytest

ROLES = ("reader", "writer", "admin", "auditor")
GRANTS = {
    "reader": {"reader", "writer", "admin", "auditor"},
    "writer": {"writer", "admin"},
    "admin": {"admin"},
}
T = "tests/test_orders.py::test_pay"

# (method, path, role needed, request kwargs)
ROUTES: list[tuple[str, str, str, dict[str, object]]] = [
    ("GET", "/api/v1/tests/flaky", "reader", {}),
    ("GET", "/api/v1/tests/health", "reader", {}),
    ("GET", f"/api/v1/tests/tests/{T}/history", "reader", {}),
    ("GET", "/api/v1/tests/clusters", "reader", {}),
    ("GET", "/api/v1/tests/suite-health", "reader", {}),
    ("GET", "/api/v1/tests/runs", "reader", {}),
    ("GET", "/api/v1/tests/quarantine", "reader", {}),
    (
        "POST",
        "/api/v1/tests/runs?run_id=2",
        "writer",
        {"content": "JUNIT", "headers": {"Content-Type": "application/xml"}},
    ),
    ("POST", "/api/v1/tests/quarantine", "writer", {"json": {"test_id": T, "reason": "flaky"}}),
    ("DELETE", f"/api/v1/tests/quarantine/{T}?reason=fixed", "writer", {}),
    ("GET", "/api/v1/tokens", "admin", {}),
    ("POST", "/api/v1/tokens", "admin", {"json": {"name": "x", "role": "reader"}}),
    ("DELETE", "/api/v1/tokens/1", "admin", {}),
    ("GET", "/", "reader", {}),
    ("GET", "/tests/flaky", "reader", {}),
    ("GET", "/tests/flaky/table?q=pay", "reader", {}),
    ("GET", f"/tests/t/{T}", "reader", {}),
    ("GET", "/tests/health", "reader", {}),
    ("GET", "/tests/quarantine", "reader", {}),
    ("POST", "/tests/quarantine", "writer", {"data": {"test_id": T, "reason": "flaky"}}),
]
CASES = [
    pytest.param(
        method, path, role, kwargs, caller, id=f"{method} {path.split('?')[0]} as {caller}"
    )
    for method, path, role, kwargs in ROUTES
    for caller in ("anonymous", *ROLES)
]


def _prepare(server: Any, method: str, path: str) -> None:
    # Deleting needs something to delete.
    if method == "DELETE" and "/quarantine/" in path:
        server.client.post(
            "/api/v1/tests/quarantine",
            json={"test_id": T, "reason": "flaky"},
            headers=server.auth("admin"),
        )


@pytest.mark.parametrize(("method", "path", "role", "kwargs", "caller"), CASES)
# The parametrised table needs one argument per column.
def test_route_admits_exactly_the_roles_that_may_use_it(  # noqa: PLR0917 - one per column
    server: Any, method: str, path: str, role: str, kwargs: dict[str, Any], caller: str
) -> None:
    _prepare(server, method, path)
    who = None if caller == "anonymous" else caller
    headers = {**kwargs.get("headers", {}), **server.auth(who), "HX-Request": "true"}
    body = {k: server.junit if v == "JUNIT" else v for k, v in kwargs.items() if k != "headers"}

    response = server.client.request(method, path, headers=headers, **body)

    if who is None:
        assert response.status_code == 401, response.text[:300]
    elif who in GRANTS[role]:
        assert 200 <= response.status_code < 300, response.text[:300]
    else:
        assert response.status_code == 403, response.text[:300]


@pytest.mark.parametrize("path", ["/healthz", "/version"])
def test_health_and_version_are_the_only_anonymous_routes(server: Any, path: str) -> None:
    response = server.client.get(path)
    assert response.status_code == 200
    assert set(response.json()) == ({"status"} if path == "/healthz" else {"version"})
