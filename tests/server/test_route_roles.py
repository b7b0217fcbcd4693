"""Every route × role: anonymous → 401, a role without the right → 403, the right role → 2xx."""

from __future__ import annotations

import base64
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from tests.server.conftest import database_contents, open_server

ROLES = ("reader", "writer", "admin", "auditor")
GRANTS = {
    "reader": {"reader", "writer", "admin", "auditor"},
    "writer": {"writer", "admin"},
    "admin": {"admin"},
    "auditor": {"auditor", "admin"},
}
T = "tests/test_orders.py::test_pay"
# The run key of the server fixture's one ingested run (project, metadata and report digest).
R = "f9b65cfc86d93f6a111e10fbe1b9017dcde4191966115ab0834487dca9ef3e32"
P = "spare"  # an empty project the project routes read, rename and delete
# The broker's and the registry's state (see _prepare): a pact of consumer P with provider
# PROVIDER at version "1", an environment ENV_NAME and a registered SUBJECT version 1.
PROVIDER = "users"
PACT = {"consumer": {"name": P}, "provider": {"name": PROVIDER}, "interactions": [{"n": 1}]}
PACT_B64 = base64.b64encode(json.dumps(PACT).encode()).decode()
ENV_NAME = "production"
ENV = "env-uuid"  # replaced by the environment's (random) uuid before the request
SHA = "pact-sha"  # replaced by the published pact's content sha before the request
SUBJECT = "orders-value"
SCHEMA = {
    "schema": json.dumps({"type": "object", "properties": {"id": {"type": "integer"}}}),
    "schemaType": "JSON",
}
PB = f"/api/v1/pact/pacticipants/{P}/versions/1"
PACTS = f"/api/v1/pact/pacts/provider/{PROVIDER}"
SR = "/api/v1/schema-registry"
AUDIT_EVENT = {
    "actor_id": "usr_0001",
    "actor_type": "user",
    "action": "invoice.update",
    "target_type": "invoice",
    "target_id": "inv_1",
    "result": "success",
    "occurred_at": "2026-04-10T14:23:01Z",
}

