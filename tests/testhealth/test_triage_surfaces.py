"""Impact and the flaky-system hint on every surface: `tests flaky`, `tests show`, the JSON API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.testing import junit_xml
from tests.server.conftest import reader_client

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as tests/server/conftest.py
    from starlette.testclient import TestClient

W, R = "tests/test_pay.py::test_webhook", "tests/test_pay.py::test_refund"
FEAT = ["--branch", "feat", "--pr", "5"]
MAIN = ["--branch", "main"]
RUNS: list[tuple[dict[str, str | list[str]], list[str]]] = [
    ({W: "failed", R: "passed"}, ["--run-id", "r0", "--commit", "c1", *FEAT]),
    ({W: ["failed", "passed"], R: "passed"}, ["--run-id", "r1", "--commit", "c1", *MAIN]),
    ({W: "passed", R: "passed"}, ["--commit", "c2", *MAIN]),  # local: no CI metadata
    ({W: "passed", R: "failed"}, ["--run-id", "r3", "--commit", "c2", *MAIN]),
]
WEBHOOK_IMPACT = {
    "score": 12.0,
    "ci_runs_failed": 1,
    "ci_runs_retried": 1,
    "in_run_retries": 1,
    "ci_reruns": 0,
    "ci_minutes_lost": 0.0,
    "local_runs_failed": 0,
    "prs_affected": 1,
    "branches_affected": 2,
    "prs": ["5"],
    "branches": ["feat", "main"],
    "last_failed_at": "2026-03-02T10:00:00+00:00",
}


@pytest.fixture
def history(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in [k for k in os.environ if k.startswith("READINESS_")]:
        monkeypatch.delenv(key)
    for n, (outcomes, args) in enumerate(RUNS):
        path = project_dir / f"run{n}.xml"
        path.write_bytes(junit_xml(outcomes))
        when = f"2026-03-0{n + 1}T10:00:00Z"
        argv = ["-C", str(project_dir), "tests", "ingest", str(path), *args, "--timestamp", when]
        assert main([*argv, "--job", "unit"]) == 0
    return project_dir


def cli(root: Path, *args: str, code: int = 0) -> tuple[str, str]:
    """The CLI in a fresh process on an 80-column terminal; (stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    env["COLUMNS"] = "80"
    run = "import sys; from readiness.cli.main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", run, "-C", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == code, proc.stderr
    return proc.stdout, proc.stderr


@pytest.fixture
def api(history: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    clock = FrozenClock(datetime(2026, 3, 5, tzinfo=UTC))
    with reader_client(load_settings(history, environ={}), clock) as found:
        yield found


def test_tests_flaky_puts_the_most_costly_first_and_its_impact_fits_80_columns(
    history: Path,
) -> None:
    out, _ = cli(history, "tests", "flaky")
    lines = out.splitlines()
    assert lines[0] == f"flaky  {W} (new)"
    assert lines[2:4] == [
        "       impact 12.0 · 1 CI run failed · 1 retried · 0 min lost · 1 PR",
        "       2 branches · last failed 2026-03-02 10:00",
    ]
    assert lines[5] == f"flaky  {R} (new)"
    assert lines[7:9] == [
        "       impact 10.0 · 1 CI run failed · 0 retried · 0 min lost · 0 PRs · 1 branch",
        "       last failed 2026-03-04 10:00",
    ]
    assert max(len(line) for line in lines if "impact" in line or "last failed" in line) <= 80


def test_tests_flaky_sorts_by_name_when_asked(history: Path) -> None:
    out, _ = cli(history, "tests", "flaky", "--sort", "name", "--format", "json")
    assert [v["test_id"] for v in json.loads(out)] == [R, W]


def test_tests_flaky_json_carries_every_impact_field(history: Path) -> None:
    out, _ = cli(history, "tests", "flaky", "--format", "json")
    first = json.loads(out)[0]
    assert (first["test_id"], first["impact"]) == (W, WEBHOOK_IMPACT)


def test_an_unknown_sort_is_one_line_and_exit_2(history: Path) -> None:
    _, err = cli(history, "tests", "flaky", "--sort", "worst", code=2)
    assert len(err.strip().splitlines()) == 1
    assert "'worst' is not one of 'impact', 'failure-rate', 'name', 'last-seen'" in err


def test_tests_show_prints_the_impact_and_the_hint_with_its_signals(history: Path) -> None:
    out, _ = cli(history, "tests", "show", W)
    lines = out.splitlines()
    start = lines.index(
        "  impact 12.0 · 1 CI run failed · 1 retried · 0 min lost · 1 PR · 2 branches"
    )
    assert lines[start + 1 : start + 6] == [
        "  last failed 2026-03-02 10:00",
        "    PRs 5 · branches feat, main",
        "  flaky system or flaky test? Not enough evidence: no signal leans either way",
        "    yet. Ingest more runs, local runs, or runs tagged with --tag runner=NAME.",
        "    • failure kind (unknown): 2 failures recorded; their kinds are weighed from",
    ]
    assert max(len(line) for line in lines[start:]) <= 80


def test_tests_show_json_carries_impact_and_signals(history: Path) -> None:
    out, _ = cli(history, "tests", "show", W, "--format", "json")
    view = json.loads(out)
    assert view["impact"] == WEBHOOK_IMPACT
    assert view["signals"]["verdict"] == "not enough evidence"
    assert [(s["name"], s["lean"]) for s in view["signals"]["signals"]] == [
        ("failure kind", "unknown"),
        ("spread", "unknown"),
        ("load", "unknown"),
        ("source", "unknown"),
    ]


def test_the_api_flaky_list_is_by_impact_with_its_fields_and_takes_a_sort(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    tc, auth = api
    by_impact = tc.get("/api/v1/tests/flaky", headers=auth).json()
    by_name = tc.get("/api/v1/tests/flaky?sort=name", headers=auth).json()
    assert [v["test_id"] for v in by_impact] == [W, R]
    assert by_impact[0]["impact"] == WEBHOOK_IMPACT
    assert [v["test_id"] for v in by_name] == [R, W]


def test_the_api_refuses_an_unknown_sort_in_the_one_error_shape(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    tc, auth = api
    response = tc.get("/api/v1/tests/flaky?sort=worst", headers=auth)
    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    assert set(response.json()["error"]) >= {"code", "message"}


def test_the_api_signals_of_one_test(api: tuple[TestClient, dict[str, str]]) -> None:
    tc, auth = api
    found = tc.get(f"/api/v1/tests/tests/{W}/signals", headers=auth).json()
    assert (found["test_id"], found["impact"], found["verdict"]) == (
        W,
        WEBHOOK_IMPACT,
        "not enough evidence",
    )
    assert found["signals"][0] == {
        "name": "failure kind",
        "lean": "unknown",
        "explanation": "2 failures recorded; their kinds are weighed from 3 on",
        "evidence": {"failures": 2, "kinds": {"wrong value": 2}},
    }


def test_the_api_signals_of_an_unknown_test_is_404_and_need_a_token(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    tc, auth = api
    missing = tc.get("/api/v1/tests/tests/tests/x.py::nope/signals", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == (
        "test 'tests/x.py::nope' has no recorded results; check the id with "
        "`readiness tests flaky --all`"
    )
    assert tc.get(f"/api/v1/tests/tests/{W}/signals").status_code == 401
