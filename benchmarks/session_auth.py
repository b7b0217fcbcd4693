"""What a server-side session costs per dashboard request.

Starts the real app (SQLite, in process, Starlette's TestClient), signs in once, then times
``--requests`` calls (default 2,000) of ``GET /api/v1/projects`` three ways in the same run:

- ``session``: the session cookie (signature check, session row lookup, token lookup);
- ``bearer``: the peer, an ``Authorization: Bearer`` token (token lookup only);
- ``anonymous``: ``GET /healthz`` (no authentication at all), the floor of a request.

Prints one JSON line: the median microseconds per request of ``--repeat`` rounds (default 5)
for each, and the session's extra cost over the bearer token.

    .venv/bin/python benchmarks/session_auth.py [--requests 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.server.app import create_app
from readiness.storage import open_stores

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _round(client: Any, path: str, n: int, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp), environ={})
        stores = open_stores(settings)
        clock = SystemClock()
        token, _ = TokenService(stores=stores, clock=clock).create(name="bench", role="reader")
        app = create_app(settings, stores=stores, clock=clock)
        try:
            with TestClient(app) as browser, TestClient(app) as api:
                form = browser.get("/login").text
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
                assert csrf is not None
                signed = browser.post(
                    "/login", data={"token": token, "csrf_token": csrf[1]}, follow_redirects=False
                )
                assert signed.status_code == 303
                bearer = {"Authorization": f"Bearer {token}"}
                times: dict[str, list[float]] = {"session": [], "bearer": [], "anonymous": []}
                for _ in range(args.repeat):  # interleaved, so a noisy moment hits all three
                    times["session"].append(_round(browser, "/api/v1/projects", args.requests, {}))
                    times["bearer"].append(_round(api, "/api/v1/projects", args.requests, bearer))
                    times["anonymous"].append(_round(api, "/healthz", args.requests, {}))
        finally:
            stores.dispose()
    medians = {k: round(statistics.median(v), 1) for k, v in times.items()}
    print(
        json.dumps(
            {
                "benchmark": "session_auth",
                "requests": args.requests,
                "repeat": args.repeat,
                "us_per_request": medians,
                "session_extra_us": round(medians["session"] - medians["bearer"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
