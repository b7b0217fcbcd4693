"""PostgreSQL: ``audit archive`` drops the month partitions of ``ledger_entries`` whose bodies
all left for Parquet; proofs, consistency, queries and ``verify`` still hold for their leaves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from readiness.audit.query.core import make_filters
from readiness.audit.query.service import TrailReader
from readiness.audit.trail import append_events
from readiness.ledger import partitions, store
from readiness.ledger.core.merkle import verify_consistency, verify_inclusion
from tests.audit.retention.conftest import MONTHS, Project, event


def fill_as_appended(project: Project) -> None:
    """Four events per month, each appended in the month it occurred (so the append months,
    the entry partitions, match the event months)."""
    n = 0
    for year, month in MONTHS:
        at = datetime(year, month, 2, 10, tzinfo=UTC)
        project.clock.set(at)
        append_events(project.ledger, project.engine, [event(n + i, at) for i in range(4)])
        n += 4
    project.clock.set(datetime(2027, 1, 15, 12, tzinfo=UTC))


def layout(project: Project) -> list[tuple[int, int | None, tuple[int, int], str]]:
    with project.engine.connect() as conn:
        return [
            (p.first_leaf, p.end, p.month, p.state)
            for p in partitions.list_partitions(conn, project.ledger.origin)
        ]


def tables(project: Project) -> set[str]:
    with project.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass('ledger_entries')"
            )
        )
        return {str(name) for (name,) in rows}


@pytest.mark.parametrize("backend", ["postgres"])
def test_archive_drops_the_archived_month_partitions_and_every_proof_still_holds(
    project: Project,
) -> None:
    fill_as_appended(project)
    origin = project.ledger.origin
    old = project.ledger.checkpoint()
    root_before = project.ledger.root(24)
    assert [first for first, *_ in layout(project)] == [0, 4, 8, 12, 16, 20]
    hot_names = tables(project)

    result = project.archiver().run(12)

    assert result.as_dict()["partitions_dropped"] == [
        partitions.partition_name(origin, (2025, m)) for m in (10, 11, 12)
    ]
    assert layout(project) == [
        (0, 4, (2025, 10), "hashes"),
        (4, 8, (2025, 11), "hashes"),
        (8, 12, (2025, 12), "hashes"),
        (12, 16, (2026, 1), "hot"),
        (16, 20, (2026, 2), "hot"),
        (20, 24, (2026, 3), "hot"),
        (24, None, (2027, 1), "hot"),  # the archive run's own event
    ]
    assert hot_names - tables(project) == {
        partitions.partition_name(origin, (2025, m)) for m in (10, 11, 12)
    }
    with project.engine.connect() as conn:
        kept = [(i, e, h) for i, e, h in store.iter_entries(conn, origin, 0, 12)]
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), conn.begin():
            conn.exec_driver_sql(
                f'DELETE FROM "{partitions.partition_name(origin, (2025, 11), suffix="_h")}"'
            )
    assert [i for i, _, _ in kept] == list(range(12))
    assert {e for _, e, _ in kept} == {b""}
    assert project.ledger.root(24) == root_before
    new = project.ledger.checkpoint()
    proof = project.ledger.prove_inclusion(5, new.size)
    verify_inclusion(5, new.size, kept[5][2], list(proof.path), new.root)
    verify_consistency(
        old.size, new.size, old.root, new.root, project.ledger.prove_consistency(old.size, new.size)
    )
    assert project.verify() == ([], [])
    page = TrailReader(
        project.engine,
        project.ledger,
        project.clock,
        actor="auditor_1",
        archive_root=project.root.resolve(),
    ).query(make_filters(target_type="invoice", until="2025-12-01"))
    assert [hit.leaf_index for hit in page.hits] == [7, 6, 5, 4, 3, 2, 1, 0]
    # A second run changes nothing more.
    assert project.archiver().run(12).as_dict()["partitions_dropped"] == []


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_month_partition_holding_a_younger_event_is_compacted_with_that_body_kept(
    project: Project,
) -> None:
    # November 2025's appends carry an event of March 2026 (younger than the cutoff): its body
    # stays hot, in November's compact partition, until March is archived; the other three
    # of November's bodies went to Parquet, so the partition is compacted with the rest.
    n = 0
    for year, month in MONTHS[:3]:
        at = datetime(year, month, 2, 10, tzinfo=UTC)
        project.clock.set(at)
        batch = [event(n + i, at) for i in range(4)]
        if month == 11:
            batch[2] = event(n + 2, datetime(2026, 3, 9, tzinfo=UTC))
        append_events(project.ledger, project.engine, batch)
        n += 4
    project.clock.set(datetime(2026, 1, 3, tzinfo=UTC))
    append_events(project.ledger, project.engine, [event(12, datetime(2026, 1, 3, tzinfo=UTC))])
    project.clock.set(datetime(2027, 1, 15, 12, tzinfo=UTC))
    younger = _body(project, 6)

    result = project.archiver().run(12)

    assert result.entries == 11
    assert layout(project) == [
        (0, 4, (2025, 10), "hashes"),
        (4, 8, (2025, 11), "hashes"),
        (8, 12, (2025, 12), "hashes"),
        (12, 13, (2026, 1), "hot"),
        (13, None, (2027, 1), "hot"),
    ]
    assert younger
    assert _body(project, 6) == younger  # in the compact partition, as appended
    assert [leaf for leaf in range(4, 8) if _body(project, leaf)] == [6]
    assert project.verify() == ([], [])

    # March 2026 archived a year later: the body leaves the compact partition too.
    project.clock.set(datetime(2027, 4, 15, 12, tzinfo=UTC))
    assert project.archiver().run(12).entries == 2  # leaf 6 (March) and leaf 12 (January)
    assert [leaf for leaf in range(13) if _body(project, leaf)] == []
    assert project.verify() == ([], [])


def _body(project: Project, leaf: int) -> bytes:
    with project.engine.connect() as conn:
        [(_, entry, _)] = store.iter_entries(conn, project.ledger.origin, leaf, leaf + 1)
    return entry
