"""Ordered SQL migration directories, old query logs and generated values (no database)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from readiness.errors import InputError
from readiness.migrations.live.datagen import generate_rows, value_for
from readiness.migrations.live.queries import parse_queries
from readiness.migrations.sources import load
from readiness.migrations.sources.ordered import load_migrations, split_at
from readiness.migrations.toolkit.plan import next_version, rename_column, write_plan
from tests.migrations.live.conftest import write_migrations


def test_flyway_versions_sort_naturally_and_pair_undo_scripts(tmp_path: Path) -> None:
    root = write_migrations(
        tmp_path,
        {"V10__ten.sql": "SELECT 10;", "V2__two.sql": "SELECT 2;", "U2__two.sql": "SELECT -2;"},
    )

    migrations = load_migrations(root)

    assert [(m.version, m.name, m.down is not None) for m in migrations] == [
        ("2", "two", True),
        ("10", "ten", False),
    ]


def test_golang_migrate_pairs_up_and_down(tmp_path: Path) -> None:
    root = write_migrations(
        tmp_path,
        {"002_b.up.sql": "SELECT 2;", "001_a.up.sql": "SELECT 1;", "001_a.down.sql": "SELECT 0;"},
    )

    migrations = load_migrations(root)

    assert [(m.version, m.file, [s.sql for s in m.down or ()]) for m in migrations] == [
        ("001", "001_a.up.sql", ["SELECT 0"]),
        ("002", "002_b.up.sql", []),
    ]
    assert split_at(migrations, "1") == (migrations[:1], migrations[1:])


def test_statements_keep_their_line_and_dollar_bodies_and_drop_transaction_control(
    tmp_path: Path,
) -> None:
    body = (
        "BEGIN;\n-- a comment\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
        "\nALTER TABLE t ADD COLUMN c int;\nCOMMIT;\n"
    )
    root = write_migrations(tmp_path, {"0001-first.sql": body})

    (migration,) = load_migrations(root)

    assert [(s.line, s.sql) for s in migration.up] == [
        (3, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$"),
        (5, "ALTER TABLE t ADD COLUMN c int"),
    ]


def test_a_file_that_does_not_parse_names_its_line(tmp_path: Path) -> None:
    root = write_migrations(tmp_path, {"V1__bad.sql": "SELECT 1;\nALTER TABEL t;\n"})

    with pytest.raises(InputError) as caught:
        load_migrations(root)

    assert caught.value.message == (
        "migration file 'V1__bad.sql' line 2: syntax error at or near \"TABEL\"; fix the SQL "
        "(it must parse with PostgreSQL's own parser)"
    )


def test_an_unknown_previous_version_lists_the_known_ones(tmp_path: Path) -> None:
    migrations = load_migrations(write_migrations(tmp_path, {"V1__a.sql": "SELECT 1;"}))

    with pytest.raises(InputError, match=r"--previous '9' is not a migration version .*known: 1\)"):
        split_at(migrations, "9")


def test_query_logs_are_one_per_line_or_semicolon_separated() -> None:
    by_line = parse_queries("-- old app\nSELECT a FROM t\nUPDATE t SET a = $1\nSELECT a FROM t\n")
    by_semicolon = parse_queries("SELECT a\n  FROM t;\nINSERT INTO t VALUES (';');")

    assert [(q.sql, q.kind, q.has_parameters) for q in by_line] == [
        ("SELECT a FROM t", "read", False),
        ("UPDATE t SET a = $1", "write", True),
    ]
    assert [(q.sql, q.kind) for q in by_semicolon] == [
        ("SELECT a\n  FROM t", "read"),
        ("INSERT INTO t VALUES (';')", "write"),
    ]


def test_generated_rows_start_with_nulls_then_boundaries_and_unique_values() -> None:
    columns: list[tuple[str, str, str, bool, bool, tuple[str, ...], list[str] | None]] = [
        ("int4", "integer", "N", True, False, (), None),
        ("varchar", "character varying(3)", "S", False, False, (), None),
        ("text", "text", "S", False, True, (), None),
    ]

    rows = generate_rows(columns, 4, random.Random(0))

    assert rows == [
        [None, "", "u1-Zoë"],
        ["0", "pla", "u2-Zoë"],
        ["1", "Zoë", "u3-Zoë"],
        ["-1", "O'B", "u4-Zoë"],
    ]


def test_numeric_boundaries_follow_precision_and_scale() -> None:
    rng = random.Random(0)

    values = [value_for("numeric", "numeric(5,2)", "N", (), rng, row) for row in range(4)]

    assert values == ["0", "999.99", "-999.99", "1"]


def test_a_plan_takes_the_next_flyway_versions_and_never_overwrites(tmp_path: Path) -> None:
    write_migrations(tmp_path, {"V7__init.sql": "SELECT 1;"})
    steps = rename_column("users", "name", "full_name", "text")

    paths = write_plan(steps, tmp_path, start=next_version(tmp_path), name="rename_name")

    assert [p.name for p in paths][:2] == [
        "V8__rename_name_1_expand_add_full_name.sql",
        "V9__rename_name_2_dual_write_trigger.sql",
    ]
    with pytest.raises(InputError, match="exists already"):
        write_plan(steps, tmp_path, start=8, name="rename_name")


def test_a_plan_refuses_names_that_are_not_plain_identifiers() -> None:
    with pytest.raises(InputError, match="NEW must be a plain identifier"):
        rename_column("users", "name", "full name; DROP", "text")


def test_the_linter_leaves_down_files_out_that_verify_pairs(tmp_path: Path) -> None:
    root = write_migrations(
        tmp_path,
        {"001_a.up.sql": "SELECT 1;", "001_a.down.sql": "SELECT 0;", "002_b.up.sql": "SELECT 2;"},
    )

    linted = [Path(f.path).name for f in load([root]).files]
    (first, _second) = load_migrations(root)

    assert linted == ["001_a.up.sql", "002_b.up.sql"]
    down = [(s.file, s.line, s.sql) for s in first.down or ()]
    assert down == [("001_a.down.sql", 1, "SELECT 0")]
