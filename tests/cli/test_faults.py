"""The CLI under faults: one line on stderr, exit 2, the database or server named, secrets masked.

Each fault is real: a PostgreSQL URL to a port nobody listens on, a PostgreSQL schema never
migrated or one revision behind, a corrupt SQLite file, a directory that cannot be written, a
Readiness server that is not there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness._common.redact import mask_url
from readiness.storage import schema
from readiness.storage.engine import create_engine_for
from readiness.storage.migrate import upgrade
from readiness.testing import junit_xml
from tests._live import free_port
from tests.cli.conftest import Run

SECRET = "s3cret-Pa55word"


def use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("READINESS_STATE_URL", url)
    monkeypatch.setenv("READINESS_AUDIT_URL", url)


def assert_one_line(err: str) -> None:
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_postgresql_server_that_is_not_listening_is_one_line_with_the_password_masked(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # bound then released: nothing listens there
    url = f"postgresql+psycopg://app:{SECRET}@127.0.0.1:{port}/readiness"
    use_database(monkeypatch, url)

    code, out, err = cli(project_dir, "tests", "flaky")

    assert (code, out) == (2, "")
    assert_one_line(err)
    assert err.startswith(
        f"error: state database postgresql+psycopg://app:***@127.0.0.1:{port}/readiness: "
        "connection failed: "
    )
    assert err.endswith(
        "; check state_url/audit_url (READINESS_STATE_URL, READINESS_AUDIT_URL) and that the "
        "database server is up\n"
    )
    assert SECRET not in err


def test_a_postgresql_database_never_migrated_says_to_run_db_upgrade(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch, pg_schema_url: str
) -> None:
    use_database(monkeypatch, pg_schema_url)

    code, out, err = cli(project_dir, "tests", "flaky")

    assert (code, out) == (2, "")
    assert err == (
        f"error: state database {mask_url(pg_schema_url)} has no Readiness tables "
        "(never migrated); run `readiness db upgrade`\n"
    )


def test_db_upgrade_then_brings_the_postgresql_database_to_the_newest_schema(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch, pg_schema_url: str
) -> None:
    use_database(monkeypatch, pg_schema_url)
    heads = {kind: ", ".join(schema.read_history(kind).heads) for kind in ("state", "audit")}

    upgrade_code, upgraded, _ = cli(project_dir, "db", "upgrade")
    code, out, err = cli(project_dir, "tests", "flaky")

    assert upgrade_code == 0
    assert upgraded == f"state database at {heads['state']}, audit database at {heads['audit']}\n"
    assert (code, out, err) == (0, "No flaky or broken tests.\n", "")


@pytest.fixture
def one_revision_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This Readiness's state history plus one new revision: every database is one behind."""
    history = tmp_path / "alembic_state"
    shutil.copytree(schema.HISTORIES["state"], history)
    [current_head] = schema.read_history("state").heads
    (history / "versions" / "9999_next.py").write_text(
        '"""A later revision (test)."""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "9999_next"\ndown_revision = "{current_head}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        '    op.create_table("next_feature", sa.Column("id", sa.Integer(), primary_key=True))\n\n\n'
        "def downgrade() -> None:\n"
        '    op.drop_table("next_feature")\n'
    )
    monkeypatch.setitem(schema.HISTORIES, "state", history)
    schema.read_history.cache_clear()
    try:
        yield current_head
    finally:
        schema.read_history.cache_clear()


def test_a_postgresql_database_one_revision_behind_names_both_revisions(
    cli: Run,
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_schema_url: str,
    one_revision_ahead: str,
) -> None:
    engine = create_engine_for(pg_schema_url)
    upgrade("state", engine, one_revision_ahead)
    upgrade("audit", engine)
    engine.dispose()
    use_database(monkeypatch, pg_schema_url)

    code, out, err = cli(project_dir, "tests", "flaky")

    assert (code, out) == (2, "")
    assert err == (
        f"error: state database {mask_url(pg_schema_url)} is at revision {one_revision_ahead}, "
        "behind this Readiness (9999_next); run `readiness db upgrade`\n"
    )


def test_the_embedded_sqlite_database_one_revision_behind_is_upgraded_on_open(
    cli: Run, project_dir: Path, one_revision_ahead: str
) -> None:
    report = project_dir / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_a.py::test_one": "passed"}))
    database = project_dir / ".readiness" / "state.db"
    database.parent.mkdir()
    engine = create_engine_for(f"sqlite:///{database}")
    upgrade("state", engine, one_revision_ahead)

    code, _, err = cli(
        project_dir, "tests", "ingest", str(report), "--commit", "c1", "--branch", "main"
    )

    with engine.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM readiness_state_version"))
        assert revision.scalar_one() == "9999_next"
    engine.dispose()
    assert (code, err) == (0, "")


