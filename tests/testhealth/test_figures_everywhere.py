"""One test's figures read the same in the CLI, the JSON API and the dashboard (issue 6, 1.5/1.9).

The history is real: pytest runs a generated project with the plugin, and its JUnit report is
ingested once per CI run. Ids carry what rich markup would eat (``[/etc/hosts]``,
``[tzpath-...]``) and one is longer than an 80-column terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.testhealth import service  # noqa: F401 - see below
from readiness.testhealth.ingest import pipeline  # noqa: F401 - see below
from readiness.testhealth.store import evidence  # noqa: F401 - see below
from tests.server.conftest import reader_client
from tests.testhealth.pytest_plugin._report import LEAN

# pytester drops modules first imported during a test; the tables would then be defined twice on
# the shared metadata by the next test. What the CLI imports lazily is imported once, here.

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

pytest_plugins = ["pytester"]

LONG = "x" * 120 + "-" + "y" * 4
ALWAYS_FAILING = f"""\
import pytest


def test_broken():
    assert 1 == 2


@pytest.mark.parametrize("path", ["/etc/hosts"])
def test_path(path):
    assert path == "/nowhere"


@pytest.mark.parametrize("tz", ["tzpath-Europe/Berlin"])
def test_tz(tz):
    assert tz == "UTC"


@pytest.mark.parametrize("p", ["{LONG}"], ids=["{LONG}"])
def test_long(p):
    assert not p
"""
IDS = [
    "test_figures.py::test_broken",
    "test_figures.py::test_long[" + LONG + "]",
    "test_figures.py::test_path[/etc/hosts]",
    "test_figures.py::test_tz[tzpath-Europe/Berlin]",
]
RUNS = 11
# 11 failures in 11 runs: failure rate 100%, Wilson 95% interval 74.1%-100%; broken: no flake rate.
FIGURES = "runs 11, failures 11, failure rate 100.0% (74.1%–100.0%), streak 11, flake rate –"


@pytest.fixture
def history(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    pytester.makepyfile(test_figures=ALWAYS_FAILING)
    result = pytester.runpytest_subprocess(*LEAN, "-p", "no:randomly", "--readiness-junit=o.xml")
    result.assert_outcomes(failed=4)
    root = pytester.path
    for n in range(RUNS):
        code = main(
            [
                "-C",
                str(root),
                "tests",
                "ingest",
                str(root / "o.xml"),
                "--commit",
                f"c{n:03d}",
                "--branch",
                "main",
                "--run-id",
                f"r{n}",
                "--timestamp",
                f"2026-03-01T{n:02d}:00:00+00:00",
                "--format",
                "json",
            ]
        )
        assert code == 0
    return root


@pytest.fixture
def client(history: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = load_settings(history, environ={})
    clock = FrozenClock(datetime(2026, 3, 2, tzinfo=UTC))
    with reader_client(settings, clock) as found:
        yield found


def _cli_text(root: Path, *args: str) -> str:
    """The CLI in a fresh process on an 80-column terminal (COLUMNS=80), its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    env["COLUMNS"] = "80"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from readiness.cli.main import main; sys.exit(main(sys.argv[1:]))",
            "-C",
            str(root),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    return proc.stdout


def test_a_test_failing_11_of_11_shows_the_same_figures_in_cli_api_and_dashboard(
    history: Path, client: tuple[TestClient, dict[str, str]]
) -> None:
    tc, auth = client

    text = _cli_text(history, "tests", "flaky")
    api = tc.get("/api/v1/tests/flaky", headers=auth).json()
    page = tc.get("/tests/flaky", headers=auth).text

    assert [(v["test_id"], v["status"]) for v in api] == [(i, "broken") for i in IDS]
    assert {
        (
            v["runs"],
            v["failures"],
            v["failure_rate"],
            tuple(round(x, 3) for x in v["failure_rate_interval"]),
            v["failure_streak"],
            v["flake_rate"],
            v["flake_rate_interval"],
        )
        for v in api
    } == {(11, 11, 1.0, (0.741, 1.0), 11, None, None)}
    # The terminal: each whole id on a line of its own, then the figures in the same words.
    lines = text.splitlines()
    for test_id in IDS:
        [at] = [
            n
            for n, line in enumerate(lines)
            if line.startswith("broken  ") and line.endswith(test_id)
        ]
        assert lines[at + 1].strip() == FIGURES
    # The dashboard: the same figures, cell by cell, for every test.
    row = (
        '<td class="num">11</td>\n    <td class="num">11</td>\n'
        "    <td>100.0% (74.1%–100.0%)</td>\n"
        '    <td class="num">11</td>\n    <td>–</td>'
    )
    assert page.count(row) == len(IDS)


def test_the_test_page_and_tests_show_print_the_same_sentence(
    history: Path, client: tuple[TestClient, dict[str, str]]
) -> None:
    tc, auth = client
    test_id = "test_figures.py::test_path[/etc/hosts]"

    text = _cli_text(history, "tests", "show", test_id)
    page = tc.get(f"/tests/t/{test_id}", headers=auth).text
    view = json.loads(_cli_text(history, "tests", "show", test_id, "--format", "json"))

    assert text.splitlines()[0] == f"{test_id} — broken: {FIGURES}"
    assert f'<span class="figures">{FIGURES}</span>' in page
    assert (view["runs"], view["failures"], view["failure_streak"]) == (11, 11, 11)


def test_the_quarantine_table_wraps_a_long_id_whole_and_prints_markup_as_text(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test_id = "test_figures.py::test_long[" + LONG + "]"
    args = ("tests", "quarantine", "add", test_id, "--reason", "[red]races[/] [tzpath-x]")
    assert main(["-C", str(history), *args]) == 0
    capsys.readouterr()

    text = _cli_text(history, "tests", "quarantine", "list")

    rows = [line.split("│") for line in text.splitlines() if line.startswith("│")]
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "".join(cells[1].strip() for cells in rows) == test_id
    reason = " ".join(cells[3].strip() for cells in rows if cells[3].strip())
    assert reason == "[red]races[/] [tzpath-x]"