# (method, path, role needed, request kwargs)
ROUTES: list[tuple[str, str, str, dict[str, object]]] = [
    ("GET", "/api/v1/tests/flaky", "reader", {}),
    ("GET", "/api/v1/tests/health", "reader", {}),
    ("GET", f"/api/v1/tests/tests/{T}/history", "reader", {}),
    ("GET", f"/api/v1/tests/tests/{T}/failing-orders", "reader", {}),
    ("GET", f"/api/v1/tests/tests/{T}/signals", "reader", {}),
    ("GET", "/api/v1/tests/clusters", "reader", {}),
    ("GET", "/api/v1/tests/suite-health", "reader", {}),
    ("GET", "/api/v1/tests/runs", "reader", {}),
    ("GET", f"/api/v1/tests/runs/{R}", "reader", {}),
    ("GET", "/api/v1/tests/quarantine", "reader", {}),
    ("GET", f"/api/v1/tests/tests/{T}/annotation", "reader", {}),
    ("PUT", f"/api/v1/tests/tests/{T}/owner", "writer", {"json": {"owner": "@shop"}}),
    ("PUT", f"/api/v1/tests/tests/{T}/issue", "writer", {"json": {"issue": "PAY-1"}}),
    (
        "POST",
        "/api/v1/tests/runs?run_id=2",
        "writer",
        {"content": "JUNIT", "headers": {"Content-Type": "application/xml"}},
    ),
    ("POST", "/api/v1/tests/quarantine", "writer", {"json": {"test_id": T, "reason": "flaky"}}),
    ("DELETE", f"/api/v1/tests/quarantine/{T}?reason=fixed", "writer", {}),
    (
        "POST",
        "/api/v1/tests/fix-verifications",
        "writer",
        {
            "json": {
                "test_id": T,
                "flake_rate": 0.05,
                "alpha": 0.05,
                "required_runs": 59,
                "runs": 59,
                "failures": 0,
                "verdict": "fixed",
            }
        },
    ),
    ("GET", "/api/v1/tests/gate/latest-run", "reader", {}),
    ("GET", "/api/v1/gates/runs", "reader", {}),
    (
        "POST",
        "/api/v1/gates/runs",
        "writer",
        {"json": {"gate": "merge", "verdict": "pass", "checks": [], "duration_s": 1.0}},
    ),
    ("GET", "/api/v1/audit/events", "auditor", {}),
    ("GET", "/api/v1/audit/verify", "auditor", {}),
    ("POST", "/api/v1/audit/privacy/subjects", "admin", {"json": {"subject": "ann@example.org"}}),
    ("POST", "/api/v1/audit/privacy/lookup", "auditor", {"json": {"subject": "ann@example.org"}}),
    ("POST", "/api/v1/audit/privacy/erase", "admin", {"json": {"subject": "ann@example.org"}}),
    (
        "POST",
        "/api/v1/audit/privacy/resolve",
        "auditor",
        {"json": {"pseudonym": "usr_0011223344556677", "justification": "INC-1"}},
    ),
    ("POST", "/api/v1/audit/privacy/resolve-requests/1/approve", "auditor", {}),
    ("POST", "/api/v1/audit/privacy/ip-key/rotate", "admin", {}),
    (
        "POST",
        "/api/v1/audit/privacy/security-log",
        "writer",
        {"json": {"ip": "203.0.113.7", "action": "authn_login_fail"}},
    ),
    (
        "POST",
        "/api/v1/audit/privacy/security-log/search",
        "auditor",
        {"json": {"justification": "INC-1"}},
    ),
    ("POST", "/api/v1/audit/privacy/security-log/purge", "admin", {}),
    ("GET", "/api/v1/audit/trail", "auditor", {}),
    ("GET", "/api/v1/audit/trail/timeline/invoice/inv_1", "auditor", {}),
    ("GET", "/api/v1/audit/trail/export?format=csv", "auditor", {}),
    ("POST", "/api/v1/audit/trail/events", "writer", {"json": [AUDIT_EVENT]}),
    ("GET", "/api/v1/audit/proofs/inclusion/0?tree_size=2", "auditor", {}),
    ("GET", "/api/v1/audit/proofs/consistency?old=1&new=2", "auditor", {}),
    ("GET", "/api/v1/audit/checkpoints", "auditor", {}),
    ("POST", "/api/v1/audit/checkpoints", "admin", {}),
    ("GET", "/api/v1/audit/witnesses", "auditor", {}),
    ("POST", "/api/v1/audit/checkpoints/publish", "admin", {}),
    ("GET", "/api/v1/audit/verification/runs", "auditor", {}),
    ("GET", "/api/v1/audit/retention", "auditor", {}),
    ("POST", "/api/v1/audit/retention/archive", "admin", {"json": {"dry_run": True}}),
    ("POST", "/api/v1/audit/retention/prune", "admin", {"json": {"before": "2020-01-01"}}),
    ("GET", "/audit", "auditor", {}),
    ("GET", "/migrations", "reader", {}),
    (
        "POST",
        "/api/v1/migrations/lint",
        "writer",
        {"json": {"files": [{"name": "V1__a.sql", "text": "SELECT 1;"}]}},
    ),
    (
        "POST",
        "/api/v1/migrations/plan",
        "reader",
        {
            "json": {
                "kind": "rename-column",
                "target": "users.name",
                "new": "full_name",
                "column_type": "text",
            }
        },
    ),
    ("GET", "/api/v1/migrations/applied", "reader", {}),
    ("GET", "/api/v1/migrations/reports", "reader", {}),
    ("GET", "/audit/runs?sort=size", "auditor", {}),
    ("GET", "/audit/checkpoint", "reader", {}),
    ("GET", "/audit/privacy", "auditor", {}),
    ("POST", "/audit/privacy/requests/1/approve", "auditor", {}),
    ("GET", "/api/v1/projects", "reader", {}),
    ("GET", f"/api/v1/projects/{P}", "reader", {}),
    ("POST", "/api/v1/projects", "admin", {"json": {"name": "billing"}}),
    ("PATCH", f"/api/v1/projects/{P}", "admin", {"json": {"name": "spare-2"}}),
    ("DELETE", f"/api/v1/projects/{P}", "admin", {}),
    ("GET", "/api/v1/tokens", "admin", {}),
    ("POST", "/api/v1/tokens", "admin", {"json": {"name": "x", "role": "reader"}}),
    ("DELETE", "/api/v1/tokens/1", "admin", {}),
    ("GET", "/api/v1/sessions", "admin", {}),
    ("DELETE", "/api/v1/sessions/1", "admin", {}),
    ("GET", "/api/v1/notify/webhooks", "admin", {}),
    (
        "POST",
        "/api/v1/notify/webhooks",
        "admin",
        {"json": {"url": "https://h/x", "events": ["gate.failed"]}},
    ),
    ("DELETE", "/api/v1/notify/webhooks/1", "admin", {}),
    ("POST", "/api/v1/notify/webhooks/1/test", "admin", {}),
    ("GET", "/api/v1/notify/deliveries", "admin", {}),
    ("GET", "/", "reader", {}),
    ("GET", "/tests/flaky", "reader", {}),
    ("GET", "/tests/flaky/table?q=pay", "reader", {}),
    ("GET", f"/tests/t/{T}", "reader", {}),
    ("GET", "/tests/health", "reader", {}),
    ("GET", "/tests/quarantine", "reader", {}),
    ("GET", "/tests/runs", "reader", {}),
    ("GET", "/tests/runs/table?branch=main", "reader", {}),
    ("GET", f"/tests/runs/{R}", "reader", {}),
    ("GET", "/gates", "reader", {}),
    ("GET", "/audit/search?actor=usr_1", "auditor", {}),
    ("GET", "/audit/timeline/invoice/inv_1?as_of=2026-04-01", "auditor", {}),
    ("GET", "/gates/table?sort=duration", "reader", {}),
    ("POST", "/tests/quarantine", "writer", {"data": {"test_id": T, "reason": "flaky"}}),
    ("POST", "/tests/quarantine/release", "writer", {"data": {"test_id": T, "reason": "ok"}}),
    ("POST", f"/tests/t/{T}/quarantine", "writer", {"data": {"reason": "flaky"}}),
    ("POST", f"/tests/t/{T}/release", "writer", {"data": {"reason": "fixed"}}),
    ("POST", f"/tests/t/{T}/owner", "writer", {"data": {"owner": "@shop"}}),
    ("POST", f"/tests/t/{T}/issue", "writer", {"data": {"issue": "PAY-1"}}),
    ("POST", "/project", "reader", {"data": {"project": P, "next": "/tests/runs"}}),
    ("POST", "/logout", "reader", {}),
    ("GET", "/admin/sessions", "admin", {}),
    ("POST", "/admin/sessions/1/revoke", "admin", {}),
    ("GET", "/admin/webhooks", "admin", {}),
    ("POST", "/admin/webhooks", "admin", {"data": {"url": "https://h/x", "events": "gate.failed"}}),
    ("POST", "/admin/webhooks/1/test", "admin", {}),
    ("POST", "/admin/webhooks/1/remove", "admin", {}),
    ("GET", "/openapi.json", "reader", {}),
    # The Pact broker.
    ("GET", "/api/v1/pact", "reader", {}),
    ("GET", "/api/v1/pact/", "reader", {}),
    (
        "GET",
        f"/api/v1/pact/can-i-deploy?pacticipant={P}&version=1&environment={ENV_NAME}",
        "reader",
        {},
    ),
    (
        "POST",
        "/api/v1/pact/can-i-deploy/environment",
        "reader",
        {"json": {"environment": ENV_NAME, "versions": [{"pacticipant": P, "version": "1"}]}},
    ),
    (
        "GET",
        "/api/v1/pact/matrix",
        "reader",
        {
            "params": {
                "q[][pacticipant]": P,
                "q[][version]": "1",
                "environment": ENV_NAME,
            }
        },
    ),
    ("GET", "/api/v1/pact/environments", "reader", {}),
    ("POST", "/api/v1/pact/environments", "writer", {"json": {"name": "staging"}}),
    ("GET", f"/api/v1/pact/environments/{ENV}", "reader", {}),
    ("GET", f"/api/v1/pact/pacticipants/{P}", "reader", {}),
    ("PATCH", f"/api/v1/pact/pacticipants/{P}", "writer", {"json": {"mainBranch": "main"}}),
    ("GET", PB, "reader", {}),
    ("GET", f"{PB}/verification-evidence", "reader", {}),
    ("GET", f"/api/v1/pact/pacticipants/{PROVIDER}/openapi", "reader", {}),
    ("DELETE", f"/api/v1/pact/pacticipants/{PROVIDER}/openapi", "writer", {}),
    ("PUT", f"/api/v1/pact/pacticipants/{P}/branches/main/versions/1", "writer", {}),
    ("PUT", f"{PB}/tags/prod", "writer", {}),
    ("POST", f"{PB}/deployed-versions/environment/{ENV}", "writer", {"json": {}}),
    ("DELETE", f"{PB}/deployed-versions/environment/{ENV}", "writer", {}),
    ("POST", f"{PB}/released-versions/environment/{ENV}", "writer", {}),
    ("DELETE", f"{PB}/released-versions/environment/{ENV}", "writer", {}),
    (
        "POST",
        "/api/v1/pact/contracts/publish",
        "writer",
        {
            "json": {
                "pacticipantName": P,
                "pacticipantVersionNumber": "2",
                "branch": "main",
                "contracts": [{"providerName": PROVIDER, "content": PACT_B64}],
            }
        },
    ),
    ("PUT", f"{PACTS}/consumer/{P}/version/1", "writer", {"json": PACT}),
    ("GET", f"{PACTS}/consumer/{P}/version/1", "reader", {}),
    ("GET", f"{PACTS}/consumer/{P}/pact-version/{SHA}", "reader", {}),
    (
        "POST",
        f"{PACTS}/consumer/{P}/pact-version/{SHA}/verification-results",
        "writer",
        {"json": {"success": True, "providerApplicationVersion": "p1"}},
    ),
    ("GET", f"{PACTS}/for-verification", "reader", {}),
    (
        "POST",
        f"{PACTS}/for-verification",
        "reader",
        {"json": {"consumerVersionSelectors": [{"mainBranch": True}]}},
    ),
    ("GET", f"{PACTS}/latest", "reader", {}),
    # The schema registry.
    ("GET", f"{SR}/subjects", "reader", {}),
    ("GET", f"{SR}/schemas/types", "reader", {}),
    ("GET", f"{SR}/schemas/ids/1", "reader", {}),
    ("GET", f"{SR}/schemas/ids/1/versions", "reader", {}),
    ("GET", f"{SR}/subjects/{SUBJECT}/versions", "reader", {}),
    ("GET", f"{SR}/subjects/{SUBJECT}/versions/1", "reader", {}),
    ("GET", f"{SR}/subjects/{SUBJECT}/versions/1/schema", "reader", {}),
    ("POST", f"{SR}/subjects/{SUBJECT}/versions", "writer", {"json": SCHEMA}),
    ("POST", f"{SR}/subjects/{SUBJECT}", "reader", {"json": SCHEMA}),
    ("POST", f"{SR}/compatibility/subjects/{SUBJECT}/versions", "reader", {"json": SCHEMA}),
    ("POST", f"{SR}/compatibility/subjects/{SUBJECT}/versions/1", "reader", {"json": SCHEMA}),
    ("GET", f"{SR}/config", "reader", {}),
    ("PUT", f"{SR}/config", "writer", {"json": {"compatibility": "FULL"}}),
    ("GET", f"{SR}/config/{SUBJECT}", "reader", {}),
    ("PUT", f"{SR}/config/{SUBJECT}", "writer", {"json": {"compatibility": "FULL"}}),
    ("DELETE", f"{SR}/subjects/{SUBJECT}/versions/1", "writer", {}),
    ("DELETE", f"{SR}/subjects/{SUBJECT}/versions/1?permanent=true", "writer", {}),
    ("DELETE", f"{SR}/subjects/{SUBJECT}", "writer", {}),
    ("DELETE", f"{SR}/subjects/{SUBJECT}?permanent=true", "writer", {}),
    ("GET", f"{SR}/subjects/{SUBJECT}/versions/1/referencedby", "reader", {}),
    # The registry's governance.
    ("GET", f"{SR}/subjects/{SUBJECT}/consumers", "reader", {}),
    ("PUT", f"{SR}/subjects/{SUBJECT}/consumers/{P}", "writer", {"json": {"fields": ["id"]}}),
    (
        "POST",
        f"{SR}/consumers/{P}/processed",
        "writer",
        {"json": {"subject": SUBJECT, "version": 1}},
    ),
    ("GET", f"{SR}/subjects/{SUBJECT}/impact?field=id", "reader", {}),
    ("POST", f"{SR}/subjects/{SUBJECT}/impact", "reader", {"json": SCHEMA}),
    ("GET", f"{SR}/subjects/{SUBJECT}/diff?from=1", "reader", {}),
    ("GET", f"{SR}/subjects/{SUBJECT}/usage", "reader", {}),
    ("POST", f"{SR}/subjects/{SUBJECT}/samples", "writer", {"content": '{"id": 1}\n'}),
    ("GET", f"{SR}/subjects/{SUBJECT}/presence", "reader", {}),
    # Contract coverage of the broker's provider.
    (
        "POST",
        f"/api/v1/pact/pacticipants/{PROVIDER}/coverage",
        "reader",
        {"json": {"messages": ["order.created"]}},
    ),
    (
        "PUT",
        f"/api/v1/pact/pacticipants/{PROVIDER}/openapi",
        "writer",
        {"json": {"openapi": {"openapi": "3.1.0", "paths": {}}, "messages": ["order.created"]}},
    ),
    ("GET", "/contracts", "reader", {}),
    ("GET", "/contracts/pact", "reader", {}),
    ("GET", f"/contracts/subjects/{SUBJECT}", "reader", {}),
    # Log checks.
    (
        "POST",
        "/api/v1/logs/lint",
        "writer",
        {"json": {"files": [{"path": "app/orders.py", "source": "log.info('paid')\n"}]}},
    ),
    ("GET", "/api/v1/logs/reports", "reader", {}),
    (
        "POST",
        "/api/v1/logs/scan",
        "reader",
        {"content": "paid by ann@example.org\n", "headers": {"Content-Type": "text/plain"}},
    ),
    (
        "POST",
        "/api/v1/logs/debug-grants",
        "admin",
        {"json": {"level": "debug", "ttl_seconds": 600}},
    ),
    ("GET", "/logs", "reader", {}),
]
CALLERS = ("anonymous", *ROLES)
# One test per route (a server costs about a second: its migrations, app and first request);
# each of CALLERS is a subtest of it, reported as "<method> <path> as <caller>".
CASES = [
    pytest.param(method, path, role, kwargs, id=f"{method} {path.split('?')[0]}")
    for method, path, role, kwargs in ROUTES
]


