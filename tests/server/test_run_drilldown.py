"""The per-run drill-down: a real pytest report's failures with their messages intact, each
failing test's runs around it, and links built from ``[links]`` in the configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from markupsafe import escape

from readiness.config import LinksSettings, Settings
from readiness.testing import junit_xml

SUITE = """
import pytest


def test_totals():
    assert [1, 2, 3] == [1, 2, 4]


@pytest.mark.parametrize("tag", ["<b>bold</b>"])
def test_markup(tag):
    assert tag == "<i>it</i>"


def test_passes():
    pass
"""
TOTALS = "test_shop.py::test_totals"
MARKUP = "test_shop.py::test_markup[<b>bold</b>]"
# pytest's own assertion diffs, as its --junitxml writes them (pytest is pinned by uv.lock).
TOTALS_MESSAGE = (
    "assert [1, 2, 3] == [1, 2, 4]\n  \n  At index 2 diff: 3 != 4\n  \n"
    "  Full diff: (-: missing in left side, +: extra in left side)\n"
    "    [\n        1,\n        2,\n  -     4,\n  ?     ^\n  +     3,\n  ?     ^\n    ]"
)
MARKUP_MESSAGE = (
    "AssertionError: assert '<b>bold</b>' == '<i>it</i>'\n  \n  - <i>it</i>\n  + <b>bold</b>"
)
LINKS = LinksSettings(
    commit="https://git.example/shop/commit/{commit}",
    pull_request="https://git.example/shop/pull/{pr}",
    ci_run="https://ci.example/shop/runs/{run_id}/attempts/{attempt}",
)


@pytest.fixture(scope="module")
def pytest_report(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A JUnit report written by a real pytest run of ``SUITE``."""
    root = tmp_path_factory.mktemp("suite")
    (root / "test_shop.py").write_text(SUITE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["CI"] = "true"  # pytest then writes the full diff, whatever the caller's environment
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--junitxml=report.xml",
            "test_shop.py",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # two tests fail, as written
    return (root / "report.xml").read_bytes()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"links": LINKS})


