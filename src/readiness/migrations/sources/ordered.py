"""One directory of ordered SQL migrations as up/down pairs, for the live check (``verify``).

Built on :func:`~readiness.migrations.sources.discover.load` (with the down files the linter
leaves out) and :func:`~readiness.migrations.sources.parse.parse`. Three layouts are
recognised, in this order of preference:

* Flyway: ``V<version>__<description>.sql`` (``U<version>__*.sql`` are the undo scripts);
* golang-migrate: ``<version>_<name>.up.sql`` with an optional ``<version>_<name>.down.sql``;
* any other directory of ``.sql`` files, applied in natural order of their names.

Statements come from PostgreSQL's own parser (a ``;`` in a string or a dollar-quoted body
never splits one) and carry the file (relative to the directory) and line. Transaction control
(``BEGIN``, ``COMMIT``) is dropped: the verifier runs every statement in a transaction of its own.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from readiness.errors import InputError
from readiness.migrations.model import MigrationFile, SourceError, Statement
from readiness.migrations.sources.discover import load, load_text
from readiness.migrations.sources.parse import parse

FLYWAY = re.compile(r"^[VU](?P<version>[0-9][0-9._]*)__(?P<name>.+)\.sql$")
GOLANG = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.+)\.(?:up|down)\.sql$")
NATURAL = re.compile(r"[0-9]+|[^0-9]+")
NOTHING = frozenset({"", "0", "none", "base"})


@dataclass(frozen=True)
class Migration:
    """One migration: its version, its up statements and (when written) its down statements."""

    version: str
    name: str
    file: str
    up: tuple[Statement, ...]
    down: tuple[Statement, ...] | None = None


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Natural ordering key: ``V2`` before ``V10``, ``1.1`` before ``1.2``."""
    return tuple(
        (int(part), "") if part.isdigit() else (0, part) for part in NATURAL.findall(version)
    )


def same_version(a: str, b: str) -> bool:
    """``002`` and ``2`` name the same version; ``1_1`` and ``1.1`` too (Flyway)."""
    norm_a = [int(p) if p.isdigit() else p for p in re.split(r"[._]", a)]
    norm_b = [int(p) if p.isdigit() else p for p in re.split(r"[._]", b)]
    return norm_a == norm_b


def statements(file: MigrationFile) -> tuple[Statement, ...]:
    """The statements of ``file`` without transaction control; a parse error is an input error."""
    found, errors = parse(file)
    if errors:
        error = errors[0]
        raise InputError(
            f"migration file {error.file!r} line {error.line}: {error.reason}; fix the SQL (it "
            "must parse with PostgreSQL's own parser)",
            details={"file": error.file, "line": error.line},
        )
    return tuple(s for s in found if s.kind != "TransactionStmt")


def split_statements(sql: str, file: str) -> tuple[Statement, ...]:
    """The statements of the SQL text ``sql``, reported as coming from ``file``."""
    loaded = load_text(file, sql)
    if isinstance(loaded, SourceError):  # only Python files can fail to load
        raise InputError(f"migration file {file!r}: {loaded.reason}")
    return statements(loaded)


def load_migrations(directory: Path) -> list[Migration]:
    """Every migration of ``directory`` (its own ``.sql`` files) in the order it is applied."""
    if not directory.is_dir():
        raise InputError(
            f"migrations directory {str(directory)!r} does not exist; give the directory of "
            "your .sql migration files with --migrations"
        )
    result = load([directory], include_down=True)
    for error in result.errors:
        if Path(error.file).parent == directory:
            raise InputError(f"migration file {error.file!r} {error.reason}")
    files = {
        Path(f.path).name: dataclasses.replace(f, path=Path(f.path).name)
        for f in result.files
        if Path(f.path).parent == directory and f.path.endswith(".sql")
    }
    if not files:
        raise InputError(
            f"migrations directory {str(directory)!r} holds no .sql file; expected Flyway "
            "V<n>__name.sql, golang-migrate <n>_name.up.sql or any ordered .sql files"
        )
    for layout in (FLYWAY, GOLANG):
        if any(layout.match(name) for name in files):
            return _paired(layout, files)
    ordered = sorted(files, key=lambda name: version_key(Path(name).stem))
    return [Migration(Path(n).stem, Path(n).stem, n, statements(files[n]), None) for n in ordered]


def _paired(layout: re.Pattern[str], files: dict[str, MigrationFile]) -> list[Migration]:
    ups: dict[str, tuple[str, MigrationFile]] = {}
    downs: dict[str, MigrationFile] = {}
    for name, file in files.items():
        match = layout.match(name)
        if match is None:
            continue
        if file.direction == "up":
            ups[match["version"]] = (match["name"], file)
        else:
            downs[match["version"]] = file
    return [
        Migration(
            version,
            name,
            file.path,
            statements(file),
            statements(downs[version]) if version in downs else None,
        )
        for version, (name, file) in sorted(ups.items(), key=lambda kv: version_key(kv[0]))
    ]


def split_at(migrations: list[Migration], previous: str) -> tuple[list[Migration], list[Migration]]:
    """(applied up to ``previous`` inclusive, pending); ``0``/``none``/``base``: none applied."""
    if previous.strip().lower() in NOTHING:
        return [], list(migrations)
    for index, migration in enumerate(migrations):
        if same_version(migration.version, previous) or migration.file == previous:
            return migrations[: index + 1], migrations[index + 1 :]
    known = ", ".join(m.version for m in migrations)
    raise InputError(
        f"--previous {previous!r} is not a migration version of this directory (known: "
        f"{known}); give the version the previous application release ran against, or 0"
    )
