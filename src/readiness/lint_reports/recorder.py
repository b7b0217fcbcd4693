"""The recorder a linter's report is stored through: by its merge-gate check (found in the
gate's services) and by ``lint --record``. It creates the project when it is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Generic, TypeVar

from readiness._common.clock import Clock
from readiness.storage.engine import Stores

LintReportT = TypeVar("LintReportT")


@dataclass(frozen=True)
class ReportRecorder(Generic[LintReportT]):
    """Stores lint reports of ``project``; a linter's subclass names its ``actor`` (who the
    project is created by) and how a report of its kind is stored (:meth:`insert`)."""

    actor: ClassVar[str]

    stores: Stores
    project: str
    clock: Clock
    source: str = "gate"

    def record(self, report: LintReportT, *, fail_on: str, failed: bool, at: datetime) -> int:
        """Store ``report`` made at ``at`` (creating the project when missing); its id."""
        from readiness.projects.service import ProjectService

        ProjectService(stores=self.stores, clock=self.clock, actor=self.actor).ensure(self.project)
        return self.insert(report, fail_on=fail_on, failed=failed, at=at)

    def insert(self, report: LintReportT, *, fail_on: str, failed: bool, at: datetime) -> int:
        """Store ``report`` in the linter's table; its id."""
        raise NotImplementedError
