"""How long does a first ingest take on PostgreSQL, next to SQLite, as new tests grow in number?

Every test of the report is new (a fresh database each time), which is where PostgreSQL used to
grow super-linearly (80k tests 6 s, 160k 123 s, 500k not done in 10 minutes). Prints one JSON
line: seconds and results/s per size on PostgreSQL and on SQLite, measured in the same run, plus
a second ingest of the same tests (known tests) on each. PostgreSQL comes from
``READINESS_TEST_PG_URL`` (default: the local trust-auth server, database ``test``); each
ingest gets a schema of its own, dropped afterwards.

    .venv/bin/python benchmarks/ingest_postgres.py                    # 100k and 500k tests
    .venv/bin/python benchmarks/ingest_postgres.py --sizes 20000 80000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from _gen_junit import DATA, generate

from readiness.storage.engine import create_engine_for
from readiness.storage.migrate import upgrade
from readiness.testhealth.ingest.pipeline import ingest_stream
from readiness.testhealth.model import RunMeta

PG_URL = os.environ.get(
    "READINESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_engine() -> Iterator[sa.Engine]:
    """A migrated engine on a fresh schema of the benchmark database."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_engine_for(url.render_as_string(hide_password=False))
    try:
        upgrade("state", engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite_engine() -> Iterator[sa.Engine]:
    """A migrated engine on a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine_for(f"sqlite:///{tmp}/state.db")
        try:
            upgrade("state", engine)
            yield engine
        finally:
            engine.dispose()


def ingest_twice(engine: sa.Engine, path: Path) -> dict[str, float]:
    """Seconds of a first ingest (every test new) and of a second one (every test known)."""
    figures: dict[str, float] = {}
    for label, run_id in (("fresh", "1"), ("known", "2")):
        start = time.perf_counter()
        with path.open("rb") as f:
            result = ingest_stream(
                engine,
                f,
                source=path.name,
                meta=RunMeta(run_id=run_id, commit="c1", branch="main"),
                project="bench",
                now=datetime.now(UTC),
                infra_failure_ratio=0.5,
                infra_min_tests=100,
            )
        seconds = time.perf_counter() - start
        figures[f"{label}_s"] = round(seconds, 2)
        figures[f"{label}_results_per_s"] = round(result.results / seconds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 500_000])
    args = parser.parse_args()
    report: dict[str, object] = {"benchmark": "ingest_postgres", "sizes": args.sizes}
    for size in args.sizes:
        path = DATA / f"junit_{size}.xml"
        if not path.exists():
            generate(path, size)
        with postgres_engine() as engine:
            pg = ingest_twice(engine, path)
        with sqlite_engine() as engine:
            lite = ingest_twice(engine, path)
        for name, figures in (("postgres", pg), ("sqlite", lite)):
            for key, value in figures.items():
                report[f"{name}_{size}_{key}"] = value
        report[f"postgres_over_sqlite_{size}_fresh"] = round(pg["fresh_s"] / lite["fresh_s"], 2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
