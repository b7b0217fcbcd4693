"""Gate checks ``migrations.rollback_safe`` and ``migrations.applied``: evidence or no pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.gate.model import CheckStatus, Gate, GateContext
from readiness.migrations.checks_live import AppliedCheck, RollbackSafeCheck, live_checks
from readiness.migrations.live.gate import LiveGate
from readiness.migrations.live.scratch import connect
from tests.migrations.live.conftest import write_migrations

INIT = "CREATE TABLE users (id bigserial PRIMARY KEY, name text);"


def _context(settings: Settings, clock: FrozenClock, gate: Gate, facts: object) -> GateContext:
    services = {"migrations_live": facts} if facts is not None else {}
    return GateContext(gate, settings.root, settings, clock, services=services)


def _project(tmp_path: Path, pending: str) -> Path:
    write_migrations(tmp_path / "migrations", {"V1__init.sql": INIT, "V2__next.sql": pending})
    (tmp_path / "queries.sql").write_text("SELECT id, name FROM users\n", encoding="utf-8")
    return tmp_path


def test_the_checks_are_exported_with_their_gates() -> None:
    assert [(c.id, c.gates) for c in live_checks()] == [
        ("migrations.rollback_safe", (Gate.MERGE,)),
        ("migrations.applied", (Gate.DEPLOY,)),
    ]


def test_rollback_safe_is_skipped_with_the_reason_without_a_database(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    facts = LiveGate(tmp_path, previous="1")

    result = RollbackSafeCheck().run(_context(settings, clock, Gate.MERGE, facts))

    assert result.status is CheckStatus.SKIP
    assert result.summary == (
        "No database configured for the live rollback-safety check: set "
        "verify_dsn, queries in [tool.readiness.migrations]"
    )


@pytest.mark.parametrize(
    ("pending", "status", "summary"),
    [
        ("ALTER TABLE users ADD COLUMN age int;", CheckStatus.PASS,
         "1 query of version 1 replayed cleanly at 2"),
        ("ALTER TABLE users DROP COLUMN name;", CheckStatus.FAIL,
         "Not rollback-safe: 1 old query broke (1 -> 2)"),
    ],
)  # fmt: skip
def test_rollback_safe_runs_the_live_check(  # noqa: PLR0917 - fixtures and parameters
    settings: Settings,
    clock: FrozenClock,
    tmp_path: Path,
    pg_url: str,
    pending: str,
    status: CheckStatus,
    summary: str,
) -> None:
    root = _project(tmp_path, pending)
    env = {
        "READINESS_MIGRATIONS__VERIFY_DSN": pg_url,
        "READINESS_MIGRATIONS__PREVIOUS": "1",
        "READINESS_MIGRATIONS__QUERIES": "queries.sql",
        "READINESS_MIGRATIONS__DIRECTORY": "migrations",
    }
    facts = LiveGate.from_settings(load_settings(root, environ=env))

    result = RollbackSafeCheck().run(_context(settings, clock, Gate.MERGE, facts))

    assert (result.status, result.summary) == (status, summary)


def test_applied_fails_as_missing_evidence_when_the_head_is_unknown(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    result = AppliedCheck().run(_context(settings, clock, Gate.DEPLOY, LiveGate(tmp_path)))

    assert (result.status, result.missing_evidence) == (CheckStatus.FAIL, True)
    assert result.summary.startswith("Unknown expected head")


@pytest.mark.parametrize(
    ("recorded", "status", "summary"),
    [
        ("2", CheckStatus.PASS, "Database at 2 (flyway)"),
        ("1", CheckStatus.FAIL, "Database at 1 (flyway), expected 2"),
    ],
)
def test_applied_compares_the_flyway_head_with_the_directory(  # noqa: PLR0917 - fixtures and parameters
    settings: Settings,
    clock: FrozenClock,
    tmp_path: Path,
    pg_schema_url: str,
    recorded: str,
    status: CheckStatus,
    summary: str,
) -> None:
    root = _project(tmp_path, "SELECT 1;")
    with connect(pg_schema_url) as conn:
        conn.execute(
            "CREATE TABLE flyway_schema_history (installed_rank int, version text, success bool)"
        )
        conn.execute(
            "INSERT INTO flyway_schema_history VALUES (1, '1', true), (2, %s, true)", (recorded,)
        )
    facts = LiveGate(root, database_url=pg_schema_url)

    result = AppliedCheck().run(_context(settings, clock, Gate.DEPLOY, facts))

    assert (result.status, result.summary) == (status, summary)
    assert result.evidence == {"expected": "2", "applied": recorded, "tool": "flyway"}


class _Unreachable:
    """Facts whose verify run cannot reach its database."""

    def verify_missing(self) -> list[str]:
        return []

    def run_verify(self) -> object:
        from readiness.errors import InputError

        raise InputError("cannot connect to the database of --dsn (refused)")


def test_rollback_safe_is_an_error_when_the_live_check_cannot_run(
    settings: Settings, clock: FrozenClock
) -> None:
    result = RollbackSafeCheck().run(_context(settings, clock, Gate.MERGE, _Unreachable()))

    assert (result.status, result.summary) == (
        CheckStatus.ERROR,
        "The live check could not run: cannot connect to the database of --dsn (refused)",
    )
