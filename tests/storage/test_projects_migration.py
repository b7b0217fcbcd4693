"""Revision 0002_projects on SQLite and PostgreSQL, from a 0001 database that holds data."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import readiness.auth.tables
import readiness.contracts.pact.tables
import readiness.gate.store
import readiness.notify.tables
import readiness.testhealth.store.tables  # noqa: F401 - registers the tables compared below
from readiness.config import load_settings
from readiness.errors import StorageError
from readiness.storage import migrate
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.metadata import state_metadata
from readiness.storage.migrate import current_revision, downgrade, upgrade
from readiness.storage.stores import open_stores

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
COUNTED = (
    "th_runs",
    "th_tests",
    "th_results",
    "th_quarantine",
    "th_quarantine_events",
    "th_fix_verifications",
)


def _legacy_history(engine: sa.Engine, project: str, *, tests: int = 3) -> None:
    """Rows as revision 0001 stored them: one run of ``tests`` tests, quarantine, a verification."""
    md = sa.MetaData()
    md.reflect(engine, only=[*COUNTED, "rd_tokens"])
    t = md.tables
    with engine.begin() as conn:
        run_id = conn.execute(
            t["th_runs"]
            .insert()
            .values(
                project=project,
                run_key=f"run-{project}",
                started_at=AT,
                ingested_at=AT,
                source="junit.xml",
                source_digest="d" * 64,
                format="pytest",
                tags={},
                total=tests,
                failed=1,
                skipped=0,
                duration_s=1.0,
            )
            .returning(t["th_runs"].c.id)
        ).scalar_one()
        for i in range(tests):
            test_id = conn.execute(
                t["th_tests"]
                .insert()
                .values(project=project, test_key=f"tests/test_misc.py::test_{i}", first_seen=AT)
                .returning(t["th_tests"].c.id)
            ).scalar_one()
            conn.execute(
                t["th_results"].insert().values(run_id=run_id, test_id=test_id, outcome=i % 2)
            )
        conn.execute(
            t["th_quarantine"]
            .insert()
            .values(
                project=project,
                test_key="tests/test_misc.py::test_1",
                reason="flaky",
                created_at=AT,
                expires_at=AT,
                created_by="alice",
            )
        )
        conn.execute(
            t["th_quarantine_events"]
            .insert()
            .values(
                project=project,
                test_key="tests/test_misc.py::test_1",
                action="add",
                actor="alice",
                at=AT,
                details={},
            )
        )
        conn.execute(
            t["th_fix_verifications"]
            .insert()
            .values(
                project=project,
                test_key="tests/test_misc.py::test_1",
                at=AT,
                actor="alice",
                flake_rate=0.1,
                required_runs=50,
                runs=50,
                failures=0,
                verdict="fixed",
            )
        )


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in COUNTED
        }


def _projects_of(engine: sa.Engine, table: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT DISTINCT project FROM {table} ORDER BY 1"))
        return [r[0] for r in rows]


def _project_names(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT name FROM rd_projects ORDER BY name"))]


@pytest.fixture
def legacy(stores: Stores) -> Stores:
    """The ``stores`` taken back to revision 0001 with history in two projects."""
    downgrade("state", stores.state, "0001_state")
    _legacy_history(stores.state, "default")
    _legacy_history(stores.state, "billing", tests=2)
    return stores


def test_upgrading_keeps_every_row_and_makes_a_project_of_each_name_found(legacy: Stores) -> None:
    before = _counts(legacy.state)

    upgrade("state", legacy.state, "0002_projects")

    assert current_revision("state", legacy.state) == "0002_projects"
    assert (
        _counts(legacy.state)
        == before
        == {
            "th_runs": 2,
            "th_tests": 5,
            "th_results": 5,
            "th_quarantine": 2,
            "th_quarantine_events": 2,
            "th_fix_verifications": 2,
        }
    )
    assert _project_names(legacy.state) == ["billing", "default"]


def test_after_upgrading_a_rename_reaches_the_old_rows(legacy: Stores) -> None:
    upgrade("state", legacy.state)

    with legacy.state.begin() as conn:
        conn.execute(sa.text("UPDATE rd_projects SET name = 'shop' WHERE name = 'default'"))

    assert _projects_of(legacy.state, "th_tests") == ["billing", "shop"]
    assert _projects_of(legacy.state, "th_quarantine_events") == ["billing", "shop"]


def test_adoption_leaves_data_in_several_projects_where_it_is(legacy: Stores) -> None:
    upgrade("state", legacy.state, adopt_project="shop")

    assert _project_names(legacy.state) == ["billing", "default"]


def test_adoption_moves_data_that_all_sits_in_default_to_the_adopted_name(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    downgrade("state", stores.state, "0001_state")
    _legacy_history(stores.state, "default")

    with caplog.at_level(logging.WARNING, logger="readiness.storage"):
        upgrade("state", stores.state, adopt_project="shop")

    assert _project_names(stores.state) == ["shop"]
    assert {t: _projects_of(stores.state, t) for t in COUNTED if t != "th_results"} == {
        "th_runs": ["shop"],
        "th_tests": ["shop"],
        "th_quarantine": ["shop"],
        "th_quarantine_events": ["shop"],
        "th_fix_verifications": ["shop"],
    }
    assert caplog.messages == [
        "readiness: this database's history moved from project 'default' to 'shop', the "
        "default project name (the directory's name) since projects exist"
    ]


def test_an_empty_database_upgrades_to_no_project(stores: Stores) -> None:
    downgrade("state", stores.state, "0001_state")

    upgrade("state", stores.state, adopt_project="shop")

    assert _project_names(stores.state) == []


def test_the_upgraded_schema_is_the_schema_the_code_declares(legacy: Stores) -> None:
    upgrade("state", legacy.state)

    with legacy.state.connect() as conn:
        # On PostgreSQL the tests keep the audit tables in the same schema: compare ours only.
        context = MigrationContext.configure(
            conn,
            opts={
                "version_table": "readiness_state_version",
                "include_name": lambda name, kind, _parent: (
                    kind != "table" or name in state_metadata.tables
                ),
            },
        )
        differences = compare_metadata(context, state_metadata)

    assert differences == []


def test_downgrading_revokes_tokens_limited_to_projects_and_keeps_the_data(
    stores: Stores,
) -> None:
    with stores.state.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO rd_projects (name, created_at, created_by) VALUES ('shop', :at, 'a')"
            ),
            {"at": AT},
        )
        for name, everywhere in (("limited", False), ("unlimited", True)):
            conn.execute(
                sa.text(
                    "INSERT INTO rd_tokens (name, role, token_hash, prefix, created_at, "
                    "created_by, all_projects) VALUES (:n, 'reader', :h, 'rdy_x', :at, 'a', :e)"
                ),
                {"n": name, "h": name[:5] * 8, "at": AT, "e": everywhere},
            )
    _legacy_history(stores.state, "shop")

    downgrade("state", stores.state, "0001_state")

    with stores.state.connect() as conn:
        revoked = conn.execute(
            sa.text("SELECT name, revoked_at IS NOT NULL FROM rd_tokens ORDER BY name")
        ).all()
    assert [tuple(r) for r in revoked] == [("limited", True), ("unlimited", False)]
    assert _counts(stores.state)["th_results"] == 3
    assert "rd_projects" not in sa.inspect(stores.state).get_table_names()


def test_a_failing_sqlite_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade("state", engine, "0001_state")
    _legacy_history(engine, "default")

    def broken(_connection: sa.Connection) -> None:
        raise StorageError("injected failure after the last migration step")

    monkeypatch.setattr(migrate, "_check_foreign_keys", broken)
    with pytest.raises(StorageError):
        upgrade("state", engine)

    assert current_revision("state", engine) == "0001_state"
    assert "rd_projects" not in sa.inspect(engine).get_table_names()
    assert _counts(engine)["th_results"] == 3
    engine.dispose()


def test_the_migration_connection_gets_its_foreign_keys_back_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade("state", engine)

    with engine.connect() as conn:
        enabled = conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one()

    assert enabled == 1
    engine.dispose()


def _checkout_with_legacy_database(tmp_path: Path) -> Path:
    root = tmp_path / "Shop"
    engine = create_engine_for(f"sqlite:///{root / '.readiness' / 'state.db'}")
    upgrade("state", engine, "0001_state")
    _legacy_history(engine, "default")
    engine.dispose()
    return root


def test_opening_a_checkouts_legacy_database_adopts_the_directory_name(tmp_path: Path) -> None:
    root = _checkout_with_legacy_database(tmp_path)

    stores = open_stores(load_settings(root, environ={}))

    assert _project_names(stores.state) == ["shop"]
    stores.dispose()


def test_a_configured_project_name_is_never_adopted(tmp_path: Path) -> None:
    root = _checkout_with_legacy_database(tmp_path)

    stores = open_stores(load_settings(root, environ={"READINESS_PROJECT": "web"}))

    assert _project_names(stores.state) == ["default"]
    stores.dispose()


def test_a_configured_database_url_is_never_adopted(tmp_path: Path) -> None:
    root = _checkout_with_legacy_database(tmp_path)
    url = f"sqlite:///{root / '.readiness' / 'state.db'}"

    stores = open_stores(load_settings(root, environ={"READINESS_STATE_URL": url}))

    assert _project_names(stores.state) == ["default"]
    stores.dispose()
