"""``readiness contracts publish|can-i-deploy|record-deployment|record-release|
record-undeployment|record-support-ended|create-environment``: the broker from the command line,
on the project's own database, or over HTTP on a remote broker with ``--broker-url`` and
``--broker-token`` (``PACT_BROKER_BASE_URL``, ``PACT_BROKER_TOKEN``, as pact-broker-client reads
them): the same output and exit codes either way.

:func:`register` adds the commands to a Typer app (the ``contracts`` group). Exit 0: done, or
deployable; 1: can-i-deploy says no (the reason is printed); 2: an input error, in one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from readiness.console import Format, FormatOption, console, emit_json, print_error, state
from readiness.errors import InputError, ReadinessError

if TYPE_CHECKING:
    from readiness.contracts.pact.remote import Broker

Pacticipant = Annotated[str, typer.Option("--pacticipant", "-a", help="The application's name.")]
Version = Annotated[str, typer.Option("--version", "-e", help="The application's version.")]
Environment = Annotated[str, typer.Option("--environment", help="The environment's name.")]


BrokerUrl = Annotated[
    str | None,
    typer.Option(
        "--broker-url",
        envvar="PACT_BROKER_BASE_URL",
        help="A remote broker's base URL, e.g. https://readiness.example/pact "
        "(default: $PACT_BROKER_BASE_URL, else the project's own database).",
    ),
]
BrokerToken = Annotated[
    str | None,
    typer.Option(
        "--broker-token",
        envvar="PACT_BROKER_TOKEN",
        show_envvar=True,
        help="The remote broker's token, sent as Bearer, never printed "
        "(default: $PACT_BROKER_TOKEN).",
    ),
]


Remote = tuple[str | None, str | None]  # (--broker-url, --broker-token)


@contextmanager
def open_broker(ctx: typer.Context, url: str | None, token: str | None) -> Iterator[Broker]:
    from readiness.contracts.pact.remote import LocalBroker, RemoteBroker

    st = state(ctx)
    if url:
        project = st.settings.project if st.settings.project_is_explicit else None
        remote = RemoteBroker(url, token, project=project)
        try:
            yield remote
        finally:
            remote.close()
        return
    from readiness.contracts.pact.service import PactService
    from readiness.projects.service import ProjectService
    from readiness.storage import open_stores

    stores = open_stores(st.settings, create=True)
    try:
        project = st.settings.project
        ProjectService(stores=stores, clock=st.clock, actor=st.actor).ensure(project)
        yield LocalBroker(PactService(stores, st.clock, project, notify=st.settings.notify))
    finally:
        stores.dispose()


def print_done(fmt: Format, data: dict[str, Any], text: str) -> None:
    if fmt is Format.JSON:
        emit_json(data)
    else:
        console.print(text, markup=False, highlight=False)


def _names(content: Any, path: Path) -> tuple[str, str]:
    try:
        return str(content["consumer"]["name"]), str(content["provider"]["name"])
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path} is not a pact: it needs consumer.name and provider.name") from exc


def publish_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    pact_files: Annotated[list[Path], typer.Argument(help="Pact JSON files.")],
    consumer_version: Annotated[
        str, typer.Option("--consumer-version", help="The consumer's version (e.g. a git SHA).")
    ],
    branch: Annotated[
        str | None, typer.Option("--branch", help="The consumer's branch (default: none).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="A tag, repeatable (default: none).")
    ] = None,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Publish pact files for a consumer version (a changed pact for a published version fails)."""
    try:
        loaded = []
        for path in pact_files:
            try:
                content = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read the pact {path}: {exc}") from exc
            loaded.append((path, content, *_names(content, path)))
        with open_broker(ctx, broker_url, broker_token) as broker:
            rows = [
                broker.publish(
                    c, p, consumer_version, content, branch=branch, tags=tuple(tag or ())
                )
                for _path, content, c, p in loaded
            ]
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    text = "\n".join(
        f"published the pact {r['consumer']} ({r['version']}) -> {r['provider']}"
        + ("" if r["created"] else " (unchanged)")
        for r in rows
    )
    print_done(fmt, {"published": rows}, text)


