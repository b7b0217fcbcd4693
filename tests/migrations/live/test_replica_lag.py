"""The backfill pauses while a real streaming replica lags, and goes on once it caught up."""

from __future__ import annotations

import psycopg

from readiness.migrations.toolkit.backfill import BackfillSpec, lag_probe, run_backfill
from tests.migrations.live._replica import caught_up, streaming_pair, wait_until


def test_backfill_pauses_while_the_replica_lags_beyond_the_limit() -> None:
    with (
        streaming_pair() as (primary_url, replica_url),
        psycopg.connect(primary_url, autocommit=True) as primary,
        psycopg.connect(replica_url, autocommit=True) as replica,
    ):
        primary.execute("CREATE TABLE t (id int PRIMARY KEY, name text, full_name text)")
        primary.execute("INSERT INTO t SELECT g, 'n' || g, NULL FROM generate_series(1, 12) g")
        wait_until(lambda: caught_up(primary, replica), "the replica to replay the setup")
        replica.execute("SELECT pg_wal_replay_pause()")
        primary.execute("INSERT INTO t VALUES (13, 'n13', NULL)")
        lag = lag_probe(replica, on_replica=True)
        wait_until(lambda: lag() > 0.2, "the paused replica to lag")
        limit = lag()  # the threshold: the lag at the next check is above it
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if seconds == 5.0:
                replica.execute("SELECT pg_wal_replay_resume()")
            wait_until(lambda: caught_up(primary, replica), "the replica to catch up")

        spec = BackfillSpec(
            "t", "full_name = name", "full_name IS DISTINCT FROM name", batch_size=5,
            max_lag_s=limit,
        )  # fmt: skip
        result = run_backfill(primary, spec, sleep=sleep, lag=lag)
        left = replica.execute("SELECT count(*) FROM t WHERE full_name IS NULL").fetchone()

    assert (result.status, result.batches, result.rows, result.lag_pauses) == ("done", 3, 13, 1)
    assert sleeps == [5.0, 0.1, 0.1, 0.1]
    assert left == (0,)
