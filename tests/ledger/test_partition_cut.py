"""The month roll-over of a large open partition on PostgreSQL: cut ``NOT VALID``, validated
outside the log's write lock while appends go on, then re-attached without a scan (real
PostgreSQL: the lock the validation holds is read from ``pg_locks``, the skipped scan from the
server's own DEBUG message)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import FrozenClock
from readiness.ledger import partitions
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash
from readiness.ledger.sequencer import Sequencer, advisory_key
from readiness.ledger.store import iter_entries
from readiness.storage.engine import Stores, create_engine_for

LOG = "audit.example/it's a cut"  # a quote in the name: the DDL quotes it
JAN = datetime(2026, 1, 31, 23, 59, tzinfo=UTC)
FEB = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)
pytestmark = pytest.mark.parametrize("backend", ["postgres"])


@pytest.fixture
def appender(stores: Stores) -> Iterator[tuple[Engine, list[str]]]:
    """An engine on the same schema whose sessions wait at most 5 s for any lock (an append
    that a lock blocks fails; it cannot hang the test) and collect the server's messages down
    to DEBUG1 (where PostgreSQL says that it skipped a partition's scan)."""
    url = stores.audit.url
    options = url.query["options"]
    assert isinstance(options, str)
    engine = create_engine_for(
        url.update_query_dict(
            {"options": f"{options} -clock_timeout=5s -cclient_min_messages=debug1"}
        ).render_as_string(hide_password=False)
    )
    messages: list[str] = []

    @sa.event.listens_for(engine, "connect")
    def _collect(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.add_notice_handler(  # type: ignore[attr-defined]
            lambda diag: messages.append(str(diag.message_primary))
        )

    yield engine, messages
    engine.dispose()


def _layout(engine: Engine) -> list[tuple[int, int | None, tuple[int, int], int]]:
    with engine.connect() as conn:
        found = partitions.list_partitions(conn, LOG)
        return [
            (
                p.first_leaf,
                p.end,
                p.month,
                int(conn.execute(sa.text(f'SELECT count(*) FROM "{p.name}"')).scalar_one()),
            )
            for p in found
        ]


def _cut(engine: Engine) -> partitions.Cut | None:
    with engine.connect() as conn:
        return partitions.pending_cut(conn, partitions.list_partitions(conn, LOG)[-1])


def _entries(engine: Engine) -> list[tuple[int, bytes]]:
    with engine.connect() as conn:
        return [(index, entry) for index, entry, _ in iter_entries(conn, LOG)]


def _sequencer(engine: Engine, clock: FrozenClock, **options: object) -> Sequencer:
    return Sequencer(engine, LOG, clock, window_ms=0, exact_cut_rows=0, **options)  # type: ignore[arg-type]


def test_appends_go_on_while_the_cut_is_validated_and_the_reattach_skips_the_scan(
    stores: Stores, clock: FrozenClock, appender: tuple[Engine, list[str]]
) -> None:
    engine, messages = appender
    sequencer = _sequencer(engine, clock, cut_margin=10, validate_cuts=False)
    validator = stores.audit.connect()
    try:
        clock.set(JAN)
        assert sequencer.append([b"a", b"b", b"c"]) == [0, 1, 2]
        clock.set(FEB)
        assert sequencer.append([b"d", b"e"]) == [3, 4]
        # Cut at the batch's end plus the margin, not yet valid: February's first leaves go on
        # into January's partition.
        assert _cut(engine) == partitions.Cut(
            partitions.cut_name(partitions.partition_name(LOG, (2026, 1))), 15, valid=False
        )
        assert _layout(engine) == [(0, None, (2026, 1), 5)]

        with validator.begin():
            assert partitions.validate_cut(validator, LOG)
            held = validator.execute(
                sa.text(
                    "SELECT l.mode FROM pg_locks l WHERE l.pid = pg_backend_pid() "
                    "AND l.granted AND l.relation = to_regclass(quote_ident(:t))"
                ),
                {"t": partitions.partition_name(LOG, (2026, 1))},
            ).scalars()
            assert "ShareUpdateExclusiveLock" in set(held)
            # While the validation holds its lock: an append of the log (lock_timeout 5 s).
            assert sequencer.append([b"f", b"g"]) == [5, 6]
            assert _cut(engine) == partitions.Cut(
                partitions.cut_name(partitions.partition_name(LOG, (2026, 1))), 15, valid=False
            )  # not yet committed
        assert _cut(engine) is not None
        assert _cut(engine).valid  # type: ignore[union-attr]

        messages.clear()
        assert sequencer.append([b"h"]) == [7]  # the next batch finishes the roll-over
        assert any("is implied by existing constraints" in m for m in messages), messages
        assert _layout(engine) == [(0, 15, (2026, 1), 8), (15, None, (2026, 2), 0)]

        assert sequencer.append([bytes([i]) for i in range(8)]) == list(range(8, 16))
        assert _layout(engine) == [(0, 15, (2026, 1), 15), (15, None, (2026, 2), 1)]
    finally:
        validator.close()
        sequencer.close()
    stored = _entries(stores.audit)
    expected = [*(e.encode() for e in "abcdefgh"), *(bytes([i]) for i in range(8))]
    assert stored == list(enumerate(expected))
    with stores.audit.connect() as conn:
        hashes = [value for _, _, value in iter_entries(conn, LOG)]
    assert MemoryTree(hashes).root() == MemoryTree([leaf_hash(e) for e in expected]).root()


def test_a_batch_that_would_pass_the_cut_before_the_validation_validates_it_in_line(
    stores: Stores, clock: FrozenClock
) -> None:
    sequencer = _sequencer(stores.audit, clock, cut_margin=2, validate_cuts=False)
    try:
        clock.set(JAN)
        sequencer.append([b"a", b"b", b"c"])
        clock.set(FEB)
        sequencer.append([b"d", b"e"])  # cut at 7
        assert sequencer.append([b"f", b"g", b"h"]) == [5, 6, 7]  # 8 > 7: validated in line
    finally:
        sequencer.close()
    assert _layout(stores.audit) == [(0, 7, (2026, 1), 7), (7, None, (2026, 2), 1)]
    assert _entries(stores.audit) == list(enumerate(e.encode() for e in "abcdefgh"))


def test_the_sequencer_validates_the_cut_in_its_own_thread_and_the_next_batch_rolls_over(
    stores: Stores, clock: FrozenClock
) -> None:
    sequencer = _sequencer(stores.audit, clock, cut_margin=10)
    clock.set(JAN)
    sequencer.append([b"a", b"b", b"c"])
    clock.set(FEB)
    sequencer.append([b"d", b"e"])
    sequencer.close()  # waits for the validator thread

    assert _cut(stores.audit) == partitions.Cut(
        partitions.cut_name(partitions.partition_name(LOG, (2026, 1))), 15, valid=True
    )
    # Another process (a fresh sequencer) finishes the roll-over with its first batch.
    again = _sequencer(stores.audit, clock)
    try:
        assert again.append([b"f"]) == [5]
    finally:
        again.close()
    assert _layout(stores.audit) == [(0, 15, (2026, 1), 6), (15, None, (2026, 2), 0)]


def test_a_small_open_partition_is_still_cut_exactly_at_the_first_leaf_of_the_month(
    stores: Stores, clock: FrozenClock
) -> None:
    sequencer = Sequencer(stores.audit, LOG, clock, window_ms=0, exact_cut_rows=3)
    try:
        clock.set(JAN)
        sequencer.append([b"a", b"b", b"c"])
        clock.set(FEB)
        assert sequencer.append([b"d", b"e"]) == [3, 4]
    finally:
        sequencer.close()
    assert _layout(stores.audit) == [(0, 3, (2026, 1), 3), (3, None, (2026, 2), 2)]


def test_a_clock_back_in_the_old_month_still_finishes_the_cut_before_passing_it(
    stores: Stores, clock: FrozenClock
) -> None:
    sequencer = _sequencer(stores.audit, clock, cut_margin=10, validate_cuts=False)
    try:
        clock.set(JAN)
        sequencer.append([b"a", b"b", b"c"])
        clock.set(FEB)
        sequencer.append([b"d", b"e"])  # cut at 15
        clock.set(JAN)  # the clock steps back
        assert sequencer.append([b"%d" % i for i in range(5)]) == [5, 6, 7, 8, 9]
        assert _layout(stores.audit) == [(0, None, (2026, 1), 10)]
        assert sequencer.append([b"%d" % i for i in range(6)]) == list(range(10, 16))
    finally:
        sequencer.close()
    assert _layout(stores.audit) == [(0, 15, (2026, 1), 15), (15, None, (2026, 2), 1)]


def test_a_process_whose_clock_is_still_in_the_old_month_does_not_fail_a_batch_at_the_cut(
    stores: Stores, clock: FrozenClock
) -> None:
    """Two sequencers on their own connections: the one whose clock reached February cuts
    January's partition; the other, still in January, knew January open (the one-round-trip
    path) and appends past the cut before it learned of it: its batch is not refused by the cut
    constraint, it finishes the roll-over in the same call."""
    late = FrozenClock(JAN)
    ahead = _sequencer(stores.audit, clock, cut_margin=10, validate_cuts=False)
    behind = _sequencer(stores.audit, late, cut_margin=10, validate_cuts=False)
    try:
        clock.set(JAN)
        assert ahead.append([b"a", b"b", b"c"]) == [0, 1, 2]
        assert behind.append([b"d"]) == [3]  # knows January's partition open
        clock.set(FEB)
        assert ahead.append([b"e", b"f"]) == [4, 5]  # cut at 16, not yet valid
        assert _cut(stores.audit) == partitions.Cut(
            partitions.cut_name(partitions.partition_name(LOG, (2026, 1))), 16, valid=False
        )
        assert behind.append([b"%d" % i for i in range(4)]) == [6, 7, 8, 9]  # below the cut
        assert behind.append([b"%d" % i for i in range(20)]) == list(range(10, 30))
        assert _layout(stores.audit) == [(0, 16, (2026, 1), 16), (16, None, (2026, 2), 14)]
        assert ahead.append([b"g"]) == [30]
        assert behind.append([b"h"]) == [31]
    finally:
        ahead.close()
        behind.close()
    expected = [
        *(e.encode() for e in "abcdef"),
        *(b"%d" % i for i in range(4)),
        *(b"%d" % i for i in range(20)),
        b"g",
        b"h",
    ]
    assert _entries(stores.audit) == list(enumerate(expected))
    with stores.audit.connect() as conn:
        hashes = [value for _, _, value in iter_entries(conn, LOG)]
    assert MemoryTree(hashes).root() == MemoryTree([leaf_hash(e) for e in expected]).root()


def test_a_batch_on_the_one_round_trip_path_that_runs_into_a_cut_rolls_over_in_the_same_call(
    stores: Stores, clock: FrozenClock
) -> None:
    """A cut this sequencer has not seen at the size it knows (made on another connection, in a
    transaction of the log's lock that stored no leaf): its next batch, on the one-round-trip
    path, is refused by the cut constraint; the same call redoes it on the locked path, which
    validates the cut and rolls over: the batch is stored once, acknowledged, nothing lost."""
    sequencer = _sequencer(stores.audit, clock, cut_margin=2, validate_cuts=False)
    try:
        clock.set(JAN)
        assert sequencer.append([b"a", b"b", b"c"]) == [0, 1, 2]
        assert sequencer.append([b"d"]) == [3]  # the one-round-trip path from here on
        with stores.audit.begin() as other:
            other.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (advisory_key(LOG),))
            opened = partitions.ensure_month(
                other, LOG, (2026, 2), 4, FEB, 4, margin=2, exact_below=0
            )
            assert opened == partitions.Opened((2026, 1), cut_pending=True)
        assert _cut(stores.audit) == partitions.Cut(
            partitions.cut_name(partitions.partition_name(LOG, (2026, 1))), 6, valid=False
        )
        assert sequencer.append([b"%d" % i for i in range(5)]) == [4, 5, 6, 7, 8]
        assert _layout(stores.audit) == [(0, 6, (2026, 1), 6), (6, None, (2026, 2), 3)]
        assert sequencer.append([b"e"]) == [9]
    finally:
        sequencer.close()
    expected = [b"a", b"b", b"c", b"d", *(b"%d" % i for i in range(5)), b"e"]
    assert _entries(stores.audit) == list(enumerate(expected))
