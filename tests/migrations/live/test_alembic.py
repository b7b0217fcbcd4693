"""verify on an Alembic history: Alembic itself applies it to the scratch database."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from readiness.migrations.live.verify import VerifyRequest, verify
from tests.migrations.live.conftest import write_migrations
from tests.migrations.live.test_verify import _app

ENV = """
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
"""
R1 = """
import sqlalchemy as sa
from alembic import op

revision = "r1"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.BigInteger, primary_key=True),
                    sa.Column("name", sa.Text))


def downgrade():
    op.drop_table("users")
"""
R2 = """
from alembic import op

revision = "r2"
down_revision = "r1"


def upgrade():
    op.alter_column("users", "name", new_column_name="full_name")


def downgrade():
    op.alter_column("users", "full_name", new_column_name="name")
"""


def test_an_alembic_rename_breaks_the_old_select(pg_url: str, tmp_path: Path) -> None:
    root = write_migrations(tmp_path / "alembic", {"env.py": ENV})
    write_migrations(root / "versions", {"r1_init.py": R1, "r2_rename.py": R2})
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT id, name FROM users\n", encoding="utf-8")

    report = verify(VerifyRequest(pg_url, root, "r1", str(queries), rows=10)).as_dict()

    assert (report["previous"], report["head"]) == ("r1", "r2")
    assert report["broken_queries"] == [
        {
            "query": "SELECT id, name FROM users",
            "kind": "read",
            "error": '42703: column "name" does not exist',
            "statement": "ALTER TABLE users RENAME name TO full_name",
            "migration": "r2",
            "file": "alembic:r2",
            "line": 2,
        }
    ]
    assert report["roundtrip"]["identical"] is True
    assert report["history"] == {"ok": True, "migrations": 2, "error": None}


def test_an_env_without_offline_mode_is_one_input_error(pg_url: str, tmp_path: Path) -> None:
    root = write_migrations(tmp_path / "alembic", {"env.py": "raise KeyError('engine')\n"})
    write_migrations(root / "versions", {"r1_init.py": R1})
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT 1\n", encoding="utf-8")
    args = ["verify", "--dsn", pg_url, "--migrations", str(root), "--previous", "base"]

    result = CliRunner().invoke(_app(), [*args, "--queries", str(queries)])

    assert result.exit_code == 2
    assert result.stderr == (
        "error: alembic cannot render base:head as SQL (KeyError: 'engine'); verify needs an "
        "env.py that supports offline mode (`alembic upgrade --sql`)\n"
    )
