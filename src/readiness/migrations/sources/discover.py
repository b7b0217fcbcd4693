"""Find migration files under the given paths and put them in the order a runner applies them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from readiness.migrations.model import Chunk, MigrationFile, SourceError
from readiness.migrations.sources.alembic import read_alembic

SQL_SUFFIXES = (".sql",)
_FLYWAY = re.compile(r"^([VUR])(\d+(?:[._]\d+)*)?__", re.IGNORECASE)
_DIGITS = re.compile(r"(\d+)")
_SKIP_DIRS = {"__pycache__", ".git", "node_modules", ".venv"}


@dataclass
class LoadResult:
    """The loaded files, in apply order, and the paths that could not be read."""

    files: list[MigrationFile] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def _natural(name: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p.lower() for p in _DIGITS.split(name))


def order_key(path: Path) -> tuple[object, ...]:
    """Flyway versions numerically (repeatable ``R__`` last), otherwise natural name order."""
    m = _FLYWAY.match(path.name)
    if m:
        prefix = m.group(1).upper()
        if prefix == "R":
            return (1, (), path.name.lower())
        version = tuple(int(p) for p in re.split(r"[._]", m.group(2) or "0"))
        return (0, version, path.name.lower())
    return (0, _natural(path.name), "")


def sql_kind(text: str) -> str:
    """``alembic-sql`` (``alembic upgrade --sql``), ``django-sql`` (``sqlmigrate``) or ``sql``."""
    head = text[:4000]
    if "-- Running upgrade" in head or "alembic_version" in head:
        return "alembic-sql"
    if re.search(r"^-- (Create|Add|Alter|Remove|Rename|Raw SQL) ", head, re.MULTILINE):
        return "django-sql"
    return "sql"


def load_text(path: str, text: str) -> MigrationFile | SourceError:
    """One migration from its text: Python files are Alembic scripts, the rest SQL."""
    if path.endswith(".py"):
        return read_alembic(path, text)
    direction = "down" if path.endswith((".down.sql", ".undo.sql")) or _is_undo(path) else "up"
    return MigrationFile(path, sql_kind(text), text, (Chunk(text),), direction=direction)


def _is_undo(path: str) -> bool:
    return Path(path).name[:1] in {"U", "u"} and bool(_FLYWAY.match(Path(path).name))


def _candidates(root: Path) -> list[Path]:
    out: list[Path] = []
    for p in root.rglob("*"):
        if not p.is_file() or _SKIP_DIRS.intersection(p.parts):
            continue
        if p.suffix == ".sql" or (
            p.suffix == ".py" and p.parent.name == "versions" and p.name != "__init__.py"
        ):
            out.append(p)
    return out


def _alembic_order(files: list[MigrationFile]) -> list[MigrationFile]:
    """Alembic scripts in revision-chain order (``down_revision``), by name where unchained."""
    by_rev = {f.revision: f for f in files if f.revision}
    parents: dict[str, list[str]] = {}
    for f in files:
        for parent in _down_revisions(f):
            parents.setdefault(f.revision or "", []).append(parent)
    done: set[str] = set()
    ordered: list[MigrationFile] = []

    def visit(rev: str, depth: int = 0) -> None:
        if rev in done or rev not in by_rev or depth > 10_000:
            return
        done.add(rev)
        for parent in parents.get(rev, []):
            visit(parent, depth + 1)
        ordered.append(by_rev[rev])

    for f in files:
        if f.revision:
            visit(f.revision)
    ordered.extend(f for f in files if not f.revision)
    return ordered


def _down_revisions(f: MigrationFile) -> list[str]:
    from readiness.migrations.sources.alembic import down_revisions

    return down_revisions(f.text)


def load(paths: Iterable[str | Path], *, include_down: bool = False) -> LoadResult:
    """Load every migration under ``paths`` (files or directories), in apply order."""
    result = LoadResult()
    for raw in paths:
        root = Path(raw)
        if root.is_dir():
            found = sorted(_candidates(root), key=lambda p: (str(p.parent), order_key(p)))
        elif root.is_file():
            found = [root]
        else:
            result.errors.append(
                SourceError(str(raw), 0, 0, "no such file or directory", unreadable=True)
            )
            continue
        loaded = _read_all(found, result.errors)
        alembic = [f for f in loaded if f.kind == "alembic"]
        others = [f for f in loaded if f.kind != "alembic"]
        result.files.extend(others)
        result.files.extend(_alembic_order(alembic) if len(alembic) > 1 else alembic)
    if not include_down:
        result.files = [f for f in result.files if f.direction == "up"]
    return result


def _read_all(paths: Sequence[Path], errors: list[SourceError]) -> list[MigrationFile]:
    out: list[MigrationFile] = []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            errors.append(SourceError(str(p), 0, 0, f"cannot be read ({reason})", unreadable=True))
            continue
        loaded = load_text(str(p), text)
        if isinstance(loaded, SourceError):
            errors.append(loaded)
        else:
            out.append(loaded)
    return out
