"""The Python example of docs/contracts-registry.md's "Deletes and references" section works as
pasted, against a live server with the real confluent-kafka client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests._live import live_server
from tests.contracts.registry.test_api import BASE, Server, _client_modules, server

__all__ = ["server"]

DOC = (Path(__file__).parents[3] / "docs" / "contracts-registry.md").read_text(encoding="utf-8")


def test_the_deletes_and_references_example_runs(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = DOC.split("\n## Deletes and references\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    _client_modules()
    with live_server(server.app) as url:
        monkeypatch.setenv("REGISTRY_URL", f"{url}{BASE}")
        monkeypatch.setenv("READINESS_TOKEN", server.writer)
        exec(compile(code, "contracts-registry.md", "exec"), {})
