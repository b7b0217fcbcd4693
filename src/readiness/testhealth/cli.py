"""``readiness tests``: ingest results, find flaky tests, quarantine, verify fixes, classify."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from readiness._common.when import parse_expiry, parse_moment
from readiness._common.words import plural, plural_noun
from readiness.console import Format, FormatOption, console, emit_json, err_console, state
from readiness.errors import InputError
from readiness.testhealth.cli_triage import link_cmd, owner_cmd
from readiness.testhealth.model import RunMeta

if TYPE_CHECKING:
    from readiness.testhealth.client import TestHealthClient

app = typer.Typer(no_args_is_help=True, help="Flaky-test management (testhealth).")
quarantine_app = typer.Typer(no_args_is_help=True, help="Quarantine as code: add, remove, list.")
app.add_typer(quarantine_app, name="quarantine")
app.command("owner")(owner_cmd)
app.command("link")(link_cmd)


@contextmanager
def _client(ctx: typer.Context, *, create: bool = False) -> Iterator[TestHealthClient]:
    """The local store or the server; only writing commands pass ``create`` (a new database)."""
    from readiness.testhealth.client import open_client

    cli = state(ctx)
    client = open_client(cli.settings, cli.clock, actor=cli.actor, create=create)
    try:
        yield client
    finally:
        client.close()


def _parse_tags(tags: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags or []:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise InputError(f"--tag {tag!r}: expected KEY=VALUE, e.g. --tag python=3.12")
        out[key] = value
    return out


@app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="JUnit XML files (all stored, or none).")],
    commit: Annotated[
        str | None, typer.Option(help="Commit SHA the run tested (default: from CI).")
    ] = None,
    branch: Annotated[
        str | None, typer.Option(help="Branch of the run (default: from CI).")
    ] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="CI run/pipeline id (default: from CI).")
    ] = None,
    attempt: Annotated[
        int | None,
        typer.Option(min=1, help="CI attempt, counting retries up (default: from CI, else 1)."),
    ] = None,
    job: Annotated[str | None, typer.Option(help="CI job name (default: from CI).")] = None,
    pr: Annotated[
        str | None, typer.Option(help="Pull/merge request number (default: from CI).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Web page of the CI run (default: from CI).")
    ] = None,
    tree: Annotated[
        str | None, typer.Option(help="Git tree SHA: same code, new commit (default: none).")
    ] = None,
    timestamp: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN",
            help="When the run started: an ISO 8601 date or date and time (default: the "
            "report's, else now).",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE run tag (repeatable; default: none).")
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Ingest JUnit XML (pytest, Jest, Surefire, go-junit-report) with its run metadata.

    Metadata not given is read from the CI environment (GitHub Actions, GitLab CI, Buildkite,
    CircleCI, Jenkins, Azure Pipelines); options always win.
    """
    import os

    from readiness.testhealth.ingest.ci_env import (
        from_environment,
        merge_ci,
        missing_metadata_warnings,
    )

    given = RunMeta(
        commit=commit,
        branch=branch,
        run_id=run_id,
        attempt=attempt or 1,
        job=job,
        pr=pr,
        url=url,
        tree=tree,
        timestamp=parse_moment(timestamp, option="--timestamp") if timestamp else None,
        tags=_parse_tags(tag),
    )
    meta = merge_ci(given, from_environment(os.environ), attempt_given=attempt is not None)
    with _client(ctx, create=True) as client:
        results = client.ingest(files, meta)
    for warning in missing_metadata_warnings(meta):
        err_console.print(warning, markup=False)
    if fmt is Format.JSON:
        emit_json(results)
        return
    for r in results:
        note = " (already ingested: nothing written)" if r["duplicate"] else ""
        infra = " [infrastructure failure: not counted]" if r["infra_failure"] else ""
        # Plain text, not rich markup: a path like reports/[py3.12].xml is printed as it is.
        typer.echo(
            f"{r['source']}: {r['format']}, {plural(r['tests'], 'test')}, "
            f"{plural(r['results'], 'result')}, {r['failed']} failed{note}{infra}"
        )


