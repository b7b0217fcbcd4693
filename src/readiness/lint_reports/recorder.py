"""The recorder a linter's report is stored through: by its merge-gate check (found in the
gate's services, :func:`record_in_gate`) and by ``lint --record``. It creates the project when
it is missing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypedDict, TypeVar

from readiness._common.clock import Clock
from readiness._common.severity import Severity
from readiness.lint_reports.store import ReportStore
from readiness.storage.engine import Stores

if TYPE_CHECKING:
    from readiness.gate.model import GateContext

LintReportT = TypeVar("LintReportT")


class Contents(TypedDict):
    """What a report stores besides who, when and the verdict."""

    counts: dict[str, int]
    findings: list[dict[str, Any]]
    errors: list[dict[str, Any]]


@dataclass(frozen=True)
class ReportRecorder(ABC, Generic[LintReportT]):
    """Stores lint reports of ``project`` in ``reports``; a linter's subclass names them, its
    ``actor`` (who the project is created by) and what a report of its kind stores
    (:meth:`contents`)."""

    actor: ClassVar[str]
    reports: ClassVar[ReportStore[Any]]

    stores: Stores
    project: str
    clock: Clock
    source: str = "gate"

    def record(self, report: LintReportT, *, fail_on: str, failed: bool, at: datetime) -> int:
        """Store ``report`` made at ``at`` (creating the project when missing); its id."""
        from readiness.projects.service import ProjectService

        ProjectService(stores=self.stores, clock=self.clock, actor=self.actor).ensure(self.project)
        return self.reports.insert(
            self.stores.state,
            self.project,
            source=self.source,
            fail_on=fail_on,
            failed=failed,
            at=at,
            **self.contents(report),
        )

    @abstractmethod
    def contents(self, report: LintReportT) -> Contents:
        """The counts, findings and unlinted files ``report`` stores (each linter's own)."""


def record_in_gate(
    context: GateContext, service: str, report: Any, fail_on: Severity, *, failed: bool
) -> None:
    """Store a gate check's ``report`` through the recorder the gate's services hold under
    ``service`` (none with a remote gate: the server keeps its own reports)."""
    recorder: ReportRecorder[Any] | None = context.services.get(service)
    if recorder is not None:
        recorder.record(report, fail_on=fail_on.label, failed=failed, at=context.clock.now())