def _prepare(server: Any, method: str, path: str, kwargs: dict[str, Any]) -> str:
    """Create what the request needs; returns its path with the generated ids filled in."""
    path = _prepare_contracts(server, method, path)
    if path.startswith(f"/api/v1/projects/{P}") or kwargs.get("data", {}).get("project") == P:
        server.client.post("/api/v1/projects", json={"name": P}, headers=server.auth("admin"))
    # Deleting needs something to delete.
    if "/sessions/1" in path:
        assert server.sign_in(server.tokens["reader"]).status_code == 303
        server.client.cookies.clear()
    if "/webhooks/1" in path:
        server.client.post(
            "/api/v1/notify/webhooks",
            json={"url": "https://h/x", "events": ["gate.failed"]},
            headers=server.auth("admin"),
        )
    if path == "/api/v1/audit/privacy/erase":
        server.client.post(
            "/api/v1/audit/privacy/subjects",
            json={"subject": "ann@example.org"},
            headers=server.auth("admin"),
        )
    if "/resolve-requests/1/" in path:
        _open_resolution_request(server)
    if "/proofs/" in path or path in ("/audit/checkpoint", "/api/v1/audit/checkpoints/publish"):
        # Two events and a checkpoint of them, for the proofs and the public checkpoint.
        assert (
            server.client.post(
                "/api/v1/audit/trail/events", json=[AUDIT_EVENT] * 2, headers=server.auth("writer")
            ).status_code
            == 200
        )
        assert (
            server.client.post("/api/v1/audit/checkpoints", headers=server.auth("admin"))
        ).status_code == 200
    if method == "DELETE" and "/quarantine/" in path:
        server.client.post(
            "/api/v1/tests/quarantine",
            json={"test_id": T, "reason": "flaky"},
            headers=server.auth("admin"),
        )
    return path


