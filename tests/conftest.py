"""Shared fixtures: settings in a temp project, and stores on SQLite and on real PostgreSQL.

PostgreSQL comes from ``READINESS_TEST_PG_URL`` (default: the local trust-auth server,
database ``test``). Each test gets its own schema, so tests never see each other's rows.
Outside CI an unreachable PostgreSQL skips those tests with a loud summary line; in CI
(``CI`` set) it fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpcore  # noqa: F401 - see below
import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import upgrade_all
from tests import _migrated

# httpx imports httpcore lazily and maps its exceptions by class. pytester's in-process runs drop
# modules first imported inside them, so a later re-import would make new classes that httpx
# no longer maps (a refused connection then escapes as httpcore.ConnectError). Import it once here.

# No timing assertions in the suite, Hypothesis' per-example deadline included: on a shared
# 2-core machine a slow example is load, not a bug. Examples and shrinking are unchanged.
hypothesis_settings.register_profile("readiness", deadline=None)
hypothesis_settings.load_profile("readiness")

PG_URL = os.environ.get(
    "READINESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_pg_skips: list[str] = []

# A new SQLite database upgraded to head is a copy of one real upgrade per test process (see
# tests/_migrated.py); except in the tests of the migrations themselves: these modules, and any
# test marked ``real_migrations``. TESTS_REAL_MIGRATIONS=1 turns the copies off.
if not os.environ.get("TESTS_REAL_MIGRATIONS"):
    _migrated.install()
REAL_MIGRATIONS = (
    "tests/storage/test_migrations.py",
    "tests/storage/test_projects_migration.py",
    "tests/audit/outbox/test_migration.py",
    "tests/contracts/registry/test_migration.py",
    "tests/cli/test_db_vault.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_migrations: every upgrade runs the migrations (no migrated template)"
    )


@pytest.fixture(autouse=True)
def _real_migrations(request: pytest.FixtureRequest) -> Iterator[None]:
    """The tests of the migrations run them (autouse: before any fixture opens a database)."""
    where = request.node.path.relative_to(request.config.rootpath).as_posix()
    if where in REAL_MIGRATIONS or request.node.get_closest_marker("real_migrations"):
        with _migrated.real_migrations():
            yield
    else:
        yield


# The audit log of the ``project`` fixture directory's settings (audit.origin's default).
TEST_AUDIT_ORIGIN = "project/audit"


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "not available"; the reason is reported
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


_PG_PROBLEM: str | bool | None = False  # False = not probed yet


def require_postgres() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL is not reachable."""
    global _PG_PROBLEM  # noqa: PLW0603 - probe once per session
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_available()
    if _PG_PROBLEM:
        message = f"PostgreSQL unavailable at {PG_URL} ({_PG_PROBLEM})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires PostgreSQL", pytrace=False)
        _pg_skips.append(message)
        pytest.skip(message)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _migrated.copies:
        terminalreporter.write_line(
            f"{_migrated.copies} new SQLite databases were copies of a migrated template "
            "(tests/_migrated.py; TESTS_REAL_MIGRATIONS=1 migrates each)"
        )
    if _pg_skips:
        terminalreporter.write_sep(
            "!", f"{len(_pg_skips)} PostgreSQL tests SKIPPED: {_pg_skips[0]}", red=True, bold=True
        )


# The variables by which each supported CI service is recognised (see testhealth.ingest.ci_env).
CI_MARKERS = ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "TF_BUILD", "JENKINS_URL")


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as if outside any CI service: when this suite itself runs in CI, an ingest
    must not pick up that CI's commit and branch. Tests of CI metadata set their own."""
    for name in CI_MARKERS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at a fixed, unremarkable instant."""
    return FrozenClock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def settings(project_dir: Path) -> Settings:
    return load_settings(project_dir, environ={})


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, as an URL whose search_path points at it."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both supported databases."""
    return str(request.param)


@pytest.fixture
def stores(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stores]:
    """Migrated state and audit stores on the parametrised backend."""
    if backend == "sqlite":
        state_url = f"sqlite:///{tmp_path / 'state.db'}"
        audit_url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")
        state_url = audit_url = url
    s = Stores(
        state=create_engine_for(state_url),
        audit=create_engine_for(audit_url),
        audit_origin=TEST_AUDIT_ORIGIN,
    )
    upgrade_all(s)
    yield s
    s.dispose()


@pytest.fixture
def backend_settings(stores: Stores, project_dir: Path) -> Settings:
    """Settings whose database URLs point at the parametrised ``stores``."""
    return load_settings(
        project_dir,
        environ={},
        overrides={
            "state_url": stores.state.url.render_as_string(hide_password=False),
            "audit_url": stores.audit.url.render_as_string(hide_password=False),
        },
    )
