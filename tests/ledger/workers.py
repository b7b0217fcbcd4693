"""Child processes of the ledger's multi-process and crash tests (spawned: importable targets)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from typing import Any

from readiness._common.clock import FrozenClock
from readiness.ledger.sequencer import Sequencer
from readiness.storage.engine import create_engine_for

CLOCK = FrozenClock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))


def append_concurrently(  # noqa: PLR0917 - a process target takes positional arguments
    url: str,
    log: str,
    worker: int,
    threads: int,
    batches: int,
    per_batch: int,
    barrier: Barrier,
    results: Any,
) -> None:
    """``threads`` submitters in this process, started with the other processes at once."""
    engine = create_engine_for(url)
    sequencer = Sequencer(engine, log, CLOCK, window_ms=1)
    acked: dict[bytes, int] = {}

    def submit(thread: int) -> None:
        for batch in range(batches):
            data = [f"w{worker}-t{thread}-b{batch}-{i}".encode() for i in range(per_batch)]
            acked.update(zip(data, sequencer.append(data), strict=True))

    barrier.wait()
    pool = [threading.Thread(target=submit, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    sequencer.close()
    engine.dispose()
    results.put(acked)


def append_until_killed(url: str, log: str, stop_at: str, after: int, pipe: Connection) -> None:
    """Append batches of 3, reporting each acknowledgement; at the ``after``-th time the
    sequencer reaches ``stop_at`` (``locked``, ``inserted``, ``committed``; ``""``: never), say
    so and wait to be killed. Without a stage the parent kills at a moment of its choosing."""
    engine = create_engine_for(url)
    reached = [0]

    def hook(stage: str) -> None:
        if stage == stop_at:
            reached[0] += 1
            if reached[0] == after:
                pipe.send(("stopped", stage))
                pipe.recv()  # never answered: SIGKILL comes first

    sequencer = Sequencer(engine, log, CLOCK, window_ms=0, stage_hook=hook)
    number = 0
    while True:
        data = [f"entry {number}-{i}".encode() for i in range(3)]
        number += 1
        pipe.send(("acked", data, sequencer.append(data)))
