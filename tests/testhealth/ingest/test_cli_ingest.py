"""`readiness tests ingest`: CI metadata, warnings for runs that lack it, several files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.config import load_settings
from readiness.storage import open_stores, retry
from readiness.testhealth.store.runs import RunRow, list_runs
from tests.testhealth.ingest._reports import TRUNCATED, node_ids, pytest_report

SHA = "ce9a3c1404e8c91be604088670e93434c4253f03"
GITHUB_PULL_REQUEST = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_SHA": SHA,
    "GITHUB_REF": "refs/pull/53/merge",
    "GITHUB_REF_NAME": "53/merge",
    "GITHUB_HEAD_REF": "feature-branch-1",
    "GITHUB_RUN_ID": "1658821493",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_JOB": "unit",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octocat/Hello-World",
}
NO_COMMIT = (
    "warning: this run has no commit, so it cannot feed the same-commit rule (passed and failed "
    "on one commit); pass --commit SHA, or ingest inside GitHub Actions, GitLab CI, Buildkite, "
    "CircleCI, Jenkins or Azure Pipelines\n"
)
NO_BRANCH = (
    "warning: this run has no branch, so it cannot feed the flip-rate rule (which reads "
    "default-branch runs); pass --branch NAME, or ingest inside GitHub Actions, GitLab CI, "
    "Buildkite, CircleCI, Jenkins or Azure Pipelines\n"
)


@pytest.fixture(autouse=True)
def _local_store(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), "tests", "ingest", *args])
    out, err = capsys.readouterr()
    return code, out, err


def stored_runs(root: Path) -> list[RunRow]:
    stores = open_stores(load_settings(root, environ={}))
    try:
        return list_runs(stores.state, project=load_settings(root, environ={}).project)
    finally:
        stores.dispose()


def report(root: Path, name: str = "report.xml", data: bytes | None = None) -> Path:
    path = root / name
    path.write_bytes(data if data is not None else pytest_report(node_ids("test_orders", 0, 3)))
    return path


def test_inside_github_actions_the_run_gets_its_metadata_from_the_environment(
    capsys: pytest.CaptureFixture[str], project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in GITHUB_PULL_REQUEST.items():
        monkeypatch.setenv(key, value)

    code, _, err = run(capsys, project_dir, str(report(project_dir)))

    (stored,) = stored_runs(project_dir)
    assert (code, err) == (0, "")
    assert (
        stored.commit,
        stored.branch,
        stored.ci_run_id,
        stored.attempt,
        stored.job,
        stored.pr,
        stored.url,
        stored.provider,
    ) == (
        SHA,
        "feature-branch-1",
        "1658821493",
        2,
        "unit",
        "53",
        "https://github.com/octocat/Hello-World/actions/runs/1658821493",
        "github",
    )


def test_options_win_over_the_ci_environment(
    capsys: pytest.CaptureFixture[str], project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in GITHUB_PULL_REQUEST.items():
        monkeypatch.setenv(key, value)
    path = report(project_dir)

    run(
        capsys,
        project_dir,
        str(path),
        *("--commit", "abc123", "--branch", "main", "--run-id", "r1", "--attempt", "1"),
        *("--job", "lint", "--pr", "7", "--url", "https://ci.example.com/r1"),
    )

    (stored,) = stored_runs(project_dir)
    assert (
        stored.commit,
        stored.branch,
        stored.ci_run_id,
        stored.attempt,
        stored.job,
        stored.pr,
        stored.url,
        stored.provider,
    ) == ("abc123", "main", "r1", 1, "lint", "7", "https://ci.example.com/r1", "github")


def test_a_report_of_one_test_is_counted_in_the_singular(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    one = report(project_dir, data=pytest_report(node_ids("test_orders", 0, 1)))

    code, out, _ = run(capsys, project_dir, str(one), "--commit", "abc", "--branch", "main")

    assert (code, out) == (0, f"{one}: pytest, 1 test, 1 result, 0 failed\n")


def test_a_run_without_commit_or_branch_is_kept_with_one_warning_line_for_each(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, out, err = run(capsys, project_dir, str(report(project_dir)))

    assert (code, err) == (0, NO_COMMIT + NO_BRANCH)
    assert out == f"{project_dir / 'report.xml'}: pytest, 3 tests, 3 results, 0 failed\n"
    assert len(stored_runs(project_dir)) == 1


def test_a_run_with_a_commit_but_no_branch_warns_only_about_the_branch(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, _, err = run(capsys, project_dir, str(report(project_dir)), "--commit", "abc123")

    assert (code, err) == (0, NO_BRANCH)


def test_several_files_with_a_bad_one_store_nothing_and_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    good = report(project_dir, "good.xml")
    bad = report(project_dir, "bad.xml", TRUNCATED)

    code, out, err = run(
        capsys, project_dir, str(good), str(bad), "--commit", "c1", "--branch", "main"
    )

    assert (code, out) == (2, "")
    assert err == (
        f"error: 1 of 2 JUnit XML files is invalid, so none of the 2 was ingested: {bad} line 2: "
        "no element found. Fix or leave out the invalid files and run the ingest again\n"
    )
    assert stored_runs(project_dir) == []


def test_an_ingest_locked_out_of_sqlite_past_the_wait_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = report(project_dir)
    database = Path(load_settings(project_dir, environ={}).resolved_state_url.split("///", 1)[1])
    stored_runs(project_dir)  # the database exists, migrated
    # Give up at the first refusal: the message's wait is then 0 s.
    monkeypatch.setattr(retry, "DEFAULT_WRITE_WAIT", retry.RetryPolicy(wait_s=0, attempt_ms=1))
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = run(capsys, project_dir, str(path), "--commit", "c1", "--branch", "main")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert (code, out) == (2, "")
    assert err == (
        f"error: SQLite database {database}: another writer held the write lock for 0 s; nothing "
        "was written. Run the command again once the other writer is done, or use PostgreSQL "
        "(state_url) for many concurrent writers\n"
    )
    assert stored_runs(project_dir) == []
