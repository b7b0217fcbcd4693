"""Use cases of the migration linter: lint paths or uploaded texts with the project's settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from readiness.config import MigrationsSettings, Settings
from readiness.errors import InputError
from readiness.migrations.lint import LintOptions, lint_files, lint_paths
from readiness.migrations.model import LintReport, MigrationFile, Severity, SourceError
from readiness.migrations.rules import RULES
from readiness.migrations.sources import load_text


def options_from(
    config: MigrationsSettings,
    *,
    pg_version: int | None = None,
    runner_transaction: bool | None = None,
    since: str | None = None,
) -> LintOptions:
    """Lint options from ``[tool.readiness.migrations]`` and command-line overrides."""
    unknown = sorted(set(config.disable) | set(config.enable or ()))
    unknown = [r for r in unknown if r not in RULES]
    if unknown:
        raise InputError(
            f"[tool.readiness.migrations]: unknown rule {', '.join(unknown)}; "
            "`readiness migrations rules` lists them"
        )
    return LintOptions(
        pg_version=pg_version or config.pg_version,
        runner_transaction=(
            config.runner_transaction if runner_transaction is None else runner_transaction
        ),
        disable=frozenset(config.disable),
        enable=frozenset(config.enable) if config.enable is not None else None,
        since=since or config.since,
    )


def configured_paths(settings: Settings) -> list[Path]:
    return [settings.path(p) for p in settings.migrations.paths]


def lint(paths: Iterable[str | Path], options: LintOptions) -> LintReport:
    """Lint the migrations under ``paths``; an unknown ``since`` is an input error."""
    try:
        return lint_paths(paths, options)
    except ValueError as exc:
        raise InputError(
            f"--since {exc}: no migration has that file name or revision; give the first "
            "migration that is not applied yet"
        ) from None


def lint_texts(files: Mapping[str, str], options: LintOptions) -> LintReport:
    """Lint uploaded migrations (name -> text), in the order given."""
    loaded: list[MigrationFile] = []
    errors: list[SourceError] = []
    for name, text in files.items():
        got = load_text(name, text)
        (errors if isinstance(got, SourceError) else loaded).append(got)  # type: ignore[arg-type]
    try:
        report = lint_files(loaded, options)
    except ValueError as exc:
        raise InputError(f"since {exc}: no file of the request has that name") from None
    report.errors[:0] = errors
    return report


def fails(report: LintReport, fail_on: Severity) -> bool:
    """Whether the report fails at ``fail_on``: a finding at or above it, or an unparseable file."""
    return bool(report.failing(fail_on) or report.errors)
