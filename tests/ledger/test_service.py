"""The ledger on the audit database (SQLite and PostgreSQL): append, roots, proofs, checkpoints."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

import readiness.audit.tables  # noqa: F401 - registers the audit tables compared below
from readiness._common.clock import FrozenClock
from readiness.errors import KeyFormatError, ProofError, SignatureError
from readiness.ledger import service as service_module
from readiness.ledger import verify
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.cosignature import CosignatureSigner
from readiness.ledger.core.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_nodes,
    verify_consistency,
    verify_inclusion,
)
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.core.tiles import decode_entry_bundle, tile_node_getter
from readiness.ledger.keys import load_or_create_signer
from readiness.ledger.sequencer import Sequencer
from readiness.ledger.service import LedgerService
from readiness.storage.engine import Stores
from readiness.storage.metadata import audit_metadata
from readiness.storage.migrate import downgrade, upgrade

ORIGIN = "audit.example/ledger"
SIGNER = Ed25519Signer(ORIGIN, bytes(range(32)))


def entries(n: int, start: int = 0) -> list[bytes]:
    return [f"event {i}".encode() for i in range(start, start + n)]


@pytest.fixture
def ledger(stores: Stores, clock: FrozenClock) -> Iterator[LedgerService]:
    service = LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0)
    yield service
    service.close()


def test_the_migrated_schema_is_the_schema_the_code_declares(stores: Stores) -> None:
    with stores.audit.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "version_table": "readiness_audit_version",
                "include_name": lambda name, kind, _parent: (
                    kind != "table" or name in audit_metadata.tables
                ),
            },
        )
        assert compare_metadata(context, audit_metadata) == []


def test_appends_get_consecutive_indices_and_the_stored_tree_is_rfc_9162(
    ledger: LedgerService,
) -> None:
    assert ledger.append(entries(5)) == [0, 1, 2, 3, 4]
    assert ledger.append(entries(6, 5)) == [5, 6, 7, 8, 9, 10]
    assert ledger.append([]) == []
    reference = MemoryTree(leaf_hash(e) for e in entries(11))

    assert ledger.size() == 11
    for size in range(12):
        assert ledger.root(size) == reference.root(size)
    for size in range(1, 12):
        for index in range(size):
            proof = ledger.prove_inclusion(index, size)
            assert proof.leaf_hash == leaf_hash(f"event {index}".encode())
            verify_inclusion(index, size, proof.leaf_hash, proof.path, reference.root(size))
        for old in range(1, size + 1):
            verify_consistency(
                old,
                size,
                reference.root(old),
                reference.root(size),
                ledger.prove_consistency(old, size),
            )


def test_a_size_beyond_the_log_is_refused(ledger: LedgerService) -> None:
    ledger.append(entries(3))
    with pytest.raises(ProofError, match="tree size 4 is not between 0 and the log's size 3"):
        ledger.root(4)
    with pytest.raises(ProofError, match="leaf index 3 is not in a tree of size 3"):
        ledger.prove_inclusion(3)


def test_a_checkpoint_is_a_signed_note_of_the_current_tree_and_verify_checks_it(
    ledger: LedgerService,
) -> None:
    empty = ledger.checkpoint()
    ledger.append(entries(7))
    first = ledger.checkpoint()
    ledger.append(entries(9, 7))
    second = ledger.checkpoint()

    assert (empty.size, first.size, second.size) == (0, 7, 16)
    signed = open_checkpoint(second.note, SIGNER.verifier, origin=ORIGIN).checkpoint
    assert (signed.size, signed.root_hash) == (16, ledger.root())
    assert first.note.startswith(f"{ORIGIN}\n7\n")
    report = ledger.verify()
    assert report.as_dict() == {
        "verified": True,
        "size": 16,
        "root": ledger.root().hex(),
        "checkpoints": 3,
        "errors": [],
    }


def test_the_database_refuses_to_update_or_delete_ledger_rows(ledger: LedgerService) -> None:
    ledger.append(entries(16))  # 16 leaves: one stored node (level 4)
    ledger.checkpoint()
    engine = ledger._engine
    statements = [
        "UPDATE ledger_entries SET entry = entry",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_nodes SET hash = hash",
        "DELETE FROM ledger_nodes",
        "UPDATE ledger_checkpoints SET note = note",
        "DELETE FROM ledger_checkpoints",
    ]
    if engine.dialect.name == "postgresql":
        statements += ["TRUNCATE ledger_entries", "TRUNCATE ledger_nodes"]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert ledger.verify().verified
    assert ledger.size() == 16


def _tamper(engine: sa.Engine, statement: str) -> None:
    """What someone who bypasses the triggers (a superuser, a file editor) can do."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text(statement))
        else:
            names = [
                row[0]
                for row in conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                )
            ]
            for name in names:
                conn.execute(sa.text(f"DROP TRIGGER {name}"))
            conn.execute(sa.text(statement))


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        (
            "UPDATE ledger_entries SET entry = :x WHERE leaf_index = 3",
            "entry 3: stored leaf hash differs from the entry's hash",
        ),
        (  # a log written before MIN_STORED_LEVEL holds level 1 nodes: still compared
            f"INSERT INTO ledger_nodes VALUES ('{ORIGIN}', 1, 2, :h)",
            "node (level 1, index 2) is altered",
        ),
        (
            f"INSERT INTO ledger_nodes VALUES ('{ORIGIN}', 4, 0, :h)",
            "1 stored nodes are not produced by the entries (nodes beyond the log's entries)",
        ),
        (
            "DELETE FROM ledger_entries WHERE leaf_index >= 8",
            "checkpoint 1 (size 10): the log holds only 8 entries: it was truncated or rolled back",
        ),
        (
            "DELETE FROM ledger_entries WHERE leaf_index = 4",
            "entries 4..4 are missing (a gap in the log)",
        ),
    ],
)
def test_verify_detects_edits_that_bypass_the_triggers(
    ledger: LedgerService, statement: str, error: str
) -> None:
    ledger.append(entries(10))
    ledger.checkpoint()
    engine = ledger._engine
    if engine.dialect.name == "sqlite":
        one, zeros = "X'00'", "X'" + "00" * 32 + "'"
    else:
        one, zeros = "'\\x00'::bytea", "'\\x" + "00" * 32 + "'::bytea"
    _tamper(engine, statement.replace(":x", one).replace(":h", zeros))
    report = ledger.verify()
    assert not report.verified
    assert error in report.errors


