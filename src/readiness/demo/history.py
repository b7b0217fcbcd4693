"""The demo's CI history: the example project, the runs it plans and how each one runs."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from readiness.errors import ReadinessError

HISTORY_DAYS = 13  # the demo's CI history ends "today", so dates in it stay meaningful


def history_start(now: datetime) -> datetime:
    """09:00 UTC, ``HISTORY_DAYS`` days before ``now``: the first day of the demo's history."""
    day = (now - timedelta(days=HISTORY_DAYS)).date()
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


FLAKY_TEST = "tests/test_payments.py::test_webhook_is_acknowledged"


@dataclass(frozen=True)
class PlannedRun:
    """One CI run of the example: where it ran and which conditions it reproduces."""

    commit: str
    branch: str
    run_id: str
    attempt: int
    day: int
    env: dict[str, str]
    order_seed: int
    with_pr_test: bool = False


def example_source() -> Path:
    """The example shop: ``examples/shop`` of a source checkout, or the copy in the wheel."""
    here = Path(__file__).resolve()
    for candidate in (
        here.parents[3] / "examples" / "shop",
        here.parents[1] / "_examples" / "shop",
    ):
        if (candidate / "tests").is_dir():
            return candidate
    raise ReadinessError("the example project is missing from this installation; reinstall")


def plan_runs() -> list[PlannedRun]:
    """Two weeks of CI on main plus a pull request, as (commit, conditions) pairs."""
    runs: list[PlannedRun] = []
    for n in range(1, 13):
        env = {"SHOP_FLAKE_SEED": str(n)}
        if n >= 9:
            env["SHOP_BUG_REFUND"] = "1"  # the regression lands in commit 9
        commit = f"{n:02d}" + "a1c3e5" * 6 + "0f"
        if n == 7:  # the database of the CI runner was down: most tests fail
            runs.append(
                PlannedRun(commit, "main", f"ci-{n}", 1, n, {**env, "SHOP_DB_DOWN": "1"}, n)
            )
            runs.append(PlannedRun(commit, "main", f"ci-{n}", 2, n, env, n))
            continue
        runs.append(PlannedRun(commit, "main", f"ci-{n}", 1, n, env, n))
        if n in (3, 10):  # the webhook race failed: somebody pressed "retry"
            retry_env = {**env, "SHOP_FLAKE_SEED": f"{n}-again"}
            runs.append(PlannedRun(commit, "main", f"ci-{n}", 2, n, retry_env, n + 100))
    # The pull request adds a test that depends on chance; its head commit needed a CI retry.
    pr_commits = ["ee01" + "b2d4f6" * 6, "ee02" + "b2d4f6" * 6]
    for commit, run_id, attempt, seed in (
        (pr_commits[0], "pr-1", 1, "pr-1"),
        (pr_commits[1], "pr-2", 1, "pr-2"),
        (pr_commits[1], "pr-2", 2, "pr-4"),
    ):
        env = {"SHOP_FLAKE_SEED": seed, "SHOP_INVOICE_SEED": seed, "SHOP_BUG_REFUND": "1"}
        runs.append(
            PlannedRun(
                commit,
                "feature/invoices",
                run_id,
                attempt,
                12,
                env,
                200 + attempt,
                with_pr_test=True,
            )
        )
    return runs


def collect_ids(root: Path, env: dict[str, str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    if not ids:
        raise ReadinessError(f"demo: collecting the example tests failed:\n{proc.stdout[-2000:]}")
    return ids


def execute_run(root: Path, run: PlannedRun, ids: list[str], out: Path) -> Path:
    order = list(ids)
    random.Random(run.order_seed).shuffle(order)  # noqa: S311 - a reproducible test order
    env = {**base_env(), **run.env}
    junit = out / f"{run.run_id}-{run.attempt}.xml"
    subprocess.run(  # noqa: S603 - our own interpreter running pytest on our example
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            f"--readiness-junit={junit}",
            *order,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        check=False,
    )
    if not junit.is_file():
        raise ReadinessError(f"demo: the example run {run.run_id} wrote no JUnit report")
    return junit


def base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "VIRTUAL_ENV", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def prepare_project(directory: Path | None) -> Path:
    """Copy the example into ``directory`` (or a new temp dir) and initialise Readiness there."""
    from readiness.initproject import init_project

    root = directory or Path(tempfile.mkdtemp(prefix="readiness-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    if (root / ".readiness" / "state.db").exists():
        raise ReadinessError(f"demo: {root} already holds a Readiness history; pick an empty --dir")
    shutil.copytree(example_source(), root, dirs_exist_ok=True)
    init_project(root)
    pyproject = root / "pyproject.toml"
    with pyproject.open("a", encoding="utf-8") as config:
        config.write(CAPTURE_CONFIG)
    return root


# The shop's API is what the merge gate's audit.capture_coverage check analyses; its
# migrations (release 1.4 pending: V3) are what migrations.lint checks.
CAPTURE_CONFIG = """
[tool.readiness.audit.capture]
app = "shop.app:app"

[tool.readiness.migrations]
paths = ["migrations"]
since = "V3__rename_total.sql"
"""
