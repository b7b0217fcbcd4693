"""Start-up stays cheap: each command imports only what it uses (measured in benchmarks/).

These tests pin what is imported, not how long it takes: a module-level import of the server,
the migrations or the HTTP client in the wrong place would slow every CI call, and shows here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from readiness.testing import junit_xml

HEAVY = ("sqlalchemy", "alembic", "mako", "pydantic", "rich", "httpx", "fastapi", "uvicorn")

PROBE = f"""
import json, sys
from readiness.cli.main import main
code = main(sys.argv[1:])
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r})
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def imported_after(*args: str, cwd: Path) -> dict[str, object]:
    """Run ``readiness ARGS`` in a fresh interpreter; its exit code and heavy top-level imports."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    found: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return found


def test_version_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    assert imported_after("--version", cwd=tmp_path) == {"code": 0, "heavy": []}


def test_an_ingest_into_a_current_database_needs_neither_migrations_nor_the_server(
    tmp_path: Path,
) -> None:
    report = tmp_path / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_a.py::test_one": "passed"}))
    first = imported_after(
        "tests", "ingest", str(report), "--commit", "c1", "--branch", "main", cwd=tmp_path
    )

    again = imported_after(
        "tests", "ingest", str(report), "--commit", "c2", "--branch", "main", cwd=tmp_path
    )

    assert first["heavy"] == ["alembic", "mako", "pydantic", "sqlalchemy"]
    assert again == {"code": 0, "heavy": ["pydantic", "sqlalchemy"]}
