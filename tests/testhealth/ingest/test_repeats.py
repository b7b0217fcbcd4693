"""Runs made with ``--readiness-repeat`` are repeats, not CI retries (issue 6, 1.5).

Both reports come from real pytest runs of the same test, which fails its first execution and
then passes: once repeated 3 times by our plugin, once rerun by pytest-rerunfailures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest
import sqlalchemy as sa

from readiness.cli.main import main
from readiness.config import load_settings
from readiness.storage import open_stores
from readiness.testhealth import service  # noqa: F401 - see below
from readiness.testhealth.ingest import pipeline  # noqa: F401 - see below
from readiness.testhealth.store import evidence  # noqa: F401 - see below
from readiness.testhealth.store.tables import runs
from tests.testhealth.pytest_plugin._report import LEAN, counter_test

# pytester drops modules first imported during a test; the tables would then be defined twice
# on the shared metadata by the next test. What the CLI imports lazily is imported once, here.

pytest_plugins = ["pytester"]

REPEAT = ("--readiness-repeat=3",)
RERUN = ("-p", "rerunfailures", "--reruns=2")


def _cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> Any:
    capsys.readouterr()
    assert main(["-C", str(root), *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _history(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], options: tuple[str, ...]
) -> Path:
    pytester.makepyfile(test_once=counter_test("once", fails=1))
    pytester.runpytest_subprocess(*LEAN, "-p", "no:randomly", *options, "--readiness-junit=o.xml")
    root = pytester.path
    _cli(capsys, root, "tests", "ingest", "o.xml", "--commit", "c1", "--branch", "main")
    return root


def _run_row(root: Path) -> tuple[int, int]:
    stores = open_stores(load_settings(root, environ={}))
    try:
        with stores.state.connect() as conn:
            row = conn.execute(sa.select(runs.c.repeat, runs.c.reruns)).one()
    finally:
        stores.dispose()
    return int(row.repeat), int(row.reruns)


@pytest.fixture(autouse=True)
def _local(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)


def test_a_repeated_run_stores_its_repeat_count_and_no_reruns(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _history(pytester, capsys, REPEAT)

    assert _run_row(root) == (3, 0)


def test_a_rerun_of_a_failure_is_still_a_rerun(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _history(pytester, capsys, RERUN)

    assert _run_row(root) == (1, 1)


def test_a_repeat_that_passed_after_a_failure_is_no_retry_pass_but_same_commit_evidence(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _history(pytester, capsys, REPEAT)

    [found] = _cli(capsys, root, "tests", "flaky")
    report = _cli(capsys, root, "tests", "report")

    assert [r["rule"] for r in found["rules"]] == ["same-commit"]
    assert (found["runs"], found["failures"], found["failure_streak"]) == (1, 1, 0)
    assert report["suite_health"]["rerun_rate"] == 0.0


def test_a_ci_retry_that_passed_after_a_failure_is_a_retry_pass_and_a_rerun(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _history(pytester, capsys, RERUN)

    [found] = _cli(capsys, root, "tests", "flaky")
    report = _cli(capsys, root, "tests", "report")

    assert [r["rule"] for r in found["rules"]] == ["same-commit", "retry-pass"]
    assert report["suite_health"]["rerun_rate"] == 1.0
