"""The linters' report tables, built by one factory, are the tables their revisions create, and
one repository stores and lists the reports of each (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

from readiness._common.clock import FrozenClock
from readiness.lint_reports.store import StoredReport
from readiness.logcheck import reports as log_reports
from readiness.logcheck.lint import Finding, LintReport, Severity, SourceError
from readiness.migrations import reports as migration_reports
from readiness.migrations.model import LintReport as MigrationReport
from readiness.migrations.model import SourceError as MigrationError
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores
from readiness.storage.metadata import NAMING
from readiness.storage.projects import projects

FIRST = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SECOND = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
LEAK = Finding("pii-name", Severity.ERROR, "app/a.py", 3, 19, "m", "email", "f", 24)


def test_the_declared_tables_are_the_ones_revisions_0014_and_0015_create(stores: Stores) -> None:
    ours = MetaData(naming_convention=NAMING)
    for table in (projects, log_reports.log_reports, migration_reports.migration_reports):
        table.to_metadata(ours)
    with stores.state.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda name, kind, _parent: (
                    kind != "table" or name in {"rd_projects", "log_reports", "migration_reports"}
                ),
            },
        )
        # rd_projects is there to be referred to; the two report tables are compared
        differences = compare_metadata(context, ours)
    assert differences == []


def test_both_tables_have_the_common_columns_and_their_own_counts_in_order() -> None:
    assert [c.name for c in log_reports.log_reports.columns] == [
        "id", "project", "source", "fail_on", "failed",
        "files", "suppressed", "total",
        "findings", "errors", "at",
    ]  # fmt: skip
    assert [c.name for c in migration_reports.migration_reports.columns] == [
        "id", "project", "source", "fail_on", "failed",
        "files", "statements", "suppressed",
        "findings", "errors", "at",
    ]  # fmt: skip


def test_a_log_report_is_stored_and_listed_newest_first_with_its_counts(stores: Stores) -> None:
    recorder = log_reports.ReportRecorder(stores, "shop", FrozenClock(FIRST), source="cli")
    report = LintReport(files=2, findings=[LEAK], suppressed=1)
    report.errors.append(SourceError("app/b.py", 1, 7, "not valid Python: invalid syntax"))
    first = recorder.record(report, fail_on="error", failed=True, at=FIRST)
    second = recorder.record(LintReport(files=1), fail_on="warning", failed=False, at=SECOND)

    listed = log_reports.list_reports(stores.state, "shop")

    assert [r.as_dict() for r in listed] == [
        {
            "id": second,
            "project": "shop",
            "source": "cli",
            "fail_on": "warning",
            "failed": False,
            "files": 1,
            "suppressed": 0,
            "total": 0,
            "findings": [],
            "errors": [],
            "at": "2026-12-01T09:30:00+00:00",
        },
        {
            "id": first,
            "project": "shop",
            "source": "cli",
            "fail_on": "error",
            "failed": True,
            "files": 2,
            "suppressed": 1,
            "total": 1,
            "findings": [LEAK.as_dict()],
            "errors": [
                {
                    "file": "app/b.py",
                    "line": 1,
                    "column": 7,
                    "reason": "not valid Python: invalid syntax",
                }
            ],
            "at": "2026-12-01T08:00:00+00:00",
        },
    ]
    assert [r.at for r in log_reports.list_reports(stores.state, "shop", limit=1)] == [SECOND]
    assert [p.name for p in ProjectService(stores=stores, clock=FrozenClock(FIRST)).list()] == [
        "shop"
    ]


def test_a_log_report_keeps_500_findings_and_counts_them_all(stores: Stores) -> None:
    recorder = log_reports.ReportRecorder(stores, "shop", FrozenClock(FIRST))
    report = LintReport(files=1, findings=[LEAK] * 501)
    recorder.record(report, fail_on="error", failed=True, at=FIRST)
    [stored] = log_reports.list_reports(stores.state, "shop")
    assert (stored.source, stored.total, len(stored.findings)) == ("gate", 501, 500)


def test_a_migration_report_keeps_its_statements_and_file_names_relative_to_the_root(
    stores: Stores,
) -> None:
    recorder = migration_reports.ReportRecorder(
        stores, "shop", FrozenClock(FIRST), source="cli", root="/repo/"
    )
    bad = MigrationError("/repo/db/V2__bad.sql", 1, 1, 'syntax error at or near "SELEC"')
    report = MigrationReport(files=1, statements=3, errors=[bad])
    recorder.record(report, fail_on="error", failed=True, at=FIRST)

    [stored] = migration_reports.list_reports(stores.state, "shop")
    assert list(stored.as_dict()) == [
        "id", "project", "source", "fail_on", "failed",
        "files", "statements", "suppressed",
        "findings", "errors", "at",
    ]  # fmt: skip
    assert (stored.statements, stored.total, [e["file"] for e in stored.errors]) == (
        3,
        0,
        ["db/V2__bad.sql"],
    )


def test_every_linter_report_is_a_stored_report_with_its_counts_declared() -> None:
    assert (
        issubclass(log_reports.StoredReport, StoredReport),
        issubclass(migration_reports.StoredReport, StoredReport),
        log_reports.REPORTS.report_type.COUNTS,
        migration_reports.REPORTS.report_type.COUNTS,
    ) == (True, True, ("files", "suppressed", "total"), ("files", "statements", "suppressed"))