class FlakySort(StrEnum):
    """The orders of ``tests flaky --sort``."""

    IMPACT = "impact"
    FAILURE_RATE = "failure-rate"
    NAME = "name"
    LAST_SEEN = "last-seen"


def _rules_text(rules: list[dict[str, Any]]) -> str:
    return "; ".join(r["rule"] for r in rules) or "-"


@app.command("flaky")
def flaky_cmd(
    ctx: typer.Context,
    include_healthy: Annotated[
        bool, typer.Option("--all", help="List every test, healthy ones too.")
    ] = False,
    sort: Annotated[
        FlakySort,
        typer.Option(
            help="Order of the list (impact: estimated minutes lost, highest first; "
            "last-seen: the newest failure first)."
        ),
    ] = FlakySort.IMPACT,
    fmt: Format = FormatOption,
) -> None:
    """List flaky, broken, quarantined and recently fixed tests, the most costly first: CI runs
    failed and retried, CI minutes lost, pull requests and branches affected, the rules."""
    with _client(ctx) as client:
        found = client.flaky(include_healthy=include_healthy, sort=sort.value)
    if fmt is Format.JSON:
        emit_json(found)
        return
    from readiness.testhealth.textreport import render_flaky_table

    render_flaky_table(found, console)


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="Test id, e.g. tests/test_x.py::test_y.")],
    fmt: Format = FormatOption,
) -> None:
    """One test: status, figures, the rules that fired and why, failure groups, run history."""
    from rich.text import Text

    from readiness.testhealth.textreport import STATUS_STYLE
    from readiness.testhealth.views import figure_cells, figures_sentence

    with _client(ctx) as client:
        view = client.show(test_id)
    if fmt is Format.JSON:
        emit_json(view)
        return
    # Text, not markup: ids and messages such as "test_p[/etc/hosts]" are printed as they are.
    head = Text(view["test_id"], style="bold")
    head.append(" — ")
    head.append(view["status"], style=STATUS_STYLE.get(view["status"], ""))
    head.append(f": {figures_sentence(figure_cells(view))}")
    console.print(head, soft_wrap=True)
    for rule in view["rules"]:
        console.print(f"  • {rule['rule']}: {rule['explanation']}", markup=False)
    from readiness.testhealth.textreport import render_triage

    render_triage(view, console)
    for group in view["failure_groups"]:
        first_line = (group["message"] or "").splitlines()[0] if group["message"] else ""
        console.print(f"  {group['count']}× [{group['kind']}] {first_line}", markup=False)
    history = view.get("history") or []
    if history:
        line = Text("  history (oldest → newest; ✓ pass, ✗ fail, ↻ pass on retry): ")
        for run in history[::-1]:
            line.append(*_history_cell(run))
        console.print(line, soft_wrap=True)


def _history_cell(run: dict[str, Any]) -> tuple[str, str]:
    """The symbol of one run in ``tests show``'s history line, and its style."""
    attempts = run.get("attempts") or []
    if not attempts:
        return "·", ""
    if all(a == "passed" for a in attempts):
        return "✓", "green"
    if attempts[-1] == "passed":
        return "↻", "yellow"
    if all(a == "skipped" for a in attempts):
        return "○", "dim"
    return "✗", "red"


@app.command("report")
def report_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Suite health: duration trend, flaky rate, quarantine size, retry rate, time to fix."""
    with _client(ctx) as client:
        report = client.report()
    if fmt is Format.JSON:
        emit_json(report)
        return
    from readiness.testhealth.textreport import render_report

    render_report(report, console)


@app.command("known")
def known_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Every test id seen so far (feed to the plugin's --readiness-new-tests-from)."""
    with _client(ctx) as client:
        ids = client.known()
    if fmt is Format.JSON:
        emit_json(ids)
    else:
        for test_id in ids:
            typer.echo(test_id)


