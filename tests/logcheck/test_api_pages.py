"""``POST /api/v1/logs/lint`` (writer role) and the ``/logs`` dashboard page (reader role)."""

from __future__ import annotations

from typing import Any

from readiness.logcheck.lint import RULES
from readiness.logcheck.pages import catalogue
from tests.server.conftest import Server, server  # noqa: F401 (the fixture)

LEAK = 'import structlog\nlog = structlog.get_logger()\nlog.info("login", email=e)\n'


def test_a_writer_lints_sources_sent_in_the_body(server: Server) -> None:  # noqa: F811
    body = {
        "files": [
            {"path": "app/auth.py", "source": LEAK},
            {"path": "app/bad.py", "source": "def f(:\n"},
            {"path": "tests/test_x.py", "source": 'print("fine in tests")\n'},
        ]
    }
    response = server.client.post("/api/v1/logs/lint", json=body, headers=server.auth("writer"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["files"], data["fail_on"], data["failed"], data["suppressed"]) == (
        3,
        "error",
        True,
        0,
    )
    assert [(f["file"], f["line"], f["column"], f["rule"]) for f in data["findings"]] == [
        ("app/auth.py", 3, 19, "pii-name")
    ]
    assert data["errors"] == [
        {"file": "app/bad.py", "line": 1, "column": 7, "reason": "not valid Python: invalid syntax"}
    ]


def test_the_api_never_reads_a_server_path(server: Server) -> None:  # noqa: F811
    body = {"files": [{"path": "/etc/passwd", "source": "x = 1\n"}]}
    response = server.client.post("/api/v1/logs/lint", json=body, headers=server.auth("writer"))
    assert (response.status_code, response.json()["findings"], response.json()["errors"]) == (
        200,
        [],
        [],
    )


def test_the_lint_api_needs_the_writer_role_and_a_bounded_body(
    server: Server,  # noqa: F811
) -> None:
    body = {"files": [{"path": "a.py", "source": "x = 1\n"}]}
    assert server.client.post("/api/v1/logs/lint", json=body).status_code == 401
    reader = server.client.post("/api/v1/logs/lint", json=body, headers=server.auth("reader"))
    assert (reader.status_code, reader.json()["error"]["code"]) == (403, "forbidden")
    bad: dict[str, Any]
    for bad in (
        {"files": []},
        {"files": [{"path": "", "source": ""}]},
        {"files": [{"path": "a.py", "source": ""}] * 501},
        {"files": [{"path": "a.py", "source": ""}], "fail_on": "fatal"},
        {"files": [{"path": "a.py", "source": "x" * ((1 << 20) + 1)}]},  # one file over 1 MiB
    ):
        response = server.client.post("/api/v1/logs/lint", json=bad, headers=server.auth("writer"))
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input")
    # 33 files of 1 MiB: each within its limit, the body over the route's 32 MiB cap
    huge = {"files": [{"path": "a.py", "source": "x" * (1 << 20)}] * 33}
    response = server.client.post("/api/v1/logs/lint", json=huge, headers=server.auth("writer"))
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_large")


def test_an_unknown_disabled_rule_is_a_4xx_in_the_one_error_shape(
    server: Server,  # noqa: F811
) -> None:
    body = {"files": [{"path": "a.py", "source": ""}], "disable": ["nope"]}
    response = server.client.post("/api/v1/logs/lint", json=body, headers=server.auth("writer"))
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert response.json()["error"]["message"] == (
        "[tool.readiness.logs] disable: unknown rule nope; `readiness logs rules` lists them"
    )


def test_the_page_lists_every_rule_with_its_examples(server: Server) -> None:  # noqa: F811
    page = server.client.get("/logs", headers=server.auth("reader"))
    assert page.status_code == 200
    for rule in RULES.values():
        assert f"<code>{rule.id}</code>" in page.text
    assert "logs.no_pii_in_log_calls" in page.text
    nav = server.client.get("/", headers=server.auth("reader")).text
    assert 'href="/logs"' in nav
    assert server.client.get("/logs").status_code in {302, 303, 401}


def test_the_catalogue_shows_the_finding_of_each_failing_example() -> None:
    shown = {entry["id"]: entry["finding"] for entry in catalogue()}
    assert sorted(rule for rule, finding in shown.items() if finding is None) == []
    pii = shown["pii-name"]
    assert pii is not None
    assert pii.message == (
        "field 'email' is named like personal data (email) and reaches the log line"
    )
