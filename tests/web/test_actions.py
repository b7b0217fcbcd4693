"""The action block (``readiness.web.actions``) on a page of its own: roles, CSRF, confirmation.

A small page declares one action whose effect is appending to a list, so each test sees
exactly whether the action ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.errors import InputError
from readiness.server.app import create_app
from readiness.storage import open_stores
from readiness.web.actions import (
    Action,
    ActionField,
    ActionResult,
    Confirmed,
    can_act,
    run_action,
)
from readiness.web.deps import Principal, require_reader, require_writer
from readiness.web.pages import DashboardPage, render
from tests.server.conftest import Server, empty_plugin_manager

PAGE = """{% extends "base.html" %}
{% from "_actions.html" import action_form, action_result with context %}
{% block content %}<h1>Demo</h1>{{ action_result(result) }}{{ action_form(action) }}{% endblock %}
"""
ACTION = Action(
    "bump",
    "Bump",
    "/demo/bump",
    "Bump the counter?",
    (ActionField("note", "Note", required=True),),
    back="/demo",
)


def _router(done: list[str]) -> APIRouter:
    router = APIRouter()

    def page(request: Request, result: ActionResult | None = None) -> Response:
        return render(request, "demo.html", {"action": ACTION, "result": result})

    @router.get("")
    def show(request: Request, _who: Annotated[Principal, Depends(require_reader)]) -> Response:
        return page(request)

    @router.post("/bump")
    def bump(
        request: Request,
        _who: Annotated[Principal, Depends(require_writer)],
        note: Annotated[str, Form(max_length=100)],
        confirmed: Confirmed = "",
    ) -> Response:
        def perform() -> str:
            if note == "bad":
                raise InputError("note 'bad' is refused")
            done.append(note)
            return f"Bumped with {note}."

        return run_action(
            request,
            ACTION,
            confirmed=confirmed,
            values={"note": note},
            perform=perform,
            page=lambda result: page(request, result),
        )

    return router


@pytest.fixture
def demo(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> Iterator[tuple[Server, list[str]]]:
    from starlette.testclient import TestClient

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "demo.html").write_text(PAGE, encoding="utf-8")
    stores = open_stores(settings)
    svc = TokenService(stores=stores, clock=clock, actor="setup")
    tokens = {role: svc.create(name=f"{role}-bot", role=role)[0] for role in ("reader", "writer")}
    done: list[str] = []
    app = create_app(
        settings,
        stores=stores,
        clock=clock,
        pm=empty_plugin_manager(),
        extra_pages=[DashboardPage("Demo", "/demo", None, _router(done), templates)],
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Server(client, app, tokens, stores, clock), done
    stores.dispose()


def _csrf(server: Server, role: str) -> str:
    assert server.sign_in(server.tokens[role]).status_code == 303
    match = re.search(r'name="csrf_token" value="([^"]+)"', server.client.get("/demo").text)
    assert match is not None
    return match.group(1)


def _form(text: str) -> str:
    match = re.search(r'<form class="action"[^>]*>', text)
    return match.group(0) if match else ""


def test_can_act_admits_the_roles_that_include_the_actions_role() -> None:
    def who(role: str) -> Principal:
        return Principal(1, "x", role, "session")

    assert [can_act(who(r), ACTION) for r in ("reader", "writer", "admin", "auditor")] == [
        False,
        True,
        True,
        False,
    ]
    assert can_act(None, ACTION) is False


def test_a_reader_sees_no_action_form(demo: tuple[Server, list[str]]) -> None:
    server, _ = demo
    _csrf(server, "reader")

    page = server.client.get("/demo").text

    assert "<h1>Demo</h1>" in page
    assert _form(page) == ""


def test_a_writer_sees_the_form_with_its_confirmation_and_csrf_token(
    demo: tuple[Server, list[str]],
) -> None:
    server, _ = demo
    csrf = _csrf(server, "writer")

    page = server.client.get("/demo").text

    assert _form(page) == (
        '<form class="action" id="action-bump" method="post" action="/demo/bump"\n'
        '      hx-post="/demo/bump" hx-confirm="Bump the counter?" '
        'hx-vals=\'{"confirmed": "yes"}\'\n'
        '      hx-target="#main" hx-select="#main" hx-swap="outerHTML">'
    )
    assert f'<input type="hidden" name="csrf_token" value="{csrf}">' in page


def test_a_readers_post_is_403_even_with_a_valid_csrf_token(
    demo: tuple[Server, list[str]],
) -> None:
    server, done = demo
    csrf = _csrf(server, "reader")

    response = server.client.post(
        "/demo/bump", data={"note": "x", "csrf_token": csrf, "confirmed": "yes"}
    )

    assert response.status_code == 403
    assert "role &#39;reader&#39; may not do this; it needs the &#39;writer&#39; role" in (
        response.text
    )
    assert done == []


@pytest.mark.parametrize("token", [None, "wrong"], ids=["missing", "wrong"])
def test_a_post_without_the_right_csrf_token_is_403(
    demo: tuple[Server, list[str]], token: str | None
) -> None:
    server, done = demo
    _csrf(server, "writer")
    data = {"note": "x", "confirmed": "yes"} | ({"csrf_token": token} if token else {})

    response = server.client.post("/demo/bump", data=data)

    assert response.status_code == 403
    assert "CSRF token missing or wrong" in response.text
    assert done == []


def test_an_unconfirmed_post_runs_nothing_and_asks_on_a_confirmation_page(
    demo: tuple[Server, list[str]],
) -> None:
    server, done = demo
    csrf = _csrf(server, "writer")

    response = server.client.post(
        "/demo/bump", data={"note": "<b>x</b>", "csrf_token": csrf}, headers={"Referer": "/x"}
    )

    assert response.status_code == 200
    assert done == []
    assert "<h1>Confirm: Bump</h1>" in response.text
    assert "<p>Bump the counter?</p>" in response.text
    assert '<input type="hidden" name="note" value="&lt;b&gt;x&lt;/b&gt;">' in response.text
    assert '<input type="hidden" name="confirmed" value="yes">' in response.text
    assert '<a class="cancel" href="/demo">Cancel</a>' in response.text


def test_the_confirmation_page_posts_the_same_values_and_then_the_action_runs(
    demo: tuple[Server, list[str]],
) -> None:
    server, done = demo
    csrf = _csrf(server, "writer")
    asked = server.client.post("/demo/bump", data={"note": "n1", "csrf_token": csrf}).text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked))

    response = server.client.post("/demo/bump", data=fields)

    assert fields == {"csrf_token": csrf, "note": "n1", "confirmed": "yes"}
    assert response.status_code == 200
    assert '<p class="notice" role="status">Bumped with n1.</p>' in response.text
    assert done == ["n1"]


def test_a_refused_action_shows_its_error_with_422_and_200_for_htmx(
    demo: tuple[Server, list[str]],
) -> None:
    server, done = demo
    csrf = _csrf(server, "writer")
    data: dict[str, Any] = {"note": "bad", "csrf_token": csrf, "confirmed": "yes"}

    plain = server.client.post("/demo/bump", data=data)
    htmx = server.client.post("/demo/bump", data=data, headers={"HX-Request": "true"})

    assert (plain.status_code, htmx.status_code) == (422, 200)
    for response in (plain, htmx):
        assert '<p class="alert" role="alert">note &#39;bad&#39; is refused</p>' in response.text
    assert done == []
