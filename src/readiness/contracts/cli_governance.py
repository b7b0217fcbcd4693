"""Schema governance commands (``readiness schemas ...`` and ``readiness contracts schema
...``): consumers and their reader schemas, impact, processed-version usage, sample events and
field presence. Thin over :class:`~readiness.contracts.schemas.governance.SchemaGovernance`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from readiness.console import Format, FormatOption, console, emit_json, fail_usage, state

if TYPE_CHECKING:
    from readiness.contracts.schemas.governance.service import SchemaGovernance


@contextmanager
def governance(ctx: typer.Context) -> Iterator[SchemaGovernance]:
    """The project's governed registry on its state database."""
    from readiness.contracts.schemas.governance.service import SchemaGovernance
    from readiness.contracts.schemas.service import SchemaRegistry
    from readiness.storage import open_stores

    cli = state(ctx)
    settings = cli.settings
    stores = open_stores(settings)
    try:
        registry = SchemaRegistry(stores, cli.clock, settings.project, actor=cli.actor)
        yield SchemaGovernance(registry, settings.contracts)
    finally:
        stores.dispose()


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail_usage(f"{path}: {exc.strerror or exc}") from None


def schema_kind(path: Path, kind: str | None) -> str:
    if kind is not None and kind.lower() not in ("json", "avro"):
        raise fail_usage(f"--type {kind}: expected json or avro")
    if kind is None:
        kind = "avro" if path.suffix in (".avsc", ".avro") else "json"
    return kind.upper()


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        console.print(f"  {line}", markup=False, soft_wrap=True)


consumer_app = typer.Typer(no_args_is_help=True, help="Consumers of a subject and what they read.")


@consumer_app.command("register")
def consumer_register(  # noqa: PLR0917 - Typer takes its options as parameters
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject consumed, e.g. orders-value.")],
    name: Annotated[str, typer.Argument(help="The consumer's name, e.g. billing.")],
    field: Annotated[
        list[str] | None,
        typer.Option("--field", "-f", help="A field it reads, e.g. amount (default: none)."),
    ] = None,
    reader: Annotated[
        Path | None,
        typer.Option("--reader-schema", help="Its reader schema file (default: none)."),
    ] = None,
    tolerant: Annotated[
        bool,
        typer.Option(
            "--tolerant/--strict",
            help="Unknown enum values are mapped to a default (tolerant) or rejected "
            "(default: strict).",
        ),
    ] = False,
    fmt: Format = FormatOption,
) -> None:
    """Register a consumer of SUBJECT with the fields it reads and its reader schema."""
    text = read_text(reader) if reader is not None else None
    kind = schema_kind(reader, None) if reader is not None else None
    with governance(ctx) as gov:
        found = gov.register_consumer(
            subject,
            name,
            fields=field or [],
            reader_schema=text,
            schema_type=kind,
            strict=not tolerant,
        )
    data: dict[str, Any] = {
        "subject": subject,
        "consumer": found.name,
        "fields": list(found.fields),
        "reader_schema": found.reader_schema is not None,
        "strict": found.strict,
    }
    if fmt is Format.JSON:
        emit_json(data)
    else:
        mode = "strict" if found.strict else "tolerant"
        console.print(f"{subject}: consumer {found.name} registered ({mode})", markup=False)


@consumer_app.command("list")
def consumer_list(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject.")],
    fmt: Format = FormatOption,
) -> None:
    """The consumers of SUBJECT and the fields each reads."""
    with governance(ctx) as gov:
        kind = gov._kind_of(subject, None)
        rows: list[dict[str, Any]] = [
            {"consumer": c.name, "strict": c.strict, "reads": sorted(c.reads(kind))}
            for c in gov.consumers(subject)
        ]
    if fmt is Format.JSON:
        emit_json(rows)
        return
    if not rows:
        console.print(f"{subject}: no consumers")
    for row in rows:
        reads = ", ".join(row["reads"]) or "(nothing declared)"
        console.print(f"{row['consumer']}: {reads}", markup=False)


