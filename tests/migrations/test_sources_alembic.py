"""Alembic scripts are read with ``ast``: each ``op.*`` call becomes its SQL, at its line."""

from __future__ import annotations

import textwrap

import pytest

from readiness.migrations.model import MigrationFile, SourceError
from readiness.migrations.sources import load_text, parse

HEADER = (
    'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "r2"\ndown_revision = "r1"\n\n'
)


def script(body: str) -> MigrationFile:
    text = HEADER + "def upgrade():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    text += "\n\ndef downgrade():\n    op.drop_table('never_read')\n"
    loaded = load_text("versions/r2.py", text)
    assert isinstance(loaded, MigrationFile)
    return loaded


def sqls(body: str) -> list[str]:
    return [c.sql for c in script(body).chunks]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            'op.add_column("orders", sa.Column("note", sa.String(200), nullable=False, '
            'server_default="x"))',
            "ALTER TABLE orders ADD COLUMN note varchar(200) NOT NULL DEFAULT 'x'",
        ),
        ('op.drop_column("orders", "note")', "ALTER TABLE orders DROP COLUMN note"),
        (
            'op.alter_column("orders", "total", type_=sa.BigInteger(), nullable=False)',
            "ALTER TABLE orders ALTER COLUMN total TYPE bigint;"
            "ALTER TABLE orders ALTER COLUMN total SET NOT NULL",
        ),
        (
            'op.alter_column("orders", "total", server_default=sa.text("now()"), '
            'new_column_name="amount")',
            "ALTER TABLE orders ALTER COLUMN total SET DEFAULT now();"
            "ALTER TABLE orders RENAME COLUMN total TO amount",
        ),
        (
            'op.alter_column("orders", "total", nullable=True, server_default=None)',
            "ALTER TABLE orders ALTER COLUMN total DROP NOT NULL;"
            "ALTER TABLE orders ALTER COLUMN total DROP DEFAULT",
        ),
        (
            'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), '
            'sa.Column("at", sa.DateTime(timezone=True)), sa.Column("u", sa.Integer, '
            'sa.ForeignKey("users.id")))',
            "CREATE TABLE t (id serial NOT NULL PRIMARY KEY, at timestamptz, "
            "u integer REFERENCES users (id))",
        ),
        (
            'op.create_table("t", sa.Column("a", sa.Text), sa.Column("b", sa.JSON), '
            'sa.PrimaryKeyConstraint("a", name="t_pk"), sa.UniqueConstraint("b"), '
            'sa.CheckConstraint("a <> \'\'", name="ck"))',
            "CREATE TABLE t (a text, b json, CONSTRAINT t_pk PRIMARY KEY (a), UNIQUE (b), "
            "CONSTRAINT ck CHECK (a <> ''))",
        ),
        ('op.drop_table("t")', "DROP TABLE t"),
        ('op.rename_table("a", "b")', "ALTER TABLE a RENAME TO b"),
        (
            'op.create_index("ix", "t", ["a", sa.text("lower(b)")], unique=True, '
            "postgresql_concurrently=True, if_not_exists=True)",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON t (a, (lower(b)))",
        ),
        ('op.drop_index("ix", table_name="t")', "DROP INDEX ix"),
        (
            'op.create_foreign_key("fk", "orders", "users", ["user_id"], ["id"], '
            'ondelete="CASCADE")',
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) "
            "ON DELETE CASCADE",
        ),
        (
            'op.create_check_constraint("ck", "orders", "total > 0")',
            "ALTER TABLE orders ADD CONSTRAINT ck CHECK (total > 0)",
        ),
        (
            'op.create_unique_constraint("uq", "users", ["email"])',
            "ALTER TABLE users ADD CONSTRAINT uq UNIQUE (email)",
        ),
        (
            'op.drop_constraint("uq", "users", type_="unique")',
            "ALTER TABLE users DROP CONSTRAINT uq",
        ),
        ('op.execute(sa.text("UPDATE t SET a = 1"))', "UPDATE t SET a = 1"),
        (
            'op.add_column("user", sa.Column("offset", sa.Integer))',
            'ALTER TABLE "user" ADD COLUMN "offset" integer',
        ),
    ],
)
def test_an_op_call_becomes_the_sql_it_emits(call: str, expected: str) -> None:
    assert ";".join(sqls(call)) == expected


