"""Migrated SQLite databases for tests, copied from one real migration per test process.

Most tests open new SQLite state and audit databases, and each ran every Alembic migration
(about a fifth of a second per pair). :func:`install` wraps
:func:`readiness.storage.migrate.upgrade` so that an upgrade *to head* of an *empty* SQLite
database (no table at all: a new one) is a copy of a template: a new database of the same kind
that the real ``upgrade`` brought to head once in this process, with the same arguments (kind,
``adopt_project``, ``audit_origin``: the template is keyed on every input of a migration). The
copy is SQLite's online backup, made through the target's own engine, page for page. Every
other upgrade (PostgreSQL, a database that has tables, a revision other than head) is the real
one.

From empty, the migrations write one row (the version table's) and nothing that depends on the
clock, randomness or their arguments; ``tests/test_migrated_template.py`` checks that a copy and a
real upgrade have the same ``sqlite_master``, the same rows in every table and the same header
pragmas. Tests of the migrations themselves opt out (see ``tests/conftest.py``): there
:func:`real_migrations` is on and every upgrade is the real one.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from readiness.storage import migrate
from readiness.storage.engine import create_engine_for

_real_upgrade = migrate.upgrade
_templates: dict[tuple[str, str | None, str | None], Path] = {}
_lock = threading.Lock()
_folder: tempfile.TemporaryDirectory[str] | None = None
_real = False  # within real_migrations()
copies = 0  # how many upgrades were copies (for the check and for measuring)


@contextmanager
def real_migrations() -> Iterator[None]:
    """Within: every upgrade runs the migrations (the tests of the migrations themselves)."""
    global _real  # noqa: PLW0603 - the test process runs one test at a time
    before, _real = _real, True
    try:
        yield
    finally:
        _real = before


def _is_empty_sqlite(engine: Engine) -> bool:
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0


def _template(kind: str, adopt_project: str | None, audit_origin: str | None) -> Path:
    global _folder  # noqa: PLW0603 - one folder per test process
    key = (kind, adopt_project, audit_origin)
    with _lock:
        if key not in _templates:
            if _folder is None:
                _folder = tempfile.TemporaryDirectory(prefix="readiness-migrated-")
            path = Path(_folder.name) / f"{len(_templates)}-{kind}.db"
            engine = create_engine_for(f"sqlite:///{path}")
            try:
                _real_upgrade(kind, engine, adopt_project=adopt_project, audit_origin=audit_origin)
            finally:
                engine.dispose()
            _templates[key] = path
        return _templates[key]


def copy_template(engine: Engine, template: Path) -> None:
    """Make ``engine``'s database a page-for-page copy of ``template`` (SQLite's backup)."""
    source = sqlite3.connect(template)
    try:
        target = engine.raw_connection()
        try:
            driver: Any = target.driver_connection
            source.backup(driver)
        finally:
            target.close()
    finally:
        source.close()


def upgrade(
    kind: str,
    engine: Engine,
    revision: str = "head",
    *,
    adopt_project: str | None = None,
    audit_origin: str | None = None,
) -> None:
    """:func:`readiness.storage.migrate.upgrade`, copying a template when that is the same."""
    global copies  # noqa: PLW0603 - a counter
    if revision != "head" or _real or not _is_empty_sqlite(engine):
        _real_upgrade(
            kind, engine, revision, adopt_project=adopt_project, audit_origin=audit_origin
        )
        return
    copy_template(engine, _template(kind, adopt_project, audit_origin))
    copies += 1


def install() -> None:
    """Replace ``migrate.upgrade`` (which ``upgrade_all`` and ``ensure_schema`` call)."""
    migrate.upgrade = upgrade
