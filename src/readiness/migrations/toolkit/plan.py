"""Expand/contract plans (handbook 21.2 and 21.6) as numbered SQL migration files.

Pure: each function returns the six steps; :func:`write_plan` is the only one touching disk.
Every step is deployable alone and keeps the previous application version working, except
the last (dropping the old column), which the handbook calls the only step that is not
rollback-safe: run it once no old instance remains and ``readiness migrations drift`` is 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from readiness.errors import InputError

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
FLYWAY_V = re.compile(r"^V(\d+)__")
DRIFT_LIMIT = 0.0001  # 0.01 %, the handbook's "treat it as a migration incident" figure
LOCK_TIMEOUT = "SET lock_timeout = '5s';\n"


@dataclass(frozen=True)
class Step:
    """One migration of a plan."""

    slug: str
    purpose: str
    sql: str


def split_target(target: str, what: str) -> tuple[str, str]:
    """``TABLE.COLUMN`` -> (table, column), both plain identifiers."""
    table, _, column = target.rpartition(".")
    for part in (table, column):
        if not IDENT.match(part):
            raise InputError(
                f"{what} must be TABLE.COLUMN with plain identifiers (got {target!r}); "
                "for example users.name"
            )
    return table, column


def _check(name: str, what: str) -> str:
    if not IDENT.match(name):
        raise InputError(f"{what} must be a plain identifier (got {name!r})")
    return name


def _header(step: Step) -> str:
    return f"-- {step.purpose}\n"


def _backfill(table: str, key: str, assign: str, differs: str) -> str:
    # Generated migration text for the user to review, never executed with user input here.
    return (
        "-- Batched (5,000 rows, 100 ms apart), one transaction per batch; the same as\n"  # noqa: S608
        f'--   readiness migrations backfill {table} --set "{assign}" --where "{differs}"\n'
        "-- which adds resume, a kill switch and a pause while replica lag exceeds 1 s.\n"
        "DO $$\n"
        f"DECLARE last_key {table}.{key}%TYPE; batch_max {table}.{key}%TYPE;\n"
        "BEGIN\n"
        "  LOOP\n"
        f"    SELECT max({key}) INTO batch_max FROM (SELECT {key} FROM {table}\n"
        f"      WHERE last_key IS NULL OR {key} > last_key ORDER BY {key} LIMIT 5000) AS b;\n"
        "    EXIT WHEN batch_max IS NULL;\n"
        f"    UPDATE {table} SET {assign}\n"
        f"      WHERE (last_key IS NULL OR {key} > last_key) AND {key} <= batch_max\n"
        f"        AND ({differs});\n"
        "    last_key := batch_max;\n"
        "    COMMIT;\n"
        "    PERFORM pg_sleep(0.1);\n"
        "  END LOOP;\n"
        "END $$;\n"
    )


def _drift_guard(table: str, differs: str) -> str:
    # Generated migration text for the user to review.
    return (
        "DO $$\n"  # noqa: S608
        "DECLARE total bigint; drifted bigint;\n"
        "BEGIN\n"
        f"  SELECT count(*), count(*) FILTER (WHERE {differs}) INTO total, drifted FROM {table};\n"
        f"  IF drifted > {DRIFT_LIMIT} * total THEN\n"
        "    RAISE EXCEPTION 'drift: % of % rows differ; fix the sync and backfill again',\n"
        "      drifted, total;\n"
        "  END IF;\n"
        "END $$;\n"
    )


def _sync(table: str, old: str, new: str, to_new: str, to_old: str) -> str:
    fn = f"{table}_sync_{old}_{new}"
    return (
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        f"    IF NEW.{new} IS NULL THEN NEW.{new} := {to_new};\n"
        f"    ELSIF NEW.{old} IS NULL THEN NEW.{old} := {to_old}; END IF;\n"
        f"  ELSIF NEW.{old} IS DISTINCT FROM OLD.{old}\n"
        f"        AND NEW.{new} IS NOT DISTINCT FROM OLD.{new} THEN\n"
        f"    NEW.{new} := {to_new};\n"
        f"  ELSIF NEW.{new} IS DISTINCT FROM OLD.{new}\n"
        f"        AND NEW.{old} IS NOT DISTINCT FROM OLD.{old} THEN\n"
        f"    NEW.{old} := {to_old};\n"
        "  END IF;\n"
        "  RETURN NEW;\n"
        "END $$;\n" + LOCK_TIMEOUT + f"CREATE TRIGGER {fn} BEFORE INSERT OR UPDATE ON {table}\n"
        f"  FOR EACH ROW EXECUTE FUNCTION {fn}();\n"
    )


def _parallel(  # noqa: PLR0917 - the parts of one column change
    table: str, old: str, new: str, new_type: str, old_type: str, key: str
) -> list[Step]:
    to_new = f"NEW.{old}::{new_type}" if new_type != old_type else f"NEW.{old}"
    to_old = f"NEW.{new}::{old_type}" if new_type != old_type else f"NEW.{new}"
    converted = f"{old}::{new_type}" if new_type != old_type else old
    differs = f"{new} IS DISTINCT FROM {converted}"
    fn = f"{table}_sync_{old}_{new}"
    return [
        Step(
            "expand_add_" + new,
            f"1/6 expand: add {table}.{new} {new_type}, nullable",
            LOCK_TIMEOUT + f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {new} {new_type};\n",
        ),
        Step(
            "dual_write_trigger",
            f"2/6 dual write: a trigger keeps {old} and {new} equal",
            _sync(table, old, new, to_new, to_old),
        ),
        Step(
            "backfill_" + new,
            f"3/6 backfill {new} from {old} in batches",
            _backfill(table, key, f"{new} = {converted}", differs),
        ),
        Step(
            "switch_reads",
            f"4/6 switch reads to {new}: deploy the app reading {new}; this guard stops the "
            "plan while drift exceeds 0.01 %",
            _drift_guard(table, differs),
        ),
        Step(
            "stop_writing_" + old,
            f"5/6 stop writing {old}: drop the sync trigger; {old} becomes optional",
            LOCK_TIMEOUT + f"DROP TRIGGER IF EXISTS {fn} ON {table};\n"
            f"DROP FUNCTION IF EXISTS {fn}();\n"
            f"ALTER TABLE {table} ALTER COLUMN {old} DROP NOT NULL;\n",
        ),
        Step(
            "contract_drop_" + old,
            f"6/6 contract: drop {old} (the one step that is not rollback-safe; run it once "
            "no old instance is left)",
            LOCK_TIMEOUT + f"ALTER TABLE {table} DROP COLUMN IF EXISTS {old};\n",
        ),
    ]


def rename_column(
    table: str, old: str, new: str, column_type: str, *, key: str = "id"
) -> list[Step]:
    """The six steps renaming ``table.old`` to ``new`` without breaking the old version."""
    return _parallel(table, old, _check(new, "NEW"), column_type, column_type, _check(key, "--key"))


def change_type(
    table: str, column: str, new_type: str, old_type: str, *, key: str = "id"
) -> list[Step]:
    """The six steps moving ``table.column`` to ``new_type`` through a ``column_new`` column."""
    return _parallel(table, column, f"{column}_new", new_type, old_type, _check(key, "--key"))


def set_not_null(table: str, column: str, default: str, *, key: str = "id") -> list[Step]:
    """The six steps making ``table.column`` NOT NULL without a long lock or broken inserts."""
    check = f"{table}_{column}_not_null"
    _check(key, "--key")
    return [
        Step(
            "default_" + column,
            f"1/6 default: old inserts without {column} get {default}",
            LOCK_TIMEOUT + f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default};\n",
        ),
        Step(
            "check_not_valid",
            f"2/6 a NOT VALID check: new rows must have {column}",
            LOCK_TIMEOUT + f"ALTER TABLE {table} ADD CONSTRAINT {check}\n"
            f"  CHECK ({column} IS NOT NULL) NOT VALID;\n",
        ),
        Step(
            "backfill_" + column,
            f"3/6 backfill the NULLs of {column} in batches",
            _backfill(table, key, f"{column} = {default}", f"{column} IS NULL"),
        ),
        Step(
            "validate_check",
            "4/6 validate the check (SHARE UPDATE EXCLUSIVE: reads and writes go on)",
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n",
        ),
        Step(
            "set_not_null",
            "5/6 SET NOT NULL: no scan, the validated check proves it (PostgreSQL 12+)",
            LOCK_TIMEOUT + f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;\n",
        ),
        Step(
            "drop_check",
            "6/6 drop the helper check, now redundant",
            LOCK_TIMEOUT + f"ALTER TABLE {table} DROP CONSTRAINT {check};\n",
        ),
    ]


def next_version(directory: Path) -> int:
    """The Flyway version after the highest ``V<n>__`` in ``directory`` (1 when none)."""
    if not directory.is_dir():
        return 1
    found = [int(m[1]) for p in directory.iterdir() if (m := FLYWAY_V.match(p.name))]
    return max(found, default=0) + 1


def write_plan(steps: list[Step], directory: Path, *, start: int, name: str) -> list[Path]:
    """Write the steps as ``V<start+i>__<name>_<i>_<slug>.sql``; never overwrite a file."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for offset, step in enumerate(steps):
        path = directory / f"V{start + offset}__{name}_{offset + 1}_{step.slug}.sql"
        if path.exists():
            raise InputError(f"plan file {str(path)!r} exists already; choose another --out")
        paths.append(path)
    for path, step in zip(paths, steps, strict=True):
        path.write_text(_header(step) + step.sql, encoding="utf-8")
    return paths
