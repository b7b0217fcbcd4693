"""Platform commands: ``init``, ``serve`` and ``demo``."""

from __future__ import annotations

import socket
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from readiness.console import Format, FormatOption, console, emit_json, state
from readiness.errors import InputError, ReadinessError

if TYPE_CHECKING:
    from readiness.config import Settings

PortOption = Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")]
LogFormat = Literal["auto", "json", "console"]


class LogFormatChoice(StrEnum):
    """``serve --log-format``."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


def init_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Write a commented tool.readiness configuration and generate secret keys (idempotent)."""
    from readiness.initproject import init_project

    result = init_project(state(ctx).root)
    if fmt is Format.JSON:
        emit_json(result.__dict__)
        return
    for item in result.created:
        console.print(f"created {item}", markup=False)
    for item in result.kept:
        console.print(f"kept    {item} (already there)", markup=False)
    console.print(f"configuration: {result.config_file}", markup=False)


def ensure_port_free(host: str, port: int) -> None:
    """Fail now, with a fix, when ``host:port`` cannot be bound (before any slow work)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(
            f"cannot serve on {host}: {exc.strerror}; give an address of this machine "
            "with --host (e.g. 127.0.0.1)"
        ) from exc
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: SO_REUSEADDR, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                f"cannot serve on {host}:{port}: {exc.strerror}; stop what is using it or "
                "pick another port with --port"
            ) from exc


def _run_server(settings: Settings, host: str, port: int, log_format: LogFormat = "auto") -> None:
    import uvicorn

    from readiness.cli.logsetup import detach
    from readiness.logs.override import derive_key
    from readiness.server.app import create_app, prepare_routes
    from readiness.server.logsetup import (
        UVICORN_LOG_OPTIONS,
        ServerRequestLogging,
        configure_server_logging,
    )

    detach()
    configure_server_logging(log_format)
    server_app = create_app(settings, notify_worker=settings.notify.worker, relay_worker=True)
    prepare_routes(server_app)
    try:
        # proxy_headers=False: uvicorn would believe X-Forwarded-Proto from 127.0.0.1; the app
        # believes it only from server.trusted_proxies. Logging: readiness.logs, one
        # http.request line per request instead of uvicorn's access log.
        uvicorn.run(
            ServerRequestLogging(server_app, debug_key=derive_key(server_app.state.session_key)),
            host=host,
            port=port,
            proxy_headers=False,
            **UVICORN_LOG_OPTIONS,
        )
    except SystemExit as exc:  # uvicorn exits 1 when it cannot start (e.g. the port was taken)
        raise ReadinessError(
            f"the server on {host}:{port} could not start (see the message above); "
            "pick another port with --port"
        ) from exc


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default: server.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="TCP port (default: server.port, 8400).")
    ] = None,
    log_format: Annotated[
        LogFormatChoice,
        typer.Option(
            "--log-format",
            help="Server log lines on stderr: json, console, or auto: console when stderr is a "
            "terminal, else json (default: auto).",
        ),
    ] = LogFormatChoice.AUTO,
) -> None:
    """Serve the HTTP API and the dashboard."""
    settings = state(ctx).settings
    bind_host = host or settings.server.host
    bind_port = port if port is not None else settings.server.port
    ensure_port_free(bind_host, bind_port)
    console.print(
        f"Readiness serving on http://{bind_host}:{bind_port}/ (Ctrl+C to stop)", markup=False
    )
    _run_server(settings, bind_host, bind_port, log_format.value)


def demo_cmd(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Keep the demo project here (default: a new temp dir)."),
    ] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve the dashboard.")] = False,
    port: PortOption = 8400,
    fmt: Format = FormatOption,
) -> None:
    """Build a realistic CI history from the bundled example service and show what it finds."""
    from readiness.demo import render_demo_text, run_demo

    if serve:
        ensure_port_free("127.0.0.1", port)  # before a minute of demo, not after
    report = run_demo(directory, progress=fmt is Format.TEXT)
    if fmt is Format.JSON:
        emit_json(report.as_dict())
    else:
        render_demo_text(report, console)
    if serve:
        console.print(
            f"\nDashboard: http://127.0.0.1:{port}/ — sign in with the admin token above",
            markup=False,
        )
        _run_server(report.settings, "127.0.0.1", port)


def register(app: typer.Typer) -> None:
    """Add ``init``, ``serve`` and ``demo`` to the root Typer app."""
    app.command("init")(init_cmd)
    app.command("serve")(serve_cmd)
    app.command("demo")(demo_cmd)
