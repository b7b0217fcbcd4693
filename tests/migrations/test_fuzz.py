"""The sources never crash on arbitrary text: they return statements or errors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.migrations.lint import lint_files
from readiness.migrations.model import MigrationFile
from readiness.migrations.sources import load_text, parse

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=400)
SQLISH = st.lists(
    st.sampled_from(
        [
            "ALTER TABLE t ",
            "ADD COLUMN c int ",
            "NOT NULL ",
            "DEFAULT now() ",
            ";",
            "'",
            '"',
            "$$",
            "--",
            "/*",
            "*/",
            "\n",
            "CREATE INDEX ",
            "CONCURRENTLY ",
            "ON t (c)",
            "é",
            "DROP ",
            "TABLE ",
            "BEGIN;",
            "COMMIT;",
            "-- readiness: allow drop-column ",
            'reason="x"',
            "SET lock_timeout = 1;",
            "RENAME COLUMN a TO b",
            "(",
            ")",
        ]
    ),
    max_size=40,
).map("".join)
PYISH = st.lists(
    st.sampled_from(
        [
            "def upgrade():\n",
            "    ",
            "op.",
            "add_column(",
            "drop_table(",
            "execute(",
            '"t"',
            ", ",
            "sa.Column(",
            '"c"',
            "sa.Integer",
            ")",
            "\n",
            "with op.batch_alter_table(",
            ") as b:\n",
            "b.",
            "for x in (1, 2):\n",
            "if x == 'sqlite':\n",
            "f'{x}'",
            "*",
            "op.f(",
            "sa.text(",
            "'''",
            "#",
            "return\n",
        ]
    ),
    max_size=40,
).map("".join)


def _lint(name: str, text: str) -> None:
    loaded = load_text(name, text)
    if isinstance(loaded, MigrationFile):
        statements, errors = parse(loaded)
        assert all(s.line >= 1 and s.column >= 1 for s in statements)
        assert all(e.line >= 1 and e.column >= 1 for e in errors)
        lint_files([loaded])


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, SQLISH))
def test_sql_sources_never_crash(text: str) -> None:
    _lint("x.sql", text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, PYISH))
def test_alembic_sources_never_crash(text: str) -> None:
    _lint("versions/x.py", text)
