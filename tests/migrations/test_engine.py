"""The lint run across files: applied migrations (--since), the NOT NULL recipe split over
files, suppressions in Alembic scripts, the runner's transaction, enabled rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.migrations.lint import LintOptions, lint_paths
from readiness.migrations.lint.engine import lint_files
from readiness.migrations.model import MigrationFile
from readiness.migrations.sources import load_text

TIMEOUTS = "SET lock_timeout = '2s';\nSET statement_timeout = '1min';\n"


def files(**texts: str) -> list[MigrationFile]:
    out = []
    for name, text in texts.items():
        loaded = load_text(name.replace("_", "__", 1) + ".sql", text)
        assert isinstance(loaded, MigrationFile)
        out.append(loaded)
    return out


def rules(found: list[MigrationFile], **options: object) -> list[tuple[str, int, str]]:
    report = lint_files(found, LintOptions(**options))  # type: ignore[arg-type]
    return [(Path(f.file).name, f.line, f.rule) for f in report.findings]


def test_since_lints_only_pending_files_and_their_tables_exist() -> None:
    found = files(
        V1_create="BEGIN;\nCREATE TABLE orders (id bigint, total bigint);\nCOMMIT;\n",
        V2_rename=TIMEOUTS + "BEGIN;\nALTER TABLE orders RENAME COLUMN total TO amount;\nCOMMIT;\n",
    )
    assert rules(found) == []  # one set: the table is new, nobody uses it yet
    assert rules(found, since="V2__rename.sql") == [("V2__rename.sql", 4, "rename-column")]
    with pytest.raises(ValueError, match="V9"):
        rules(found, since="V9")


def test_the_not_null_recipe_over_three_files_is_clean_on_12_and_flagged_on_11() -> None:
    found = files(
        V1_check=TIMEOUTS
        + "ALTER TABLE orders ADD CONSTRAINT orders_sku_nn CHECK (sku IS NOT NULL) NOT VALID;\n",
        V2_validate=TIMEOUTS + "ALTER TABLE orders VALIDATE CONSTRAINT orders_sku_nn;\n",
        V3_set=TIMEOUTS
        + "ALTER TABLE orders ALTER COLUMN sku SET NOT NULL;\n"
        + "ALTER TABLE orders DROP CONSTRAINT orders_sku_nn;\n",
    )
    assert rules(found, runner_transaction=True, pg_version=12) == []
    assert rules(found, runner_transaction=True, pg_version=11) == [
        ("V3__set.sql", 3, "set-not-null")
    ]
    # Outside a transaction the helper's drop is still not asked to be IF EXISTS.
    assert [r for r in rules(found, pg_version=12) if r[0] == "V3__set.sql"] == []


def test_an_alembic_suppression_needs_a_reason(tmp_path: Path) -> None:
    script = (
        "from alembic import op\nrevision = 'a'\ndown_revision = None\n\ndef upgrade():\n"
        "    op.execute(\"SET lock_timeout = '2s'\")\n"
        "    op.execute(\"SET statement_timeout = '1min'\")\n"
        '    # readiness: allow drop-column reason="the app stopped reading it in 2.3"\n'
        "    op.drop_column('orders', 'legacy')\n"
        "    # readiness: allow drop-column\n"
        "    op.drop_column('orders', 'legacy2')\n"
    )
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "a.py").write_text(script, encoding="utf-8")
    report = lint_paths([tmp_path])
    assert [(f.line, f.rule) for f in report.findings] == [
        (10, "suppression-missing-reason"),
        (11, "drop-column"),
    ]
    assert report.suppressed == 1


def test_the_runner_transaction_makes_concurrently_fail() -> None:
    found = files(V1_ix=TIMEOUTS + "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON t (a);\n")
    assert rules(found) == []
    assert rules(found, runner_transaction=True) == [
        ("V1__ix.sql", 3, "ban-concurrent-index-creation-in-transaction")
    ]


def test_enable_and_disable_choose_the_rules() -> None:
    found = files(V1_t="BEGIN;\nCREATE TABLE t (id integer, name varchar(9));\nCOMMIT;\n")
    assert rules(found) == [
        ("V1__t.sql", 2, "prefer-bigint-over-int"),
        ("V1__t.sql", 2, "prefer-text-field"),
    ]
    assert rules(found, disable=frozenset({"prefer-text-field"})) == [
        ("V1__t.sql", 2, "prefer-bigint-over-int")
    ]
    assert rules(found, enable=frozenset({"prefer-text-field"})) == [
        ("V1__t.sql", 2, "prefer-text-field")
    ]
