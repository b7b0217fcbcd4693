"""A configured pipeline writing to a buffer, with a fixed clock."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from readiness import logs

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
