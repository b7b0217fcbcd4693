"""What the dashboard benchmarks share: the app in process behind a reader token, and medians.

    with reader_get(settings, stores, clock) as get:
        seconds = median_s(lambda: get("/tests/flaky"), repeat=5)

``get`` asserts a 200 (a benchmark of an error page measures nothing) and returns the body.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from readiness.auth.service import TokenService
from readiness.server.app import create_app


def median_s(action: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``action``, in seconds (4 decimals)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


@contextmanager
def reader_get(settings: Any, stores: Any, clock: Any) -> Iterator[Callable[[str], str]]:
    """A GET function on the app of ``settings``/``stores``, signed with a new reader token."""
    token, _ = TokenService(stores=stores, clock=clock).create(name="bench", role="reader")
    app = create_app(settings, stores=stores, clock=clock)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:

        def get(path: str) -> str:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            return str(response.text)

        yield get
