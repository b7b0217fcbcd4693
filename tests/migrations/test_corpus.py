"""Robustness on real migrations: Airflow's scripts (a committed sample), Readiness's own
Alembic histories (dogfooding: they pass the linter), and an optional large corpus."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from readiness.migrations.lint import LintOptions, lint_paths
from readiness.migrations.model import Severity

SAMPLE = Path(__file__).parent / "corpus" / "airflow-sample.zip"
STORAGE = Path(__file__).parents[2] / "src" / "readiness" / "storage"


def test_the_airflow_sample_lints_without_errors(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    with zipfile.ZipFile(SAMPLE) as archive:
        archive.extractall(versions)
    report = lint_paths([tmp_path])
    assert (report.files, report.errors) == (12, [])
    assert report.statements == 86
    failing = sorted({(Path(f.file).name[:4], f.rule) for f in report.failing(Severity.ERROR)})
    assert failing == [  # what Airflow does on PostgreSQL (MSSQL/SQLite-only branches skipped)
        ("0060", "require-concurrent-index-deletion"),
        ("0069", "require-concurrent-index-creation"),
        ("0093", "adding-foreign-key-constraint"),
        ("0093", "drop-column"),
        ("0093", "require-concurrent-index-creation"),
        ("0093", "require-concurrent-index-deletion"),
        ("0093", "set-not-null"),
        ("0100", "adding-foreign-key-constraint"),
        ("0100", "require-concurrent-index-creation"),
        ("0100", "require-concurrent-index-deletion"),
        ("0133", "require-concurrent-index-deletion"),
    ]


def test_readiness_own_alembic_histories_pass_the_linter() -> None:
    """Dogfooding (DESIGN.md: our own migrations must pass our own linter)."""
    report = lint_paths([STORAGE], LintOptions())
    assert report.errors == []
    assert report.files == len(list(STORAGE.glob("*/versions/[0-9]*.py")))
    assert report.failing(Severity.ERROR) == []


@pytest.mark.skipif(
    not os.environ.get("MIGRATIONS_LINT_CORPUS"),
    reason="set MIGRATIONS_LINT_CORPUS=DIR to lint a large corpus",
)
def test_a_large_corpus_lints_without_crashing() -> None:
    report = lint_paths([os.environ["MIGRATIONS_LINT_CORPUS"]])
    assert report.files >= 100
    assert len(report.errors) <= report.files // 50