def test_export_tiles_serves_every_root_and_entry_to_a_tile_client(
    ledger: LedgerService, tmp_path: Path
) -> None:
    data = entries(600)
    ledger.append(data)
    export = ledger.export_tiles(tmp_path / "tiles")

    assert (export.size, export.tiles, export.bundles) == (600, 4, 3)
    root = tmp_path / "tiles"
    assert (root / "checkpoint").read_text() == export.checkpoint
    get_node = tile_node_getter(600, lambda path: (root / path).read_bytes())
    assert root_from_nodes(600, get_node) == ledger.root()
    bundles = [
        decode_entry_bundle((root / path).read_bytes())
        for path in ("tile/entries/000", "tile/entries/001", "tile/entries/002.p/88")
    ]
    assert [e for b in bundles for e in b] == data


def test_the_key_file_is_made_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ledger.key"
    first = load_or_create_signer(path, ORIGIN)
    again = load_or_create_signer(path, ORIGIN)

    assert first.skey == again.skey
    assert path.stat().st_mode & 0o777 == 0o600


def test_witness_cosignatures_are_verified_stored_once_and_appended_to_the_note(
    ledger: LedgerService,
) -> None:
    witness = CosignatureSigner("witness.example/w1", bytes(range(1, 33)))
    other = CosignatureSigner("witness.example/w2", bytes(range(2, 34)))
    ledger.append(entries(4))
    stored = ledger.checkpoint()
    body = stored.note[: stored.note.index("\n\n") + 1]
    line = witness.cosign(body, 1767225600).line

    ledger.add_cosignature(stored.id, witness.verifier, line)
    ledger.add_cosignature(stored.id, witness.verifier, line)

    note = ledger.cosigned_note(stored.id)
    assert note == stored.note + line
    opened = open_checkpoint(note, SIGNER.verifier, witnesses=[witness.verifier])
    assert [sig.name for sig in opened.note.verified] == [ORIGIN, "witness.example/w1"]
    with pytest.raises(SignatureError, match="not a cosignature by the witness"):
        ledger.add_cosignature(stored.id, other.verifier, line)


def test_a_key_file_of_another_log_and_a_signer_not_named_like_the_origin_are_refused(
    tmp_path: Path, stores: Stores, clock: FrozenClock
) -> None:
    path = tmp_path / "ledger.key"
    load_or_create_signer(path, "other.example/log")
    with pytest.raises(KeyFormatError, match=r"holds a key named 'other\.example/log'"):
        load_or_create_signer(path, ORIGIN)
    with pytest.raises(ProofError, match="a checkpoint signer is named like the log's origin"):
        LedgerService(stores.audit, clock, SIGNER, "another.example/log")


def test_export_reuses_a_checkpoint_of_the_current_size(
    ledger: LedgerService, tmp_path: Path
) -> None:
    ledger.append(entries(3))
    stored = ledger.checkpoint()

    export = ledger.export_tiles(tmp_path / "tiles")

    assert export.checkpoint == stored.note
    assert len(ledger.checkpoints()) == 1