def impact_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject.")],
    field: Annotated[
        str | None,
        typer.Option("--field", "-f", help="Which consumers read this field (default: all)."),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against", help="A candidate schema: the consumers it breaks (default: none)."
        ),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Which consumers read a field, or which a candidate schema would affect; exit 1 when a
    consumer is broken."""
    data: dict[str, Any]
    with governance(ctx) as gov:
        if against is not None:
            text = read_text(against)
            evaluation = gov.evaluate(subject, text, schema_kind(against, None))
            data = {
                "subject": subject,
                "affected_consumers": evaluation.affected,
                "consumers": [c.as_dict() for c in evaluation.consumers],
                "messages": evaluation.messages(),
            }
            broken = bool(evaluation.affected)
        else:
            kind = gov._kind_of(subject, None)
            consumers = gov.consumers(subject)
            names = (
                gov.consumers_reading(subject, field)
                if field
                else sorted(c.name for c in consumers)
            )
            data = {
                "subject": subject,
                "field": field,
                "consumers": names,
                "reads": {c.name: sorted(c.reads(kind)) for c in consumers if c.name in names},
            }
            broken = False
    if fmt is Format.JSON:
        emit_json(data)
    elif against is not None:
        console.print(
            f"{subject}: consumers affected: {', '.join(data['affected_consumers']) or 'none'}"
        )
        _print_lines(data["messages"])
    else:
        what = f"read {field}" if field else "are registered"
        who = ", ".join(data["consumers"]) or "none"
        console.print(f"{subject}: consumers that {what}: {who}")
    if broken:
        raise typer.Exit(1)


def usage_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject.")],
    days: Annotated[
        int | None,
        typer.Option("--days", help="The window in days (default: usage_window_days, 30)."),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Which consumers processed each version in the window; versions nobody processed."""
    with governance(ctx) as gov:
        data = gov.usage(subject, days)
    if fmt is Format.JSON:
        emit_json(data)
        return
    console.print(f"{subject}: processed versions in the last {data['days']} days")
    for item in data["versions"]:
        who = ", ".join(f"{c['consumer']} ({c['events']})" for c in item["consumers"])
        console.print(f"  v{item['version']}: {who or 'no consumer'}", markup=False)


def processed_cmd(  # noqa: PLR0917 - Typer takes its options as parameters
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject.")],
    consumer: Annotated[str, typer.Argument(help="The consumer that processed events.")],
    version: Annotated[int, typer.Argument(help="The schema version it processed.")],
    count: Annotated[int, typer.Option("--count", help="How many events (default: 1).")] = 1,
    day: Annotated[
        str | None, typer.Option("--day", help="The day, YYYY-MM-DD (default: today).")
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Report events of a schema version processed by a consumer (schema-version telemetry)."""
    at = _day(day)
    with governance(ctx) as gov:
        number = gov.report_processed(subject, consumer, version=version, count=count, at=at)
    data: dict[str, Any] = {
        "subject": subject,
        "consumer": consumer,
        "version": number,
        "count": count,
    }
    if fmt is Format.JSON:
        emit_json(data)
    else:
        console.print(f"{subject} v{number}: {count} events processed by {consumer}", markup=False)


def _day(day: str | None) -> datetime | None:
    if day is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time(), UTC)
    except ValueError:
        raise fail_usage(f"--day {day!r}: expected YYYY-MM-DD") from None


def samples_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The subject.")],
    file: Annotated[
        Path | None, typer.Argument(help="Sample events, JSON lines (default: report only).")
    ] = None,
    day: Annotated[
        str | None,
        typer.Option("--day", help="The day they belong to, YYYY-MM-DD (default: today)."),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Count sample events into a day's field presence and report the fields present the day
    before and gone that day (exit 1 when one is)."""
    at = _day(day)
    with governance(ctx) as gov:
        added = gov.add_samples(subject, read_text(file), at) if file is not None else None
        report = gov.presence_report(subject, at.date() if at else None)
    if fmt is Format.JSON:
        emit_json({"added": added, **report})
    else:
        if added is not None:
            console.print(f"{subject}: {added['events']} events counted for {added['day']}")
        for drop in report["drops"]:
            console.print(f"  dropped: {drop['message']}", markup=False)
        if not report["drops"]:
            console.print(f"{subject}: no field disappeared on {report['day']}")
    if report["drops"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the governance commands to a registry sub-app."""
    app.add_typer(consumer_app, name="consumer")
    app.command("impact")(impact_cmd)
    app.command("usage")(usage_cmd)
    app.command("processed")(processed_cmd)
    app.command("samples")(samples_cmd)
