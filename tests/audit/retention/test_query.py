"""Queries, timelines and exports answer the same before and after months are archived."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from readiness.audit.query.core import make_filters
from readiness.audit.query.export import verify_rows
from readiness.audit.query.service import TrailReader
from readiness.errors import StorageError
from tests.audit.retention.conftest import Project


def reader(project: Project) -> TrailReader:
    return TrailReader(
        project.engine,
        project.ledger,
        project.clock,
        actor="auditor_1",
        archive_root=project.root.resolve(),
    )


def pages(project: Project, **filters: Any) -> list[list[tuple[int, str, bytes]]]:
    """Every page of a search, 3 hits a page: (leaf, occurred_at, entry) of each hit."""
    out: list[list[tuple[int, str, bytes]]] = []
    cursor = None
    while True:
        page = reader(project).query(make_filters(limit=3, cursor=cursor, **filters))
        out.append([(h.leaf_index, h.occurred_at.isoformat(), h.entry) for h in page.hits])
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


QUERIES: list[dict[str, Any]] = [
    {"target_type": "invoice"},
    {"actor_id": "usr_1"},
    {"target_type": "invoice", "target_id": "inv_2"},
    {"action": "invoice.*", "since": "2025-11-08", "until": "2026-02-01"},
    {"action": "invoice.view", "result": "success"},
]


def answers(project: Project) -> dict[str, Any]:
    timeline = reader(project).timeline("invoice", "inv_1", reconstruct=True)
    as_of = reader(project).timeline("invoice", "inv_3", as_of=datetime(2025, 12, 31, tzinfo=UTC))
    prepared = reader(project).export(make_filters(target_type="invoice", limit=1000), "jsonl")
    rows = list(prepared.rows())
    return {
        "searches": [pages(project, **q) for q in QUERIES],
        "timeline": [(h.leaf_index, h.entry) for h in timeline.hits],
        "state": None if timeline.as_of is None else timeline.as_of.state,
        "as_of": [(h.leaf_index, h.entry) for h in as_of.hits],
        "as_of_state": None if as_of.as_of is None else as_of.as_of.state,
        "export": [(r["leaf_index"], r["entry"], r["leaf_hash"]) for r in rows],
        "export_count": prepared.count,
        "export_verified": verify_rows(
            prepared.checkpoint.note, rows, project.ledger.verifier.vkey
        ).rows,
    }


def test_every_query_answers_the_same_after_archiving(project: Project) -> None:
    project.fill()
    before = answers(project)
    assert project.archiver().run(12).entries == 12
    after = answers(project)
    assert after == before
    assert before["export_count"] == before["export_verified"] == 24
    assert len(before["timeline"]) == 6
    assert sum(len(page) for page in before["searches"][0]) == 24


def test_a_missing_archived_file_makes_a_query_fail_not_shrink(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    path = project.root / "year=2025/month=10/part-000000000000-000000000003.parquet"
    path.unlink()
    with pytest.raises(StorageError) as raised:
        reader(project).query(make_filters(target_type="invoice"))
    assert str(raised.value) == (
        f"the archived audit file {path} is missing; run `readiness audit verify`"
    )


def test_a_full_reindex_after_archiving_keeps_the_answers(project: Project) -> None:
    project.fill()
    before = answers(project)
    project.archiver().run(12)
    assert reader(project).reindex(full=True) == project.ledger.size()
    assert answers(project) == before
