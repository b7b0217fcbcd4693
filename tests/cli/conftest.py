"""The CLI in-process, with the environment of a clean shell."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from readiness.cli.main import main

Run = Callable[..., tuple[int, str, str]]

SETTINGS_VARIABLES = (
    "READINESS_URL",
    "READINESS_TOKEN",
    "READINESS_TOKEN_FILE",
    "READINESS_STATE_URL",
    "READINESS_AUDIT_URL",
    "READINESS_PROJECT",
    "READINESS_DEBUG",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in SETTINGS_VARIABLES:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    """``cli(root, *args)``: run ``readiness -C root ARGS``; (exit code, stdout, stderr)."""

    def run(root: Path | None, *args: str) -> tuple[int, str, str]:
        code = main([*(["-C", str(root)] if root is not None else []), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
