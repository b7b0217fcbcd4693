"""``readiness contracts coverage|show-interface|delete-interface``: contract coverage of a
provider's endpoints and message types, and the interface (OpenAPI document and message types)
stored for the dashboard, on the project's own database or a remote broker (``--broker-url``),
like the broker's other commands (:mod:`.cli_pact`).

Exit 0: done, or all covered; 1: some endpoint or message type has no consumer contract;
2: an input error (a provider with no stored interface included), in one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from readiness.console import Format, FormatOption, print_error
from readiness.contracts.cli_pact import BrokerToken, BrokerUrl, open_broker, print_done
from readiness.errors import InputError, ReadinessError

Provider = Annotated[str, typer.Option("--provider", help="The provider's name.")]


def coverage_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    provider: Provider,
    openapi: Annotated[
        Path | None,
        typer.Option("--openapi", help="The provider's OpenAPI document, JSON (default: none)."),
    ] = None,
    message: Annotated[
        list[str] | None,
        typer.Option("--message", help="A message type it sends, repeatable (default: none)."),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Store the document and message types for the dashboard's Pact page, "
            "replacing what was stored for the provider (default: off).",
        ),
    ] = False,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Which endpoints and message types of the provider no consumer contract exercises
    (exit 0 all covered, 1 some are not); with --record, also store them."""
    try:
        doc: Any = {}
        if openapi is not None:
            try:
                doc = json.loads(openapi.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(
                    f"cannot read the OpenAPI document {openapi} as JSON: {exc}"
                ) from exc
        if openapi is None and not message:
            raise InputError("give --openapi FILE or --message TYPE (or both)")
        if record and openapi is None:
            raise InputError("--record needs --openapi FILE")
        with open_broker(ctx, broker_url, broker_token) as broker:
            call = broker.record_interface if record else broker.coverage
            out = call(provider, doc, list(message or []))
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    lines = [f"{out['provider']}: {out['covered']} of {out['total']} covered by consumer contracts"]
    for row in [*out["endpoints"], *out["messages"]]:
        who = ", ".join(row["consumers"]) or "NO CONSUMER CONTRACT"
        lines.append(f"  {row['name']}: {who}")
    print_done(fmt, out, "\n".join(lines))
    if out["uncovered"]:
        raise typer.Exit(1)


def show_interface_cmd(
    ctx: typer.Context,
    provider: Provider,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """The OpenAPI document and message types stored for the provider (by coverage --record):
    its operations and message types as text, the whole document with --format json."""
    from readiness.contracts.pact.coverage import endpoints_of, webhooks_of

    try:
        with open_broker(ctx, broker_url, broker_token) as broker:
            out = broker.interface(provider)
        endpoints = endpoints_of(out["openapi"])
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    kinds = [*out["messages"], *webhooks_of(out["openapi"])]
    lines = [
        f"{out['provider']}: {len(endpoints)} endpoint(s), {len(kinds)} message type(s), "
        f"recorded {out['updated_at']}"
    ]
    lines += [f"  {e.method} {e.path}" for e in endpoints]
    lines += [f"  message {kind}" for kind in kinds]
    print_done(fmt, out, "\n".join(lines))


def delete_interface_cmd(
    ctx: typer.Context,
    provider: Provider,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Forget the OpenAPI document and message types stored for the provider: the
    dashboard's Pact page stops showing its coverage."""
    try:
        with open_broker(ctx, broker_url, broker_token) as broker:
            broker.delete_interface(provider)
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    print_done(
        fmt,
        {"provider": provider, "deleted": True},
        f"forgot the stored interface of {provider}",
    )


def register(app: typer.Typer) -> None:
    """Add the coverage commands to ``app`` (the ``contracts`` group)."""
    app.command("coverage")(coverage_cmd)
    app.command("show-interface")(show_interface_cmd)
    app.command("delete-interface")(delete_interface_cmd)
