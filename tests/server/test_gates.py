"""Gate history on the server: the API lists and stores gate runs; the gates page shows them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from readiness.gate.history import CheckLine, GateRun
from readiness.gate.service import record_gate_run

FAILED = CheckLine("tests.passed", "fail", "1 of 2 tests failed: tests/test_orders.py::test_pay")
FLAKY = CheckLine("tests.no_new_flaky", "warn", "1 existing test became flaky: t")
OK = CheckLine("tests.quarantine_expired", "pass", "No test is quarantined")
HEAD = "0123456789abcdef0123456789abcdef01234567"


def store(
    server: Any, *, hours: float, verdict: str, duration_s: float, gate: str = "merge"
) -> None:
    checks = (FAILED, FLAKY, OK) if verdict == "fail" else (OK,)
    run = GateRun(
        project=server.app.state.settings.project,
        gate=gate,
        commit=HEAD,
        base=None,
        verdict=verdict,
        checks=checks,
        duration_s=duration_s,
        at=server.clock.now() + timedelta(hours=hours),
        by="ci-bot",
    )
    record_gate_run(server.stores, run, clock=server.clock)


def body(**changes: object) -> dict[str, object]:
    return {
        "gate": "merge",
        "commit": HEAD,
        "base": None,
        "verdict": "fail",
        "checks": [{"id": "tests.passed", "status": "fail", "summary": "1 of 2 tests failed"}],
        "duration_s": 2.5,
        **changes,
    }


def test_a_writer_stores_a_gate_run_and_a_reader_lists_it(server: Any) -> None:
    created = server.client.post("/api/v1/gates/runs", json=body(), headers=server.auth("writer"))

    listed = server.client.get("/api/v1/gates/runs", headers=server.auth("reader"))

    project = server.app.state.settings.project
    expected = {
        "id": 1,
        "project": project,
        "gate": "merge",
        "commit": HEAD,
        "base": None,
        "verdict": "fail",
        "checks": [{"id": "tests.passed", "status": "fail", "summary": "1 of 2 tests failed"}],
        "duration_s": 2.5,
        "at": server.clock.now().isoformat(),
        "by": "writer-bot#2",
    }
    assert (created.status_code, created.json()) == (201, expected)
    assert (listed.status_code, listed.json()) == (
        200,
        {"project": project, "total": 1, "limit": 50, "offset": 0, "runs": [expected]},
    )


def test_the_list_is_paged_newest_first_and_filtered_by_gate(server: Any) -> None:
    for hour in range(4):
        store(server, hours=hour, verdict="pass", duration_s=float(hour))
    store(server, hours=9, verdict="pass", duration_s=1.0, gate="deploy")

    response = server.client.get(
        "/api/v1/gates/runs",
        params={"gate": "merge", "limit": 2, "offset": 1},
        headers=server.auth("reader"),
    )

    data = response.json()
    assert (data["total"], [r["duration_s"] for r in data["runs"]]) == (4, [2.0, 1.0])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"gate": "release"}, "gate"),
        ({"duration_s": -1.0}, "duration_s"),
        ({"commit": "a" * 65}, "commit"),
        ({"checks": [{"id": "x.y", "status": "fail", "summary": "s" * 501}]}, "summary"),
    ],
)
def test_a_gate_run_the_table_cannot_hold_is_refused_with_422(
    server: Any, changes: dict[str, object], field: str
) -> None:
    response = server.client.post(
        "/api/v1/gates/runs", json=body(**changes), headers=server.auth("writer")
    )

    assert response.status_code == 422
    assert field in response.text


def test_the_gates_page_lists_runs_with_verdict_short_commit_and_findings(server: Any) -> None:
    store(server, hours=0, verdict="pass", duration_s=1.0)
    store(server, hours=1, verdict="fail", duration_s=3.0)

    response = server.client.get("/gates", headers=server.auth("reader"))

    page = response.text
    assert response.status_code == 200
    assert '<span class="badge status-broken">fail</span>' in page
    assert '<span class="badge status-healthy">pass</span>' in page
    assert "<code>0123456789ab</code>" in page
    assert HEAD not in page
    assert "<td>1 passed, 1 warned, 1 failed</td>" in page
    assert (
        "<div><code>tests.passed</code> (fail): 1 of 2 tests failed: "
        "tests/test_orders.py::test_pay</div>"
    ) in page
    assert '<span class="pager-rows">2 rows</span>' in page


def test_the_gates_page_draws_the_pass_rate_and_duration_trends_with_their_figures(
    server: Any,
) -> None:
    store(server, hours=0, verdict="pass", duration_s=1.0)
    store(server, hours=1, verdict="fail", duration_s=3.0)
    store(server, hours=26, verdict="pass", duration_s=2.0)

    page = server.client.get("/gates", headers=server.auth("reader")).text

    assert "Gate pass rate per day" in page
    assert "Median gate duration per day" in page
    assert (
        '<tr><td>2026-03-10</td><td class="num">2</td><td class="num">1</td>'
        '<td class="num">50%</td><td class="num">2.0 s</td></tr>'
    ) in page
    assert (
        '<tr><td>2026-03-11</td><td class="num">1</td><td class="num">1</td>'
        '<td class="num">100%</td><td class="num">2.0 s</td></tr>'
    ) in page


def test_the_gates_page_pages_through_runs_keeping_the_gate_filter(server: Any) -> None:
    for minute in range(51):
        store(server, hours=minute / 60, verdict="pass", duration_s=1.0)

    first = server.client.get("/gates?gate=merge", headers=server.auth("reader")).text
    second = server.client.get("/gates?gate=merge&page=2", headers=server.auth("reader")).text

    assert "rows 1–50 of 51 · page 1 of 2" in first
    assert (
        '<a class="pager-link" rel="next" href="/gates?gate=merge&amp;page=2" '
        'hx-get="/gates/table?gate=merge&amp;page=2"'
    ) in first
    assert "rows 51–51 of 51 · page 2 of 2" in second
    assert '<a class="pager-link" rel="prev" href="/gates?gate=merge"' in second


def _whens(page: str) -> list[str]:
    return re.findall(r'<td class="when">([^<]*)</td>', page)


def _durations(page: str) -> list[str]:
    return re.findall(r'<td class="num">([0-9.]+ s)</td>\n    <td>ci-bot', page)


def test_the_gates_runs_sort_by_a_column_in_the_database_and_keep_the_view_in_links(
    server: Any,
) -> None:
    store(server, hours=0, verdict="pass", duration_s=3.0)
    store(server, hours=1, verdict="fail", duration_s=1.0, gate="deploy")
    store(server, hours=2, verdict="pass", duration_s=2.0)

    def get(query: str) -> Any:
        return server.client.get(f"/gates?{query}", headers=server.auth("reader"))

    newest_first = get("").text
    by_duration = get("sort=duration").text  # numbers: largest first on the first click
    shortest = get("sort=duration&dir=asc").text
    merge_only = get("gate=merge&sort=duration&dir=asc").text
    partial = get("sort=verdict&dir=asc").text

    assert _durations(newest_first) == ["2.0 s", "1.0 s", "3.0 s"]
    assert _durations(by_duration) == ["3.0 s", "2.0 s", "1.0 s"]
    assert _durations(shortest) == ["1.0 s", "2.0 s", "3.0 s"]
    assert _durations(merge_only) == ["2.0 s", "3.0 s"]
    assert _durations(partial) == ["1.0 s", "2.0 s", "3.0 s"]  # fail, then passes newest first
    assert '<th scope="col" class="num" aria-sort="ascending"><a class="sort" href="/gates?' in (
        shortest
    )
    table = server.client.get("/gates/table?sort=gate", headers=server.auth("reader"))
    assert table.headers["HX-Push-Url"] == "/gates?sort=gate&dir=asc"
    assert "<h1>" not in table.text
    assert get("sort=commit").status_code == 422  # not a sortable column
    assert get("sort=at&dir=sideways").status_code == 422


def test_the_gates_page_without_runs_says_how_to_record_one(server: Any) -> None:
    page = server.client.get("/gates", headers=server.auth("reader")).text

    assert "No gate runs yet. Run the gate in CI" in page
    assert '<code>readiness gate merge --head "$GIT_COMMIT" --format markdown</code>' in page


def test_the_gates_page_is_in_the_navigation(server: Any) -> None:
    page = server.client.get("/gates", headers=server.auth("reader")).text

    assert '<a href="/gates" aria-current="page">Gates</a>' in page


def test_the_gates_page_refuses_an_unknown_gate(server: Any) -> None:
    response = server.client.get("/gates?gate=release", headers=server.auth("reader"))

    assert response.status_code == 422


def test_a_control_character_in_a_check_id_is_refused_naming_the_field(server: Any) -> None:
    checks = [{"id": "tests.\x00passed", "status": "pass", "summary": "ok"}]

    response = server.client.post(
        "/api/v1/gates/runs", json=body(checks=checks), headers=server.auth("writer")
    )

    assert (response.status_code, response.json()["error"]["message"]) == (
        422,
        "body field 'checks.0.id': a control character ('\\x00') at position 6 is not allowed "
        "(got 'tests.\\x00passed')",
    )
    assert (
        server.client.get("/api/v1/gates/runs", headers=server.auth("reader")).json()["total"] == 0
    )
