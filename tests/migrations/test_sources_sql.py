"""SQL sources: discovery and apply order, kinds, positions, and parse errors at line:column."""

from __future__ import annotations

from pathlib import Path

from readiness.migrations.model import MigrationFile, SourceError
from readiness.migrations.sources import load, load_text, parse


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_flyway_versions_order_numerically_and_repeatables_last(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "V10__c.sql": "SELECT 1;",
            "V2__b.sql": "SELECT 1;",
            "V1_1__a.sql": "SELECT 1;",
            "R__views.sql": "SELECT 1;",
            "U2__undo.sql": "SELECT 1;",
        },
    )
    names = [Path(f.path).name for f in load([tmp_path]).files]
    assert names == ["V1_1__a.sql", "V2__b.sql", "V10__c.sql", "R__views.sql"]


def test_golang_migrate_up_files_in_order_and_down_files_on_request(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "10_b.up.sql": "SELECT 1;",
            "10_b.down.sql": "SELECT 1;",
            "9_a.up.sql": "SELECT 1;",
        },
    )
    assert [Path(f.path).name for f in load([tmp_path]).files] == ["9_a.up.sql", "10_b.up.sql"]
    every = load([tmp_path], include_down=True).files
    assert [(Path(f.path).name, f.direction) for f in every] == [
        ("9_a.up.sql", "up"),
        ("10_b.down.sql", "down"),
        ("10_b.up.sql", "up"),
    ]


def test_alembic_scripts_follow_the_revision_chain_not_the_file_names(tmp_path: Path) -> None:
    def rev(name: str, down: str | None) -> str:
        down_text = repr(down) if down else "None"
        return f"revision = {name!r}\ndown_revision = {down_text}\ndef upgrade():\n    pass\n"

    write(
        tmp_path,
        {
            "versions/a_third.py": rev("c3", "b2"),
            "versions/b_first.py": rev("a1", None),
            "versions/c_second.py": rev("b2", "a1"),
        },
    )
    assert [f.revision for f in load([tmp_path]).files] == ["a1", "b2", "c3"]


def test_missing_paths_are_unreadable_errors() -> None:
    result = load(["/no/such/dir"])
    assert result.files == []
    assert result.errors == [SourceError("/no/such/dir", 0, 0, "no such file or directory", True)]


def test_kinds_of_sql_output_are_recognised() -> None:
    alembic = "BEGIN;\n\n-- Running upgrade  -> 1a\n\nCREATE TABLE t (id bigint);\nCOMMIT;\n"
    django = (
        "BEGIN;\n--\n-- Add field note to order\n--\nALTER TABLE o ADD COLUMN n text;\nCOMMIT;\n"
    )
    kinds = [load_text("x.sql", t) for t in (alembic, django, "SELECT 1;")]
    assert [k.kind for k in kinds if isinstance(k, MigrationFile)] == [
        "alembic-sql",
        "django-sql",
        "sql",
    ]


def test_statement_positions_count_characters_after_multibyte_text() -> None:
    f = load_text("x.sql", "-- café ☕\nSELECT 'ü';  /* c */ DROP TABLE t;\n")
    assert isinstance(f, MigrationFile)
    statements, errors = parse(f)
    assert errors == []
    assert [(s.line, s.column, s.sql) for s in statements] == [
        (2, 1, "SELECT 'ü'"),
        (2, 22, "DROP TABLE t"),
    ]


def test_a_bad_statement_is_reported_at_line_and_column_and_the_rest_parse() -> None:
    f = load_text("x.sql", "SELECT 1;\nALTER TABLE t ADD COLUM x int;\nDROP TABLE t;\n")
    assert isinstance(f, MigrationFile)
    statements, errors = parse(f)
    assert [s.sql for s in statements] == ["SELECT 1", "DROP TABLE t"]
    assert errors == [SourceError("x.sql", 2, 27, 'syntax error at or near "int"')]


def test_an_unterminated_string_is_one_error_for_the_file() -> None:
    f = load_text("x.sql", "SELECT 1;\nSELECT 'oops;\n")
    assert isinstance(f, MigrationFile)
    statements, errors = parse(f)
    assert statements == []
    assert errors == [
        SourceError("x.sql", 2, 8, 'unterminated quoted string at or near "\'oops;\n"')
    ]
