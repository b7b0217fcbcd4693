"""The verdict of a linter's merge-gate check on the report of its configured files: FAIL when
a file could not be linted (it may hide what the gate looks for) or a finding is at or above
the threshold, WARN for findings below it, PASS without findings; the evidence holds the counts
and the first :data:`SHOWN` failing findings and unlinted files."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from readiness._common.annotations import Unlinted as UnreadFile
from readiness._common.severity import Severity
from readiness.gate.model import CheckResult, CheckStatus

SHOWN = 10


class Unlinted(UnreadFile, Protocol):
    """An unread file as the verdict shows it in its evidence."""

    def as_dict(self) -> dict[str, Any]: ...


class Finding(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


FindingT = TypeVar("FindingT", bound=Finding)
FindingT_co = TypeVar("FindingT_co", bound=Finding, covariant=True)


class Report(Protocol[FindingT_co]):
    @property
    def files(self) -> int: ...

    @property
    def suppressed(self) -> int: ...

    @property
    def findings(self) -> Sequence[FindingT_co]: ...

    @property
    def errors(self) -> Sequence[Unlinted]: ...

    def failing(self, threshold: Severity, /) -> Sequence[FindingT_co]: ...


def lint_verdict(
    report: Report[FindingT],
    threshold: Severity,
    *,
    counts: Mapping[str, int],
    unlinted: str,
    first: Callable[[FindingT], str],
    scope: str,
    remediation: str,
) -> CheckResult:
    """The check's result on ``report`` at ``threshold``, in the linter's words: ``counts`` are
    its own counts (evidence, after ``files``), ``unlinted`` what it could not lint
    (``file(s)``), ``first`` where and what a failing finding is, ``scope`` what it read (the
    start of a passing summary)."""
    failing = report.failing(threshold)
    evidence = {
        "files": report.files,
        **counts,
        "findings": [f.as_dict() for f in failing[:SHOWN]],
        "errors": [e.as_dict() for e in report.errors[:SHOWN]],
        "suppressed": report.suppressed,
    }
    if report.errors:
        e = report.errors[0]
        return CheckResult(
            CheckStatus.FAIL,
            f"{len(report.errors)} {unlinted} cannot be read or parsed "
            f"(first: {e.file}:{e.line}:{e.column}: {e.reason})",
            evidence,
            remediation=remediation,
        )
    if failing:
        return CheckResult(
            CheckStatus.FAIL,
            f"{len(failing)} finding(s) at or above {threshold.label} in {report.files} "
            f"file(s) (first: {first(failing[0])})",
            evidence,
            remediation=remediation,
        )
    below = len(report.findings)
    return CheckResult(
        CheckStatus.WARN if below else CheckStatus.PASS,
        f"{scope}: " + (f"{below} finding(s) below {threshold.label}" if below else "no findings"),
        evidence,
    )
