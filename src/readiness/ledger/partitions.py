"""Month partitions of ``ledger_entries`` on PostgreSQL (audit revision ``0010_entry_partitions``).

PostgreSQL refuses a primary key on a partitioned table that leaves out a partition column, so
the table is partitioned ``BY RANGE (log, leaf_index)`` with each log's leaves cut at month
boundaries (of ``appended_at``, UTC): a month's partition holds the leaves
``FROM (log, first leaf of the month) TO (log, first leaf of the next month)``, the log's open
partition (the newest month) ``TO (log, MAXVALUE)``. ``ledger_entry_partitions`` maps each
``(log, first_leaf)`` to its month, partition name and state (``hot``: entries with their
bodies; ``hashes``: an archived month whose bodies left for Parquet, replaced by a compact
partition of the same leaves with empty bodies and their leaf hashes, which every proof,
root and ``verify`` still read; a body not archived yet, of a younger month's event, is kept
there until its own month is archived).

The roll-over of a large open partition does not scan it under the log's write lock.
Re-bounding the open partition ``TO (log, C)`` needs PostgreSQL to know that no row reaches
``C``: it scans the partition when it attaches it, unless a *valid* ``CHECK`` constraint says
so. So it happens in three steps (each crash-safe: the catalog holds the state):

1. **Cut.** The first batch of a new month, at leaves ``[N, E)``, under the lock: the open
   partition gets ``CHECK (log = .. AND leaf_index >= first AND leaf_index < C) NOT VALID``
   named ``<partition>_cut`` (no scan, instant), ``C = E +`` :data:`CUT_MARGIN`, the batch
   goes into the open partition as before.
2. **Validate**, outside the lock (the sequencer's validator thread, :func:`validate_cut`):
   ``VALIDATE CONSTRAINT`` scans the partition under ``SHARE UPDATE EXCLUSIVE``, which
   neither appends (``ROW EXCLUSIVE``) nor reads wait for. The log's batches go on into the
   open partition meanwhile: the constraint admits every leaf below ``C``.
3. **Finish.** The first batch after the validation, under the lock: the partition is
   detached and re-attached ``TO (log, C)`` (the valid constraint implies the bound: no scan)
   and the new month's partition is created ``FROM (log, C) TO (log, MAXVALUE)``.

So the first up to ``C - N`` leaves of a month stay in the previous month's partition (the
leaves appended while the validation ran, plus the margin). A batch that would reach ``C``
before the validation finished validates in its own transaction first (the old scan under
the lock: only when the margin was too small for the log's rate). A small open partition
(:data:`EXACT_CUT_ROWS`) and a bulk import (:func:`ensure_month` without a batch end) are cut
exactly at ``N`` that way at once. SQLite keeps one table
(every function here is a no-op there).

Every partition carries the append-only guard: the row trigger of the parent is cloned by
PostgreSQL, the ``TRUNCATE`` trigger (a statement trigger, not cloned) is created here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness.storage.metadata import audit_metadata

HOT = "hot"
HASHES = "hashes"
Month = tuple[int, int]
CUT_MARGIN = 1 << 16
"""Leaves a month's first batch leaves room for in the previous month's partition while that
partition's cut is validated (about 0.5 s of appends at 139k entries/s: a validation of a
month of several million rows takes longer and the log's batches then validate in line)."""
EXACT_CUT_ROWS = 100_000
"""An open partition of at most this many leaves is cut exactly at the month's first leaf, its
one scan in the batch (a few tens of ms); a larger one takes the three steps."""

