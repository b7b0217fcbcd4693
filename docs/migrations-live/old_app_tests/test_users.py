"""The previous release's own tests: they read DATABASE_URL."""

import os

import psycopg


def _rows(sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        return conn.execute(sql).fetchall()


def test_users_have_names() -> None:
    assert len(_rows("SELECT id, name FROM users")) > 0


def test_emails_are_unique() -> None:
    assert _rows("SELECT count(*) = count(DISTINCT email) FROM users") == [(True,)]
