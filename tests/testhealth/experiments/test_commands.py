"""What ``tests classify`` and ``tests verify-fix`` print, on a small generated project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from readiness._common.clock import SystemClock
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.testhealth.client import LocalTestHealth

pytestmark = pytest.mark.slow

POLLUTER = "tests/a/test_settings.py::test_switch_to_eur"
OTHER = "tests/a/test_settings.py::test_other"
VICTIM = "tests/b/test_prices.py::test_default_is_usd"
FILES = {
    "pyproject.toml": (
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
        'addopts = "-p no:schemathesis -p no:hypothesispytest -p no:anyio -p no:cacheprovider"\n'
    ),
    "app/__init__.py": "",
    "app/config.py": 'CURRENCY = ["USD"]\n',
    "tests/__init__.py": "",
    "tests/a/__init__.py": "",
    "tests/a/test_settings.py": (
        "from app import config\n\n\ndef test_other():\n    pass\n\n\n"
        'def test_switch_to_eur():\n    config.CURRENCY[0] = "EUR"\n'
    ),
    "tests/b/__init__.py": "",
    "tests/b/test_prices.py": (
        "from app import config\n\n\n"
        'def test_default_is_usd():\n    assert config.CURRENCY == ["USD"]\n'
    ),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """The project after a CI run where the victim failed, ingested; and that run's short key."""
    for key in ("READINESS_URL", "READINESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--readiness-junit=ci.xml"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert main(["-C", str(tmp_path), "tests", "ingest", str(tmp_path / "ci.xml")]) == 0
    local = LocalTestHealth(load_settings(tmp_path, environ={}), SystemClock(), "dev")
    try:
        run_key = str(local.failing_orders(VICTIM)[0]["run_key"])
    finally:
        local.close()
    return tmp_path, run_key[:12]


def test_classify_prints_the_label_the_evidence_the_polluter_and_every_experiment(
    project: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, run = project
    capsys.readouterr()

    code = main(["-C", str(root), "tests", "classify", VICTIM])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{VICTIM}: order-dependent-victim",
        f"  evidence: passes alone (3 runs in fresh processes) and fails after the order of run "
        f"{run} (pytest) where it failed: 2 tests before it; confirmed as a pair: {POLLUTER} "
        "then the test fails",
        f"  polluter: {POLLUTER}",
        "  failure kind: assertion",
        "  pytest runs: 7 (2 searching for the cause)",
        "  alone: passed,passed,passed",
        "  alone-second-run: passed,passed,passed",
        "  failing-order-1: failed",
        "  failing-order-1-again: failed",
        "  polluter-search: 1 confirmed in 2 runs over 2 tests",
    ]


def test_verify_fix_prints_the_failing_order_and_keeps_the_test_in_quarantine(
    project: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project
    assert main(["-C", str(root), "tests", "quarantine", "add", VICTIM, "--reason", "CI"]) == 0
    capsys.readouterr()

    code = main(["-C", str(root), "tests", "verify-fix", VICTIM])

    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{VICTIM}: measured flake rate 100.0%; 1 failing run on record; rerunning ...",
        "still-flaky: 1 failure in 1 run (required 50 at α = 0.05)",
        "  failing-order-1: failed 1 of 1",
        f"  {VICTIM} stays in quarantine",
    ]


def test_classify_of_a_test_the_suite_does_not_have_is_one_line_on_stderr_and_exit_2(
    project: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project
    capsys.readouterr()

    code = main(["-C", str(root), "tests", "classify", "tests/b/test_prices.py::test_typo"])

    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: test 'tests/b/test_prices.py::test_typo' is not in the suite pytest collects "
        "(3 tests); check the id with `pytest --collect-only -q` in the project root"
    ]


def test_verify_fix_runs_the_polluters_it_is_given_before_the_test_round_after_round(
    project: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project
    polluter_file = root / "tests" / "a" / "test_settings.py"
    polluter_file.write_text(  # the fix: the polluter restores what it changed
        polluter_file.read_text(encoding="utf-8") + '    config.CURRENCY[0] = "USD"\n',
        encoding="utf-8",
    )
    capsys.readouterr()

    code = main(
        ["-C", str(root), "tests", "verify-fix", VICTIM, "--polluter", POLLUTER, "--runs", "8",
         "-f", "json"]
    )  # fmt: skip

    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (result["verdict"], result["runs"], result["experiments"]) == (
        "fixed",
        8,
        {"failing-order-1": "passed 1 of 1", "pair": "passed 2 of 2", "alone": "passed 5 of 5"},
    )
