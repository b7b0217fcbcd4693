"""The query index: filled by the append path, caught up from the ledger, never trusted by verify.

SQLite and real PostgreSQL (where the index is partitioned by month).
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.audit.events import entry_bytes
from readiness.audit.query import index
from readiness.audit.query.core import make_filters
from readiness.audit.query.search import search
from readiness.audit.query.tables import audit_index
from readiness.storage import Stores
from tests.audit.query.conftest import Trail, event


def rows(trail: Trail) -> list[tuple[object, ...]]:
    with trail.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(audit_index)
                .where(audit_index.c.log == trail.origin)
                .order_by(audit_index.c.leaf_index)
            )
        ]


def test_the_append_path_indexes_every_event_it_appends(trail: Trail) -> None:
    trail.append([event(n) for n in range(5)])
    assert [row[1] for row in rows(trail)] == [0, 1, 2, 3, 4]
    assert index.behind(trail.engine, trail.origin) == 0
    assert rows(trail)[3][3:] == (
        "usr_0",
        "user",
        "invoice.update",
        "invoice",
        "inv_3",
        "success",
        None,
        None,
    )


def test_events_appended_around_the_index_are_caught_up_once(trail: Trail) -> None:
    trail.append([event(0)])
    trail.ledger.append([entry_bytes(event(n)) for n in range(1, 4)])  # past the indexer
    assert index.behind(trail.engine, trail.origin) == 3
    assert index.catch_up(trail.engine, trail.origin) == 3
    first = rows(trail)
    assert index.catch_up(trail.engine, trail.origin) == 0
    assert rows(trail) == first
    assert [row[1] for row in first] == [0, 1, 2, 3]


def test_a_query_catches_the_index_up_before_it_searches(trail: Trail) -> None:
    trail.ledger.append([entry_bytes(event(n)) for n in range(4)])
    page = trail.reader().query(make_filters(actor_id="usr_1"))
    assert [hit.leaf_index for hit in page.hits] == [1]


def test_reindex_rebuilds_the_same_rows_after_some_were_lost(trail: Trail) -> None:
    trail.append([event(n) for n in range(6)])
    before = rows(trail)
    with trail.engine.begin() as conn:
        conn.execute(audit_index.delete().where(audit_index.c.leaf_index.in_([1, 4])))
    assert index.reindex(trail.engine, trail.origin) == 6
    assert rows(trail) == before


def test_an_entry_that_is_not_an_event_is_skipped_and_the_index_moves_past_it(
    trail: Trail,
) -> None:
    trail.ledger.append([b"not an event", entry_bytes(event(1))])
    assert index.catch_up(trail.engine, trail.origin) == 2
    assert [row[1] for row in rows(trail)] == [1]
    assert index.behind(trail.engine, trail.origin) == 0


def test_a_search_returns_what_the_ledger_says_even_when_the_index_was_edited(
    trail: Trail,
) -> None:
    trail.append([event(0)])
    with trail.engine.begin() as conn:
        conn.execute(audit_index.update().values(target_id="inv_forged"))
    with trail.engine.connect() as conn:
        page = search(
            conn, trail.origin, make_filters(target_type="invoice", target_id="inv_forged")
        )
    assert [hit.event["target_id"] for hit in page.hits] == ["inv_0"]


def test_verify_reads_the_ledger_never_the_index(trail: Trail) -> None:
    trail.append([event(n) for n in range(3)])
    trail.ledger.checkpoint()
    with trail.engine.begin() as conn:
        conn.execute(audit_index.delete())
    report = trail.ledger.verify()
    assert (report.errors, report.size) == ([], 3)


def test_postgresql_partitions_the_index_by_month(trail: Trail, backend: str) -> None:
    if backend != "postgres":
        return  # SQLite has no partitions: one table
    trail.append([event(0), event(24 * 40), event(24 * 70)])  # January, February, March
    with trail.engine.connect() as conn:
        names = index.existing_partitions(conn)
        placed = conn.execute(
            sa.text(
                "SELECT tableoid::regclass::text, leaf_index FROM audit_index WHERE log = :l "
                "ORDER BY leaf_index"
            ),
            {"l": trail.origin},
        ).all()
    assert {
        "audit_index_default",
        "audit_index_y2026m01",
        "audit_index_y2026m02",
        "audit_index_y2026m03",
    } <= names
    assert [tuple(row) for row in placed] == [
        ("audit_index_y2026m01", 0),
        ("audit_index_y2026m02", 1),
        ("audit_index_y2026m03", 2),
    ]


def test_rows_in_the_default_partition_move_when_their_month_is_created(
    stores: Stores, backend: str
) -> None:
    if backend != "postgres":
        return
    trail = Trail(stores)
    try:
        index._known_partitions.clear()
        # A row that landed in the default partition (e.g. written by an older indexer).
        with trail.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_index_default (log, leaf_index, occurred_at, actor_id, "
                    "actor_type, action, target_type, target_id, result) VALUES (:l, 99, "
                    "'2031-05-02 00:00:00+00', 'usr_9', 'user', 'x.y', 'invoice', 'inv_9', "
                    "'success')"
                ),
                {"l": trail.origin},
            )
        assert index.ensure_partitions(trail.engine, [(2031, 5)]) == ["audit_index_y2031m05"]
        with trail.engine.connect() as conn:
            where = conn.execute(
                sa.text("SELECT tableoid::regclass::text FROM audit_index WHERE leaf_index = 99")
            ).scalar_one()
        assert where == "audit_index_y2031m05"
    finally:
        trail.ledger.close()


def test_an_event_of_the_last_month_python_can_bound_stays_in_the_default_partition(
    trail: Trail, backend: str
) -> None:
    trail.append([event(0, occurred_at="9999-12-31T23:59:59Z")])
    with trail.engine.connect() as conn:
        found = conn.execute(
            sa.select(audit_index.c.leaf_index).where(audit_index.c.log == trail.origin)
        ).all()
        if backend == "postgres":
            where = conn.execute(
                sa.text("SELECT tableoid::regclass::text FROM audit_index WHERE log = :l"),
                {"l": trail.origin},
            ).scalar_one()
            assert where == "audit_index_default"
    assert [tuple(row) for row in found] == [(0,)]
