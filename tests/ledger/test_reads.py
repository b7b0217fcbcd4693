"""What proofs keep between reads (SQLite and PostgreSQL): the stored nodes they read and, on
PostgreSQL, a few connections used without the pool's ping. A cached service proves exactly
what a fresh one proves at every size, never holds a node of an incomplete subtree, and
``verify`` still finds a node edited in the database after it was cached."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.errors import ProofError
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash, verify_inclusion
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.reads import NodeCache, ReadConnections
from readiness.ledger.service import LedgerService
from readiness.ledger.store import MIN_STORED_LEVEL
from readiness.storage.engine import Stores

ORIGIN = "audit.example/reads"
SIGNER = Ed25519Signer(ORIGIN, bytes(range(32)))


def entries(n: int, start: int = 0) -> list[bytes]:
    return [f"event {i}".encode() for i in range(start, start + n)]


def fresh(stores: Stores, clock: FrozenClock) -> LedgerService:
    return LedgerService(
        stores.audit, clock, SIGNER, ORIGIN, window_ms=0, cached_nodes=0, kept_connections=0
    )


@pytest.fixture
def ledger(stores: Stores, clock: FrozenClock) -> Iterator[LedgerService]:
    service = LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0)
    yield service
    service.close()


def test_the_cache_keeps_only_stored_interior_levels_and_forgets_the_least_recent() -> None:
    cache = NodeCache(2)
    read = {(0, 5): b"leaf", (3, 0): b"folded", (4, 0): b"a", (5, 0): b"b", (6, 0): b"c"}
    cache.keep(read, [(0, 5), (3, 0), (4, 0), (5, 0)])
    assert cache.split([(4, 0)]) == ({(4, 0): b"a"}, [])  # (4, 0) is now the most recent
    cache.keep(read, [(6, 0)])

    assert cache.split([(0, 5), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0)]) == (
        {(4, 0): b"a", (6, 0): b"c"},
        [(0, 5), (3, 0), (5, 0), (7, 0)],
    )
    assert (len(cache), cache.hits, cache.misses) == (2, 3, 4)
    assert MIN_STORED_LEVEL == 4  # the levels above are the ones the sequencer stores


def test_a_cache_of_capacity_zero_keeps_nothing() -> None:
    cache = NodeCache(0)
    cache.keep({(4, 0): b"a"}, [(4, 0)])
    assert cache.split([(4, 0)]) == ({}, [(4, 0)])


@pytest.fixture
def cached(stores: Stores, clock: FrozenClock) -> Iterator[tuple[LedgerService, ...]]:
    """Two services of one log: the default cache, and one of 3 nodes (evicting all along)."""
    services = (
        LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0),
        LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0, cached_nodes=3),
    )
    yield services
    for service in services:
        service.close()


@settings(
    max_examples=25,
    deadline=None,
    # One log for every example: the caches carry nodes from one example (and size) to the next.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 40), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)))),
        min_size=1,
        max_size=4,
    )
)
def test_a_cached_service_proves_what_a_fresh_one_proves_at_every_size(
    stores: Stores,
    clock: FrozenClock,
    cached: tuple[LedgerService, ...],
    steps: list[tuple[int, list[tuple[float, float]]]],
) -> None:
    for grow, picks in steps:
        size = cached[0].size()
        cached[0].append(entries(grow, size))
        size += grow
        hashes = [leaf_hash(e) for e in entries(size)]
        reference = fresh(stores, clock)
        for a, b in picks if size else []:
            tree = max(1, round(a * size))
            index = min(tree - 1, round(b * tree))
            for service in cached:
                current = service.prove_inclusion(index)
                assert current == reference.prove_inclusion(index)
                assert current.root == MemoryTree(hashes).root()
                older = service.prove_inclusion(index, tree)
                assert older == reference.prove_inclusion(index, tree)
                verify_inclusion(index, tree, hashes[index], list(older.path), older.root)
                assert service.root(tree) == reference.root(tree)
                assert service.prove_consistency(tree, size) == reference.prove_consistency(
                    tree, size
                )
        reference.close()
    for service in cached:
        for level, index in list(service.node_cache._nodes):
            # Only complete subtrees: every cached node ends at or before the log's last leaf.
            assert level >= MIN_STORED_LEVEL
            assert (index + 1) << level <= cached[0].size()


def test_a_proof_from_cached_nodes_verifies_against_the_signed_checkpoint(
    ledger: LedgerService,
) -> None:
    ledger.append(entries(300))
    note = ledger.checkpoint().note
    signed = open_checkpoint(note, ledger.verifier, origin=ORIGIN).checkpoint
    for index in (0, 17, 255, 256, 299):
        proof = ledger.prove_inclusion(index, signed.size)
        verify_inclusion(index, signed.size, proof.leaf_hash, list(proof.path), signed.root_hash)
    assert ledger.node_cache.hits > 0


def test_verify_reads_the_database_not_the_cache_so_an_edited_cached_node_fails_it(
    ledger: LedgerService, stores: Stores, clock: FrozenClock
) -> None:
    ledger.append(entries(64))
    stored = ledger.checkpoint()
    good = ledger.prove_inclusion(3)  # caches (4, 1), the sibling of leaf 3's 16-leaf tile
    assert (4, 1) in ledger.node_cache._nodes

    with stores.audit.begin() as conn:  # someone who bypasses the triggers
        if stores.audit.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            triggers = conn.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            )
            for (name,) in triggers.all():
                conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
        conn.execute(
            sa.text(
                "UPDATE ledger_nodes SET hash = :h WHERE log = :log AND level = 4 "
                "AND node_index = 1"
            ),
            {"h": bytes(32), "log": ORIGIN},
        )

    report = ledger.verify()
    assert not report.verified
    assert "node (level 4, index 1) is altered" in report.errors
    assert ledger.prove_inclusion(3) == good  # the cache still holds what was stored
    verify_inclusion(3, 64, good.leaf_hash, list(good.path), stored.root)
    reference = fresh(stores, clock)
    edited = reference.prove_inclusion(3)  # a fresh service reads the edited node
    reference.close()
    assert edited.path[4] == bytes(32)
    with pytest.raises(ProofError):
        verify_inclusion(3, 64, edited.leaf_hash, list(edited.path), stored.root)


def test_a_kept_connection_that_died_is_replaced_and_the_read_runs_again(
    pg_schema_url: str,
) -> None:
    engine = sa.create_engine(pg_schema_url, pool_pre_ping=True)
    reads = ReadConnections(engine, keep=1)
    admin = sa.create_engine(pg_schema_url)
    try:
        pid = reads.run(lambda conn: conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())
        assert (
            reads.run(lambda conn: conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()) == pid
        )  # the same connection, kept
        with admin.begin() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()

        again = reads.run(lambda conn: conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())
        assert again != pid
    finally:
        reads.close()
        engine.dispose()
        admin.dispose()


def test_a_failing_read_is_not_retried_when_it_is_not_the_database_failing(
    pg_schema_url: str,
) -> None:
    engine = sa.create_engine(pg_schema_url)
    reads = ReadConnections(engine, keep=1)
    calls: list[int] = []

    def read(conn: sa.Connection) -> int:
        calls.append(1)
        raise ProofError("no such node")

    try:
        reads.run(lambda conn: conn.execute(sa.text("SELECT 1")).scalar())
        with pytest.raises(ProofError, match="no such node"):
            reads.run(read)
        assert calls == [1]
    finally:
        reads.close()
        engine.dispose()
