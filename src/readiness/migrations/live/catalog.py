"""What the catalog says about the user's schema: tables to fill, a comparable schema dump,
the files behind each table (a changed relfilenode is a rewrite) and the locks a session holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

USER_SCHEMAS = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
    "AND n.nspname NOT LIKE 'pg_temp%%'"
)


def _user(query: str) -> str:
    """``query`` with its ``{USER_SCHEMAS}`` marker replaced by the user-schema filter."""
    return query.replace("{USER_SCHEMAS}", USER_SCHEMAS)


@dataclass(frozen=True)
class Column:
    """A column data can be generated for."""

    name: str
    type: str  # format_type: "character varying(20)", "numeric(10,2)", "integer[]", ...
    category: str  # pg_type.typcategory
    base: str  # the base type's name: int4, text, my_enum, ...
    nullable: bool
    skip: bool  # identity, generated, or a nextval() default: the database fills it
    unique: bool
    enum_labels: tuple[str, ...] = ()
    references: tuple[str, str] | None = None  # (qualified table, column) of a one-column FK


@dataclass(frozen=True)
class Table:
    """A user table, schema-qualified and quoted, with its columns."""

    qualified: str
    columns: tuple[Column, ...]


_TABLES = _user("""
SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER_SCHEMAS}
ORDER BY n.nspname, c.relname
""")
_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory,
       coalesce(bt.typname, t.typname), NOT a.attnotnull,
       a.attidentity <> '' OR a.attgenerated <> ''
         OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%%',
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
               AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum),
       coalesce((SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
                 WHERE e.enumtypid = a.atttypid), '{}'),
       (SELECT quote_ident(fn.nspname) || '.' || quote_ident(fc.relname) || '|' || fa.attname
          FROM pg_constraint f JOIN pg_class fc ON fc.oid = f.confrelid
          JOIN pg_namespace fn ON fn.oid = fc.relnamespace
          JOIN pg_attribute fa ON fa.attrelid = f.confrelid AND fa.attnum = f.confkey[1]
         WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND cardinality(f.conkey) = 1
           AND f.conkey[1] = a.attnum LIMIT 1)
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype AND t.typtype = 'd'
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_DEPENDS = _user("""
SELECT DISTINCT f.conrelid, f.confrelid FROM pg_constraint f
JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE f.contype = 'f' AND f.conrelid <> f.confrelid AND {USER_SCHEMAS}
""")


def user_tables(conn: psycopg.Connection) -> list[Table]:
    """User tables, parents (referenced by foreign keys) before children."""
    rows = conn.execute(_TABLES).fetchall()
    deps: dict[int, set[int]] = {oid: set() for oid, _ in rows}
    for child, parent in conn.execute(_DEPENDS).fetchall():
        if child in deps and parent in deps:
            deps[child].add(parent)
    order: list[int] = []
    while deps:
        ready = sorted(oid for oid, parents in deps.items() if not parents - set(order))
        if not ready:  # a cycle: fill the rest in name order, FKs may stay NULL
            ready = sorted(deps)
        for oid in ready:
            order.append(oid)
            deps.pop(oid)
    names = {oid: str(name) for oid, name in rows}
    return [Table(names[oid], _columns(conn, oid)) for oid in order]


def _columns(conn: psycopg.Connection, oid: int) -> tuple[Column, ...]:
    out = []
    for name, typ, cat, base, nullable, skip, unique, labels, ref in conn.execute(_COLUMNS, (oid,)):
        reference = None
        if ref:
            table, column = ref.split("|", 1)
            reference = (table, column)
        out.append(Column(name, typ, cat, base, nullable, skip, unique, tuple(labels), reference))
    return tuple(out)


_DUMP_COLUMNS = _user("""
SELECT n.nspname || '.' || c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END
       || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped AND {USER_SCHEMAS}
""")
_DUMP_CONSTRAINTS = _user("""
SELECT n.nspname || '.' || c.relname || '.' || k.conname,
       pg_get_constraintdef(k.oid) || CASE WHEN k.convalidated THEN '' ELSE ' NOT VALID' END
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMAS}
""")
_DUMP_INDEXES = _user("""
SELECT n.nspname || '.' || c.relname, pg_get_indexdef(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('i', 'I') AND {USER_SCHEMAS}
""")
_DUMP_OTHER = _user("""
SELECT 'trigger ' || t.tgname || ' on ' || c.relname, pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND {USER_SCHEMAS}
UNION ALL
SELECT 'relation ' || n.nspname || '.' || c.relname, c.relkind::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND {USER_SCHEMAS}
""")


def schema_dump(conn: psycopg.Connection) -> dict[str, str]:
    """Columns (type, NOT NULL, default), constraints, indexes, triggers and relations."""
    dump: dict[str, str] = {}
    for prefix, query in (
        ("column ", _DUMP_COLUMNS),
        ("constraint ", _DUMP_CONSTRAINTS),
        ("index ", _DUMP_INDEXES),
        ("", _DUMP_OTHER),
    ):
        for key, value in conn.execute(query):
            dump[prefix + key] = value
    return dict(sorted(dump.items()))


def schema_differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable differences between two dumps, sorted."""
    out = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            out.append(f"missing {key}: {before[key]}")
        elif key not in before:
            out.append(f"extra {key}: {after[key]}")
        elif before[key] != after[key]:
            out.append(f"changed {key}: {before[key]} -> {after[key]}")
    return out


_FILES = _user("""
SELECT c.oid, n.nspname || '.' || c.relname, c.relfilenode FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND {USER_SCHEMAS}
""")


def relation_files(conn: psycopg.Connection) -> dict[int, tuple[str, int]]:
    """Each user table's oid -> (name, relfilenode)."""
    return {oid: (name, node) for oid, name, node in conn.execute(_FILES)}


def rewritten(before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]) -> list[str]:
    """Tables present before and after whose file changed: the statement rewrote them."""
    return sorted(
        after[oid][0] for oid in before.keys() & after.keys() if before[oid][1] != after[oid][1]
    )


_LOCKS = _user("""
SELECT n.nspname || '.' || c.relname, l.mode FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = %s AND l.locktype = 'relation' AND l.granted AND c.relkind IN ('r', 'p', 'm')
  AND {USER_SCHEMAS}
""")
LOCK_STRENGTH = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)


def held_locks(conn: psycopg.Connection, pid: int) -> list[tuple[str, str]]:
    """(table, mode) pairs the backend ``pid`` holds on user tables."""
    rows: list[Any] = conn.execute(_LOCKS, (pid,)).fetchall()
    return [(str(name), str(mode)) for name, mode in rows]


def strongest_locks(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The strongest mode held per table, sorted by table."""
    best: dict[str, str] = {}
    for table, mode in pairs:
        rank = LOCK_STRENGTH.index(mode) if mode in LOCK_STRENGTH else -1
        if table not in best or rank > LOCK_STRENGTH.index(best[table]):
            best[table] = mode
    return dict(sorted(best.items()))
