"""Alembic histories for verify: applied by running Alembic itself against the scratch database.

Up to the previous head, Alembic upgrades online (``alembic upgrade PREVIOUS``). The pending
revisions are rendered by Alembic's offline mode (``alembic upgrade PREVIOUS:head --sql``, and
``downgrade head:PREVIOUS --sql`` for the round trip), split per revision at its ``-- Running
upgrade a -> b`` marker, and applied one statement at a time like plain SQL. A statement's
``file`` is the revision (``alembic:<rev>``) and its ``line`` the line in that revision's
rendered SQL. The directory is one with ``alembic.ini`` (its ``script_location`` is used) or an
Alembic script directory itself (``env.py`` and ``versions/``); ``env.py`` must read the URL from
``sqlalchemy.url``, as Alembic's templates do.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from readiness.errors import InputError
from readiness.migrations.model import Statement
from readiness.migrations.sources.ordered import Migration, split_statements

MARKER = re.compile(r"^-- Running (?:upgrade|downgrade) (?P<src>\S*) -> (?P<dst>\S+)\s*$", re.M)


def is_alembic(directory: Path) -> bool:
    """An ``alembic.ini`` project or an Alembic script directory."""
    return (directory / "alembic.ini").is_file() or (
        (directory / "env.py").is_file() and (directory / "versions").is_dir()
    )


def _config(directory: Path, url: str, buffer: io.StringIO | None = None) -> Config:
    ini = directory / "alembic.ini"
    cfg = Config(str(ini) if ini.is_file() else None, output_buffer=buffer)
    if not ini.is_file():
        cfg.set_main_option("script_location", str(directory))
    else:
        location = cfg.get_main_option("script_location") or "alembic"
        location = location.replace("%(here)s", str(directory))
        cfg.set_main_option("script_location", str(directory / location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def heads(directory: Path) -> list[str]:
    """The revisions of the history, base first."""
    try:
        script = ScriptDirectory.from_config(_config(directory, "postgresql://localhost/x"))
        return [rev.revision for rev in reversed(list(script.walk_revisions()))]
    except Exception as exc:
        raise InputError(
            f"{str(directory)!r} is not a readable Alembic history ({type(exc).__name__}: {exc})"
        ) from exc


def upgrade(directory: Path, url: str, target: str) -> None:
    """``alembic upgrade target`` on ``url`` (``0``/``base``: nothing)."""
    if target in ("0", "base", "none", ""):
        return
    import sqlalchemy as sa

    cfg = _config(directory, _sa_url(url))
    engine = sa.create_engine(_sa_url(url), poolclass=sa.pool.NullPool)
    cfg.attributes["engine"] = engine  # for env.py files that take an engine, not a URL
    try:
        command.upgrade(cfg, target)
    except Exception as exc:
        raise InputError(
            f"alembic upgrade {target} fails on the scratch database ({type(exc).__name__}: "
            f"{exc}); the history up to --previous must apply cleanly"
        ) from exc
    finally:
        engine.dispose()


def _render(directory: Path, url: str, upgrade_range: str, *, down: bool) -> dict[str, str]:
    buffer = io.StringIO()
    cfg = _config(directory, _sa_url(url), buffer)
    try:
        if down:
            command.downgrade(cfg, upgrade_range, sql=True)
        else:
            command.upgrade(cfg, upgrade_range, sql=True)
    except Exception as exc:
        raise InputError(
            f"alembic cannot render {upgrade_range} as SQL ({type(exc).__name__}: {exc}); "
            "verify needs an env.py that supports offline mode (`alembic upgrade --sql`)"
        ) from exc
    text = buffer.getvalue()
    parts: dict[str, str] = {}
    marks = list(MARKER.finditer(text))
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        revision = mark["dst"] if not down else mark["src"]
        parts[revision] = text[mark.end() : end]
    return parts


def _statements(sql: str, revision: str) -> tuple[Statement, ...]:
    return tuple(
        s for s in split_statements(sql, f"alembic:{revision}") if "alembic_version" not in s.sql
    )


def pending_migrations(directory: Path, url: str, previous: str) -> list[Migration]:
    """The revisions after ``previous``, with up (and, when rendered, down) statements."""
    start = "base" if previous in ("0", "none", "") else previous
    ups = _render(directory, url, f"{start}:head", down=False)
    try:
        downs = _render(directory, url, f"head:{start}", down=True)
    except InputError:
        downs = {}
    return [
        Migration(
            revision,
            revision,
            f"alembic:{revision}",
            _statements(sql, revision),
            _statements(downs[revision], revision) if revision in downs else None,
        )
        for revision, sql in ups.items()
    ]
