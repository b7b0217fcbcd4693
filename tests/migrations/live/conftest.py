"""Fixtures of the live migration checks: the PostgreSQL server URL and migration directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_URL, require_postgres


@pytest.fixture
def pg_url() -> str:
    """The test server's URL; verify makes (and drops) its own scratch databases on it."""
    require_postgres()
    return PG_URL


def write_migrations(root: Path, files: dict[str, str]) -> Path:
    """A migrations directory holding ``files`` (name -> SQL)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root
