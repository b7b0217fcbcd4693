"""What a linter's ``lint`` command shares: its ``--format``, ``--fail-on`` and ``--record``
options, their checks (one line and exit 2 on a bad value), and the ending of a run — the
report written, exit 2 on unreadable input, the report stored, exit 1 when it fails."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import typer

from readiness._common.severity import Severity
from readiness.console import fail_usage, state

if TYPE_CHECKING:
    from readiness._common.clock import Clock
    from readiness.config import Settings
    from readiness.lint_reports.recorder import ReportRecorder
    from readiness.storage.engine import Stores


class SourceError(Protocol):
    """A file a linter could not read (``unreadable``) or parse."""

    @property
    def file(self) -> str: ...

    @property
    def reason(self) -> str: ...

    @property
    def unreadable(self) -> bool: ...


class Report(Protocol):
    """What the ending of a run reads of a linter's report."""

    @property
    def errors(self) -> Sequence[SourceError]: ...


#: How a command makes its linter's recorder for ``--record`` (``source="cli"``).
RecorderFactory = Callable[["Stores", "Settings", "Clock"], "ReportRecorder[Any]"]


def format_option(formats: Sequence[str]) -> Any:
    """``--format``/``-f`` naming ``formats`` (the first is the default)."""
    listed = f"{', '.join(formats[:-1])} or {formats[-1]}"
    return typer.Option("--format", "-f", help=f"{listed} (default: {formats[0]}).")


def fail_on_option(default: str = "error") -> Any:
    """``--fail-on``; ``default`` says where the threshold comes from when it is not given."""
    return typer.Option(
        "--fail-on",
        help=f"Exit 1 on findings at or above: info, warning, error (default: {default}).",
    )


def record_option(where: str) -> Any:
    """``--record``; ``where`` says where the report goes and which page shows it."""
    return typer.Option("--record", help=f"Store the report in {where}.")


def check_format(fmt: str, formats: Sequence[str]) -> None:
    """Exit 2 with one line unless ``fmt`` is one of ``formats``."""
    if fmt not in formats:
        raise fail_usage(f"--format {fmt}: expected one of {', '.join(formats)}")


def threshold(fail_on: str | None, configured: str) -> Severity:
    """The ``--fail-on`` severity, else the configured one; exit 2 with one line on a bad one."""
    try:
        return Severity.parse(fail_on or configured)
    except ValueError as exc:
        raise fail_usage(f"--fail-on: {exc}") from None


def finish(
    ctx: typer.Context,
    report: Report,
    output: str,
    fail_on: Severity,
    *,
    failed: bool,
    record: RecorderFactory | None,
) -> None:
    """Write ``output`` (the rendered report); exit 2 on the first unreadable file; store the
    report when ``record`` makes a recorder; exit 1 when ``failed``."""
    sys.stdout.write(output)
    unreadable = [e for e in report.errors if e.unreadable]
    if unreadable:
        raise fail_usage(f"{unreadable[0].file}: {unreadable[0].reason}")
    if record is not None:
        _record(ctx, record, report, fail_on.label, failed=failed)
    if failed:
        raise typer.Exit(1)


def _record(
    ctx: typer.Context, make: RecorderFactory, report: Report, fail_on: str, *, failed: bool
) -> None:
    from readiness.storage import open_stores

    cli = state(ctx)
    settings = cli.settings
    if settings.is_remote:
        raise fail_usage(
            "--record stores the report in the local database; it is not available with a "
            "server url set (run it where the project's database is)"
        )
    stores = open_stores(settings)
    try:
        recorder = make(stores, settings, cli.clock)
        recorder.record(report, fail_on=fail_on, failed=failed, at=cli.clock.now())
    finally:
        stores.dispose()