@quarantine_app.command("list")
def quarantine_list_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """The active quarantine list (reviewed file plus server entries)."""
    from rich.table import Table
    from rich.text import Text

    from readiness.storage.engine import MissingDatabaseError

    cli = state(ctx)
    try:
        with _client(ctx) as client:
            entries = client.quarantine_list()
    except MissingDatabaseError:
        # A fresh clone: no database yet, but the reviewed file may be there; it is the list.
        path = cli.settings.path(cli.settings.testhealth.quarantine_file)
        if not path.is_file():
            raise
        entries = _reviewed_file_entries(path)
    if fmt is Format.JSON:
        emit_json(entries)
        return
    if not entries:
        console.print("Nothing is quarantined.")
        return
    now = cli.clock.now().isoformat()
    # Cells are Text (never markup); the test id wraps rather than being cut.
    table = Table("test", "owner", "reason", "issue", "expires")
    table.columns[0].overflow = "fold"
    for e in entries:
        expired = e["expires"] <= now
        table.add_row(
            Text(e["test_id"]),
            Text(e["owner"] or "-"),
            Text(e["reason"]),
            Text(e["issue"] or "-"),
            Text(f"{e['expires'][:10]} (expired)", style="red")
            if expired
            else Text(e["expires"][:10]),
        )
    console.print(table)


