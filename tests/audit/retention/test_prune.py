"""Retention policies refuse pruning before expiry, to the day; pruning keeps every proof."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from readiness.audit.retention.core import Policy
from readiness.audit.retention.manifest import list_parts
from readiness.audit.retention.prune import prune, status
from readiness.errors import InputError, RetentionRefusedError
from readiness.ledger import store
from readiness.ledger.core.merkle import verify_inclusion
from tests.audit.retention.conftest import Project, parts

SOX = Policy.of(["soc2", "sox"])


def test_the_longest_configured_framework_governs() -> None:
    assert Policy.of(["soc2", "hipaa", "pci_dss"]).governing == "hipaa"
    assert Policy.of(["soc2", "pci_dss"]).years == 1
    assert Policy.of(["sox"]).expiry((2019, 3)) == date(2026, 4, 1)
    assert Policy.of([]).expiry((2019, 3)) == date(2019, 4, 1)
    with pytest.raises(InputError) as raised:
        Policy.of(["gdpr"])
    assert (
        str(raised.value) == "retention frameworks: 'gdpr' is not one of soc2, pci_dss, hipaa, sox"
    )


def test_pruning_one_day_before_expiry_is_refused(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    project.clock.set(datetime(2032, 10, 31, 23, 59, tzinfo=UTC))
    with pytest.raises(RetentionRefusedError) as raised:
        prune(project.archiver(), SOX, date(2025, 11, 1))
    assert str(raised.value) == (
        "2025-10 is under SOX retention (7y) until 2032-11-01: pruning refused"
    )
    assert len(parts(project.root)) == 3


def test_pruning_on_the_expiry_day_removes_the_bodies_and_keeps_every_proof(
    project: Project,
) -> None:
    project.fill()
    project.archiver().run(12)
    before = project.ledger.checkpoint()
    project.clock.set(datetime(2032, 11, 1, tzinfo=UTC))
    result = prune(project.archiver(), SOX, date(2025, 11, 1))
    assert [(m["month"], m["entries"], m["policy"]) for m in result.months] == [
        ("2025-10", 4, "SOX 7y, expired 2032-11-01")
    ]
    assert parts(project.root) == [
        "year=2025/month=11/part-000000000004-000000000007.parquet",
        "year=2025/month=12/part-000000000008-000000000011.parquet",
    ]
    errors, warnings = project.verify()
    assert errors == []
    assert warnings == [
        "2025-10: 4 entries pruned by policy (SOX 7y, expired 2032-11-01) on 2032-11-01; their "
        "leaf hashes keep the tree and every proof valid"
    ]
    # The tree of the old checkpoint is unchanged; every leaf, pruned or not, still proves.
    assert project.ledger.root(before.size) == before.root
    for leaf in (0, 3, 4, 20):
        proof = project.ledger.prove_inclusion(leaf, before.size)
        verify_inclusion(leaf, before.size, proof.leaf_hash, list(proof.path), before.root)
    with project.engine.connect() as conn:
        size = store.stored_size(conn, project.ledger.origin)
        [(_, entry, _)] = list(store.iter_entries(conn, project.ledger.origin, size - 1, size))
    recorded = json.loads(entry)
    assert (recorded["action"], recorded["after"]["months"]) == ("audit.prune", ["2025-10"])
    assert result.event_leaf == size - 1


def test_a_crash_after_marking_is_finished_by_the_next_prune(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    project.clock.set(datetime(2033, 1, 1, tzinfo=UTC))

    def crash(step: str) -> None:
        if step == "marked":
            raise RuntimeError(step)

    with pytest.raises(RuntimeError):
        prune(project.archiver(step=crash), SOX, date(2026, 1, 1))
    assert len(parts(project.root)) == 3  # marked first, files still there
    assert project.verify()[0] == []
    again = prune(project.archiver(), SOX, date(2026, 1, 1))
    assert [m["month"] for m in again.months] == ["2025-11", "2025-12"]
    assert parts(project.root) == []
    with project.engine.connect() as conn:
        events = {
            p.prune_event_leaf
            for p in list_parts(conn, project.ledger.origin, project.root.resolve())
        }
    assert events == {again.event_leaf}
    errors, warnings = project.verify()
    assert (errors, len(warnings)) == ([], 3)


def test_status_names_the_policy_the_months_and_the_next_expiry(project: Project) -> None:
    project.fill()
    project.archiver().run(12)
    found = status(project.archiver(), Policy.of(["hipaa", "pci_dss"]))
    assert found["policy"] == {
        "frameworks": {"HIPAA": 6, "PCI DSS": 1},
        "governing": "HIPAA",
        "years": 6,
    }
    assert [(m["month"], m["state"], m["entries"], m["expires"]) for m in found["months"]] == [
        ("2025-10", "archived", 4, "2031-11-01"),
        ("2025-11", "archived", 4, "2031-12-01"),
        ("2025-12", "archived", 4, "2032-01-01"),
    ]
    assert found["next_expiry"] == "2031-11-01"


def test_a_prune_forged_in_the_manifest_without_its_event_is_tampering(project: Project) -> None:

    from readiness.audit.retention.tables import audit_archives

    project.fill()
    project.archiver().run(12)
    with project.engine.begin() as conn:
        conn.execute(
            audit_archives.update()
            .where(audit_archives.c.year == 2025, audit_archives.c.month == 10)
            .values(state="pruned", pruned_at=project.clock.now(), pruned_by="SOX 7y")
        )
    path = project.root / "year=2025/month=10/part-000000000000-000000000003.parquet"
    path.unlink()
    errors, _ = project.verify()
    assert errors == [
        "archived month 2025-10 (part-000000000000-000000000003.parquet): the file is gone and "
        "no audit.prune event records it"
    ]
