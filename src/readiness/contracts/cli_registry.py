"""``readiness schemas`` (also ``readiness contracts schema``): register, check, diff and list
event schemas in the local registry (the project's state database), and govern them
(consumers, impact, usage, samples: :mod:`readiness.contracts.cli_governance`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from readiness.console import Format, FormatOption, console, emit_json, fail_usage, state
from readiness.contracts import cli_governance

if TYPE_CHECKING:
    from readiness.contracts.schemas.service import SchemaRegistry

app = typer.Typer(
    no_args_is_help=True,
    help="The event-schema registry: JSON Schema and Avro subjects, versions, compatibility.",
)

TypeOption = typer.Option(
    "--type",
    "-t",
    help="json or avro (default: avro for .avsc files, else json).",
)


@contextmanager
def _registry(ctx: typer.Context) -> Iterator[SchemaRegistry]:
    from readiness.contracts.schemas.service import SchemaRegistry
    from readiness.storage import open_stores

    cli = state(ctx)
    settings = cli.settings
    stores = open_stores(settings)
    try:
        yield SchemaRegistry(stores, cli.clock, settings.project, actor=cli.actor)
    finally:
        stores.dispose()


def _read(path: Path, kind: str | None) -> tuple[str, str]:
    if kind is not None and kind.lower() not in ("json", "avro"):
        raise fail_usage(f"--type {kind}: expected json or avro")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail_usage(f"{path}: {exc.strerror or exc}") from None
    if kind is None:
        kind = "avro" if path.suffix in (".avsc", ".avro") else "json"
    return text, kind.upper()


@app.command("register")
def register_cmd(  # noqa: PLR0917 - Typer takes its options as parameters
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject, e.g. payments-value.")],
    file: Annotated[Path, typer.Argument(help="The schema file (.json or .avsc).")],
    kind: Annotated[str | None, TypeOption] = None,
    changelog: Annotated[
        Path | None,
        typer.Option(
            "--changelog",
            help="A changelog entry naming the affected consumers, stored with the version "
            "(default: none).",
        ),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Register a schema version; exit 1 when it breaks the subject's compatibility mode or
    governance refuses it (a breaking or meaning change without a changelog)."""
    from readiness.errors import GovernanceRefusedError, IncompatibleSchemaError

    text, schema_type = _read(file, kind)
    note = cli_governance.read_text(changelog) if changelog is not None else None
    with cli_governance.governance(ctx) as gov:
        try:
            version = gov.register(subject, text, schema_type, note)
        except (IncompatibleSchemaError, GovernanceRefusedError) as exc:
            if fmt is Format.JSON:
                emit_json({"registered": False, "error": exc.message, **exc.details})
            else:
                console.print(f"refused: {exc.message}", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None
    data = {"subject": subject, "version": version.version, "id": version.schema.id}
    if fmt is Format.JSON:
        emit_json({"registered": True, **data})
    else:
        console.print(f"{subject} version {version.version} (schema id {version.schema.id})")


@app.command("check")
def check_cmd(  # noqa: PLR0917 - Typer takes its options as parameters
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject to check against.")],
    file: Annotated[Path, typer.Argument(help="The candidate schema file.")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Check against this version only, or latest (default: the versions the "
            "subject's mode compares with).",
        ),
    ] = None,
    kind: Annotated[str | None, TypeOption] = None,
    changelog: Annotated[
        Path | None,
        typer.Option("--changelog", help="The changelog entry to check with (default: none)."),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Would the schema be accepted? Exit 0 compatible, 1 incompatible (each reason printed,
    with the registered consumers it affects and what governance asks for)."""
    text, schema_type = _read(file, kind)
    note = cli_governance.read_text(changelog) if changelog is not None else None
    with cli_governance.governance(ctx) as gov:
        data: dict[str, Any]
        if version is not None:
            result = gov.registry.test(subject, text, schema_type, version)
            data = {
                "compatible": result.compatible,
                "mode": result.mode,
                "messages": result.messages,
                "incompatibilities": [i.as_dict() for i in result.incompatibilities],
            }
        else:
            evaluation = gov.evaluate(subject, text, schema_type, note)
            data = evaluation.as_dict()
            refused = gov.settings.governance and not evaluation.new_subject
            data["compatible"] = evaluation.compatible and not (refused and evaluation.refusals())
    if fmt is Format.JSON:
        emit_json(data)
    else:
        verdict = "compatible" if data["compatible"] else "INCOMPATIBLE"
        console.print(f"{subject}: {verdict} ({data['mode']})")
        for message in data["messages"]:
            console.print(f"  {message}", markup=False, soft_wrap=True)
        if data.get("affected_consumers"):
            console.print(f"  consumers affected: {', '.join(data['affected_consumers'])}")
    if not data["compatible"]:
        raise typer.Exit(1)


@app.command("diff")
def diff_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject.")],
    old: Annotated[str, typer.Argument(help="The older version (a number).")],
    new: Annotated[str, typer.Argument(help="The newer version (a number or latest).")] = "latest",
    fmt: Format = FormatOption,
) -> None:
    """A changelog between two versions: fields added, removed, changed, meaning changes, what
    breaks, the consumers each change affects, and the changelog registered with the newer one."""
    with cli_governance.governance(ctx) as gov:
        data = gov.diff(subject, old, new)
    if fmt is Format.JSON:
        emit_json(data)
        return
    console.print(f"{subject}: version {data['old']} -> {data['new']}")
    for line in data["lines"]:
        console.print(f"  {line}", markup=False, soft_wrap=True)
    if data["changelog"]:
        console.print("  changelog:", markup=False)
        for line in data["changelog"].splitlines():
            console.print(f"    {line}", markup=False, soft_wrap=True)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    subject: Annotated[
        str | None, typer.Argument(help="List this subject's versions (default: subjects).")
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """The subjects with their latest version and mode, or one subject's versions."""
    with _registry(ctx) as registry:
        if subject is None:
            rows = [
                {
                    "subject": s,
                    "latest": registry.version(s, "latest").version,
                    "compatibility": registry.compatibility(s),
                }
                for s in registry.subjects()
            ]
        else:
            rows = [
                {
                    "subject": subject,
                    "version": v.version,
                    "id": v.schema.id,
                    "type": v.schema.schema_type,
                }
                for v in registry.versions(subject)
            ]
    if fmt is Format.JSON:
        emit_json(rows)
        return
    if not rows:
        console.print("no subjects")
    for row in rows:
        console.print("  ".join(f"{k}={v}" for k, v in row.items()), markup=False)


@app.command("config")
def config_cmd(
    ctx: typer.Context,
    mode: Annotated[
        str | None, typer.Argument(help="Set this mode (NONE, BACKWARD, ..., FULL_TRANSITIVE).")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="The subject (default: the global mode).")
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Show or set the compatibility mode of a subject or of the whole project."""
    with _registry(ctx) as registry:
        current = (
            registry.set_compatibility(mode, subject) if mode else registry.compatibility(subject)
        )
    if fmt is Format.JSON:
        emit_json({"subject": subject, "compatibility": current})
    else:
        console.print(f"{subject or '(global)'}: {current}")


cli_governance.register(app)

# ``readiness schemas ...``: the same commands as a top-level sub-app (the root mounts it).
schemas_app = app
