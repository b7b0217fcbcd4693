"""The tests' migrated template (tests/_migrated.py): a copy is what a real upgrade makes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from readiness.storage import migrate
from readiness.storage.engine import create_engine_for
from readiness.storage.schema import VERSION_TABLES
from tests import _migrated

PRAGMAS = (
    "user_version",
    "application_id",
    "page_size",
    "journal_mode",
    "auto_vacuum",
    "encoding",
    "freelist_count",
)
pytestmark = pytest.mark.skipif(
    migrate.upgrade is not _migrated.upgrade, reason="TESTS_REAL_MIGRATIONS: no copies"
)
ARGUMENTS = [
    ("state", {}),
    ("state", {"adopt_project": "project"}),
    ("audit", {}),
    ("audit", {"audit_origin": "project/audit"}),
    ("vault", {}),
]


def _contents(conn: Any) -> dict[str, object]:
    """The schema (``sqlite_master``), the header pragmas and every row of every table."""
    found: dict[str, object] = {
        "sqlite_master": sorted(
            map(repr, conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        )
    }
    for pragma in PRAGMAS:
        found[pragma] = conn.execute(f"PRAGMA {pragma}").fetchall()
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        found[table] = sorted(map(repr, conn.execute(f'SELECT * FROM "{table}"')))
    return found


def _file(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(path)
    try:
        return _contents(conn)
    finally:
        conn.close()


def _real(path: Path, kind: str, arguments: dict[str, str]) -> dict[str, object]:
    engine = create_engine_for(f"sqlite:///{path}")
    with _migrated.real_migrations():
        migrate.upgrade(kind, engine, **arguments)
    engine.dispose()
    return _file(path)


@pytest.mark.parametrize(("kind", "arguments"), ARGUMENTS)
def test_a_copied_database_is_the_one_a_real_upgrade_makes(
    tmp_path: Path, kind: str, arguments: dict[str, str]
) -> None:
    real = _real(tmp_path / "real.db", kind, arguments)
    engine = create_engine_for(f"sqlite:///{tmp_path / 'copy.db'}")
    copies = _migrated.copies

    migrate.upgrade(kind, engine, **arguments)  # as ensure_schema and upgrade_all call it
    engine.dispose()

    assert _migrated.copies == copies + 1
    assert _file(tmp_path / "copy.db") == real
    assert real[VERSION_TABLES[kind]] == [repr((migrate.head_revision(kind),))]
    assert migrate.current_revision(kind, create_engine_for(f"sqlite:///{tmp_path / 'copy.db'}"))


@pytest.mark.parametrize(("kind", "arguments"), ARGUMENTS)
def test_a_copy_in_memory_is_the_one_a_real_upgrade_makes(
    tmp_path: Path, kind: str, arguments: dict[str, str]
) -> None:
    real = _real(tmp_path / "real.db", kind, arguments)
    engine = sa.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )

    migrate.upgrade(kind, engine, **arguments)

    with engine.connect() as conn:
        copied = _contents(conn.connection.driver_connection)
    engine.dispose()
    # An in-memory database keeps no write-ahead log.
    assert {**copied, "journal_mode": real["journal_mode"]} == real


def test_the_migrations_write_nothing_that_depends_on_their_arguments(tmp_path: Path) -> None:
    """So one template per kind would do; the templates are keyed on them all the same."""
    for n, (kind, arguments) in enumerate(ARGUMENTS):
        bare = _real(tmp_path / f"{n}-bare.db", kind, {})
        assert _real(tmp_path / f"{n}.db", kind, arguments) == bare


def test_a_database_with_tables_an_older_revision_and_real_migrations_are_migrated(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'state.db'}")
    copies = _migrated.copies

    migrate.upgrade("state", engine, "0001_state")
    migrate.upgrade("state", engine)
    with _migrated.real_migrations():
        migrate.upgrade("audit", create_engine_for(f"sqlite:///{tmp_path / 'audit.db'}"))

    assert _migrated.copies == copies
    assert migrate.current_revision("state", engine) == migrate.head_revision("state")
