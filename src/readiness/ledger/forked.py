"""Run a function in a forked child process and take its picklable result back over a pipe.

The child is a copy of this process made by ``os.fork`` (no re-import, no interpreter start:
the cost is the fork itself); it runs the function, writes the pickled result to a pipe and
leaves with ``os._exit``, so nothing of the parent's (atexit handlers, pytest, open
connections) runs in it. Any exception in the child becomes a ``None`` result: the caller falls
back to doing the work itself.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return hasattr(os, "fork")


class Forked(Generic[T]):
    """A child process computing ``work()``; :meth:`result` waits for it (once)."""

    def __init__(self, work: Callable[[], T]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; its work is covered by the caller's tests
            os.close(read)
            code = 0
            try:
                try:
                    data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:  # reported to the parent as None
                    data = pickle.dumps(None)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
            except BaseException:  # the child never returns into the caller
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self._pid = pid
        self._read = read
        self._done = False

    def result(self, timeout: float) -> T | None:
        """The child's result, or None when it failed or sent nothing within ``timeout``
        seconds (a child forked from a threaded process can block on a lock another thread
        held at the fork: it is killed and the caller does the work itself)."""
        try:
            data = self._receive(time.monotonic() + timeout)
            if data is None:
                return None
            _, status = os.waitpid(self._pid, 0)
            self._done = True
            if status != 0 or not data:
                return None
            value: T | None = pickle.loads(data)  # noqa: S301 - our own child's bytes
            return value
        finally:
            self.cancel()

    def _receive(self, deadline: float) -> bytes | None:
        parts: list[bytes] = []
        while True:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return None
            part = os.read(self._read, 1 << 20)
            if not part:
                os.close(self._read)
                self._read = -1
                return b"".join(parts)
            parts.append(part)

    def cancel(self) -> None:
        """Stop the child if it still runs (the parent gave up on its result)."""
        if self._done:
            return
        self._done = True
        if self._read >= 0:
            with contextlib.suppress(OSError):
                os.close(self._read)
            self._read = -1
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._pid, 0)