def _prepare_contracts(server: Any, method: str, path: str) -> str:
    """The broker's pact and environment, the registry's subject (as an admin, via the API)."""
    admin = server.auth("admin")
    if path.startswith((SR, "/contracts/subjects/")):
        done = server.client.post(f"{SR}/subjects/{SUBJECT}/versions", json=SCHEMA, headers=admin)
        assert done.status_code == 200, done.text
        assert done.json()["id"] == 1, done.text
        if path.startswith(f"{SR}/config/"):
            done = server.client.put(
                f"{SR}/config/{SUBJECT}", json={"compatibility": "BACKWARD"}, headers=admin
            )
            assert done.status_code == 200, done.text
        if method == "DELETE" and path.endswith("permanent=true"):
            # A permanent delete needs a soft delete first.
            done = server.client.delete(path.split("?", maxsplit=1)[0], headers=admin)
            assert done.status_code == 200, done.text
        if "/consumers/" in path and method == "POST":
            done = server.client.put(
                f"{SR}/subjects/{SUBJECT}/consumers/{P}", json={"fields": ["id"]}, headers=admin
            )
            assert done.status_code == 200, done.text
    if not path.startswith("/api/v1/pact"):
        return path
    if path.endswith("/openapi") and method in ("GET", "DELETE"):
        document = {"openapi": {"openapi": "3.1.0", "paths": {}}}
        done = server.client.put(path, json=document, headers=admin)
        assert done.status_code == 200, done.text
    pact = f"{PACTS}/consumer/{P}/version/1"
    done = server.client.put(pact, json=PACT, headers=admin)
    assert done.status_code == 200, done.text
    sha = done.json()["_links"]["self"]["href"].rsplit("/", 1)[1]
    done = server.client.post(
        "/api/v1/pact/environments", json={"name": ENV_NAME, "production": True}, headers=admin
    )
    assert done.status_code == 200, done.text
    env = done.json()["uuid"]
    if method == "DELETE" and "-versions/environment/" in path:
        kind = "deployed" if "/deployed-versions/" in path else "released"
        done = server.client.post(f"{PB}/{kind}-versions/environment/{env}", json={}, headers=admin)
        assert done.status_code == 200, done.text
    return path.replace(SHA, sha).replace(ENV, env)