def test_statements_carry_the_line_and_column_of_their_call() -> None:
    f = script('op.drop_column("a", "b")\nif True:\n    op.drop_table("c")\n')
    statements, errors = parse(f)
    assert errors == []
    assert [(s.file, s.line, s.column, s.sql) for s in statements] == [
        ("versions/r2.py", 8, 5, "ALTER TABLE a DROP COLUMN b"),
        ("versions/r2.py", 10, 9, "DROP TABLE c"),
    ]


def test_batch_operations_take_the_table_of_their_block() -> None:
    body = """
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("x", sa.Integer()))
        batch_op.create_unique_constraint("uq_x", ["x"])
        batch_op.create_index("ix_x", ["x"])
        batch_op.drop_index("ix_y")
    """
    assert sqls(body) == [
        "ALTER TABLE orders ADD COLUMN x integer",
        "ALTER TABLE orders ADD CONSTRAINT uq_x UNIQUE (x)",
        "CREATE INDEX ix_x ON orders (x)",
        "DROP INDEX ix_y",
    ]


def test_autocommit_blocks_run_outside_the_transaction() -> None:
    body = """
    op.add_column("t", sa.Column("x", sa.Text))
    with op.get_context().autocommit_block():
        op.create_index("ix", "t", ["x"], postgresql_concurrently=True)
    """
    assert [c.transactional for c in script(body).chunks] == [True, False]


def test_dialect_branches_keep_the_postgresql_side_only() -> None:
    body = """
    conn = op.get_bind()
    is_sqlite = bool(conn.dialect.name == "sqlite")
    if is_sqlite:
        op.execute("PRAGMA foreign_keys=off")
    if conn.dialect.name == "postgresql":
        op.execute("SET lock_timeout = '2s'")
    else:
        op.execute("SELECT 'other'")
    if not is_sqlite:
        op.drop_column("t", "x")
    """
    assert sqls(body) == ["SET lock_timeout = '2s'", "ALTER TABLE t DROP COLUMN x"]


def test_module_constants_and_loops_over_them_are_inlined() -> None:
    text = HEADER + (
        'TABLES = ("a", "b")\n_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")\n'
        "def upgrade():\n    for t in TABLES:\n"
        '        op.add_column(t, sa.Column("n", _BIG))\n'
        '    op.execute(f"ANALYZE {TABLES[0]}")\n'
        '    op.execute(f"INSERT INTO x {compile(q)}")\n'
    )
    loaded = load_text("v.py", text)
    assert isinstance(loaded, MigrationFile)
    assert [c.sql for c in loaded.chunks] == [
        "ALTER TABLE a ADD COLUMN n bigint",
        "ALTER TABLE b ADD COLUMN n bigint",
        "ANALYZE unknown",  # an expression it does not evaluate: a placeholder name
    ]
    assert loaded.revision == "r2"


def test_python_that_does_not_parse_is_an_error_with_its_position() -> None:
    got = load_text("bad.py", "def upgrade(:\n    pass\n")
    assert got == SourceError("bad.py", 1, 13, "Python syntax error: invalid syntax")


def test_a_django_migration_says_to_lint_sqlmigrate_output() -> None:
    text = "from django.db import migrations\nclass Migration(migrations.Migration):\n    pass\n"
    got = load_text("app/migrations/0002_x.py", text)
    assert isinstance(got, SourceError)
    assert got.reason == "a Django migration: lint the output of `manage.py sqlmigrate APP NAME`"


def test_existing_type_is_a_fact_the_linter_learns_not_an_operation() -> None:
    from readiness.migrations.lint import lint_files

    f = script(
        'op.alter_column("tags", "value", existing_type=sa.String(250), type_=sa.String(5000))\n'
        'op.alter_column("tags", "key", existing_type=sa.Integer(), type_=sa.BigInteger())\n'
    )
    assert [(c.sql, c.learn_only) for c in f.chunks] == [
        ("ALTER TABLE tags ALTER COLUMN value TYPE varchar(250)", True),
        ("ALTER TABLE tags ALTER COLUMN value TYPE varchar(5000)", False),
        ("ALTER TABLE tags ALTER COLUMN key TYPE integer", True),
        ("ALTER TABLE tags ALTER COLUMN key TYPE bigint", False),
    ]
    report = lint_files([f])
    assert report.statements == 2
    changes = [x for x in report.findings if x.rule == "changing-column-type"]
    assert [(x.line, x.message[:44]) for x in changes] == [
        (9, "changing tags.key from integer to bigint rew")
    ]