def _ingest(server: Any, report: bytes, query: str) -> str:
    response = server.client.post(
        f"/api/v1/tests/runs?{query}",
        content=report,
        headers={**server.auth("writer"), "Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    run_key: str = response.json()[0]["run_key"]
    return run_key


def _pytest_run(server: Any, report: bytes, extra: str = "") -> str:
    return _ingest(
        server,
        report,
        "commit=c0ffee42&branch=feature/x&run_id=77&attempt=2&pr=42"
        "&timestamp=2026-03-10T09:00:00Z&source=report.xml" + extra,
    )


def test_the_run_page_shows_each_assertion_diff_with_its_line_breaks_escaped(
    server: Any, pytest_report: bytes
) -> None:
    run_key = _pytest_run(server, pytest_report)

    response = server.client.get(f"/tests/runs/{run_key}", headers=server.auth("reader"))

    assert response.status_code == 200, response.text
    page = response.text
    assert f'<pre class="message">{escape(TOTALS_MESSAGE)}</pre>' in page
    assert f'<pre class="message">{escape(MARKUP_MESSAGE)}</pre>' in page
    assert (
        '<h3><a href="/tests/t/test_shop.py%3A%3Atest_markup%5B%3Cb%3Ebold%3C/b%3E%5D">'
        "test_shop.py::test_markup[&lt;b&gt;bold&lt;/b&gt;]</a></h3>"
    ) in page
    assert "<b>bold</b>" not in page
    assert "test_passes" not in page  # only failures are listed


def test_the_run_page_links_commit_pull_request_and_ci_run_from_the_templates(
    server: Any, pytest_report: bytes
) -> None:
    run_key = _pytest_run(server, pytest_report)

    page = server.client.get(f"/tests/runs/{run_key}", headers=server.auth("reader")).text

    assert '<a href="https://git.example/shop/commit/c0ffee42"><code>c0ffee42</code></a>' in page
    assert '<a href="https://git.example/shop/pull/42">#42</a>' in page
    assert '<a href="https://ci.example/shop/runs/77/attempts/2">77</a>' in page


def test_the_ci_own_url_of_a_run_is_preferred_and_only_when_it_is_http(
    server: Any, pytest_report: bytes
) -> None:
    own = _pytest_run(server, pytest_report, "&url=https://ci.example/job/9?tab=log%26x")
    hostile = _pytest_run(server, pytest_report, "&job=other&url=javascript:alert(1)")
    assert hostile != own

    own_page = server.client.get(f"/tests/runs/{own}", headers=server.auth("reader")).text
    hostile_page = server.client.get(f"/tests/runs/{hostile}", headers=server.auth("reader")).text

    assert '<a href="https://ci.example/job/9?tab=log&amp;x">77</a>' in own_page
    assert '<a href="https://ci.example/shop/runs/77/attempts/2">77</a>' in hostile_page
    assert "javascript:" not in hostile_page


def test_link_values_are_url_quoted(server: Any) -> None:
    report = junit_xml({"tests/test_a.py::test_x": "failed"})
    run_key = _ingest(server, report, "commit=a/b%3Cc%3E&pr=4%202&run_id=r%22q")

    body = server.client.get(f"/api/v1/tests/runs/{run_key}", headers=server.auth("reader"))

    assert body.json()["links"] == {
        "ci_run": "https://ci.example/shop/runs/r%22q/attempts/1",
        "commit": "https://git.example/shop/commit/a%2Fb%3Cc%3E",
        "pull_request": "https://git.example/shop/pull/4%202",
    }


def test_a_link_whose_placeholder_has_no_value_is_left_out(server: Any) -> None:
    report = junit_xml({"tests/test_a.py::test_x": "failed"})
    run_key = _ingest(server, report, "branch=main")  # no commit, pull request nor CI run id

    body = server.client.get(f"/api/v1/tests/runs/{run_key}", headers=server.auth("reader"))
    page = server.client.get(f"/tests/runs/{run_key}", headers=server.auth("reader")).text

    assert body.json()["links"] == {"ci_run": None, "commit": None, "pull_request": None}
    assert "git.example" not in page
    assert "ci.example" not in page


def test_the_runs_list_links_each_run_to_its_page(server: Any) -> None:
    run_key = server.client.get("/api/v1/tests/runs", headers=server.auth("reader")).json()[0][
        "run_key"
    ]

    page = server.client.get("/tests/runs", headers=server.auth("reader")).text

    assert f'<td class="num when"><a href="/tests/runs/{run_key}">2026-03-10 09:30</a></td>' in page


def test_an_unknown_run_is_a_404_page_and_a_404_in_the_api_error_shape(server: Any) -> None:
    page = server.client.get("/tests/runs/nope", headers=server.auth("reader"))
    api = server.client.get("/api/v1/tests/runs/nope", headers=server.auth("reader"))

    assert page.status_code == 404
    message = "run 'nope' is unknown in project 'project'; the runs page lists the recent runs"
    assert str(escape(message)) in page.text
    assert api.status_code == 404
    assert api.json() == {"error": {"code": "not_found", "message": message, "details": {}}}


def test_the_run_page_needs_the_reader_role(server: Any) -> None:
    assert server.client.get("/api/v1/tests/runs/nope").status_code == 401


def test_the_api_gives_the_run_its_links_and_each_failure_with_its_history(
    server: Any, pytest_report: bytes
) -> None:
    """Four runs of the same tests around the drilled-down run, two before and two after; with
    each_side=3 all four show, newest first, each placed relative to the run."""
    keys = []
    for hour in (6, 7, 8, 10, 11):
        keys.append(
            _ingest(
                server,
                junit_xml(
                    {TOTALS: "passed" if hour != 10 else "failed", MARKUP: "passed"},
                    seed=str(hour),  # each report differs: an identical one is a duplicate
                ),
                f"commit=c{hour}&branch=main&timestamp=2026-03-10T{hour:02d}:00:00Z",
            )
        )
    run_key = _pytest_run(server, pytest_report)  # 09:00, between 08:00 and 10:00

    body = server.client.get(f"/api/v1/tests/runs/{run_key}", headers=server.auth("reader"))

    assert body.status_code == 200, body.text
    data = body.json()
    assert data["run"] == {
        "run_key": run_key,
        "ci_run_id": "77",
        "attempt": 2,
        "job": None,
        "commit": "c0ffee42",
        "branch": "feature/x",
        "started_at": "2026-03-10T09:00:00+00:00",
        "source": "report.xml",
        "format": "pytest",
        "seed": None,
        "total": 3,
        "failed": 2,
        "skipped": 0,
        "reruns": 0,
        "duration_s": data["run"]["duration_s"],  # measured by pytest
        "infra_failure": False,
        "pr": "42",
        "url": None,
        "provider": None,
    }
    assert data["links"] == {
        "ci_run": "https://ci.example/shop/runs/77/attempts/2",
        "commit": "https://git.example/shop/commit/c0ffee42",
        "pull_request": "https://git.example/shop/pull/42",
    }
    assert data["failed_tests"] == 2

    def around(first_of_totals: str) -> list[dict[str, Any]]:
        rows = [
            ("after", keys[4], "2026-03-10T11:00:00+00:00", "c11", "main", "passed"),
            ("after", keys[3], "2026-03-10T10:00:00+00:00", "c10", "main", first_of_totals),
            ("this run", run_key, "2026-03-10T09:00:00+00:00", "c0ffee42", "feature/x", "failed"),
            ("before", keys[2], "2026-03-10T08:00:00+00:00", "c8", "main", "passed"),
            ("before", keys[1], "2026-03-10T07:00:00+00:00", "c7", "main", "passed"),
            ("before", keys[0], "2026-03-10T06:00:00+00:00", "c6", "main", "passed"),
        ]
        return [
            {
                "position": p,
                "run_key": k,
                "started_at": at,
                "commit": c,
                "branch": b,
                "attempts": [a],
            }
            for p, k, at, c, b, a in rows
        ]

    assert data["failures"] == [
        {
            "test_id": MARKUP,
            "attempts": ["failed"],
            "kind": "assertion",
            "message": MARKUP_MESSAGE,
            "message_cut": False,
            "history": around("passed"),
        },
        {
            "test_id": TOTALS,
            "attempts": ["failed"],
            "kind": "assertion",
            "message": TOTALS_MESSAGE,
            "message_cut": False,
            "history": around("failed"),
        },
    ]


def test_a_run_is_found_only_in_its_own_project(server: Any) -> None:
    admin, reader = server.auth("admin"), server.auth("reader")
    assert server.client.post("/api/v1/projects", json={"name": "billing"}, headers=admin)
    billing_run = _ingest(
        server, junit_xml({"tests/test_bill.py::test_charge": "failed"}), "project=billing"
    )

    in_billing = server.client.get(f"/tests/runs/{billing_run}?project=billing", headers=reader)
    elsewhere = server.client.get(f"/api/v1/tests/runs/{billing_run}", headers=reader)

    assert in_billing.status_code == 200
    assert "tests/test_bill.py::test_charge</a></h3>" in in_billing.text
    assert elsewhere.status_code == 404
    assert elsewhere.json()["error"]["message"] == (
        f"run '{billing_run}' is unknown in project 'project'; the runs page lists the recent runs"
    )


def test_the_run_page_labels_the_history_newest_first_and_links_the_other_runs(
    server: Any, pytest_report: bytes
) -> None:
    before = _ingest(
        server,
        junit_xml({TOTALS: "passed"}, seed="1"),
        "commit=c8&branch=main&timestamp=2026-03-10T08:00:00Z",
    )
    run_key = _pytest_run(server, pytest_report)

    page = server.client.get(f"/tests/runs/{run_key}", headers=server.auth("reader")).text

    assert "<caption>Runs of this test around this one, newest first</caption>" in page
    assert (
        '<tr class="current">\n'
        "        <td><strong>this run</strong></td>\n"
        '        <td class="when">2026-03-10 09:00</td>\n'
        "        <td>feature/x</td>\n"
        "        <td><code>c0ffee42</code></td>\n"
        "        <td>failed</td>\n"
        "      </tr>\n"
        "      \n"
        "      <tr>\n"
        f'        <td><a href="/tests/runs/{before}">before</a></td>\n'
        '        <td class="when">2026-03-10 08:00</td>\n'
        "        <td>main</td>\n"
        "        <td><code>c8</code></td>\n"
        "        <td>passed</td>\n"
        "      </tr>"
    ) in page


def test_a_message_cut_at_ingest_is_shown_with_a_marker(server: Any) -> None:
    long = "\n".join(f"line {n:04d}" for n in range(1000))  # 9999 characters
    report = (
        '<testsuite name="s" tests="1"><testcase classname="tests.test_a" name="test_x">'
        f'<failure message="{long.replace(chr(10), "&#10;")}">trace</failure>'
        "</testcase></testsuite>"
    ).encode()
    run_key = _ingest(server, report, "run_id=long")

    body = server.client.get(f"/api/v1/tests/runs/{run_key}", headers=server.auth("reader"))
    page = server.client.get(f"/tests/runs/{run_key}", headers=server.auth("reader")).text

    failure = body.json()["failures"][0]
    assert (failure["message"], failure["message_cut"]) == (long[:2000], True)
    assert f'<pre class="message">{long[:2000]}</pre>\n' in page
    assert (
        '<p class="cut">[message cut at 2000 characters; the CI job\'s log has the rest]</p>'
    ) in page
