"""Gate checks: the contract every feature (and every third-party plugin) implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from readiness._common.clock import Clock
from readiness.config import Settings


class Gate(StrEnum):
    MERGE = "merge"
    DEPLOY = "deploy"
    VERIFY = "verify"


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a check status, not a password
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"  # the check could not run: a broken environment, not a finding


@dataclass(frozen=True)
class CheckResult:
    """What one check concluded.

    ``missing_evidence`` marks a ``fail`` that says "what this check reads was never recorded"
    (no test run for the head commit, an empty report) rather than "the change is bad". Such a
    failure blocks like any other unless the gate was run with ``--allow-missing`` matching the
    check's id; the runner then reports it as ``warn`` and sets ``allowed_by`` to the pattern.
    The marker means nothing on other statuses.
    """

    status: CheckStatus
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: str | None = None
    missing_evidence: bool = False
    allowed_by: str | None = None


@dataclass
class GateContext:
    """Everything a check may look at; checks are pure functions of it."""

    gate: Gate
    root: Path
    settings: Settings
    clock: Clock
    base: str | None = None
    head: str | None = None
    environment: str | None = None
    endpoints: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, Any] = field(default_factory=dict)


class Check(Protocol):
    """A gate check: an id, a title, the checklist item it implements, the gates it runs in."""

    id: str
    title: str
    checklist_item: str
    gates: tuple[Gate, ...]

    def run(self, context: GateContext) -> CheckResult: ...


@dataclass(frozen=True)
class CheckOutcome:
    """A check and its result, as the runner reports it."""

    id: str
    title: str
    checklist_item: str
    result: CheckResult
    duration_s: float


@dataclass(frozen=True)
class GateReport:
    """Every check outcome of one gate run, in id order, and the revisions it judged."""

    gate: Gate
    outcomes: tuple[CheckOutcome, ...]
    base: str | None = None
    head: str | None = None

    @property
    def failed(self) -> bool:
        """Some check failed."""
        return any(o.result.status is CheckStatus.FAIL for o in self.outcomes)

    @property
    def errored(self) -> bool:
        """Some check could not run."""
        return any(o.result.status is CheckStatus.ERROR for o in self.outcomes)

    @property
    def verified_nothing(self) -> bool:
        """No check ran to a conclusion: there are no outcomes, or every one is ``skip``."""
        return all(o.result.status is CheckStatus.SKIP for o in self.outcomes)
