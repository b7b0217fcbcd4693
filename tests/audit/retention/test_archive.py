"""Archiving whole months to Parquet keeps the tree, every proof and verify valid."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from readiness.audit.query.tables import audit_index
from readiness.audit.retention.manifest import list_parts
from readiness.ledger import store
from readiness.ledger.core.merkle import leaf_hash, verify_inclusion
from tests.audit.retention.conftest import Project, parts


def test_months_older_than_the_cutoff_move_to_hive_partitioned_parquet(project: Project) -> None:
    project.fill()
    root_before = project.ledger.root()
    result = project.archiver().run(12)
    assert [(m["month"], m["entries"]) for m in result.months] == [
        ("2025-10", 4),
        ("2025-11", 4),
        ("2025-12", 4),
    ]
    assert parts(project.root) == [
        "year=2025/month=10/part-000000000000-000000000003.parquet",
        "year=2025/month=11/part-000000000004-000000000007.parquet",
        "year=2025/month=12/part-000000000008-000000000011.parquet",
    ]
    assert result.event_leaf == 24
    with project.engine.connect() as conn:
        bodies = [entry for _, entry, _ in store.iter_entries(conn, project.ledger.origin, 0, 13)]
        indexed = conn.scalar(
            sa.select(sa.func.count()).select_from(audit_index).where(audit_index.c.leaf_index < 12)
        )
    assert bodies[:12] == [b""] * 12
    assert bodies[12] != b""
    assert indexed == 0
    # The tree is the same tree: the root of the 24 events before is the root of 24 now.
    assert project.ledger.root(24) == root_before
    assert project.verify() == ([], [])


def test_an_archived_event_still_proves_against_a_checkpoint(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    checkpoint = project.ledger.checkpoint()
    proof = project.ledger.prove_inclusion(5, checkpoint.size)
    [part] = [p for p in list_parts_of(project) if p.month == (2025, 11)]
    import pyarrow.parquet as pq

    table = pq.read_table(part.path).to_pydict()
    entry = table["entry"][table["leaf_index"].index(5)]
    assert leaf_hash(entry) == proof.leaf_hash
    verify_inclusion(5, checkpoint.size, leaf_hash(entry), list(proof.path), checkpoint.root)


def list_parts_of(project: Project) -> list:  # type: ignore[type-arg]
    with project.engine.connect() as conn:
        return list_parts(conn, project.ledger.origin)


def test_a_second_run_archives_nothing_and_records_no_event(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    again = project.archiver().run(12)
    assert (again.months, again.event_leaf) == ([], None)


def test_a_dry_run_changes_nothing(project: Project) -> None:
    project.fill()
    result = project.archiver().run(12, dry_run=True)
    assert [(m["month"], m["entries"]) for m in result.months] == [
        ("2025-10", 4),
        ("2025-11", 4),
        ("2025-12", 4),
    ]
    assert parts(project.root) == []
    assert project.ledger.size() == 24


def test_a_large_month_is_written_as_several_parts(project: Project) -> None:
    project.fill()
    result = project.archiver(part_rows=3).run(12)
    assert [(m["month"], m["entries"]) for m in result.months] == [
        ("2025-10", 3),
        ("2025-10", 1),
        ("2025-11", 3),
        ("2025-11", 1),
        ("2025-12", 3),
        ("2025-12", 1),
    ]
    assert parts(project.root)[:2] == [
        "year=2025/month=10/part-000000000000-000000000002.parquet",
        "year=2025/month=10/part-000000000003-000000000003.parquet",
    ]
    assert project.verify() == ([], [])


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgresql_drops_the_emptied_month_partitions_of_the_index(project: Project) -> None:
    from readiness.audit.query.index import existing_partitions

    project.fill()
    with project.engine.connect() as conn:
        before = existing_partitions(conn)
    project.archiver().run(12)
    with project.engine.connect() as conn:
        after = existing_partitions(conn)
    assert before - after == {
        "audit_index_y2025m10",
        "audit_index_y2025m11",
        "audit_index_y2025m12",
    }
