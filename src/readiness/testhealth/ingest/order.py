"""The execution order of a run, recorded while its rows stream past the ingest.

Our pytest plugin writes testcases in execution order, one ``<testsuite>`` per process (per
pytest-xdist worker), and pytest's own ``--junitxml`` does too; each suite's tests in order of
first appearance are the order that process ran them in. Only a run with a failure keeps its
orders (``th_run_orders``): they are what ``tests classify`` and ``tests verify-fix`` replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter

from sqlalchemy.engine import Connection

from readiness.testhealth.ingest.writer import _KEY_MAX, _OUTCOME, _TEST_ID, _test_key
from readiness.testhealth.junit.reader import Row
from readiness.testhealth.model import Outcome
from readiness.testhealth.store.orders import save_orders

_SUITE = itemgetter(1)  # the row's innermost <testsuite> name
_FAILED = frozenset({int(Outcome.FAILED), int(Outcome.ERROR)})


class OrderRecorder:
    """Each suite's test ids as they arrive, and whether any execution failed.

    A context manager: when its block completes without an error, a run with a failure
    stores its orders for run ``run_id`` in the ingest's transaction (``conn``).
    """

    def __init__(self, conn: Connection, run_id: int) -> None:
        self.conn = conn
        self.run_id = run_id
        self._suites: dict[str | None, list[str]] = {}
        self.failed = False

    def __enter__(self) -> OrderRecorder:
        return self

    def __exit__(self, exc_type: object, *_exc: object) -> None:
        if exc_type is None and self.failed:
            save_orders(self.conn, self.run_id, self.orders())

    def add(self, rows: Sequence[Row]) -> None:
        """Record a batch of rows (in report order)."""
        suites = self._suites
        for suite, group in groupby(rows, key=_SUITE):
            seen = suites.get(suite)
            if seen is None:
                seen = suites[suite] = []
            seen.extend(map(_TEST_ID, group))
        if not self.failed:
            self.failed = not _FAILED.isdisjoint(map(_OUTCOME, rows))

    def orders(self) -> dict[str | None, list[str]]:
        """Each suite's test keys (as ``th_tests`` stores them) in order of first appearance."""
        out: dict[str | None, list[str]] = {}
        for suite, ids in self._suites.items():
            first = list(dict.fromkeys(ids))
            if first and max(map(len, first)) > _KEY_MAX:
                first = list(dict.fromkeys(map(_test_key, first)))
            out[suite] = first
        return out