def can_i_deploy_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    pacticipant: Pacticipant,
    version: Version,
    environment: Annotated[str, typer.Option("--to-environment", help="The target environment.")],
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Whether this version may be deployed to the environment (exit 0 yes, 1 no)."""
    try:
        with open_broker(ctx, broker_url, broker_token) as broker:
            out = broker.can_i_deploy(pacticipant, version, environment)
        deployable = out["summary"]["deployable"] is True
        reason = str(out["summary"]["reason"])
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    except (KeyError, TypeError) as exc:
        print_error("the Pact broker's can-i-deploy answer has no summary (deployable, reason)")
        raise typer.Exit(2) from exc
    data = {"deployable": deployable, "reason": reason, **out}
    verdict = "Computer says yes \\o/" if deployable else "Computer says no ¯\\_(ツ)_/¯"
    print_done(fmt, data, f"{verdict}\n{reason}")
    if not deployable:
        raise typer.Exit(1)


def _record(
    ctx: typer.Context, kind: str, p: str, v: str, *, env: str, fmt: Format, remote: Remote
) -> None:
    try:
        with open_broker(ctx, *remote) as broker:
            ident = broker.record(p, v, env, kind=kind)
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    print_done(
        fmt,
        {"uuid": ident, "kind": kind, "pacticipant": p, "version": v, "environment": env},
        f"recorded the {kind} of {p} {v} to {env}",
    )


def record_deployment_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    pacticipant: Pacticipant,
    version: Version,
    environment: Environment,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Record that this version is now deployed to the environment (replacing the previous)."""
    _record(
        ctx, "deployment", pacticipant, version, env=environment, fmt=fmt,
        remote=(broker_url, broker_token),
    )  # fmt: skip


def record_release_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    pacticipant: Pacticipant,
    version: Version,
    environment: Environment,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Record that this version is released (supported) in the environment."""
    _record(
        ctx, "release", pacticipant, version, env=environment, fmt=fmt,
        remote=(broker_url, broker_token),
    )  # fmt: skip


def _undo(
    ctx: typer.Context, kind: str, p: str, v: str, *, env: str, fmt: Format, remote: Remote
) -> None:
    try:
        with open_broker(ctx, *remote) as broker:
            ended = broker.undo(p, v, env, kind=kind)
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    what = "no longer deployed to" if kind == "deployment" else "no longer supported in"
    data = {"ended": ended, "kind": kind, "pacticipant": p, "version": v, "environment": env}
    print_done(fmt, data, f"{p} {v} is {what} {env}" + ("" if ended else " (it was not)"))


def record_undeployment_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    pacticipant: Pacticipant,
    version: Version,
    environment: Environment,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Undo a deployment: this version is no longer deployed to the environment."""
    _undo(
        ctx, "deployment", pacticipant, version, env=environment, fmt=fmt,
        remote=(broker_url, broker_token),
    )  # fmt: skip


def record_support_ended_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    pacticipant: Pacticipant,
    version: Version,
    environment: Environment,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Undo a release: this version is no longer supported in the environment."""
    _undo(
        ctx, "release", pacticipant, version, env=environment, fmt=fmt,
        remote=(broker_url, broker_token),
    )  # fmt: skip


def create_environment_cmd(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The environment's name, e.g. production.")],
    production: Annotated[bool, typer.Option("--production", help="A production one.")] = False,
    fmt: Format = FormatOption,
    broker_url: BrokerUrl = None,
    broker_token: BrokerToken = None,
) -> None:
    """Create an environment deployments and releases are recorded to."""
    try:
        with open_broker(ctx, broker_url, broker_token) as broker:
            ident = broker.create_environment(name, production=production)
    except ReadinessError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from exc
    print_done(
        fmt,
        {"uuid": ident, "name": name, "production": production},
        f"created the environment {name}",
    )


def register(app: typer.Typer) -> None:
    """Add the broker's commands to ``app`` (the ``contracts`` group)."""
    app.command("publish")(publish_cmd)
    app.command("can-i-deploy")(can_i_deploy_cmd)
    app.command("record-deployment")(record_deployment_cmd)
    app.command("record-release")(record_release_cmd)
    app.command("record-undeployment")(record_undeployment_cmd)
    app.command("record-support-ended")(record_support_ended_cmd)
    app.command("create-environment")(create_environment_cmd)
