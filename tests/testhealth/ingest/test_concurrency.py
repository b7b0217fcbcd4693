"""Concurrent ingests in real OS processes: every run is stored exactly once, none fails.

Each child process is started with ``spawn`` and waits at a barrier, so all of them ingest at
the same moment.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from readiness.config import load_settings
from readiness.storage import open_stores
from readiness.storage.engine import Stores
from readiness.storage.projects import ensure_project
from readiness.testhealth.store import tables
from tests.testhealth.ingest._reports import node_ids, pytest_report

SPAWN = multiprocessing.get_context("spawn")
JOIN_S = 600  # a bound for a hung child, far above the few seconds these take


def _ingest_child(url: str, path: str, run_id: str, barrier: Any, out: Any) -> None:
    """In a child process: ingest ``path`` through the pipeline once every sibling is ready."""
    from readiness.storage.engine import create_engine_for
    from readiness.storage.retry import RetryPolicy
    from readiness.testhealth.ingest.pipeline import ingest_stream
    from readiness.testhealth.model import RunMeta

    engine = create_engine_for(url)
    with engine.connect():
        pass  # connected (and SQLite pragmas set) before the race starts
    barrier.wait()
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - a plain file in a child process
            result = ingest_stream(
                engine,
                handle,
                source=Path(path).name,
                meta=RunMeta(run_id=run_id, commit="c1", branch="main"),
                project="shop",
                now=datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
                infra_failure_ratio=0.5,
                infra_min_tests=10,
                # Short waits inside SQLite, so that waiting writers go round the retry loop.
                write_wait=RetryPolicy(wait_s=JOIN_S, attempt_ms=20),
            )
        out.put((run_id, "ok", result.results, result.duplicate))
    except Exception as exc:
        out.put((run_id, "error", f"{type(exc).__name__}: {exc}", None))
    finally:
        engine.dispose()


def _cli_child(root: str, path: str, run_id: str, barrier: Any, out: Any) -> None:
    """In a child process: ``readiness tests ingest`` once every sibling is ready."""
    from readiness.cli.main import main
    from readiness.storage import retry

    # Each attempt blocks 20 ms inside SQLite: the waiting is the retry loop's, not SQLite's.
    retry.DEFAULT_WRITE_WAIT = retry.RetryPolicy(wait_s=JOIN_S, attempt_ms=20)
    barrier.wait()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["-C", root, "tests", "ingest", path, "--commit", "c1", "--branch", "main",
                     "--run-id", run_id])  # fmt: skip
    out.put((run_id, code, err.getvalue()))


def _race(target: Any, args: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Run ``target(*a, barrier, queue)`` for each ``a`` in its own process, all at once."""
    barrier = SPAWN.Barrier(len(args))
    out = SPAWN.Queue()
    procs = [SPAWN.Process(target=target, args=(*a, barrier, out)) for a in args]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=JOIN_S) for _ in procs]
    for proc in procs:
        proc.join(JOIN_S)
    assert [proc.exitcode for proc in procs] == [0] * len(procs)
    return sorted(results)


def _counts(engine: sa.Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (tables.runs, tables.tests, tables.results)
        )


@pytest.mark.slow
def test_concurrent_ingests_adding_the_same_new_tests_all_store_their_run_once(
    stores: Stores, tmp_path: Path
) -> None:
    shared = node_ids("test_shared", 0, 3000)
    paths = []
    for n in range(4):
        path = tmp_path / f"run{n}.xml"
        path.write_bytes(pytest_report([*shared, *node_ids(f"test_own{n}", 0, 1000)]))
        paths.append(str(path))
    url = stores.state.url.render_as_string(hide_password=False)
    # The service makes the project on first write; the pipeline writes into an existing one.
    ensure_project(stores.state, "shop", at=datetime(2026, 3, 10, tzinfo=UTC), by="test")

    results = _race(_ingest_child, [(url, path, f"r{n}") for n, path in enumerate(paths)])

    assert results == [(f"r{n}", "ok", 4000, False) for n in range(4)]
    assert _counts(stores.state) == (4, 3000 + 4 * 1000, 4 * 4000)
    with stores.state.connect() as conn:
        per_run = conn.execute(
            sa.select(tables.runs.c.ci_run_id, sa.func.count(tables.results.c.id))
            .join(tables.results, tables.results.c.run_id == tables.runs.c.id)
            .group_by(tables.runs.c.ci_run_id)
            .order_by(tables.runs.c.ci_run_id)
        ).all()
    assert [tuple(r) for r in per_run] == [(f"r{n}", 4000) for n in range(4)]


@pytest.mark.slow
def test_six_large_cli_ingests_into_one_sqlite_database_all_succeed(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    settings = load_settings(project_dir, environ={})
    open_stores(settings).dispose()  # the database exists and is migrated before the race
    paths = []
    for n in range(6):
        path = tmp_path / f"run{n}.xml"
        path.write_bytes(pytest_report(node_ids(f"test_m{n}", 0, 20_000)))
        paths.append(str(path))

    results = _race(_cli_child, [(str(project_dir), p, f"r{n}") for n, p in enumerate(paths)])

    assert results == [(f"r{n}", 0, "") for n in range(6)]
    stores = open_stores(settings)
    try:
        assert _counts(stores.state) == (6, 6 * 20_000, 6 * 20_000)
    finally:
        stores.dispose()
