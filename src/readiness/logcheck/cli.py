"""``readiness logs``: lint the log calls of Python code for PII, secrets and format mistakes.

Other commands of the ``logs`` group live in ``cli_<name>.py`` modules of this package, each with
a ``register(app)`` function; the loop at the end of this module adds the ones that exist.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from readiness.console import state
from readiness.lint_reports.cli import fail_on_option, format_option, record_option

if TYPE_CHECKING:
    from readiness._common.clock import Clock
    from readiness.config import Settings
    from readiness.logcheck.lint import LintReport
    from readiness.logcheck.reports import ReportRecorder
    from readiness.storage.engine import Stores

app = typer.Typer(
    no_args_is_help=True,
    help="Logs: lint log calls for PII, secrets and format mistakes; scan logs for PII.",
)

FORMATS = ("text", "json", "sarif", "github")


@app.command("lint")
def lint_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Python files or directories, or - for source on stdin (default: "
            "\\[tool.readiness.logs] lint_paths, else src/, else the packages at the project's "
            "root)."
        ),
    ] = None,
    stdin_filename: Annotated[
        str | None,
        typer.Option(
            "--stdin-filename",
            metavar="NAME",
            help="The file name findings give the source read from stdin; implies - "
            "(default: <stdin>).",
        ),
    ] = None,
    fmt: Annotated[str, format_option(FORMATS)] = "text",
    fail_on: Annotated[str | None, fail_on_option("from config, error")] = None,
    disable: Annotated[
        list[str] | None,
        typer.Option(
            "--disable",
            metavar="RULE",
            help="Skip a rule; repeat for more (default: the config's disable list).",
        ),
    ] = None,
    record: Annotated[
        bool, record_option("the project's database (the /logs page shows it)")
    ] = False,
) -> None:
    """Lint log calls; exit 1 on findings at or above --fail-on, 2 on unreadable input."""
    from readiness.lint_reports.cli import check_format, finish, threshold
    from readiness.logcheck import service
    from readiness.logcheck.render import RENDERERS

    check_format(fmt, FORMATS)
    settings = state(ctx).settings
    fails_at = threshold(fail_on, settings.logs.fail_on)
    stdin = stdin_filename is not None or any(str(p) == "-" for p in paths or ())
    if stdin:
        report = _lint_stdin(paths or [], stdin_filename, disable or [], settings)
    else:
        report = _lint_paths(paths or [], disable or [], settings)
    failed = service.fails(report, fails_at)
    finish(
        ctx,
        report,
        RENDERERS[fmt](report),
        fails_at,
        failed=failed,
        record=_recorder if record else None,
    )


def _lint_paths(paths: list[Path], disable: list[str], settings: Settings) -> LintReport:
    from readiness.console import fail_usage
    from readiness.logcheck import service

    targets: list[str | Path] = list(paths or service.configured_paths(settings))
    if not targets:
        raise fail_usage(
            "no code to lint: give PATH..., or set lint_paths in [tool.readiness.logs] "
            "(without it: src/, else the packages at the project's root)"
        )
    missing = [str(t) for t in targets if not Path(t).exists()]
    if missing:
        raise fail_usage(f"{missing[0]}: no such file or directory")
    options = service.options_from(settings.logs, disable=disable)
    return service.lint(targets, options, base=Path.cwd(), root=settings.root)


def _lint_stdin(
    paths: list[Path], stdin_filename: str | None, disable: list[str], settings: Settings
) -> LintReport:
    """``logs lint -``: the module on stdin, named ``--stdin-filename`` (as a path given on the
    command line is shown: relative to the working directory or the project root)."""
    from readiness.console import fail_usage
    from readiness.logcheck import service

    others = [str(p) for p in paths if str(p) != "-"]
    if others:
        raise fail_usage(
            f"{others[0]}: - (or --stdin-filename) lints the source on stdin and takes no other "
            "PATH; run it once for stdin and once for the paths"
        )
    if stdin_filename == "":
        raise fail_usage("--stdin-filename: expected a file name, got an empty one")
    name = (
        service.STDIN_NAME
        if stdin_filename is None
        else service.shown_path(Path(stdin_filename), Path.cwd(), settings.root)
    )
    options = service.options_from(settings.logs, disable=disable)
    try:
        data = sys.stdin.buffer.read()
    except OSError as exc:
        raise fail_usage(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return service.lint_bytes(data, name, options)


def _recorder(stores: Stores, settings: Settings, clock: Clock) -> ReportRecorder:
    from readiness.logcheck.reports import ReportRecorder

    return ReportRecorder(stores, settings.project, clock, source="cli")


@app.command("rules")
def rules_cmd() -> None:
    """List the lint rules with their severity."""
    from readiness.logcheck.lint import RULES

    for rule in sorted(RULES.values(), key=lambda r: (-r.severity, r.id)):
        typer.echo(f"{rule.id:<20} {rule.severity.label:<8} {rule.title}")


def _register_others() -> None:
    """Add the commands of every ``cli_*`` module of this package (``cli_scan`` ...)."""
    package = sys.modules[__name__.rpartition(".")[0]]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("cli_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            module.register(app)


_register_others()
