"""``kill -9`` of an ingesting process leaves the whole run or nothing, on both databases.

The child reads its report from a pipe and says how far it has read before each read, so the
test feeds it up to a chosen byte, waits until the child has consumed exactly that much (it then
blocks for more, its earlier batches written or being written), and kills it with SIGKILL.
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from readiness.storage.engine import Stores
from readiness.testhealth.ingest.pipeline import ingest_stream
from readiness.testhealth.model import RunMeta
from readiness.testhealth.store import tables
from tests.testhealth.ingest._reports import node_ids, pytest_report

TESTS = 40_000
REPORT = pytest_report(node_ids("test_big", 0, TESTS), failing={"tests/test_big.py::test_case_7"})
META = RunMeta(run_id="r1", commit="c1", branch="main")
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
CHILD = r"""
import sys
from datetime import UTC, datetime
from readiness.storage.engine import create_engine_for
from readiness.storage.projects import ensure_project
from readiness.testhealth.ingest.pipeline import ingest_stream
from readiness.testhealth.model import RunMeta

class Announcing:
    # stdin, saying on stdout how many bytes it has read before each read
    def __init__(self):
        self.offset = 0
    def read(self, size=-1):
        print(f"need {self.offset}", flush=True)
        data = sys.stdin.buffer.read1(size)
        self.offset += len(data)
        return data

engine = create_engine_for(sys.argv[1])
ensure_project(engine, "shop", at=datetime(2026, 3, 10, 9, 30, tzinfo=UTC), by="test")
result = ingest_stream(
    engine, Announcing(), source="killed.xml",
    meta=RunMeta(run_id="r1", commit="c1", branch="main"), project="shop",
    now=datetime(2026, 3, 10, 9, 30, tzinfo=UTC), infra_failure_ratio=0.5, infra_min_tests=10,
)
print(f"done {result.results}", flush=True)
"""


def _counts(engine: sa.Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (tables.runs, tables.tests, tables.results)
        )


def _wait_for(proc: subprocess.Popen[bytes], line: str) -> None:
    assert proc.stdout is not None
    while True:
        got = proc.stdout.readline().decode()
        assert got, f"the child ended (exit {proc.wait()}) before printing {line!r}"
        if got.strip() == line:
            return


def _kill_during_ingest(url: str, point: str) -> None:
    """Start the child, bring it to ``point`` and SIGKILL it."""
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None
        try:
            if point == "after commit":
                proc.stdin.write(REPORT)
                proc.stdin.close()
                _wait_for(proc, f"done {TESTS}")
            elif point == "at end of input":
                proc.stdin.write(REPORT)
                proc.stdin.close()  # the child now finishes and commits: a race with the kill
            else:
                cut = 0 if point == "before reading" else len(REPORT) * 3 // 4
                proc.stdin.write(REPORT[:cut])
                proc.stdin.flush()
                _wait_for(proc, f"need {cut}")
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    assert proc.returncode in (-signal.SIGKILL, 0)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before reading", "three quarters in", "at end of input"])
def test_a_killed_ingest_leaves_the_whole_run_or_nothing_and_the_next_one_stores_it(
    stores: Stores, point: str
) -> None:
    _kill_during_ingest(stores.state.url.render_as_string(hide_password=False), point)

    after_kill = _counts(stores.state)
    result = ingest_stream(
        stores.state,
        io.BytesIO(REPORT),
        source="again.xml",
        meta=META,
        project="shop",
        now=NOW,
        infra_failure_ratio=0.5,
        infra_min_tests=10,
    )

    if point == "at end of input":
        assert after_kill in ((0, 0, 0), (1, TESTS, TESTS))
    else:
        assert after_kill == (0, 0, 0)
    assert result.duplicate is (after_kill != (0, 0, 0))
    assert _counts(stores.state) == (1, TESTS, TESTS)


@pytest.mark.slow
def test_an_ingest_killed_after_its_commit_keeps_the_whole_run(stores: Stores) -> None:
    _kill_during_ingest(stores.state.url.render_as_string(hide_password=False), "after commit")

    assert _counts(stores.state) == (1, TESTS, TESTS)
