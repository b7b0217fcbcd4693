"""Run metadata read from each CI service's documented environment variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.testhealth.ingest.ci_env import (
    CiMetadata,
    ci_metadata,
    from_environment,
    merge_ci,
    missing_metadata_warnings,
    read_github_event,
)
from readiness.testhealth.model import RunMeta

SHA = "ce9a3c1404e8c91be604088670e93434c4253f03"

GITHUB = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_SHA": SHA,
    "GITHUB_RUN_ID": "1658821493",
    "GITHUB_RUN_ATTEMPT": "3",
    "GITHUB_JOB": "unit",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octocat/Hello-World",
}
GITHUB_URL = "https://github.com/octocat/Hello-World/actions/runs/1658821493"
GITLAB = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_COMMIT_SHA": SHA,
    "CI_PIPELINE_ID": "1234",
    "CI_JOB_NAME": "unit",
    "CI_JOB_URL": "https://gitlab.example.com/acme/shop/-/jobs/5678",
    "CI_PIPELINE_URL": "https://gitlab.example.com/acme/shop/-/pipelines/1234",
}
BUILDKITE = {
    "CI": "true",
    "BUILDKITE": "true",
    "BUILDKITE_COMMIT": SHA,
    "BUILDKITE_BRANCH": "main",
    "BUILDKITE_BUILD_ID": "b81ed283-58b7-4925-aa4a-d3da0eafcf2b",
    "BUILDKITE_BUILD_NUMBER": "59034",
    "BUILDKITE_RETRY_COUNT": "0",
    "BUILDKITE_LABEL": ":pytest: unit",
    "BUILDKITE_PULL_REQUEST": "false",
    "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/shop/builds/59034",
}
CIRCLECI = {
    "CI": "true",
    "CIRCLECI": "true",
    "CIRCLE_SHA1": SHA,
    "CIRCLE_BRANCH": "feature/login",
    "CIRCLE_WORKFLOW_ID": "5dbd1fe5-a3a3-4ec4-b8e2-0b1b2f4e6b7c",
    "CIRCLE_JOB": "test",
    "CIRCLE_BUILD_NUM": "123",
    "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/shop/123",
    "CIRCLE_NODE_INDEX": "0",
    "CIRCLE_NODE_TOTAL": "1",
}
JENKINS = {
    "CI": "true",
    "JENKINS_URL": "https://ci.example.com/",
    "GIT_COMMIT": SHA,
    "BUILD_NUMBER": "7",
    "BUILD_TAG": "jenkins-shop-main-7",
    "JOB_NAME": "shop/main",
    "BUILD_URL": "https://ci.example.com/job/shop/job/main/7/",
}
AZURE = {
    "TF_BUILD": "True",
    "BUILD_SOURCEVERSION": SHA,
    "BUILD_SOURCEBRANCH": "refs/heads/main",
    "BUILD_SOURCEBRANCHNAME": "main",
    "BUILD_BUILDID": "4321",
    "SYSTEM_JOBATTEMPT": "2",
    "SYSTEM_JOBDISPLAYNAME": "Unit tests",
    "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
    "SYSTEM_TEAMPROJECT": "Shop Team",
}
AZURE_URL = "https://dev.azure.com/acme/Shop%20Team/_build/results?buildId=4321"

CASES = {
    "github push": (
        {
            **GITHUB,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_HEAD_REF": "",
        },
        CiMetadata("github", SHA, "main", "1658821493", 3, "unit", None, GITHUB_URL),
    ),
    "github pull_request": (
        {
            **GITHUB,
            "GITHUB_REF": "refs/pull/53/merge",
            "GITHUB_REF_NAME": "53/merge",
            "GITHUB_HEAD_REF": "feature-branch-1",
            "GITHUB_BASE_REF": "main",
        },
        CiMetadata("github", SHA, "feature-branch-1", "1658821493", 3, "unit", "53", GITHUB_URL),
    ),
    "github tag": (
        {**GITHUB, "GITHUB_REF": "refs/tags/v1.0.0", "GITHUB_REF_NAME": "v1.0.0"},
        CiMetadata("github", SHA, None, "1658821493", 3, "unit", None, GITHUB_URL),
    ),
    "gitlab branch pipeline": (
        {**GITLAB, "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"},
        CiMetadata("gitlab", SHA, "main", "1234", None, "unit", None, GITLAB["CI_JOB_URL"]),
    ),
    "gitlab merge request pipeline": (
        {
            **GITLAB,
            "CI_COMMIT_REF_NAME": "refs/merge-requests/17/head",
            "CI_MERGE_REQUEST_IID": "17",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "patch-1",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        },
        CiMetadata("gitlab", SHA, "patch-1", "1234", None, "unit", "17", GITLAB["CI_JOB_URL"]),
    ),
    "gitlab tag pipeline": (
        {**GITLAB, "CI_COMMIT_TAG": "v1.0.0", "CI_COMMIT_REF_NAME": "v1.0.0"},
        CiMetadata("gitlab", SHA, None, "1234", None, "unit", None, GITLAB["CI_JOB_URL"]),
    ),
    "buildkite branch build": (
        BUILDKITE,
        CiMetadata(
            "buildkite",
            SHA,
            "main",
            "b81ed283-58b7-4925-aa4a-d3da0eafcf2b",
            1,
            ":pytest: unit",
            None,
            "https://buildkite.com/acme/shop/builds/59034",
        ),
    ),
    "buildkite retried parallel pull request job": (
        {
            **BUILDKITE,
            "BUILDKITE_PULL_REQUEST": "42",
            "BUILDKITE_BRANCH": "feature/login",
            "BUILDKITE_RETRY_COUNT": "2",
            "BUILDKITE_PARALLEL_JOB": "1",
            "BUILDKITE_PARALLEL_JOB_COUNT": "4",
        },
        CiMetadata(
            "buildkite",
            SHA,
            "feature/login",
            "b81ed283-58b7-4925-aa4a-d3da0eafcf2b",
            3,
            ":pytest: unit 2/4",
            "42",
            "https://buildkite.com/acme/shop/builds/59034",
        ),
    ),
    "circleci pull request": (
        {**CIRCLECI, "CIRCLE_PULL_REQUEST": "https://github.com/acme/shop/pull/88"},
        CiMetadata(
            "circleci",
            SHA,
            "feature/login",
            "5dbd1fe5-a3a3-4ec4-b8e2-0b1b2f4e6b7c",
            None,
            "test",
            "88",
            "https://circleci.com/gh/acme/shop/123",
        ),
    ),
    "circleci forked pull request with parallelism": (
        {
            **CIRCLECI,
            "CIRCLE_PR_NUMBER": "89",
            "CIRCLE_NODE_INDEX": "2",
            "CIRCLE_NODE_TOTAL": "3",
        },
        CiMetadata(
            "circleci",
            SHA,
            "feature/login",
            "5dbd1fe5-a3a3-4ec4-b8e2-0b1b2f4e6b7c",
            None,
            "test 3/3",
            "89",
            "https://circleci.com/gh/acme/shop/123",
        ),
    ),
    "jenkins multibranch branch": (
        {**JENKINS, "BRANCH_NAME": "main"},
        CiMetadata(
            "jenkins",
            SHA,
            "main",
            "jenkins-shop-main-7",
            None,
            "shop/main",
            None,
            JENKINS["BUILD_URL"],
        ),
    ),
    "jenkins multibranch pull request": (
        {
            **JENKINS,
            "BRANCH_NAME": "PR-24",
            "CHANGE_ID": "24",
            "CHANGE_BRANCH": "feature/login",
            "CHANGE_TARGET": "main",
        },
        CiMetadata(
            "jenkins",
            SHA,
            "feature/login",
            "jenkins-shop-main-7",
            None,
            "shop/main",
            "24",
            JENKINS["BUILD_URL"],
        ),
    ),
    "jenkins freestyle job with the git plugin": (
        {**JENKINS, "GIT_BRANCH": "origin/main"},
        CiMetadata(
            "jenkins",
            SHA,
            "main",
            "jenkins-shop-main-7",
            None,
            "shop/main",
            None,
            JENKINS["BUILD_URL"],
        ),
    ),
    "jenkins tag build": (
        {**JENKINS, "BRANCH_NAME": "v1.2.0", "TAG_NAME": "v1.2.0"},
        CiMetadata(
            "jenkins",
            SHA,
            None,
            "jenkins-shop-main-7",
            None,
            "shop/main",
            None,
            JENKINS["BUILD_URL"],
        ),
    ),
    "azure pipelines branch build": (
        AZURE,
        CiMetadata("azure", SHA, "main", "4321", 2, "Unit tests", None, AZURE_URL),
    ),
    "azure pipelines github pull request": (
        {
            **AZURE,
            "BUILD_SOURCEBRANCH": "refs/pull/17/merge",
            "SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/feature/login",
            "SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/main",
            "SYSTEM_PULLREQUEST_PULLREQUESTID": "512",
            "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER": "524",
        },
        CiMetadata("azure", SHA, "feature/login", "4321", 2, "Unit tests", "524", AZURE_URL),
    ),
    "azure pipelines tag build": (
        {**AZURE, "BUILD_SOURCEBRANCH": "refs/tags/v1.0.0", "BUILD_SOURCEBRANCHNAME": "v1.0.0"},
        CiMetadata("azure", SHA, None, "4321", 2, "Unit tests", None, AZURE_URL),
    ),
    "outside ci": ({"CI": "true", "HOME": "/home/dev"}, CiMetadata()),
}


@pytest.mark.parametrize(("environ", "expected"), list(CASES.values()), ids=list(CASES))
def test_each_ci_service_documented_variables_give_the_run_metadata(
    environ: dict[str, str], expected: CiMetadata
) -> None:
    assert ci_metadata(environ) == expected


def test_a_github_pull_request_target_run_takes_the_pr_number_from_the_event_payload() -> None:
    environ = {
        **GITHUB,
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_HEAD_REF": "feature-branch-1",
    }
    event = {"number": 54, "pull_request": {"number": 54, "head": {"ref": "feature-branch-1"}}}

    found = ci_metadata(environ, github_event=event)

    assert (found.pr, found.branch) == ("54", "feature-branch-1")


def test_the_github_event_payload_is_read_from_github_event_path(tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"pull_request": {"number": 54}}), encoding="utf-8")
    environ = {**GITHUB, "GITHUB_REF": "refs/heads/main", "GITHUB_EVENT_PATH": str(payload)}

    assert (read_github_event(environ), from_environment(environ).pr) == (
        {"pull_request": {"number": 54}},
        "54",
    )


def test_a_missing_or_broken_github_event_payload_is_ignored(tmp_path: Path) -> None:
    broken = tmp_path / "event.json"
    broken.write_text("{not json", encoding="utf-8")
    missing = {**GITHUB, "GITHUB_EVENT_PATH": str(tmp_path / "absent.json")}

    assert (
        read_github_event(missing),
        read_github_event({**GITHUB, "GITHUB_EVENT_PATH": str(broken)}),
    ) == (
        None,
        None,
    )


def test_empty_variables_count_as_absent_and_a_garbled_attempt_is_ignored() -> None:
    environ = {**GITHUB, "GITHUB_SHA": "", "GITHUB_RUN_ATTEMPT": "first", "GITHUB_REF": ""}

    found = ci_metadata(environ)

    assert (found.commit, found.attempt, found.branch) == (None, None, None)


def test_explicit_values_win_over_the_ci_environment() -> None:
    given = RunMeta(commit="abc", branch="release", run_id="r9", attempt=1, job="lint", pr="7")
    ci = CiMetadata("github", SHA, "main", "1658821493", 3, "unit", "53", GITHUB_URL)

    merged = merge_ci(given, ci, attempt_given=True)

    assert merged == RunMeta(
        commit="abc",
        branch="release",
        run_id="r9",
        attempt=1,
        job="lint",
        pr="7",
        url=GITHUB_URL,
        provider="github",
    )


def test_the_ci_environment_fills_what_was_not_given() -> None:
    ci = CiMetadata("github", SHA, "main", "1658821493", 3, "unit", "53", GITHUB_URL)

    merged = merge_ci(RunMeta(tags={"python": "3.12"}), ci, attempt_given=False)

    assert merged == RunMeta(
        commit=SHA,
        branch="main",
        run_id="1658821493",
        attempt=3,
        job="unit",
        pr="53",
        url=GITHUB_URL,
        provider="github",
        tags={"python": "3.12"},
    )


def test_a_run_without_commit_and_branch_gets_one_warning_for_each() -> None:
    assert missing_metadata_warnings(RunMeta()) == [
        "warning: this run has no commit, so it cannot feed the same-commit rule (passed and "
        "failed on one commit); pass --commit SHA, or ingest inside GitHub Actions, GitLab CI, "
        "Buildkite, CircleCI, Jenkins or Azure Pipelines",
        "warning: this run has no branch, so it cannot feed the flip-rate rule (which reads "
        "default-branch runs); pass --branch NAME, or ingest inside GitHub Actions, GitLab CI, "
        "Buildkite, CircleCI, Jenkins or Azure Pipelines",
    ]


def test_a_run_with_commit_and_branch_gets_no_warning() -> None:
    assert missing_metadata_warnings(RunMeta(commit="abc", branch="main")) == []
