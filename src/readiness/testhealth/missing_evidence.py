"""What a merge-gate check says when the evidence it reads was never recorded.

A gate that saw nothing must not pass: a typo in ``--head``, the wrong project directory or a
skipped ingest step would otherwise turn a change green. These results are ``fail`` with
``missing_evidence`` set (``--allow-missing`` turns them into warnings); their summary says what
is missing and their remediation how to record it. Pure: the checks pass in what they read.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from readiness.config import Settings
from readiness.gate.model import CheckResult, CheckStatus

__all__ = ["EMPTY_REPORT", "missing_run"]

EMPTY_REPORT = (
    "The report held no test cases: check that pytest collected tests (`pytest --collect-only "
    "-q`) and wrote them to the report (`pytest --junitxml=report.xml`), then ingest it again."
)


def _masked(url: str) -> str:
    """``url`` without its password, query and fragment (a token may hide in any of them)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def _where(settings: Settings) -> str:
    if settings.url:
        return f"server {_masked(settings.url)}"
    return f"state database {_masked(settings.resolved_state_url)}"


def _ingest_command(head: str | None) -> str:
    commit = shlex.quote(head) if head is not None else '"$(git rev-parse HEAD)"'
    return f"`readiness tests ingest report.xml --commit {commit}`"


def missing_run(
    settings: Settings, head: str | None, recent: Sequence[str | None], subject: str
) -> CheckResult:
    """The failure of a check that found no ``subject`` (``"test run"``) for ``head``.

    ``recent`` are the commits of the newest runs (``None``: a run without a commit). With no
    run at all the summary names the database or server that was read (the wrong directory or
    URL); with runs of other commits the remediation names the newest of them (a wrong SHA);
    with runs recorded without a commit it says that ``--commit`` was not given.
    """
    command = _ingest_command(head)
    evidence: dict[str, Any] = {"commit": head, "recent_commits": list(recent)}
    if not recent:
        return CheckResult(
            CheckStatus.FAIL,
            f"No test run recorded for project {settings.project!r} ({_where(settings)})",
            evidence,
            remediation=(
                f"Ingest the CI test report first ({command}), then run the gate against the "
                "same project directory (-C) or server (READINESS_URL)."
            ),
            missing_evidence=True,
        )
    if head is None:
        return CheckResult(
            CheckStatus.FAIL,
            f"No {subject} recorded: the recorded runs hold no test results",
            evidence,
            remediation=EMPTY_REPORT,
            missing_evidence=True,
        )
    known = [c for c in recent if c is not None]
    if known:
        commits = f"commit {known[0]}" if len(known) == 1 else f"commits {', '.join(known)}"
        remediation = (
            f"Ingest the test report of commit {head} ({command}), or check the SHA: the "
            f"newest runs recorded are of {commits}."
        )
    else:
        remediation = (
            f"Ingest the test report of commit {head} ({command}): the newest runs recorded "
            "carry no commit (they were ingested without --commit), so none can match --head."
        )
    return CheckResult(
        CheckStatus.FAIL,
        f"No {subject} recorded for commit {head}",
        evidence,
        remediation=remediation,
        missing_evidence=True,
    )
