"""A primary and a streaming replica, two small local PostgreSQL clusters the test starts.

The shared server on 5432 allows no replication connection (its pg_hba.conf has no
``replication`` line), so the pair is made here: ``initdb`` a primary on a free port that
allows replication, ``pg_basebackup -R`` a replica from it on another port, and both are
stopped and removed at the end. Runs as the ``postgres`` OS user (through ``runuser`` when the
tests run as root). Skips with the reason when the binaries or that user are missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_postgres(args), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds (a condition wait, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def caught_up(primary: psycopg.Connection, replica: psycopg.Connection) -> bool:
    """The replica has replayed everything the primary has written."""
    row = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    target = row[0] if row else None
    replayed = replica.execute(
        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
    ).fetchone()
    return bool(replayed and replayed[0])


@contextmanager
def single_cluster(extra_conf: str) -> Iterator[str]:
    """The URL of a fresh cluster on a free port, ``extra_conf`` added to its configuration."""
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    base = Path(tempfile.mkdtemp(prefix="readiness-cluster-"))
    base.chmod(0o777)  # the postgres user creates the cluster in it
    data, port = base / "data", _free_port()
    started = False
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-N"])
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{base}'\nfsync = off\n{extra_conf}\n"
            )
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "start"])
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def streaming_pair() -> Iterator[tuple[str, str]]:
    """(primary URL, replica URL) of a running primary and streaming replica."""
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    base = Path(tempfile.mkdtemp(prefix="readiness-replica-"))
    base.chmod(0o777)  # the postgres user creates the clusters in it
    primary_dir, replica_dir = base / "primary", base / "replica"
    p_port, r_port = _free_port(), _free_port()
    started: list[Path] = []
    try:
        _run(
            [str(bindir / "initdb"), "-D", str(primary_dir), "-U", "postgres", "--auth=trust", "-N"]
        )
        with (primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {p_port}\nlisten_addresses = '127.0.0.1'\nwal_level = replica\n"
                       f"unix_socket_directories = '{base}'\nfsync = off\n")  # fmt: skip
        with (primary_dir / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(primary_dir),
                "-w",
                "-l",
                str(base / "p.log"),
                "start",
            ]
        )
        started.append(primary_dir)
        _run([str(bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres",
              "-D", str(replica_dir), "-R", "-X", "stream"])  # fmt: skip
        with (replica_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {r_port}\nhot_standby = on\n")
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(replica_dir),
                "-w",
                "-l",
                str(base / "r.log"),
                "start",
            ]
        )
        started.append(replica_dir)
        primary = f"postgresql://postgres@127.0.0.1:{p_port}/postgres"
        replica = f"postgresql://postgres@127.0.0.1:{r_port}/postgres"
        with psycopg.connect(primary, autocommit=True) as conn:
            wait_until(
                lambda: bool(conn.execute(
                    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
                ).fetchone() == (1,)),
                "the replica to stream",
            )  # fmt: skip
        yield primary, replica
    finally:
        for data in reversed(started):
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)
