"""Projects over HTTP on SQLite and PostgreSQL: selecting one, token limits, administration."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings, load_settings
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage.engine import Stores
from readiness.testhealth.api import api_router
from readiness.testing import captured_audit_events, junit_xml
from tests.server.conftest import empty_plugin_manager

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

MISC = "tests/test_misc.py::test_config"
XML = {"Content-Type": "application/xml"}


@dataclass
class Org:
    """A server whose default project is ``main``, with ``shop``, ``billing`` and ``hr``."""

    client: TestClient
    tokens: dict[str, str]
    stores: Stores
    runs: int = 0

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def ingest(self, who: str, query: str = "", outcome: str = "passed") -> Any:
        self.runs += 1
        return self.client.post(
            f"/api/v1/tests/runs?run_id={self.runs}{query}",
            content=junit_xml({MISC: outcome}),
            headers={**self.auth(who), **XML},
        )

    def health(self, project: str) -> list[tuple[str, int, int]]:
        found = self.client.get(
            "/api/v1/tests/health", params={"project": project}, headers=self.auth("admin")
        ).json()
        return [(h["test_id"], h["runs"], h["failures"]) for h in found]


@pytest.fixture
def org(stores: Stores, backend_settings: Settings, clock: FrozenClock) -> Iterator[Org]:
    settings = load_settings(
        backend_settings.root,
        environ={},
        overrides={
            "state_url": backend_settings.state_url,
            "audit_url": backend_settings.audit_url,
            "project": "main",
        },
    )
    projects = ProjectService(stores=stores, clock=clock, actor="setup")
    for name in ("main", "shop", "billing", "hr"):
        projects.create(name)
    svc = TokenService(stores=stores, clock=clock, actor="setup")
    tokens = {
        "admin": svc.create(name="root", role="admin")[0],
        "writer": svc.create(name="ci", role="writer")[0],
        "shop-writer": svc.create(name="shop-ci", role="writer", projects=["shop"])[0],
        "two-reader": svc.create(name="dev", role="reader", projects=["shop", "billing"])[0],
    }
    app = create_app(
        settings,
        stores=stores,
        clock=clock,
        pm=empty_plugin_manager(),
        extra_routers=[api_router()],
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Org(client, tokens, stores)


def test_the_project_query_parameter_selects_where_a_run_is_stored(org: Org) -> None:
    assert org.ingest("writer", "&project=shop", "failed").status_code == 200
    assert org.ingest("writer", "&project=billing").status_code == 200

    assert org.health("shop") == [(MISC, 1, 1)]
    assert org.health("billing") == [(MISC, 1, 0)]
    assert org.health("main") == []


def test_without_a_project_a_token_limited_to_one_acts_on_it(org: Org) -> None:
    assert org.ingest("shop-writer").status_code == 200

    assert org.health("shop") == [(MISC, 1, 0)]


def test_without_a_project_an_unlimited_token_acts_on_the_servers_default(org: Org) -> None:
    assert org.ingest("writer").status_code == 200

    assert org.health("main") == [(MISC, 1, 0)]


def test_an_unknown_project_is_404_in_the_error_shape(org: Org) -> None:
    response = org.client.get("/api/v1/tests/flaky?project=nope", headers=org.auth("writer"))

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "project 'nope' does not exist (known: billing, hr, main, shop); "
            "an admin creates it with `readiness projects create nope`",
            "details": {"project": "nope", "known": ["billing", "hr", "main", "shop"]},
        }
    }


def test_a_project_outside_the_tokens_limits_is_403_in_the_error_shape(org: Org) -> None:
    response = org.client.get("/api/v1/tests/flaky?project=hr", headers=org.auth("two-reader"))

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "forbidden",
            "message": "token 'dev' may not use project 'hr'; it is limited to: billing, shop. "
            "Choose one of those, or ask an admin for a token that may use 'hr'",
            "details": {"project": "hr", "allowed": ["billing", "shop"]},
        }
    }


def test_a_limited_token_cannot_tell_a_missing_project_from_a_forbidden_one(org: Org) -> None:
    response = org.client.get("/api/v1/tests/flaky?project=nope", headers=org.auth("two-reader"))

    assert response.status_code == 403


def test_a_token_limited_to_several_projects_must_name_one(org: Org) -> None:
    response = org.client.get("/api/v1/tests/flaky", headers=org.auth("two-reader"))

    assert (response.status_code, response.json()["error"]["details"]["project"]) == (403, "main")


def test_a_writer_limited_to_one_project_cannot_write_to_another(org: Org) -> None:
    response = org.ingest("shop-writer", "&project=billing")

    assert response.status_code == 403
    assert org.health("billing") == []


def test_a_project_name_no_project_can_have_is_400(org: Org) -> None:
    response = org.client.get("/api/v1/tests/flaky?project=a%00b", headers=org.auth("writer"))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "project 'a\\x00b' cannot name a project: use 1-64 characters from a-z, 0-9, '-', "
        "'_' and '.', starting with a letter or digit"
    )


def test_the_audit_event_of_an_ingest_names_its_project(org: Org) -> None:
    org.ingest("writer", "&project=shop")

    [event] = captured_audit_events(org.stores, action_prefix="tests.run.ingested")

    assert event.details["project"] == "shop"


def test_the_project_list_shows_a_limited_token_only_its_projects(org: Org) -> None:
    response = org.client.get("/api/v1/projects", headers=org.auth("two-reader"))

    assert [(p["name"], p["default"]) for p in response.json()] == [
        ("billing", False),
        ("shop", False),
    ]


def test_the_project_list_shows_an_unlimited_token_every_project_and_the_default(
    org: Org,
) -> None:
    response = org.client.get("/api/v1/projects", headers=org.auth("writer"))

    assert [(p["name"], p["default"]) for p in response.json()] == [
        ("billing", False),
        ("hr", False),
        ("main", True),
        ("shop", False),
    ]


def test_an_admin_creates_a_project(org: Org) -> None:
    response = org.client.post("/api/v1/projects", json={"name": "web"}, headers=org.auth("admin"))

    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("name", "created_by", "default")} == {
        "name": "web",
        "created_by": "root#1",
        "default": False,
    }


def test_creating_a_project_with_an_invalid_name_is_400(org: Org) -> None:
    response = org.client.post(
        "/api/v1/projects", json={"name": "Web App"}, headers=org.auth("admin")
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "project name 'Web App' is not valid: use 1-64 characters from a-z, 0-9, '-', '_' "
        "and '.', starting with a letter or digit (e.g. 'web-app')"
    )


def test_creating_a_taken_project_is_409(org: Org) -> None:
    response = org.client.post("/api/v1/projects", json={"name": "shop"}, headers=org.auth("admin"))

    assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")


def test_renaming_a_project_keeps_its_history_and_its_tokens_working(org: Org) -> None:
    org.ingest("shop-writer", outcome="failed")

    response = org.client.patch(
        "/api/v1/projects/shop", json={"name": "shop-api"}, headers=org.auth("admin")
    )

    assert (response.status_code, response.json()["name"]) == (200, "shop-api")
    assert org.health("shop-api") == [(MISC, 1, 1)]
    assert org.ingest("shop-writer").status_code == 200
    assert org.health("shop-api") == [(MISC, 2, 1)]


def test_deleting_a_project_that_holds_data_is_409(org: Org) -> None:
    org.ingest("shop-writer")

    response = org.client.delete("/api/v1/projects/shop", headers=org.auth("admin"))

    assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")


def test_deleting_an_empty_project_removes_it(org: Org) -> None:
    response = org.client.delete("/api/v1/projects/hr", headers=org.auth("admin"))

    assert response.status_code == 200
    assert org.client.get("/api/v1/projects/hr", headers=org.auth("admin")).status_code == 404


def test_an_admin_creates_a_token_limited_to_projects(org: Org) -> None:
    response = org.client.post(
        "/api/v1/tokens",
        json={"name": "billing-ci", "role": "writer", "projects": ["billing", "shop"]},
        headers=org.auth("admin"),
    )

    assert response.status_code == 201
    assert response.json()["projects"] == ["billing", "shop"]
    token = {"Authorization": f"Bearer {response.json()['token']}"}
    assert org.client.get("/api/v1/tests/flaky?project=hr", headers=token).status_code == 403


def test_a_token_limited_to_an_unknown_project_is_not_created(org: Org) -> None:
    response = org.client.post(
        "/api/v1/tokens",
        json={"name": "x", "role": "reader", "projects": ["nope"]},
        headers=org.auth("admin"),
    )

    assert response.status_code == 404
    assert [
        t["name"] for t in org.client.get("/api/v1/tokens", headers=org.auth("admin")).json()
    ] == [
        "root",
        "ci",
        "shop-ci",
        "dev",
    ]


def test_an_admin_token_cannot_be_limited_to_projects(org: Org) -> None:
    response = org.client.post(
        "/api/v1/tokens",
        json={"name": "x", "role": "admin", "projects": ["shop"]},
        headers=org.auth("admin"),
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "an admin token administers every project and cannot be limited to some; limit a "
        "reader, writer or auditor token instead, or drop --project"
    )
