"""A crash between any two steps of an archive is finished by the next run; a missing or
edited archive file is an error of verify, never passed silently."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from readiness.audit.retention.archive import STEPS
from readiness.audit.retention.manifest import list_parts
from readiness.audit.retention.tables import ARCHIVED
from readiness.errors import ConflictError
from readiness.ledger import store
from tests.audit.retention.conftest import Project, parts


class Crash(Exception):
    pass


def crash_at(name: str, nth: int = 1):  # type: ignore[no-untyped-def]
    seen = {"n": 0}

    def step(step: str) -> None:
        if step == name:
            seen["n"] += 1
            if seen["n"] == nth:
                raise Crash(step)

    return step


def archived_entries(project: Project) -> list[tuple[int, str]]:
    """Every archived leaf and the month of its part, from the manifest."""
    with project.engine.connect() as conn:
        found = [
            (i, f"{p.month[0]}-{p.month[1]:02d}")
            for p in list_parts(conn, project.ledger.origin, project.root.resolve())
            for a, b in p.ranges
            for i in range(a, b)
        ]
    return sorted(found)


def archive_events(project: Project) -> list[dict[str, object]]:
    with project.engine.connect() as conn:
        size = store.stored_size(conn, project.ledger.origin)
        rows = list(store.iter_entries(conn, project.ledger.origin, 24, size))
    return [e for _, entry, _ in rows if (e := json.loads(entry))["action"] == "audit.archive"]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("nth", [1, 2])
def test_a_crash_after_any_step_is_finished_by_the_next_run(
    project: Project, step: str, nth: int
) -> None:
    project.fill()
    with pytest.raises(Crash):
        project.archiver(step=crash_at(step, nth)).run(12)
    project.archiver().run(12)
    assert parts(project.root) == [
        "year=2025/month=10/part-000000000000-000000000003.parquet",
        "year=2025/month=11/part-000000000004-000000000007.parquet",
        "year=2025/month=12/part-000000000008-000000000011.parquet",
    ]
    expected = [(i, ["2025-10", "2025-11", "2025-12"][i // 4]) for i in range(12)]
    assert archived_entries(project) == expected  # nothing lost, nothing twice
    with project.engine.connect() as conn:
        states = {p.state for p in list_parts(conn, project.ledger.origin, project.root.resolve())}
    assert states == {ARCHIVED}
    [recorded] = archive_events(project)
    assert recorded["after"]["entries"] == 12  # type: ignore[index]
    assert project.verify() == ([], [])


def test_an_interrupted_archive_is_reported_by_verify_until_finished(project: Project) -> None:
    project.fill()
    with pytest.raises(Crash):
        project.archiver(step=crash_at("recorded")).run(12)
    errors, warnings = project.verify()
    assert errors == []
    assert warnings == [
        "archived month 2025-10 (part-000000000000-000000000003.parquet): written but the hot "
        "rows are still there (an interrupted archive); run `readiness audit archive` again to "
        "finish it"
    ]


def test_an_edited_archive_file_fails_verify(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    path = project.root / "year=2025/month=11/part-000000000004-000000000007.parquet"
    data = bytearray(path.read_bytes())
    data[200] ^= 1
    path.write_bytes(bytes(data))
    errors, _ = project.verify()
    assert errors == [
        "archived month 2025-11 (part-000000000004-000000000007.parquet): the file's SHA-256 "
        "differs from the manifest's: it was altered"
    ]


def test_a_deleted_archive_file_without_a_prune_record_fails_verify(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    path = project.root / "year=2025/month=10/part-000000000000-000000000003.parquet"
    path.unlink()
    errors, _ = project.verify()
    assert errors == [
        f"archived month 2025-10 (part-000000000000-000000000003.parquet): the file {path} is "
        "missing and no prune is recorded"
    ]


def test_the_database_refuses_to_blank_a_body_no_manifest_covers(project: Project) -> None:
    project.fill()
    entries = store.ledger_entries
    with pytest.raises(sa.exc.DBAPIError), project.engine.begin() as conn:
        conn.execute(entries.update().where(entries.c.leaf_index == 20).values(entry=b""))


def test_a_body_blanked_behind_the_trigger_without_a_manifest_fails_verify(
    project: Project,
) -> None:
    project.fill()
    with project.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
        else:
            conn.execute(sa.text("DROP TRIGGER ledger_entries_no_update"))
        conn.execute(
            sa.text("UPDATE ledger_entries SET entry = :e WHERE leaf_index = 20"), {"e": b""}
        )
    errors, _ = project.verify()
    assert errors[0] == "entry 20: stored leaf hash differs from the entry's hash"


def test_a_second_archive_run_at_the_same_time_stops_at_the_manifest(project: Project) -> None:
    project.fill()
    other: list[int | None] = []

    def meanwhile(step: str) -> None:
        if step == "written" and not other:
            other.append(project.archiver().run(12).event_leaf)

    with pytest.raises(ConflictError) as raised:
        project.archiver(step=meanwhile).run(12)
    assert str(raised.value) == (
        "another archive run is moving 2025-10 of this log; run again once it finished"
    )
    assert other == [24]
    assert [i for i, _ in archived_entries(project)] == list(range(12))
    assert project.verify() == ([], [])


def test_prune_refuses_to_remove_an_altered_archive_file(project: Project) -> None:
    from datetime import UTC, date, datetime

    from readiness.audit.retention.core import Policy
    from readiness.audit.retention.prune import prune

    project.fill()
    project.archiver().run(12)
    path = project.root / "year=2025/month=10/part-000000000000-000000000003.parquet"
    path.write_bytes(path.read_bytes() + b"\0")
    project.clock.set(datetime(2040, 1, 1, tzinfo=UTC))
    with pytest.raises(ConflictError) as raised:
        prune(project.archiver(), Policy.of(["sox"]), date(2026, 1, 1))
    assert str(raised.value) == (
        "archived month 2025-10 (part-000000000000-000000000003.parquet): the file is missing "
        "or altered; nothing was pruned (run `readiness audit verify`)"
    )
    assert len(parts(project.root)) == 3