def _reviewed_file_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of the reviewed quarantine file at ``path``."""
    from readiness.testhealth.quarantine.file import load_quarantine_file
    from readiness.testhealth.views import quarantine_view

    return [quarantine_view(e) for e in load_quarantine_file(path)]


@quarantine_app.command("add")
def quarantine_add_cmd(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="Test id to quarantine.")],
    reason: Annotated[str, typer.Option(help="Why (required; recorded in the audit trail).")],
    owner: Annotated[str | None, typer.Option(help="Owner (default: from CODEOWNERS).")] = None,
    issue: Annotated[
        str | None, typer.Option(help="Issue tracking the fix (default: none).")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN",
            help="When it expires: a date (2026-04-30) or a number of days from now (90d) "
            "(default: quarantine_default_days, 30).",
        ),
    ] = None,
    allow_unknown: Annotated[
        bool,
        typer.Option(
            "--allow-unknown",
            help="Quarantine a test id no ingested run has shown (default: refused as a typo).",
        ),
    ] = False,
    fmt: Format = FormatOption,
) -> None:
    """Quarantine a test: it keeps running, its failures stop blocking merges."""
    now = state(ctx).clock.now()
    when = parse_expiry(expires, now=now) if expires is not None else None
    with _client(ctx, create=True) as client:
        entry = client.quarantine_add(
            test_id,
            reason=reason,
            owner=owner,
            issue=issue,
            expires=when,
            allow_unknown=allow_unknown,
        )
    if fmt is Format.JSON:
        emit_json(entry)
    else:
        console.print(
            f"quarantined {entry['test_id']} (owner {entry['owner'] or 'none'}, "
            f"expires {entry['expires'][:10]})",
            markup=False,
        )


@quarantine_app.command("remove")
def quarantine_remove_cmd(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="Test id to release.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit trail).")],
    fmt: Format = FormatOption,
) -> None:
    """Take a test out of quarantine."""
    with _client(ctx, create=True) as client:
        client.quarantine_remove(test_id, reason=reason)
    if fmt is Format.JSON:
        emit_json({"test_id": test_id, "removed": True})
    else:
        console.print(f"released {test_id} from quarantine", markup=False)


@app.command("verify-fix")
def verify_fix_cmd(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="The test whose fix to verify.")],
    runs: Annotated[
        int | None,
        typer.Option(min=1, help="Override the computed number of runs (default: at least 50)."),
    ] = None,
    polluter: Annotated[
        list[str] | None,
        typer.Option(
            help="A test that made it fail, as `tests classify` names it (repeatable; default: "
            "none)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random orders (reproducible).")] = 0,
    fmt: Format = FormatOption,
) -> None:
    """Rerun a test n = max(50, ceil(ln α / ln(1 − p̂))) times, starting with the orders it
    failed in; on zero failures mark it fixed and release it from quarantine."""
    from readiness.testhealth.experiments.verify import verify_fix_locally
    from readiness.testhealth.views import failing_order_from_view, fix_view

    cli = state(ctx)
    with _client(ctx) as client:
        shown = client.show(test_id)
        # A broken test has no flake rate: its failure rate (1.0 when it always fails) stands in.
        rate = float(
            shown["flake_rate"] if shown["flake_rate"] is not None else shown["failure_rate"]
        )
        failing = [failing_order_from_view(v) for v in client.failing_orders(test_id)]
        if fmt is not Format.JSON:
            console.print(
                f"{test_id}: measured flake rate {rate:.1%}; "
                f"{plural(len(failing), 'failing run')} on record; rerunning ...",
                markup=False,
            )
        outcome = verify_fix_locally(
            cli.settings,
            test_id,
            flake_rate=rate,
            failing=failing,
            polluters=polluter or (),
            runs=runs,
            rng=random.Random(seed),  # noqa: S311
        )
        client.record_fix(outcome)
    view = fix_view(outcome)
    if fmt is Format.JSON:
        emit_json(view)
    else:
        console.print(
            f"{view['verdict']}: {plural(view['failures'], 'failure')} in "
            f"{plural(view['runs'], 'run')} "
            f"(required {view['required_runs']} at α = {view['alpha']})",
            markup=False,
        )
        for name, tally in view["experiments"].items():
            console.print(f"  {name}: {tally}", markup=False)
        if outcome.verdict != "fixed":
            console.print(f"  {test_id} stays in quarantine", markup=False)
    raise typer.Exit(0 if outcome.verdict == "fixed" else 1)


@app.command("classify")
def classify_cmd(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="The flaky test to investigate.")],
    seed: Annotated[int, typer.Option(help="Seed of the random orders (reproducible).")] = 0,
    fmt: Format = FormatOption,
) -> None:
    """Root cause by experiment over the whole suite, starting with the orders it failed in:
    order-dependent victim (and polluter), brittle (and state-setter), non-idempotent, ..."""
    from readiness.storage.engine import MissingDatabaseError
    from readiness.testhealth.experiments.classify import classify_locally
    from readiness.testhealth.views import classification_view, failing_order_from_view

    cli = state(ctx)
    try:
        with _client(ctx) as client:
            failing = [failing_order_from_view(v) for v in client.failing_orders(test_id)]
    except MissingDatabaseError:
        failing = []  # nothing ingested here yet: the experiments try the suite's own orders
    found = classify_locally(
        cli.settings,
        test_id,
        failing=failing,
        rng=random.Random(seed),  # noqa: S311
    )
    view = classification_view(found)
    if fmt is Format.JSON:
        emit_json(view)
        return
    say = partial(console.print, markup=False, highlight=False)
    say(f"{test_id}: {view['label']}")
    say(f"  evidence: {view['evidence']}")
    if view["polluters"]:
        role = "polluter" if view["label"] == "order-dependent-victim" else "state-setter"
        say(f"  {plural_noun(len(view['polluters']), role)}: {', '.join(view['polluters'])}")
    if view["failure_kind"]:
        say(f"  failure kind: {view['failure_kind']}")
    say(f"  pytest runs: {view['pytest_runs']} ({view['search_runs']} searching for the cause)")
    for name, summary in view["runs"].items():
        say(f"  {name}: {summary}")
    for hint in view["hints"]:
        say(f"  hint line {hint['line']} [{hint['kind']}]: {hint['text']}")


def _register_census() -> None:
    from readiness.testhealth.census_cli import register

    register(app, _client)


_register_census()