def test_a_database_newer_than_this_readiness_says_to_upgrade_readiness(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch, pg_schema_url: str
) -> None:
    engine = create_engine_for(pg_schema_url)
    upgrade("state", engine)
    upgrade("audit", engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE readiness_state_version SET version_num = '9999_future'"))
    engine.dispose()
    [head] = schema.read_history("state").heads
    use_database(monkeypatch, pg_schema_url)

    code, _, err = cli(project_dir, "tests", "flaky")

    assert code == 2
    assert err == (
        f"error: state database {mask_url(pg_schema_url)} is at revision 9999_future, which "
        f"this Readiness does not know (its newest is {head}): a newer Readiness migrated it; "
        "upgrade Readiness\n"
    )


def write_project_with_data(cli: Run, root: Path) -> None:
    report = root / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_a.py::test_one": "passed"}))
    code, _, _ = cli(root, "tests", "ingest", str(report))
    assert code == 0


def test_a_corrupt_sqlite_file_is_one_line_saying_so(cli: Run, project_dir: Path) -> None:
    write_project_with_data(cli, project_dir)
    database = project_dir / ".readiness" / "state.db"
    database.write_bytes(b"this is not a database, it only has its name" * 100)

    code, out, err = cli(project_dir, "tests", "flaky")

    assert (code, out) == (2, "")
    assert err == (
        f"error: state database {database}: file is not a database; the file is corrupt or not "
        "a SQLite database; restore it from a backup or move it away\n"
    )


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot create files in (root ignores modes: use sysfs then)."""
    if os.geteuid() == 0:
        yield Path("/sys")  # sysfs refuses new entries, even to root
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


def test_a_database_that_cannot_be_created_is_one_line_naming_it(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch, unwritable_dir: Path
) -> None:
    database = unwritable_dir / ".readiness" / "state.db"
    use_database(monkeypatch, f"sqlite:///{database}")
    report = project_dir / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_a.py::test_one": "passed"}))
    try:
        database.parent.mkdir()
    except OSError as exc:
        reason = exc.strerror
    else:  # pragma: no cover - the fixture promises an unwritable folder
        pytest.fail(f"{unwritable_dir} is writable")

    code, out, err = cli(project_dir, "tests", "ingest", str(report))

    assert (code, out) == (2, "")
    assert err == (
        f"error: cannot create the database {database}: {reason}; run Readiness where it may "
        "write, or point state_url/audit_url (READINESS_STATE_URL) at a writable place\n"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a read-only folder")
def test_a_database_in_a_read_only_folder_is_one_line_naming_it(
    cli: Run, project_dir: Path
) -> None:
    write_project_with_data(cli, project_dir)
    data = project_dir / ".readiness"
    data.chmod(0o555)
    try:
        code, out, err = cli(project_dir, "tests", "flaky")
    finally:
        data.chmod(0o700)

    assert (code, out) == (2, "")
    assert_one_line(err)
    assert err.startswith(f"error: state database {data / 'state.db'}: ")
    assert err.endswith(
        "; it cannot be opened for writing (SQLite also writes -wal and -shm files next to it); "
        "check the permissions of the file and its folder\n"
    )


def test_an_unreachable_server_is_one_line_with_the_token_in_its_url_masked(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    token = "rdy_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
    monkeypatch.setenv("READINESS_URL", f"http://ci:{token}@127.0.0.1:{port}/?token={token}")
    monkeypatch.setenv("READINESS_TOKEN", token)

    code, out, err = cli(project_dir, "tests", "flaky")

    assert (code, out) == (2, "")
    assert_one_line(err)
    assert err.startswith(
        f"error: Readiness server http://ci:***@127.0.0.1:{port}/?token=*** unreachable: "
    )
    assert err.endswith("; check READINESS_URL and that the server is up\n")
    assert token not in err


def test_a_server_url_without_a_token_names_the_url_masked(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_URL", "https://rdy_usernametoken1234@readiness.example/")

    code, _, err = cli(project_dir, "tests", "flaky")

    assert code == 2
    assert err == (
        "error: READINESS_URL is set (https://***@readiness.example) but no token: set "
        "READINESS_TOKEN or token_file (create one with `readiness tokens create --role writer`)\n"
    )
