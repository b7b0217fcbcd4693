"""``readiness audit archive|prune|retention``: retention tiers (docs/audit-retention.md).

``archive`` moves whole months older than ``--older-than`` to Hive-partitioned Parquet,
``prune`` removes archived months whose every configured framework's period expired (exit 1,
one line, when one has not), ``retention`` shows the policy, the archived months and the next
expiry. Each archive and prune is recorded in the trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from readiness._common.words import plural
from readiness.console import Format, FormatOption, console, emit_json, print_error, state

if TYPE_CHECKING:
    from readiness.audit.retention.archive import Archiver
    from readiness.audit.retention.core import Policy

DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--archive-dir",
        help="Where the Parquet tier lives (default: audit.retention.archive_dir, "
        ".readiness/audit-archive).",
    ),
]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would move; change nothing.")]


@contextmanager
def _archiver(ctx: typer.Context, archive_dir: Path | None) -> Iterator[tuple[Archiver, Policy]]:
    from readiness.audit.retention.archive import Archiver
    from readiness.audit.retention.core import Policy
    from readiness.audittrail.cli_io import open_trail

    cli = state(ctx)
    settings, stores, ledger = open_trail(ctx)
    try:
        retention = settings.audit.retention
        root = archive_dir or settings.path(retention.archive_dir)
        policy = Policy.of(retention.frameworks)
        yield Archiver(stores.audit, ledger, cli.clock, root, actor=cli.actor), policy
    finally:
        ledger.close()
        stores.dispose()


def archive_cmd(
    ctx: typer.Context,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Archive whole months older than this, 12mo or 1y (default: "
            "audit.retention.older_than, 12mo).",
        ),
    ] = None,
    archive_dir: DirOpt = None,
    dry_run: DryOpt = False,
    fmt: Format = FormatOption,
) -> None:
    """Move whole months of events older than the cutoff to Parquet; the tree, every proof
    and verify stay valid (the archive is recorded in the trail)."""
    from readiness.audit.retention.core import parse_age

    age = older_than or state(ctx).settings.audit.retention.older_than
    months = parse_age(age)
    with _archiver(ctx, archive_dir) as (archiver, _):
        result = archiver.run(months, dry_run=dry_run)
    if fmt is Format.JSON:
        emit_json(result.as_dict())
        return
    verb = "would archive" if dry_run else "archived"
    console.print(
        f"{verb} {plural(result.entries, 'event')} in {plural(len(result.months), 'month')} "
        f"older than {result.cutoff:%Y-%m-%d}",
        markup=False,
    )
    for month in result.months:
        where = f"  {month['file']}" if month["file"] else ""
        console.print(f"  {month['month']}  {month['entries']:>8}{where}", markup=False)
    if result.finished:
        console.print(f"finished {plural(result.finished, 'interrupted part')}", markup=False)


def prune_cmd(
    ctx: typer.Context,
    before: Annotated[
        str,
        typer.Option(
            "--before", help="Prune archived months that end on or before this date (2026-01-01)."
        ),
    ],
    archive_dir: DirOpt = None,
    dry_run: DryOpt = False,
    fmt: Format = FormatOption,
) -> None:
    """Remove the archived bodies of months whose retention expired under every configured
    framework; refused (exit 1) before that. Leaf hashes stay: every proof stays valid."""
    from readiness.audit.query.core import parse_time
    from readiness.audit.retention.prune import prune
    from readiness.errors import RetentionRefusedError

    day = parse_time(before, "before").date()
    with _archiver(ctx, archive_dir) as (archiver, policy):
        try:
            result = prune(archiver, policy, day, dry_run=dry_run)
        except RetentionRefusedError as exc:
            print_error(exc.message)
            raise typer.Exit(1) from None
    if fmt is Format.JSON:
        emit_json(result.as_dict())
        return
    verb = "would prune" if dry_run else "pruned"
    count = sum(int(m["entries"]) for m in result.months)
    console.print(
        f"{verb} {plural(count, 'event')} in {plural(len(result.months), 'archived month')}",
        markup=False,
    )
    for month in result.months:
        console.print(f"  {month['month']}  {month['entries']:>8}  {month['policy']}", markup=False)


def retention_cmd(
    ctx: typer.Context, archive_dir: DirOpt = None, fmt: Format = FormatOption
) -> None:
    """The retention policy, the archived and pruned months, and the next expiry."""
    from readiness.audit.retention.prune import status

    with _archiver(ctx, archive_dir) as (archiver, policy):
        found: dict[str, Any] = status(archiver, policy)
    if fmt is Format.JSON:
        emit_json(found)
        return
    governing = found["policy"]["governing"]
    if governing is None:
        console.print(
            "retention policy: none configured (audit.retention.frameworks)", markup=False
        )
    else:
        console.print(
            f"retention policy: {governing} {found['policy']['years']}y governs "
            f"({', '.join(found['policy']['frameworks'])})",
            markup=False,
        )
    for month in found["months"]:
        console.print(
            f"  {month['month']}  {month['state']:<9} {month['entries']:>8}  "
            f"expires {month['expires']}",
            markup=False,
        )
    console.print(f"next expiry: {found['next_expiry'] or 'none'}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the retention commands to ``readiness audit``."""
    app.command("archive")(archive_cmd)
    app.command("prune")(prune_cmd)
    app.command("retention")(retention_cmd)
