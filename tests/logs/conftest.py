"""A configured pipeline writing to a buffer, with a fixed clock."""

from __future__ import annotations

import io
import json
import os
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from readiness import logs

RABBIT = ("127.0.0.1", 5672)
NATS = ("127.0.0.1", 4222)
MOMENT = datetime(2025, 3, 15, 14, 23, 1, 123456, tzinfo=UTC)


def fixed_clock() -> datetime:
    return MOMENT


class Captured:
    """The lines written so far, raw and parsed."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]


Configure = Callable[..., Captured]


@pytest.fixture
def configure() -> Iterator[Configure]:
    def _configure(**options: Any) -> Captured:
        stream = io.StringIO()
        params: dict[str, Any] = {
            "service": "order-service",
            "environment": "test",
            "version": "v2.14.3",
            "clock": fixed_clock,
            "stream": stream,
        }
        params.update(options)
        logs.configure(**params)
        return Captured(stream)

    yield _configure
    logs.reset()


def require_broker(name: str, address: tuple[str, int]) -> None:
    """Skip (locally) or fail (in CI) when a broker does not answer, as tests/conftest.py does
    for PostgreSQL."""
    try:
        socket.create_connection(address, timeout=3).close()
    except OSError as exc:
        message = f"{name} unavailable at {address[0]}:{address[1]} ({exc})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires {name}", pytrace=False)
        pytest.skip(message)
