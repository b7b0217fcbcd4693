"""Archiving whole months to Parquet keeps the tree, every proof and verify valid."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness.audit.query.core import make_filters
from readiness.audit.query.service import TrailReader
from readiness.audit.query.tables import audit_index
from readiness.audit.retention.manifest import list_parts
from readiness.audit.retention.tables import audit_archives
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
        return list_parts(conn, project.ledger.origin, project.root.resolve())


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


def test_the_manifest_names_files_relative_to_the_archive_dir_which_can_move(
    project: Project, tmp_path: Path
) -> None:
    project.fill()
    project.archiver().run(12)
    with project.engine.connect() as conn:
        stored = [str(p) for p in conn.scalars(sa.select(audit_archives.c.path))]
    assert stored == [
        "year=2025/month=10/part-000000000000-000000000003.parquet",
        "year=2025/month=11/part-000000000004-000000000007.parquet",
        "year=2025/month=12/part-000000000008-000000000011.parquet",
    ]
    moved = tmp_path / "elsewhere" / "archive"
    moved.parent.mkdir()
    shutil.move(project.root, moved)
    project.settings.audit.retention.archive_dir = str(moved)
    assert project.verify() == ([], [])
    page = TrailReader(
        project.engine, project.ledger, project.clock, actor="auditor_1", archive_root=moved
    ).query(make_filters(target_type="invoice", until="2025-11-01"))
    assert [hit.leaf_index for hit in page.hits] == [3, 2, 1, 0]


def test_a_manifest_written_with_absolute_paths_is_still_read(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    with project.engine.begin() as conn:  # as revision 0009's archive runs wrote them
        for part_id, path in conn.execute(sa.select(audit_archives.c.id, audit_archives.c.path)):
            conn.execute(
                audit_archives.update()
                .where(audit_archives.c.id == part_id)
                .values(path=str(project.root.resolve() / path))
            )
    assert project.verify() == ([], [])
    assert list_parts_of(project)[0].path == (
        project.root.resolve() / "year=2025/month=10/part-000000000000-000000000003.parquet"
    )
