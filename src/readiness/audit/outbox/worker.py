"""The server's relay worker: platform events move from the outbox into the ledger in the
background, not in the request that made the change.

While a :class:`RelayWorker` runs for a state database, :func:`relay_after_commit
<readiness.audit.outbox.service.relay_after_commit>` only wakes it: the request answers once its
change (and its event, in the outbox) committed, and the worker relays right after, under the
same relay lock and with the same exactly-once steps as every relay. It also relays every
``retry_every_s`` (what a failed relay left behind, say while the audit database was down), and
once more when it stops. Anything that reads the trail still relays first, so a reader never
misses an event the worker has not moved yet. Without a worker (the CLI) the relay stays
synchronous.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine

from readiness._common.clock import Clock
from readiness.storage.engine import Stores

log = logging.getLogger(__name__)

RETRY_EVERY_S = 30.0
Relay = Callable[[Stores, Clock], int]

_workers: dict[Engine, RelayWorker] = {}
_workers_lock = threading.Lock()


def running_worker(state: Engine) -> RelayWorker | None:
    """The worker relaying the outbox of ``state`` in this process, if one runs."""
    with _workers_lock:
        return _workers.get(state)


class RelayWorker:
    """One thread relaying the outbox of ``stores`` when woken (see the module)."""

    def __init__(
        self,
        stores: Stores,
        clock: Clock,
        relay: Relay,
        *,
        retry_every_s: float = RETRY_EVERY_S,
    ) -> None:
        self._stores = stores
        self._clock = clock
        self._relay = relay
        self._retry_every_s = retry_every_s
        self._cond = threading.Condition()
        self._wakes = 0  # wake() calls so far
        self._done = 0  # wake() calls the last finished round started after
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="audit-outbox-relay", daemon=True)

    def start(self) -> None:
        with _workers_lock:
            if self._stores.state in _workers:
                raise RuntimeError("a relay worker already runs for this state database")
            _workers[self._stores.state] = self
        self._thread.start()

    def wake(self) -> None:
        """A change committed: relay soon (returns at once)."""
        with self._cond:
            self._wakes += 1
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until a round that started after every wake so far has finished; False on
        timeout (what tests and shutdown use to know the outbox was handled)."""
        with self._cond:
            target = self._wakes
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def stop(self) -> None:
        """Relay what is left, then end the thread; later commits relay synchronously."""
        with _workers_lock:
            if _workers.get(self._stores.state) is self:
                del _workers[self._stores.state]
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._stopping or self._wakes > self._done, self._retry_every_s
                )
                stopping, started = self._stopping, self._wakes
            try:
                self._relay(self._stores, self._clock)
            except Exception:  # the events are safe in the outbox; the next round retries
                log.warning(
                    "audit outbox relay failed; the events wait in the outbox", exc_info=True
                )
            with self._cond:
                self._done = started
                self._cond.notify_all()
            if stopping:
                return
