"""Inclusion proofs fetch the log's size and the nodes of a known or guessed tree together (one
round trip on PostgreSQL); a grown log, an explicit size and a size beyond the log still give
the right proof or the right refusal (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from readiness._common.clock import FrozenClock
from readiness.errors import ProofError
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash, verify_inclusion
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.storage.engine import Stores

ORIGIN = "audit.example/proofs"
SIGNER = Ed25519Signer(ORIGIN, bytes(range(32)))


def entries(n: int, start: int = 0) -> list[bytes]:
    return [f"event {i}".encode() for i in range(start, start + n)]


def test_a_proof_follows_the_log_as_it_grows_and_honours_an_explicit_size(
    stores: Stores, clock: FrozenClock
) -> None:
    ledger = LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0)
    try:
        ledger.append(entries(19))
        hashes = [leaf_hash(e) for e in entries(40)]
        for size, index, asked in [
            (19, 1, None),
            (19, 18, None),  # the guessed size holds
            (37, 1, None),  # the log grew by 18 since: the current tree
            (20, 5, 20),  # an explicit older size
            (37, 36, None),
        ]:
            if size == 37 and asked is None and index == 1:
                ledger.append(entries(18, 19))
            proof = ledger.prove_inclusion(index, asked)
            assert (proof.size, proof.leaf_hash) == (size, hashes[index])
            assert proof.root == MemoryTree(hashes[:size]).root()
            verify_inclusion(index, size, proof.leaf_hash, list(proof.path), proof.root)
        with pytest.raises(ProofError, match="tree size 38 is not between 0 and the log's size 37"):
            ledger.prove_inclusion(1, 38)
        with pytest.raises(ProofError):
            ledger.prove_inclusion(37)
    finally:
        ledger.close()
