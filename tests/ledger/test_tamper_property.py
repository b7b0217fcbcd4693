"""Hypothesis: any one-byte change to any stored entry, hash or checkpoint is caught by verify.

The log (20 entries, checkpoints at 7 and 20) is built once in a SQLite file; each example edits
a copy of that file the way someone who bypasses the triggers would (raw sqlite3), then verifies.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.storage.engine import create_engine_for
from readiness.storage.migrate import upgrade

pytestmark = pytest.mark.usefixtures("verify_hashing")  # accelerator and hashlib

ORIGIN = "audit.example/ledger"
SIGNER = Ed25519Signer(ORIGIN, bytes(range(32)))
CLOCK = FrozenClock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
# (table, column): every stored entry, hash and checkpoint field that carries bytes.
TARGETS = [
    ("ledger_entries", "entry"),
    ("ledger_entries", "leaf_hash"),
    ("ledger_nodes", "hash"),
    ("ledger_checkpoints", "root"),
    ("ledger_checkpoints", "note"),
]


@pytest.fixture(scope="module")
def pristine() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.db"
        engine = create_engine_for(f"sqlite:///{path}")
        upgrade("audit", engine)
        ledger = LedgerService(engine, CLOCK, SIGNER, ORIGIN, window_ms=0)
        ledger.append([f"event {i}".encode() for i in range(7)])
        ledger.checkpoint()
        ledger.append([f"event {i}".encode() for i in range(7, 20)])
        ledger.checkpoint()
        ledger.close()
        assert ledger.verify().verified
        engine.dispose()
        yield path


def _edit(path: Path, target: tuple[str, str], *, row: int, position: int, delta: int) -> None:
    table, column = target
    db = sqlite3.connect(path)
    try:
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall():
            db.execute(f"DROP TRIGGER {name}")
        rowids = [r for (r,) in db.execute(f"SELECT rowid FROM {table} ORDER BY rowid")]
        rowid = rowids[row % len(rowids)]
        (value,) = db.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", [rowid]).fetchone()
        raw = bytearray(value.encode() if isinstance(value, str) else value)
        if not raw:  # an empty entry: a one-byte change is appending one
            raw.append(delta)
        else:
            raw[position % len(raw)] = (raw[position % len(raw)] + delta) % 256
        new: bytes | str = bytes(raw)
        if isinstance(value, str):
            new = bytes(raw).decode("utf-8", errors="replace")
            if new == value:
                new = value + "x"
        db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", [new, rowid])
        db.commit()
    finally:
        db.close()


@settings(max_examples=60)
@given(
    target=st.sampled_from(TARGETS),
    row=st.integers(0, 100),
    position=st.integers(0, 1000),
    delta=st.integers(1, 255),
)
def test_any_one_byte_change_is_detected_by_verify(
    pristine: Path, target: tuple[str, str], row: int, position: int, delta: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "audit.db"
        shutil.copy(pristine, copy)
        _edit(copy, target, row=row, position=position, delta=delta)
        engine = create_engine_for(f"sqlite:///{copy}")
        try:
            report = LedgerService(engine, CLOCK, SIGNER, ORIGIN).verify()
        finally:
            engine.dispose()
    assert not report.verified
    assert report.errors
