"""Connections and scratch databases on the server of a DSN.

A scratch database has a unique name, is created on the server the user's DSN names and is
dropped when the ``with`` block ends, whatever happened inside (``DROP ... WITH (FORCE)`` ends
any session still in it).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from readiness._common.redact import mask_urls
from readiness.errors import InputError

SCRATCH_PREFIX = "readiness_verify_"


def conninfo(dsn: str, *, dbname: str | None = None) -> str:
    """A libpq conninfo for ``dsn`` (SQLAlchemy's ``postgresql+psycopg://`` accepted)."""
    url = dsn.strip()
    for driver in ("postgresql+psycopg2://", "postgresql+psycopg://", "postgres://"):
        if url.startswith(driver):
            url = "postgresql://" + url[len(driver) :]
    if not url.startswith("postgresql://") and "=" not in url:
        raise InputError(
            f"--dsn {mask_urls(dsn)!r} is not a PostgreSQL URL; expected "
            "postgresql://user@host:port/database"
        )
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise InputError(f"--dsn is not a valid PostgreSQL URL ({exc})") from exc
    if dbname is not None:
        params["dbname"] = dbname
        params.pop("options", None)  # a search_path of the user's database means nothing here
    params.setdefault("connect_timeout", "5")
    return make_conninfo(**params)  # type: ignore[arg-type]


def connect(dsn: str, *, dbname: str | None = None, autocommit: bool = True) -> psycopg.Connection:
    """A connection, or one line naming the server when it cannot be reached."""
    try:
        return psycopg.connect(conninfo(dsn, dbname=dbname), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        first = next((ln for ln in str(exc).splitlines() if ln.strip()), "connection failed")
        raise InputError(
            f"cannot connect to the database of --dsn ({mask_urls(first.strip())}); check "
            "that PostgreSQL runs there and the URL is right",
        ) from exc


@contextmanager
def scratch_database(dsn: str) -> Iterator[str]:
    """Create an empty database with a unique name on the DSN's server; yield its name."""
    name = SCRATCH_PREFIX + secrets.token_hex(6)
    with connect(dsn) as admin:
        try:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
            )
        except psycopg.Error as exc:
            raise InputError(
                f"cannot create a scratch database on the server of --dsn ({exc}); the user "
                "needs the CREATEDB privilege"
            ) from exc
    try:
        yield name
    finally:
        with connect(dsn) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