ledger_entry_partitions = sa.Table(
    "ledger_entry_partitions",
    audit_metadata,
    sa.Column("log", sa.String(200), primary_key=True),
    sa.Column("first_leaf", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("year", sa.SmallInteger(), nullable=False),
    sa.Column("month", sa.SmallInteger(), nullable=False),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class Opened(NamedTuple):
    """The open partition's month after :func:`ensure_month`, and whether a cut is under way
    on it (its batches then go through :func:`ensure_month` until the roll-over finished)."""

    month: Month
    cut_pending: bool


@dataclass(frozen=True)
class Cut:
    """A roll-over under way: the open partition will end at leaf ``end``; ``valid`` once
    PostgreSQL checked every row of it."""

    name: str
    end: int
    valid: bool


@dataclass(frozen=True)
class EntryPartition:
    """One month of one log: its leaves ``[first_leaf, end)`` (``end`` None: the open one)."""

    log: str
    first_leaf: int
    end: int | None
    month: Month
    name: str
    state: str


def partition_name(log: str, month: Month, *, suffix: str = "") -> str:
    """``ledger_entries_<12 hex of the log's SHA-256>_yYYYYmMM`` (log names are free text)."""
    digest = hashlib.sha256(log.encode()).hexdigest()[:12]
    return f"ledger_entries_{digest}_y{month[0]:04d}m{month[1]:02d}{suffix}"


def is_partitioned(conn: Connection) -> bool:
    """Whether ``ledger_entries`` is a partitioned table (PostgreSQL after 0010)."""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass('ledger_entries')")
    ).scalar()
    return kind == "p"


def list_partitions(conn: Connection, log: str) -> list[EntryPartition]:
    """The partitions of ``log``, oldest first."""
    p = ledger_entry_partitions.c
    rows = conn.execute(
        sa.select(p.first_leaf, p.year, p.month, p.name, p.state)
        .where(p.log == log)
        .order_by(p.first_leaf)
    ).all()
    out: list[EntryPartition] = []
    for position, row in enumerate(rows):
        end = int(rows[position + 1].first_leaf) if position + 1 < len(rows) else None
        out.append(
            EntryPartition(
                log,
                int(row.first_leaf),
                end,
                (int(row.year), int(row.month)),
                str(row.name),
                str(row.state),
            )
        )
    return out


def month_of(at: datetime) -> Month:
    return at.year, at.month


def ensure_month(  # noqa: PLR0917 - the batch's position and time
    conn: Connection,
    log: str,
    month: Month,
    size: int,
    at: datetime,
    end: int | None = None,
    *,
    margin: int = CUT_MARGIN,
    exact_below: int = EXACT_CUT_ROWS,
) -> Opened:
    """Under the log's write lock, before leaves ``[size, end)`` appended at ``at`` (of
    ``month``) are inserted: make sure they have a partition, rolling the open partition of
    ``log`` over when ``month`` is a new one (see the module). The open partition after: still
    the old one while its cut waits for validation. A clock that went back (an older
    month) keeps the open partition. ``end`` None (the batch's end is not known) or an open
    partition of at most ``exact_below`` leaves: it is cut at ``size`` at once, validated in
    this transaction."""
    parts = list_partitions(conn, log)
    cut: Cut | None = None
    if parts and parts[-1].month >= month:  # this month's partition, or the clock went back
        cut = pending_cut(conn, parts[-1])
        if cut is None or (end is not None and end <= cut.end):
            return Opened(parts[-1].month, cut_pending=cut is not None)
        # A cut is under way and this batch would pass it: finish the roll-over now, into the
        # month after the open partition's (the one whose first batch made the cut).
        month = _next_month(parts[-1].month)
    elif parts and parts[-1].first_leaf >= size:
        # The open partition holds no leaf (nothing was inserted since it was made): it
        # becomes this month's, under its new name.
        last = parts[-1]
        _execute(
            conn, "ALTER TABLE {old} RENAME TO {new}", old=last.name, new=partition_name(log, month)
        )
        _rename_trigger(conn, partition_name(log, month), last.name)
        conn.execute(
            ledger_entry_partitions.update()
            .where(
                ledger_entry_partitions.c.log == log,
                ledger_entry_partitions.c.first_leaf == last.first_leaf,
            )
            .values(year=month[0], month=month[1], name=partition_name(log, month))
        )
        return Opened(month, cut_pending=False)
    if not parts:
        _create(conn, log, month, 0, at)
        return Opened(month, cut_pending=False)
    last = parts[-1]
    cut = cut or pending_cut(conn, last)
    if cut is None:
        exact = end is None or size - last.first_leaf <= exact_below
        cut = _add_cut(conn, last, size if exact or end is None else end + margin)
    if not cut.valid and (end is None or end > cut.end):
        _validate(conn, last, cut)  # in line: the margin did not cover the validation
        cut = Cut(cut.name, cut.end, valid=True)
    if not cut.valid:  # the validator thread checks the cut; leaves go on below it
        return Opened(last.month, cut_pending=True)
    _execute(conn, "ALTER TABLE ledger_entries DETACH PARTITION {name}", name=last.name)
    _execute(
        conn,
        "ALTER TABLE ledger_entries ATTACH PARTITION {name} FOR VALUES FROM ({log}, {first}) "
        "TO ({log}, {end})",
        name=last.name,
        log=log,
        first=last.first_leaf,
        end=cut.end,
    )  # implied by the valid cut constraint: no scan
    _create(conn, log, month, cut.end, at)
    return Opened(month, cut_pending=False)


def _next_month(month: Month) -> Month:
    return (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)


def _create(conn: Connection, log: str, month: Month, first: int, at: datetime) -> None:
    """The open partition of ``log`` for ``month``, from leaf ``first`` on."""
    name = partition_name(log, month)
    _execute(
        conn,
        "CREATE TABLE {name} PARTITION OF ledger_entries FOR VALUES FROM ({log}, {first}) "
        "TO ({log}, MAXVALUE)",
        name=name,
        log=log,
        first=first,
    )
    guard(conn, name)
    conn.execute(
        ledger_entry_partitions.insert().values(
            log=log,
            first_leaf=first,
            year=month[0],
            month=month[1],
            name=name,
            state=HOT,
            created_at=at,
        )
    )


def cut_name(partition: str) -> str:
    """The name of the cut constraint of a partition."""
    return f"{partition}_cut"[:63]


def pending_cut(conn: Connection, part: EntryPartition) -> Cut | None:
    """The cut constraint of the open partition ``part`` (None: no roll-over under way)."""
    row = conn.execute(
        sa.text(
            "SELECT convalidated, obj_description(oid, 'pg_constraint') FROM pg_constraint "
            "WHERE conrelid = to_regclass(quote_ident(:table)) AND conname = :name"
        ),
        {"table": part.name, "name": cut_name(part.name)},
    ).first()
    if row is None:
        return None
    return Cut(cut_name(part.name), int(row[1]), valid=bool(row[0]))


def _add_cut(conn: Connection, part: EntryPartition, end: int) -> Cut:
    name = cut_name(part.name)
    _execute(
        conn,
        "ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (log = {log} AND "
        "leaf_index >= {first} AND leaf_index < {end}) NOT VALID",
        table=part.name,
        name=name,
        log=part.log,
        first=part.first_leaf,
        end=end,
    )
    # The bound, for the roll-over's last step (a comment: no parsing of the expression).
    _execute(
        conn,
        "COMMENT ON CONSTRAINT {name} ON {table} IS {end}",
        name=name,
        table=part.name,
        end=str(end),
    )
    return Cut(name, end, valid=False)


def _validate(conn: Connection, part: EntryPartition, cut: Cut) -> None:
    _execute(conn, "ALTER TABLE {table} VALIDATE CONSTRAINT {name}", table=part.name, name=cut.name)


def validate_cut(conn: Connection, log: str) -> bool:
    """Outside the log's write lock: check the rows of the open partition of ``log`` against
    its cut (``SHARE UPDATE EXCLUSIVE``: appends and reads go on); whether there was one to
    check. The roll-over then finishes in the log's next batch."""
    if not is_partitioned(conn):
        return False
    parts = list_partitions(conn, log)
    cut = pending_cut(conn, parts[-1]) if parts else None
    if cut is None or cut.valid:
        return False
    _validate(conn, parts[-1], cut)
    return True


def guard(conn: Connection, name: str) -> None:
    """The ``TRUNCATE`` trigger of a partition (the row trigger is the parent's, cloned)."""
    _execute(
        conn,
        "CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {name} FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_append_only()",
        trigger=f"{name}_no_truncate"[:63],
        name=name,
    )


def _rename_trigger(conn: Connection, table: str, old: str) -> None:
    _execute(
        conn,
        "ALTER TRIGGER {old} ON {table} RENAME TO {new}",
        old=f"{old}_no_truncate"[:63],
        table=table,
        new=f"{table}_no_truncate"[:63],
    )


def compact_archived(conn: Connection, log: str) -> list[EntryPartition]:
    """Replace every closed ``hot`` partition of ``log`` whose bodies were at least half
    archived (blank) by a compact partition of its live rows: leaf hashes with empty bodies,
    and the bodies not archived yet (events of a younger month appended in this one, which
    its own archive run blanks later, wherever they are); the month's partition, with the dead
    row versions the blanking left, is detached and dropped. Proofs, roots and ``verify`` read
    the same rows as before. The partitions replaced."""
    done: list[EntryPartition] = []
    for part in list_partitions(conn, log):
        if part.state != HOT or part.end is None:
            continue
        kept, rows = conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE length(entry) > 0), count(*) "  # noqa: S608 - a quoted identifier
                f"FROM {_ident(part.name)}"
            )
        ).one()
        if 2 * int(kept) > int(rows):  # mostly hot still: nothing much to reclaim yet
            continue
        swap = partition_name(log, part.month, suffix="_h")
        _execute(
            conn,
            "CREATE TABLE {swap} (LIKE ledger_entries INCLUDING DEFAULTS, "
            "CONSTRAINT {check} CHECK (log = {log} AND leaf_index >= {first} "
            "AND leaf_index < {end}))",
            swap=swap,
            check=f"{swap}_bound"[:63],
            log=log,
            first=part.first_leaf,
            end=part.end,
        )
        _execute(
            conn,
            "INSERT INTO {swap} (log, leaf_index, entry, leaf_hash, appended_at) "
            "SELECT log, leaf_index, entry, leaf_hash, appended_at FROM {name} "
            "ORDER BY leaf_index",
            swap=swap,
            name=part.name,
        )
        _execute(conn, "ALTER TABLE ledger_entries DETACH PARTITION {name}", name=part.name)
        _execute(conn, "DROP TABLE {name}", name=part.name)
        _execute(conn, "ALTER TABLE {swap} ADD PRIMARY KEY (log, leaf_index)", swap=swap)
        _execute(
            conn,
            "ALTER TABLE ledger_entries ATTACH PARTITION {swap} FOR VALUES "
            "FROM ({log}, {first}) TO ({log}, {end})",
            swap=swap,
            log=log,
            first=part.first_leaf,
            end=part.end,
        )
        guard(conn, swap)
        conn.execute(
            ledger_entry_partitions.update()
            .where(
                ledger_entry_partitions.c.log == log,
                ledger_entry_partitions.c.first_leaf == part.first_leaf,
            )
            .values(name=swap, state=HASHES)
        )
        done.append(part)
    return done


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str | int) -> str:
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def _execute(conn: Connection, template: str, **names: str | int) -> None:
    """DDL (which takes no parameters): ``log`` and integers as literals, the rest as quoted
    identifiers."""
    values = {
        key: _literal(value) if key in {"log", "first", "end"} else _ident(str(value))
        for key, value in names.items()
    }
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(template.format(**values))  # no parameters: nothing is interpolated
