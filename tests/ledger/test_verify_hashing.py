"""The Merkle hashing ``verify`` does in bulk: the C accelerator's ``leaf_hashes`` and
``node_level`` against ``hashlib``, the packed level view, and a stored hash split across two
rows (33 and 31 bytes that join into the two right hashes), caught both ways."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.ledger import verify
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.storage.engine import create_engine_for
from readiness.storage.migrate import upgrade
from tests.ledger.conftest import ACCELERATOR

ORIGIN = "audit.example/hashing"
SIGNER = Ed25519Signer(ORIGIN, bytes(range(32)))
CLOCK = FrozenClock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
needs_accelerator = pytest.mark.skipif(ACCELERATOR is None, reason="no C accelerator")


def _leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


@needs_accelerator
@given(st.lists(st.binary(max_size=600), max_size=40))
def test_leaf_hashes_are_hashlib_s(entries: list[bytes]) -> None:
    assert ACCELERATOR is not None
    assert ACCELERATOR.leaf_hashes(entries) == b"".join(_leaf(e) for e in entries)
    assert ACCELERATOR.leaf_hashes(tuple(entries)) == b"".join(_leaf(e) for e in entries)


@needs_accelerator
@given(st.lists(st.binary(min_size=32, max_size=32), max_size=41))
def test_node_level_hashes_each_complete_pair(hashes: list[bytes]) -> None:
    assert ACCELERATOR is not None
    expected = b"".join(
        hashlib.sha256(b"\x01" + hashes[i] + hashes[i + 1]).digest()
        for i in range(0, len(hashes) - 1, 2)
    )
    assert ACCELERATOR.node_level(b"".join(hashes)) == expected


@needs_accelerator
def test_the_accelerator_refuses_what_is_not_bytes_or_whole_hashes() -> None:
    assert ACCELERATOR is not None
    with pytest.raises(TypeError, match="item 1 is not bytes"):
        ACCELERATOR.leaf_hashes([b"a", "b"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not a whole number of 32-byte hashes"):
        ACCELERATOR.node_level(b"x" * 33)


def test_a_packed_level_reads_as_its_hashes() -> None:
    hashes = [bytes([i]) * 32 for i in range(5)]
    packed = verify._Packed(b"".join(hashes))
    assert len(packed) == 5
    assert list(packed) == hashes
    assert packed[0] == hashes[0]
    assert packed[-1] == hashes[4]
    assert packed[1:3] == hashes[1:3]
    assert packed[::-2] == hashes[::-2]
    with pytest.raises(IndexError):
        packed[5]
    with pytest.raises(IndexError):
        packed[-6]


@pytest.mark.usefixtures("verify_hashing")
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=33))
def test_leaves_and_parents_are_the_rfc_9162_hashes(entries: list[bytes]) -> None:
    leaves = verify._leaves(entries)
    assert list(leaves) == [_leaf(e) for e in entries]
    expected = [
        hashlib.sha256(b"\x01" + leaves[i] + leaves[i + 1]).digest()
        for i in range(0, len(entries) - 1, 2)
    ]
    assert list(verify._parents(leaves)) == expected
    assert list(verify._parents(list(leaves))) == expected


@pytest.mark.usefixtures("verify_hashing")
def test_a_stored_leaf_hash_split_across_two_rows_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade("audit", engine)
    ledger = LedgerService(engine, CLOCK, SIGNER, ORIGIN, window_ms=0)
    try:
        ledger.append([f"event {i}".encode() for i in range(8)])
        ledger.checkpoint()
        assert ledger.verify().verified
        db = sqlite3.connect(path)
        try:
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'ledger_entries'"
            ).fetchall():
                db.execute(f'DROP TRIGGER "{name}"')
            joined = _leaf(b"event 3") + _leaf(b"event 4")
            for index, value in ((3, joined[:33]), (4, joined[33:])):
                db.execute(
                    "UPDATE ledger_entries SET leaf_hash = ? WHERE log = ? AND leaf_index = ?",
                    (value, ORIGIN, index),
                )
            db.commit()
        finally:
            db.close()
        report = ledger.verify()
    finally:
        ledger.close()
        engine.dispose()
    assert not report.verified
    assert report.errors == [
        "entry 3: stored leaf hash differs from the entry's hash",
        "entry 4: stored leaf hash differs from the entry's hash",
    ]
