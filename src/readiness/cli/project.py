"""Platform commands: ``init``, ``serve`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from readiness.console import Format, FormatOption, console, emit_json, state


def init_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Write a commented tool.readiness configuration and generate secret keys (idempotent)."""
    from readiness.initproject import init_project

    root = (state(ctx).project_dir or Path.cwd()).resolve()
    result = init_project(root)
    if fmt is Format.JSON:
        emit_json(result.__dict__)
        return
    for item in result.created:
        console.print(f"created {item}")
    for item in result.kept:
        console.print(f"kept    {item} (already there)")
    console.print(f"configuration: {result.config_file}")


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
) -> None:
    """Serve the HTTP API and the dashboard."""
    import uvicorn

    from readiness.server.app import create_app

    settings = state(ctx).settings
    bind_host = host or settings.server.host
    bind_port = port if port is not None else settings.server.port
    console.print(f"Readiness serving on http://{bind_host}:{bind_port}/ (Ctrl+C to stop)")
    uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_level="warning")


def demo_cmd(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Keep the demo project here (default: a new temp dir)."),
    ] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve the dashboard.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8400,
    fmt: Format = FormatOption,
) -> None:
    """Build a realistic CI history from the bundled example service and show what it finds."""
    from readiness.demo import render_demo_text, run_demo

    report = run_demo(directory, progress=fmt is Format.TEXT)
    if fmt is Format.JSON:
        emit_json(report.as_dict())
    else:
        render_demo_text(report, console)
    if serve:
        import uvicorn

        from readiness.server.app import create_app

        console.print(f"\nDashboard: http://127.0.0.1:{port}/ — sign in with the admin token above")
        uvicorn.run(create_app(report.settings), host="127.0.0.1", port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
    app.command("serve")(serve_cmd)
    app.command("demo")(demo_cmd)
