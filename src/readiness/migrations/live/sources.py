"""Ordered SQL migration directories, read into statements with file and line.

Three layouts are recognised, in this order of preference:

* Flyway: ``V<version>__<description>.sql`` (``U<version>__*.sql`` are the undo scripts);
* golang-migrate: ``<version>_<name>.up.sql`` with an optional ``<version>_<name>.down.sql``;
* any other directory of ``.sql`` files, applied in natural order of their names.

Statements are split with PostgreSQL's own parser (pglast), so a ``;`` inside a string or a
dollar-quoted function body never splits a statement. Transaction control (``BEGIN``,
``COMMIT``) is dropped: the verifier runs every statement in a transaction of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pglast import parse_sql
from pglast.ast import TransactionStmt
from pglast.parser import ParseError

from readiness.errors import InputError

FLYWAY = re.compile(r"^(?P<kind>[VU])(?P<version>[0-9][0-9._]*)__(?P<name>.+)\.sql$")
GOLANG = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.+)\.(?P<kind>up|down)\.sql$")
NATURAL = re.compile(r"[0-9]+|[^0-9]+")
NOTHING = frozenset({"", "0", "none", "base"})


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration file, with where it starts."""

    sql: str
    file: str
    line: int


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


def split_statements(sql: str, file: str) -> tuple[Statement, ...]:
    """The statements of ``sql`` (comments kept out), each with its 1-based line."""
    try:
        raw = parse_sql(sql)
    except ParseError as exc:
        index = exc.args[1] if len(exc.args) > 1 else 0
        line = sql.count("\n", 0, index) + 1
        raise InputError(
            f"migration file {file!r} line {line}: {exc.args[0]}; fix the SQL (it must parse "
            "with PostgreSQL's own parser)",
            details={"file": file, "line": line},
        ) from exc
    out: list[Statement] = []
    for item in raw:
        if isinstance(item.stmt, TransactionStmt):
            continue
        start = item.stmt_location or 0
        text = sql[start : start + item.stmt_len] if item.stmt_len else sql[start:]
        stripped = text.strip().rstrip(";").strip()
        lead = len(text) - len(text.lstrip())
        out.append(Statement(stripped, file, sql.count("\n", 0, start + lead) + 1))
    return tuple(out)


def _read(path: Path, root: Path) -> tuple[Statement, ...]:
    return split_statements(path.read_text(encoding="utf-8"), str(path.relative_to(root)))


def load_migrations(directory: Path) -> list[Migration]:
    """Every migration of ``directory`` in the order it is applied."""
    if not directory.is_dir():
        raise InputError(
            f"migrations directory {str(directory)!r} does not exist; give the directory of "
            "your .sql migration files with --migrations"
        )
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix == ".sql")
    if not files:
        raise InputError(
            f"migrations directory {str(directory)!r} holds no .sql file; expected Flyway "
            "V<n>__name.sql, golang-migrate <n>_name.up.sql or any ordered .sql files"
        )
    if any(FLYWAY.match(p.name) for p in files):
        return _flyway(files, directory)
    if any(GOLANG.match(p.name) for p in files):
        return _golang(files, directory)
    ordered = sorted(files, key=lambda p: version_key(p.stem))
    return [Migration(p.stem, p.stem, p.name, _read(p, directory)) for p in ordered]


def _flyway(files: list[Path], root: Path) -> list[Migration]:
    ups: dict[str, tuple[str, Path]] = {}
    undos: dict[str, Path] = {}
    for path in files:
        match = FLYWAY.match(path.name)
        if match is None:
            continue
        if match["kind"] == "V":
            ups[match["version"]] = (match["name"], path)
        else:
            undos[match["version"]] = path
    return [
        Migration(
            version,
            name,
            path.name,
            _read(path, root),
            _read(undos[version], root) if version in undos else None,
        )
        for version, (name, path) in sorted(ups.items(), key=lambda kv: version_key(kv[0]))
    ]


def _golang(files: list[Path], root: Path) -> list[Migration]:
    ups: dict[str, tuple[str, Path]] = {}
    downs: dict[str, Path] = {}
    for path in files:
        match = GOLANG.match(path.name)
        if match is None:
            continue
        if match["kind"] == "up":
            ups[match["version"]] = (match["name"], path)
        else:
            downs[match["version"]] = path
    return [
        Migration(
            version,
            name,
            path.name,
            _read(path, root),
            _read(downs[version], root) if version in downs else None,
        )
        for version, (name, path) in sorted(ups.items(), key=lambda kv: version_key(kv[0]))
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
