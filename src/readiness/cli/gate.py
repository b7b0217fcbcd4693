"""``readiness gate merge|deploy|verify``: run the checklist of one gate and report it."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from readiness.config import Settings
from readiness.console import console, err_console, state
from readiness.gate.model import Gate


class GateFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"


def gate_cmd(
    ctx: typer.Context,
    gate: Annotated[Gate, typer.Argument(help="merge, deploy or verify.")],
    base: Annotated[
        str | None,
        typer.Option(
            help="Base revision (what the change starts from; default: none, every flaky "
            "test is reported)."
        ),
    ] = None,
    head: Annotated[
        str | None,
        typer.Option(
            help="Head revision (the change under review; default: the latest ingested run)."
        ),
    ] = None,
    environment: Annotated[
        str | None, typer.Option(help="Target environment (deploy/verify; default: none).")
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Only checks matching these globs (repeatable; default: every check)."),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option(help="Skip checks matching these globs (repeatable; default: none)."),
    ] = None,
    allow_missing: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-missing",
            help=(
                "Checks matching these globs warn instead of failing when their evidence is "
                "missing (no test run for --head, an empty report; repeatable; default: none)."
            ),
        ),
    ] = None,
    fmt: Annotated[
        GateFormat, typer.Option("--format", "-f", help="Report format.")
    ] = GateFormat.TEXT,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report here (default: standard output)."),
    ] = None,
) -> None:
    """Run the checks of GATE; exit 0 when nothing failed, 1 on a failed check, 2 on an error.

    Exit 2 also when every check was skipped (nothing was verified) or GATE has no checks.
    """
    from readiness.gate.service import run_gate_for

    cli = state(ctx)
    report = run_gate_for(
        gate,
        settings=cli.settings,
        clock=cli.clock,
        base=base,
        head=head,
        environment=environment,
        select=select or (),
        skip=skip or (),
        allow_missing=allow_missing or (),
        timer=time.perf_counter,
        actor=cli.actor,
        warn=lambda line: err_console.print(line, markup=False),
    )
    from readiness.gate.render import render
    from readiness.gate.runner import exit_code

    text = render(report, fmt.value, dashboard_url=gates_page_url(cli.settings, gate))
    if output is not None:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {fmt.value} report to {output}")
    else:
        typer.echo(text, nl=not text.endswith("\n"))
    raise typer.Exit(exit_code(report))


def gates_page_url(settings: Settings, gate: Gate) -> str | None:
    """The project's gates page, showing ``gate``, on the configured server (``READINESS_URL``)."""
    if not settings.url:
        return None
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(settings.url.rstrip("/"))
    netloc = parts.netloc.rsplit("@", 1)[-1]  # never print credentials in a PR comment
    base = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return f"{base}/gates?project={quote(settings.project, safe='')}&gate={gate.value}"


def register(app: typer.Typer) -> None:
    app.command("gate")(gate_cmd)
