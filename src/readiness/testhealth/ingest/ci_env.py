"""Run metadata from the CI service's environment: commit, branch, run, attempt, job, PR, URL.

:func:`ci_metadata` is pure: it reads only the mapping it is given, the documented variables of
GitHub Actions, GitLab CI, Buildkite, CircleCI, Jenkins and Azure Pipelines. Where a value is not
in a plain variable it is derived the way each service documents it:

- GitHub Actions: the pull request number is in ``GITHUB_REF`` (``refs/pull/N/merge``) or, for
  ``pull_request_target`` and other events, in the event payload (``GITHUB_EVENT_PATH``, read by
  :func:`read_github_event`); on a pull request the branch is ``GITHUB_HEAD_REF``, since
  ``GITHUB_REF_NAME`` is then ``N/merge``. The commit is ``GITHUB_SHA`` (on a pull request, the
  merge commit GitHub tested), the same value the gate is given as ``--head``.
- A service without a retry counter (GitLab CI, CircleCI, Jenkins) leaves the attempt unset.
- Parallel copies of one job (Buildkite ``parallelism``, CircleCI ``parallelism``) get
  ``name i/n`` as job, the way GitLab names its ``parallel:`` jobs, so they stay distinct jobs.

Values given explicitly (CLI flags, plugin options) always win: see :func:`merge_ci`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from readiness.testhealth.model import RunMeta

PROVIDERS = ("github", "gitlab", "buildkite", "circleci", "jenkins", "azure")
_PULL_REF = re.compile(r"^refs/pull/(\d+)/(?:merge|head)$")
_PULL_URL = re.compile(r"/pull/(\d+)/?$")
_ENV_HINT = "GitHub Actions, GitLab CI, Buildkite, CircleCI, Jenkins or Azure Pipelines"


@dataclass(frozen=True, slots=True)
class CiMetadata:
    """What the CI environment says about the current run (None: it does not say)."""

    provider: str | None = None
    commit: str | None = None
    branch: str | None = None
    run_id: str | None = None
    attempt: int | None = None
    job: str | None = None
    pr: str | None = None
    url: str | None = None


def ci_metadata(
    environ: Mapping[str, str], *, github_event: Mapping[str, Any] | None = None
) -> CiMetadata:
    """The run metadata of the CI service named by ``environ`` (empty outside CI).

    ``github_event`` is GitHub's event payload, when the caller read it (see
    :func:`read_github_event`); it only supplies a pull request number ``GITHUB_REF`` lacks.
    """
    env = _Env(environ)
    if env.get("GITHUB_ACTIONS") == "true":
        return _github(env, github_event or {})
    for marker, value, read in _SERVICES:
        found = env.get(marker)
        if found is not None and (value is None or found.lower() == value):
            return read(env)
    return CiMetadata()


def read_github_event(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """GitHub's event payload (``GITHUB_EVENT_PATH``), or None when absent or unreadable."""
    path = environ.get("GITHUB_EVENT_PATH")
    if environ.get("GITHUB_ACTIONS") != "true" or not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return event if isinstance(event, dict) else None


def from_environment(environ: Mapping[str, str]) -> CiMetadata:
    """:func:`ci_metadata` of ``environ``, with GitHub's event payload read from disk."""
    return ci_metadata(environ, github_event=read_github_event(environ))


def merge_ci(meta: RunMeta, ci: CiMetadata, *, attempt_given: bool) -> RunMeta:
    """``meta`` with every field it lacks taken from ``ci``; explicit values always win.

    ``attempt_given`` says whether ``meta.attempt`` was given explicitly (it has a default).
    """
    return replace(
        meta,
        commit=meta.commit or ci.commit,
        branch=meta.branch or ci.branch,
        run_id=meta.run_id or ci.run_id,
        attempt=meta.attempt if attempt_given or ci.attempt is None else ci.attempt,
        job=meta.job or ci.job,
        pr=meta.pr or ci.pr,
        url=meta.url or ci.url,
        provider=meta.provider or ci.provider,
    )


def missing_metadata_warnings(meta: RunMeta) -> list[str]:
    """One line per missing commit or branch: what the run cannot feed and how to give it."""
    warnings = []
    if not meta.commit:
        warnings.append(
            "warning: this run has no commit, so it cannot feed the same-commit rule (passed "
            "and failed on one commit); pass --commit SHA, or ingest inside " + _ENV_HINT
        )
    if not meta.branch:
        warnings.append(
            "warning: this run has no branch, so it cannot feed the flip-rate rule (which reads "
            "default-branch runs); pass --branch NAME, or ingest inside " + _ENV_HINT
        )
    return warnings


