"""What Readiness creates under ``.readiness/`` is its owner's only: folders 0700, files 0600."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.server.app import load_session_key
from readiness.testing import junit_xml
from tests.cli.conftest import Run


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under this umask (0o000 would make files world-writable if obeyed)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_ingest_creates_the_data_folder_0700_and_both_databases_0600(
    cli: Run, project_dir: Path, umask: int
) -> None:
    report = project_dir / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_a.py::test_one": "passed"}))

    code, _, _ = cli(project_dir, "tests", "ingest", str(report))

    data = project_dir / ".readiness"
    assert code == 0
    assert [mode(data), mode(data / "state.db"), mode(data / "audit.db")] == [0o700, 0o600, 0o600]


def test_the_write_ahead_log_and_shared_memory_files_are_0600_too(
    cli: Run, project_dir: Path, umask: int
) -> None:
    report = project_dir / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_a.py::test_one": "passed"}))
    cli(project_dir, "tests", "ingest", str(report))
    database = project_dir / ".readiness" / "state.db"

    # SQLite removes -wal and -shm when the last connection closes: look while one is open.
    with sqlite3.connect(database) as conn:
        conn.execute("SELECT count(*) FROM th_runs").fetchall()
        modes = [mode(Path(f"{database}-wal")), mode(Path(f"{database}-shm"))]
    conn.close()

    assert modes == [0o600, 0o600]


def test_init_creates_the_secrets_folder_0700_and_the_session_key_0600(
    cli: Run, project_dir: Path, umask: int
) -> None:
    code, _, _ = cli(project_dir, "init")

    data = project_dir / ".readiness"
    assert code == 0
    assert [mode(data), mode(data / "secrets"), mode(data / "secrets" / "session.key")] == [
        0o700,
        0o700,
        0o600,
    ]


def test_the_server_creates_its_session_key_0600_in_a_0700_folder(
    tmp_path: Path, umask: int
) -> None:
    key = tmp_path / "state" / "secrets" / "session.key"

    load_session_key(key)

    assert [mode(tmp_path / "state"), mode(key.parent), mode(key)] == [0o700, 0o700, 0o600]


def test_an_existing_data_folder_keeps_the_mode_its_owner_gave_it(
    cli: Run, project_dir: Path
) -> None:
    data = project_dir / ".readiness"
    data.mkdir()
    data.chmod(0o750)
    report = project_dir / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_a.py::test_one": "passed"}))

    cli(project_dir, "tests", "ingest", str(report))

    assert [mode(data), mode(data / "state.db")] == [0o750, 0o600]