def _open_resolution_request(server: Any) -> None:
    """Resolution request 1, made by a principal that is none of the callers."""
    from readiness.audit.privacy.runtime import privacy_service

    settings = server.app.state.settings.model_copy(deep=True)
    settings.audit.privacy.resolve_approvers = 2
    with privacy_service(settings, server.clock, server.stores.audit, source="tests") as svc:
        assert svc.resolve("usr_0011223344556677", "INC-1", by="someone-else").request_id == 1


def _callers(role: str) -> list[str]:
    """The refused callers first, then the granted ones (see the test)."""
    return sorted(CALLERS, key=lambda caller: caller in GRANTS[role])


@pytest.mark.parametrize(("method", "path", "role", "kwargs"), CASES)
def test_route_admits_exactly_the_roles_that_may_use_it(  # noqa: PLR0917 - one per column
    settings: Settings,
    clock: FrozenClock,
    tmp_path: Path,
    subtests: pytest.Subtests,
    method: str,
    path: str,
    role: str,
    kwargs: dict[str, Any],
) -> None:
    """Each caller's request is sent to a server in the state a new one has after ``_prepare``.

    Callers share a server while that holds: a refused caller (401/403) is turned away before
    the route runs, and every call is followed by a comparison of both databases' rows with
    their rows after ``_prepare``; a call that changed them (a granted write) gives the next
    caller a new server. Cookies are reset to their value after ``_prepare`` before each call.
    Refused callers go first, so the granted writes cost as few servers as possible.
    """
    start = clock.now()
    with ExitStack() as stack:
        server: Any = None
        for n, caller in enumerate(_callers(role)):
            if server is None:
                stack.close()
                if n:  # another server, like the first one (its folder is also "project")
                    folder = tmp_path / f"again-{n}" / "project"
                    folder.mkdir(parents=True)
                    settings = load_settings(folder, environ={})
                    clock = FrozenClock(start)
                server = stack.enter_context(open_server(settings, clock))
                prepared = _prepare(server, method, path, kwargs)
                cookies = dict(server.client.cookies)
                before = database_contents(server.stores)
            server.client.cookies.clear()
            server.client.cookies.update(cookies)
            with subtests.test(msg=f"{method} {path.split('?', maxsplit=1)[0]} as {caller}"):
                _check(server, method, prepared, role, kwargs, caller)
            if database_contents(server.stores) != before:
                server = None