class _Env:
    """Environment lookups where an empty value counts as absent."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, *names: str) -> str | None:
        """The first of ``names`` set to a non-empty value."""
        for name in names:
            value = self._environ.get(name, "").strip()
            if value:
                return value
        return None

    def number(self, name: str, *, plus: int = 0) -> int | None:
        """A positive attempt number from ``name`` (plus ``plus``); None when absent or garbled."""
        value = self.get(name)
        if value is None or not value.isdigit():
            return None
        number = int(value) + plus
        return number if number >= 1 else None


def _branch_of(ref: str | None) -> str | None:
    """``refs/heads/x`` -> ``x``; tags and pull request refs are not branches."""
    if ref and ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/") or None
    return None


def _parallel(job: str | None, index: int | None, total: int | None) -> str | None:
    """``job i/n`` for the i-th (1-based) of n parallel copies of a job."""
    if job is None or index is None or total is None or total < 2:
        return job
    return f"{job} {index}/{total}"


def _github(env: _Env, event: Mapping[str, Any]) -> CiMetadata:
    ref = env.get("GITHUB_REF")
    pull = _PULL_REF.match(ref or "")
    pr = pull.group(1) if pull else None
    if pr is None:
        number = (event.get("pull_request") or {}).get("number")
        pr = str(number) if isinstance(number, int) else None
    server, repo = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY")
    run = env.get("GITHUB_RUN_ID")
    return CiMetadata(
        provider="github",
        commit=env.get("GITHUB_SHA"),
        branch=env.get("GITHUB_HEAD_REF") or _branch_of(ref),
        run_id=run,
        attempt=env.number("GITHUB_RUN_ATTEMPT"),
        job=env.get("GITHUB_JOB"),
        pr=pr,
        url=f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None,
    )


def _gitlab(env: _Env) -> CiMetadata:
    return CiMetadata(
        provider="gitlab",
        commit=env.get("CI_COMMIT_SHA"),
        branch=env.get(
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
            "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
            "CI_COMMIT_BRANCH",
        ),
        run_id=env.get("CI_PIPELINE_ID"),
        job=env.get("CI_JOB_NAME"),
        pr=env.get("CI_MERGE_REQUEST_IID", "CI_EXTERNAL_PULL_REQUEST_IID"),
        url=env.get("CI_JOB_URL", "CI_PIPELINE_URL"),
    )


def _buildkite(env: _Env) -> CiMetadata:
    pr = env.get("BUILDKITE_PULL_REQUEST")
    commit = env.get("BUILDKITE_COMMIT")
    return CiMetadata(
        provider="buildkite",
        commit=None if commit == "HEAD" else commit,  # a symbolic name, not a commit
        branch=env.get("BUILDKITE_BRANCH"),
        run_id=env.get("BUILDKITE_BUILD_ID"),
        attempt=env.number("BUILDKITE_RETRY_COUNT", plus=1),
        job=_parallel(
            env.get("BUILDKITE_LABEL", "BUILDKITE_STEP_KEY"),
            env.number("BUILDKITE_PARALLEL_JOB", plus=1),
            env.number("BUILDKITE_PARALLEL_JOB_COUNT"),
        ),
        pr=None if pr == "false" else pr,
        url=env.get("BUILDKITE_BUILD_URL"),
    )


def _circleci(env: _Env) -> CiMetadata:
    pull = _PULL_URL.search(env.get("CIRCLE_PULL_REQUEST") or "")
    return CiMetadata(
        provider="circleci",
        commit=env.get("CIRCLE_SHA1"),
        branch=env.get("CIRCLE_BRANCH"),
        run_id=env.get("CIRCLE_WORKFLOW_ID"),
        job=_parallel(
            env.get("CIRCLE_JOB"),
            env.number("CIRCLE_NODE_INDEX", plus=1),
            env.number("CIRCLE_NODE_TOTAL"),
        ),
        pr=env.get("CIRCLE_PR_NUMBER") or (pull.group(1) if pull else None),
        url=env.get("CIRCLE_BUILD_URL"),
    )


def _jenkins(env: _Env) -> CiMetadata:
    change = env.get("CHANGE_ID")
    if env.get("TAG_NAME"):
        branch = None  # BRANCH_NAME holds the tag of a tag build
    elif change:
        branch = env.get("CHANGE_BRANCH")  # BRANCH_NAME is then e.g. PR-24
    else:
        branch = env.get("BRANCH_NAME", "GIT_LOCAL_BRANCH")
        branch = branch or _strip_origin(env.get("GIT_BRANCH"))
    return CiMetadata(
        provider="jenkins",
        commit=env.get("GIT_COMMIT"),
        branch=branch,
        run_id=env.get("BUILD_TAG"),
        job=env.get("JOB_NAME"),
        pr=change,
        url=env.get("BUILD_URL"),
    )


def _strip_origin(branch: str | None) -> str | None:
    # The git plugin names the remote-tracking branch, e.g. origin/main.
    return branch.removeprefix("origin/") if branch else None


def _azure(env: _Env) -> CiMetadata:
    pr_source = env.get("SYSTEM_PULLREQUEST_SOURCEBRANCH")
    if pr_source:
        branch: str | None = pr_source.removeprefix("refs/heads/")
    else:
        branch = _branch_of(env.get("BUILD_SOURCEBRANCH"))
    collection = env.get("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")
    project, build = env.get("SYSTEM_TEAMPROJECT"), env.get("BUILD_BUILDID")
    url = None
    if collection and project and build:
        url = f"{collection.rstrip('/')}/{quote(project)}/_build/results?buildId={build}"
    return CiMetadata(
        provider="azure",
        commit=env.get("BUILD_SOURCEVERSION"),
        branch=branch,
        run_id=build,
        attempt=env.number("SYSTEM_JOBATTEMPT"),
        job=env.get("SYSTEM_JOBDISPLAYNAME", "AGENT_JOBNAME"),
        pr=env.get("SYSTEM_PULLREQUEST_PULLREQUESTNUMBER", "SYSTEM_PULLREQUEST_PULLREQUESTID"),
        url=url,
    )


# The variable each service always sets (and its value, when one is documented).
_SERVICES: tuple[tuple[str, str | None, Callable[[_Env], CiMetadata]], ...] = (
    ("GITLAB_CI", "true", _gitlab),
    ("BUILDKITE", "true", _buildkite),
    ("CIRCLECI", "true", _circleci),
    ("TF_BUILD", "true", _azure),  # Azure sets it to True
    ("JENKINS_URL", None, _jenkins),
)
