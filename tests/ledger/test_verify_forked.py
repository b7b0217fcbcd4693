"""verify() with a forked child checking the far half: the same report as the serial run, for
an intact log and for every kind of edit, and the child used exactly from ``FORK_MIN`` entries.

Chunks of 4 entries (``CHUNK_LEVEL`` 2) so that a 37-entry log has a far half of many chunks,
checkpoints inside both halves and nodes above the chunks that join across the split."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.ledger import forked, verify
from readiness.ledger.service import LedgerService
from readiness.storage.engine import Stores, create_engine_for
from tests.ledger.test_service import ORIGIN, SIGNER, _tamper, entries
from tests.ledger.test_tamper_property import CLOCK, TARGETS, _edit, pristine

pytestmark = pytest.mark.usefixtures("verify_hashing")  # accelerator and hashlib

__all__ = ["pristine"]
SERIAL = 2**62


class Counted(forked.Forked[object]):
    """Forked, counting the children started and the results the parent could use."""

    started = 0
    used = 0

    def __init__(self, work: object) -> None:
        Counted.started += 1
        super().__init__(work)  # type: ignore[arg-type]

    def result(self, timeout: float) -> object | None:
        value = super().result(timeout)
        Counted.used += value is not None
        return value


@pytest.fixture
def ledger(
    stores: Stores, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LedgerService]:
    monkeypatch.setattr(verify, "CHUNK_LEVEL", 2)
    monkeypatch.setattr(verify, "CHUNK", 4)
    monkeypatch.setattr(verify, "Forked", Counted)
    monkeypatch.setattr(verify, "FORK_DIALECTS", frozenset({"sqlite", "postgresql"}))
    Counted.started = Counted.used = 0
    service = LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0)
    for count in (1, 3, 1, 11, 21):  # checkpoints at 1, 4, 5, 16, 37
        service.append(entries(count, service.size()))
        service.checkpoint()
    yield service
    service.close()


def both(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, object], dict[str, object]]:
    monkeypatch.setattr(verify, "FORK_MIN", SERIAL)
    serial = ledger.verify().as_dict()
    monkeypatch.setattr(verify, "FORK_MIN", 0)
    parallel = ledger.verify().as_dict()
    return serial, parallel


def test_an_intact_log_verifies_the_same_with_the_child_s_half(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial, parallel = both(ledger, monkeypatch)

    assert parallel == serial
    assert (parallel["verified"], parallel["size"], parallel["checkpoints"]) == (True, 37, 5)
    assert (Counted.started, Counted.used) == (1, 1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET entry = :x WHERE leaf_index = 3",  # the near half
        "UPDATE ledger_entries SET entry = :x WHERE leaf_index = 30",  # the far half
        "UPDATE ledger_nodes SET hash = :h WHERE level = 4 AND node_index = 1",  # across
        "UPDATE ledger_nodes SET hash = :h WHERE level = 5 AND node_index = 0",  # above split
        f"INSERT INTO ledger_nodes VALUES ('{ORIGIN}', 4, 3, :h)",  # beyond the entries
        "DELETE FROM ledger_entries WHERE leaf_index >= 30",  # truncated in the far half
        "DELETE FROM ledger_entries WHERE leaf_index >= 16",  # truncated at the split
        "DELETE FROM ledger_entries WHERE leaf_index = 25",  # a gap in the far half
        "DELETE FROM ledger_entries WHERE leaf_index = 15",  # a gap just before the split
        "DELETE FROM ledger_entries WHERE leaf_index = 16",  # a gap at the split
        "UPDATE ledger_checkpoints SET root = :h WHERE size = 37",
    ],
)
def test_every_edit_gets_the_report_of_the_serial_run(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch, statement: str
) -> None:
    engine = ledger._engine
    if engine.dialect.name == "sqlite":
        one, zeros = "X'00'", "X'" + "00" * 32 + "'"
    else:
        one, zeros = "'\\x00'::bytea", "'\\x" + "00" * 32 + "'::bytea"
    _tamper(engine, statement.replace(":x", one).replace(":h", zeros))

    serial, parallel = both(ledger, monkeypatch)

    assert parallel == serial
    assert serial["verified"] is False


@pytest.mark.parametrize(("fork_min", "started"), [(37, 1), (38, 0)])
def test_the_child_is_forked_from_fork_min_entries_on(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch, fork_min: int, started: int
) -> None:
    monkeypatch.setattr(verify, "FORK_MIN", fork_min)

    assert ledger.verify().verified
    assert Counted.started == started


def test_by_default_only_sqlite_logs_of_fork_min_entries_fork() -> None:
    assert verify.FORK_MIN == 400_000
    assert sorted(verify.FORK_DIALECTS) == ["sqlite"]


def test_a_log_on_a_database_not_in_fork_dialects_or_in_memory_is_verified_here(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "FORK_MIN", 0)
    monkeypatch.setattr(verify, "FORK_DIALECTS", frozenset())

    assert ledger.verify().verified
    assert Counted.started == 0
    memory = create_engine_for("sqlite://")
    try:
        assert verify._split(memory, 37) == 0
    finally:
        memory.dispose()


@settings(max_examples=40, deadline=None)
@given(
    target=st.sampled_from(TARGETS),
    row=st.integers(0, 100),
    position=st.integers(0, 1000),
    delta=st.integers(1, 255),
)
def test_any_one_byte_change_is_detected_with_the_child_as_without(
    pristine: Path, target: tuple[str, str], row: int, position: int, delta: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "audit.db"
        shutil.copy(pristine, copy)
        _edit(copy, target, row=row, position=position, delta=delta)
        engine = create_engine_for(f"sqlite:///{copy}")
        saved = (verify.CHUNK_LEVEL, verify.CHUNK, verify.FORK_MIN)
        try:
            verify.CHUNK_LEVEL, verify.CHUNK = 2, 4
            reports = []
            for fork_min in (SERIAL, 0):
                verify.FORK_MIN = fork_min
                reports.append(LedgerService(engine, CLOCK, SIGNER, ORIGIN).verify().as_dict())
        finally:
            verify.CHUNK_LEVEL, verify.CHUNK, verify.FORK_MIN = saved
            engine.dispose()
    assert reports[0] == reports[1]
    assert reports[1]["verified"] is False


def test_a_child_that_sends_nothing_in_time_is_killed_and_gives_no_result() -> None:
    never, _keep = os.pipe()  # the child blocks reading a pipe nobody writes to
    try:
        child = forked.Forked(lambda: os.read(never, 1))
        assert child.result(0.0) is None
        assert child._done
    finally:
        os.close(never)
        os.close(_keep)


def test_a_child_whose_work_raises_gives_no_result() -> None:
    def fail() -> int:
        raise ValueError("no")

    assert forked.Forked(fail).result(30.0) is None
    assert forked.Forked(lambda: 7).result(30.0) == 7


@pytest.mark.parametrize("missing", [3, 16, 25, 35])
def test_a_gap_in_a_full_chunk_read_without_indices_is_reported_exactly(
    ledger: LedgerService, monkeypatch: pytest.MonkeyPatch, missing: int
) -> None:
    """A full range below the log's size is read without its indices; the one with the gap
    comes back short and is read again by keyset, so the gap is named as before."""
    monkeypatch.setattr(verify, "FORK_MIN", SERIAL)
    _tamper(ledger._engine, f"DELETE FROM ledger_entries WHERE leaf_index = {missing}")

    report = ledger.verify()

    assert report.errors[0] == f"entries {missing}..{missing} are missing (a gap in the log)"
    assert not report.verified
