"""Migration sources: find, order and read migration files, and parse them into statements.

``load(paths)`` returns the files in the order a runner applies them (plain SQL, Flyway,
golang-migrate, Alembic scripts read with ``ast``, ``alembic upgrade --sql`` and Django
``sqlmigrate`` output); ``parse(file)`` turns one into :class:`Statement` objects that carry
file, line and column.
"""

from __future__ import annotations

from readiness.migrations.sources.discover import LoadResult, load, load_text
from readiness.migrations.sources.parse import parse

__all__ = ["LoadResult", "load", "load_text", "parse"]
