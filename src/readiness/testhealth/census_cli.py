"""``readiness tests census``: run the whole suite N times on this commit, ingest, summarise."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from readiness._common.words import plural
from readiness.console import Format, FormatOption, console, emit_json, state
from readiness.testhealth.experiments.census import MAX_RUNS, MIN_RUNS

if TYPE_CHECKING:
    from readiness._common.clock import Clock
    from readiness.testhealth.client import TestHealthClient
    from readiness.testhealth.experiments.census import CensusPlan, CensusRun, SuiteRunner

ClientFactory = Callable[..., AbstractContextManager["TestHealthClient"]]

# Tests replace it to inject a runner (a fake that raises KeyboardInterrupt, say).
runner_factory: Callable[[Path], SuiteRunner] | None = None


def _git(root: Path, *args: str) -> str | None:
    """One line of ``git`` output in ``root`` (None outside a repository or without git)."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value and value != "HEAD" else None


def register(app: typer.Typer, client: ClientFactory) -> None:
    """Add ``census`` to the ``readiness tests`` app; ``client`` opens the store or server."""

    @app.command(
        "census",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def census_cmd(
        ctx: typer.Context,
        runs: Annotated[
            int,
            typer.Option(
                min=MIN_RUNS, max=MAX_RUNS, help="How often to run the whole suite (2 to 1000)."
            ),
        ] = 20,
        random_order: Annotated[
            bool,
            typer.Option(
                "--random-order",
                help="Shuffle every run with pytest-randomly, run i with seed SEED + i - 1 "
                "(default: the collected order every time).",
            ),
        ] = False,
        seed: Annotated[int, typer.Option(help="First seed of --random-order (reproducible).")] = 0,
        commit: Annotated[
            str | None, typer.Option(help="Commit the runs test (default: git rev-parse HEAD).")
        ] = None,
        branch: Annotated[
            str | None, typer.Option(help="Branch of the runs (default: the current git branch).")
        ] = None,
        fmt: Format = FormatOption,
    ) -> None:
        """Run the whole suite N times on the current commit (handbook Q1), ingest every run
        and list the tests that failed in some runs (flaky) or in all (broken).

        Arguments after `--` go to every pytest call. Exit 0 when every run passed, 1 when a
        test failed, 2 when pytest could not run the suite.
        """
        from readiness.testhealth.experiments.census import (
            CensusPlan,
            census_lines,
            census_view,
            summarize_census,
        )
        from readiness.testhealth.experiments.runner import PytestRunner
        from readiness.testhealth.model import RunMeta

        cli = state(ctx)
        root = cli.settings.root
        commit = commit or _git(root, "rev-parse", "HEAD")
        branch = branch or _git(root, "rev-parse", "--abbrev-ref", "HEAD")
        started = cli.clock.now()
        census_id = f"census-{started:%Y%m%dT%H%M%SZ}"
        plan = CensusPlan(
            runs=runs,
            reports=cli.settings.path(cli.settings.data_dir) / "census" / census_id,
            args=tuple(ctx.args),
            random_order=random_order,
            seed=seed,
        )
        runner = (runner_factory or PytestRunner)(root)
        completed, interrupted = _run_with_progress(runner, plan, cli.clock)
        duration = (cli.clock.now() - started).total_seconds()
        meta = RunMeta(
            commit=commit,
            branch=branch,
            run_id=census_id,
            job="census",
            provider="census",
            tags={"census": census_id},
        )
        ingested: list[dict[str, Any]] = []
        statuses: dict[str, str] = {}
        if completed:
            with client(ctx, create=True) as store:
                ingested = store.ingest([r.report for r in completed], meta)
                statuses = {v["test_id"]: v["status"] for v in store.flaky(include_healthy=True)}
        summary = summarize_census(
            completed,
            requested=runs,
            commit=commit,
            branch=branch,
            duration_s=duration,
            interrupted=interrupted,
            census_id=census_id,
            ingested=[r["run_key"] for r in ingested],
            statuses=statuses,
        )
        if fmt is Format.JSON:
            emit_json(census_view(summary))
        else:
            for line in census_lines(summary):
                console.print(line, markup=False, highlight=False)
        raise typer.Exit(summary.exit_code)


def _run_with_progress(
    runner: SuiteRunner, plan: CensusPlan, clock: Clock
) -> tuple[list[CensusRun], bool]:
    """:func:`run_census` under a rich progress bar on stderr (shown on a terminal only)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from readiness.testhealth.experiments.census import run_census

    failing: set[str] = set()
    columns = (
        TextColumn("census"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    # A console of its own: rich's live display needs a real Console, not the lazy stand-in.
    stderr = Console(stderr=True, highlight=False, markup=False, emoji=False)
    with Progress(*columns, console=stderr, disable=not stderr.is_terminal) as progress:
        task = progress.add_task(f"run 1/{plan.runs}, no test failing", total=plan.runs)

        def advance(run: CensusRun) -> None:
            failing.update(t for t, failed in run.failed.items() if failed)
            following = min(run.index + 1, plan.runs)
            progress.update(
                task,
                advance=1,
                description=f"run {following}/{plan.runs}, "
                f"{plural(len(failing), 'test')} failing so far",
            )

        return run_census(runner, plan, clock=clock, on_run=advance)