@pytest.mark.parametrize("chunk_level", [1, 2, 3])
def test_verify_in_small_chunks_checks_the_nodes_above_a_chunk_and_every_checkpoint(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch, chunk_level: int
) -> None:
    monkeypatch.setattr(verify, "CHUNK_LEVEL", chunk_level)
    monkeypatch.setattr(verify, "CHUNK", 1 << chunk_level)
    for count in (1, 3, 1, 11, 21):  # checkpoints at 1, 4, 5, 16, 37
        ledger.append(entries(count, ledger.size()))
        ledger.checkpoint()

    report = ledger.verify()
    assert (report.verified, report.size, report.checkpoints) == (True, 37, 5)
    assert report.root == MemoryTree(leaf_hash(e) for e in entries(37)).root()

    _tamper(
        ledger._engine,
        "UPDATE ledger_nodes SET hash = "
        + ("X'" if ledger._engine.dialect.name == "sqlite" else "'\\x")
        + "00" * 32
        + ("'" if ledger._engine.dialect.name == "sqlite" else "'::bytea")
        + " WHERE level = 4 AND node_index = 1",
    )
    assert "node (level 4, index 1) is altered" in ledger.verify().errors


def test_threads_appending_through_one_service_share_one_sequencer(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Sequencer] = []

    class Counted(Sequencer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(service_module, "Sequencer", Counted)
    start = threading.Barrier(8)
    results: list[list[int]] = []

    def submit(thread: int) -> None:
        start.wait()
        results.append(ledger.append(entries(5, 5 * thread)))

    pool = [threading.Thread(target=submit, args=(t,)) for t in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()

    assert sorted(i for r in results for i in r) == list(range(40))
    assert len(made) == 1
    assert ledger.verify().verified


def test_the_ledger_revision_downgrades_and_upgrades_again(stores: Stores) -> None:
    downgrade("audit", stores.audit, "0001_audit")
    assert not {"ledger_entries", "ledger_nodes"} & set(sa.inspect(stores.audit).get_table_names())

    upgrade("audit", stores.audit)

    with stores.audit.begin() as conn:
        conn.execute(sa.text("INSERT INTO ledger_nodes VALUES ('a', 1, 0, :h)"), {"h": bytes(32)})
    with pytest.raises(DBAPIError, match="append-only"), stores.audit.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_nodes"))


def test_only_nodes_of_stored_levels_are_written_and_the_others_fold_from_the_leaves(
    ledger: LedgerService,
) -> None:
    ledger.append(entries(37))
    tree = MemoryTree(leaf_hash(e) for e in entries(37))
    with ledger._engine.connect() as conn:
        levels = conn.execute(
            sa.text("SELECT level, node_index FROM ledger_nodes ORDER BY level, node_index")
        ).all()
    # MIN_STORED_LEVEL is 4: of the 36 interior nodes of 37 leaves, (4, 0), (4, 1), (5, 0).
    assert [tuple(row) for row in levels] == [(4, 0), (4, 1), (5, 0)]
    for index in (0, 5, 17, 32, 36):
        proof = ledger.prove_inclusion(index)
        assert list(proof.path) == inclusion_proof(index, 37, tree.get_node)
        verify_inclusion(index, 37, leaf_hash(entries(37)[index]), proof.path, tree.root())
    for old in (1, 3, 6, 20, 33):
        assert ledger.prove_consistency(old, 37) == consistency_proof(old, 37, tree.get_node)
    assert ledger.root(23) == tree.root(23)


def test_a_log_written_with_every_level_stored_still_proves_and_verifies(
    ledger: LedgerService,
) -> None:
    ledger.append(entries(10))
    tree = MemoryTree(leaf_hash(e) for e in entries(10))
    with ledger._engine.begin() as conn:  # the rows the sequencer wrote before
        for level, index in [(1, i) for i in range(5)] + [(2, 0), (2, 1), (3, 0)]:
            conn.execute(
                sa.text("INSERT INTO ledger_nodes VALUES (:o, :l, :i, :h)"),
                {"o": ORIGIN, "l": level, "i": index, "h": tree.get_node(level, index)},
            )
    ledger.checkpoint()
    assert list(ledger.prove_inclusion(9).path) == inclusion_proof(9, 10, tree.get_node)
    assert ledger.verify().verified


def test_a_missing_leaf_under_an_unstored_node_is_named(ledger: LedgerService) -> None:
    ledger.append(entries(8))
    _tamper(ledger._engine, "DELETE FROM ledger_entries WHERE leaf_index = 6")
    with pytest.raises(ProofError, match=r"node \(level 0, index 6\) is not stored"):
        ledger.prove_consistency(4, 8)
