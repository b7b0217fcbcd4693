"""Run our own Alembic histories programmatically (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from readiness._common.words import plural
from readiness.errors import StorageError
from readiness.storage.engine import Stores
from readiness.storage.schema import HISTORIES, VERSION_TABLES


def _config(
    kind: str, engine: Engine, adopt_project: str | None = None, audit_origin: str | None = None
) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HISTORIES[kind]))
    cfg.attributes["engine"] = engine
    cfg.attributes["version_table"] = VERSION_TABLES[kind]
    cfg.attributes["kind"] = kind
    cfg.attributes["adopt_project"] = adopt_project
    cfg.attributes["audit_origin"] = audit_origin
    return cfg


def run_migrations_in_env() -> None:
    """Body of the histories' ``env.py``: migrate the engine handed over in the config (or one
    made from ``sqlalchemy.url`` when none is), or, in offline mode (``alembic upgrade --sql``,
    which ``readiness migrations verify`` uses), render the SQL without a database.

    On SQLite, a migration that rebuilds a table (batch mode: copy, drop, rename) must run with
    foreign keys off, or dropping the old table would cascade-delete every row that references
    it (dropping ``th_tests`` would empty ``th_results``). SQLite ignores that switch inside a
    transaction, so it is flipped around one explicit transaction that holds the whole upgrade
    (DDL included: a failed migration leaves the database as it was), and the foreign keys are
    checked before it commits.
    """
    from alembic import context

    cfg = context.config
    version_table = cfg.attributes.get("version_table", "alembic_version")
    if context.is_offline_mode():
        _offline(cfg.get_main_option("sqlalchemy.url"), version_table)
        return
    engine: Engine | None = cfg.attributes.get("engine")
    if engine is None:  # run by Alembic's own command line or another tool: a URL is given
        import sqlalchemy as sa

        owned = sa.create_engine(str(cfg.get_main_option("sqlalchemy.url")), poolclass=sa.NullPool)
        try:
            _online(owned, version_table)
        finally:
            owned.dispose()
        return
    _online(engine, version_table)


def _online(engine: Engine, version_table: str) -> None:
    from alembic import context

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    # pysqlite would otherwise commit each DDL statement on its own.
                    connection.exec_driver_sql("BEGIN")
                context.configure(
                    connection=connection,
                    version_table=version_table,
                    render_as_batch=sqlite,
                    transactional_ddl=True,
                )
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _offline(url: str | None, version_table: str) -> None:
    """``alembic upgrade --sql``: render the migrations as SQL for ``url``'s dialect, no database.

    ``readiness migrations verify`` renders our pending revisions this way; revisions that read
    data (``op.get_bind()``) cannot be rendered offline and are never the newest ones.
    """
    from alembic import context

    if not url:
        raise StorageError(
            "offline migration (--sql) needs sqlalchemy.url: the database dialect to render for"
        )
    context.configure(
        url=url,
        version_table=version_table,
        literal_binds=True,
        transactional_ddl=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise StorageError(
            f"migration left {plural(len(broken), 'row')} whose references point nowhere "
            f"(tables {', '.join(tables)}); nothing was changed. Report this as a bug"
        )


def upgrade(
    kind: str,
    engine: Engine,
    revision: str = "head",
    *,
    adopt_project: str | None = None,
    audit_origin: str | None = None,
) -> None:
    """Upgrade the ``kind`` database (``state`` or ``audit``) to ``revision``.

    ``adopt_project`` names the project that data stored before projects existed moves to,
    when all of it sits in the old default project (see revision ``0002_projects``).
    ``audit_origin`` names the audit log the old chain's events move to (revision
    ``0003_platform_events``).
    """
    command.upgrade(_config(kind, engine, adopt_project, audit_origin), revision)


def downgrade(kind: str, engine: Engine, revision: str) -> None:
    """Downgrade the ``kind`` database to ``revision`` (``base`` drops every table)."""
    command.downgrade(_config(kind, engine), revision)


def upgrade_all(stores: Stores, *, adopt_project: str | None = None) -> None:
    """Bring both databases to the newest schema."""
    if current_revision("state", stores.state) != head_revision("state"):
        upgrade("state", stores.state, adopt_project=adopt_project)
    if current_revision("audit", stores.audit) != head_revision("audit"):
        upgrade("audit", stores.audit, audit_origin=stores.audit_origin)


def current_revision(kind: str, engine: Engine) -> str | None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLES[kind]})
        return ctx.get_current_revision()


def head_revision(kind: str) -> str | None:
    script = ScriptDirectory(str(HISTORIES[kind]))
    return script.get_current_head()