# The parametrised table needs one argument per column.
def _check(  # noqa: PLR0917 - one per column
    server: Any, method: str, path: str, role: str, kwargs: dict[str, Any], caller: str
) -> None:
    who = None if caller == "anonymous" else caller
    headers = {**kwargs.get("headers", {}), **server.auth(who), "HX-Request": "true"}
    body = {k: server.junit if v == "JUNIT" else v for k, v in kwargs.items() if k != "headers"}

    response = server.client.request(method, path, headers=headers, **body)

    if who is None:
        assert response.status_code == 401, f"as {caller}: {response.text[:300]}"
    elif who in GRANTS[role]:
        assert 200 <= response.status_code < 300, f"as {caller}: {response.text[:300]}"
    else:
        assert response.status_code == 403, f"as {caller}: {response.text[:300]}"


@pytest.mark.parametrize("path", ["/healthz", "/version"])
def test_health_and_version_are_the_only_anonymous_routes(server: Any, path: str) -> None:
    response = server.client.get(path)
    assert response.status_code == 200
    assert set(response.json()) == ({"status"} if path == "/healthz" else {"version"})


def test_every_route_of_the_app_is_in_the_role_table(server: Any) -> None:
    # API routes from the (authenticated) OpenAPI document; pages, sign-in and the project
    # switcher (kept out of the schema) from their routers.
    from readiness.audittrail.pages import dashboard_pages as audit_pages
    from readiness.audittrail.pages_privacy import dashboard_pages as privacy_pages
    from readiness.contracts.pages import dashboard_pages as contracts_pages
    from readiness.logcheck.pages import dashboard_pages as logs_pages
    from readiness.server.gates_page import gates_page
    from readiness.server.routes import notify, session
    from readiness.testhealth.pages import dashboard_pages

    schema = server.client.get("/openapi.json", headers=server.auth("reader")).json()
    found = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    routers = [("", session.router), ("", notify.page_router)] + [
        ("" if page.path == "/" else page.path.rstrip("/"), page.router)
        for page in [
            *dashboard_pages(),
            gates_page(),
            *audit_pages(),
            *privacy_pages(),
            *contracts_pages(),
            *logs_pages(),
        ]
    ]
    for prefix, router in routers:
        for route in router.routes:
            path: str = getattr(route, "path", "")
            for method in getattr(route, "methods", set()) - {"HEAD"}:
                found.add((method, prefix + path if path != "/" or not prefix else prefix))
    found.add(("GET", "/openapi.json"))
    concrete = {
        (
            m,
            p.replace("{test_id}", T)
            .replace("{test_id:path}", T)
            .replace("{token_id}", "1")
            .replace("{session_id}", "1")
            .replace("{webhook_id}", "1")
            .replace("{request_id}", "1")
            .replace("{run_key}", R)
            .replace("{name}", P)
            .replace("{target_type}/{target_id}", "invoice/inv_1")
            .replace("{leaf_index}", "0")
            .replace("{provider}", PROVIDER)
            .replace("{consumer}", P)
            .replace("{version}", "1")
            .replace("{sha}", SHA)
            .replace("{uuid}", ENV)
            .replace("{branch}", "main")
            .replace("{tag}", "prod")
            .replace("{subject}", SUBJECT)
            .replace("{schema_id}", "1"),
        )
        for m, p in found
    }
    listed = {(m, p.split("?")[0]) for m, p, _, _ in ROUTES}
    anonymous = {("GET", "/healthz"), ("GET", "/version"), ("GET", "/login"), ("POST", "/login")}
    assert sorted(concrete - listed - anonymous) == []
    assert len(concrete) >= 30


def test_the_openapi_document_needs_a_token_and_there_is_no_cdn_swagger_ui(server: Any) -> None:
    assert server.client.get("/openapi.json").status_code == 401
    assert server.client.get("/docs").status_code == 404
