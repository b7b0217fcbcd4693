"""The delivery worker: claims due deliveries, sends them signed, records every attempt.

``readiness serve`` runs one in a background thread (:class:`DeliveryWorker`); ``readiness
notify deliver`` runs it from a terminal or cron. Several workers, on one machine or on server
replicas sharing PostgreSQL, never send the same delivery twice (see :mod:`.store`).

Time, randomness, the HTTP call and the pause between polls are parameters, so tests drive the
loop without sleeping.
"""

from __future__ import annotations

import logging
import random as _random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import readiness
from readiness._common.clock import Clock
from readiness.config import NotifySettings
from readiness.notify import store
from readiness.notify.core import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    excerpt,
    retry_delay_s,
    shown_url,
    sign,
)
from readiness.notify.model import AttemptResult, Delivery
from readiness.storage.engine import Stores

log = logging.getLogger("readiness.notify")
Sender = Callable[[str, bytes, dict[str, str], float], AttemptResult]
Sweep = Callable[[Stores, Clock], int]
LEASE_MARGIN_S = 30.0
BATCH = 20


def http_sender(url: str, body: bytes, headers: dict[str, str], timeout: float) -> AttemptResult:
    """POST ``body`` to ``url`` with httpx; redirects are not followed (a 3xx is a failure)."""
    import httpx

    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=timeout, follow_redirects=False
        )
    except httpx.TimeoutException:
        return AttemptResult(None, f"timed out after {timeout:g}s")
    except httpx.HTTPError as exc:
        # httpx's messages may name the URL, whose path can hold a credential (Slack's do).
        message = str(exc).replace(url, shown_url(url))
        return AttemptResult(None, excerpt(f"{type(exc).__name__}: {message}"))
    if 200 <= response.status_code < 300:
        return AttemptResult(response.status_code, None)
    return AttemptResult(response.status_code, excerpt(response.text) or None)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt a worker made: the delivery as claimed and what came back."""

    delivery: Delivery
    result: AttemptResult
    next_attempt_at: datetime | None


def deliver_due(
    stores: Stores,
    *,
    settings: NotifySettings,
    clock: Clock,
    send: Sender = http_sender,
    random: Callable[[], float] = _random.random,
    limit: int = BATCH,
) -> list[Attempt]:
    """Claim the deliveries that are due now, send each once, and record the outcomes."""
    lease = timedelta(seconds=settings.timeout_s + LEASE_MARGIN_S)
    done: list[Attempt] = []
    for delivery in store.claim_due(stores.state, now=clock.now(), lease=lease, limit=limit):
        hook = store.get_webhook(stores.state, delivery.webhook_id)
        if hook is None:  # removed meanwhile (its deliveries went with it)
            continue
        body = delivery.payload.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"readiness/{readiness.__version__}",
            SIGNATURE_HEADER: sign(hook.secret, body, timestamp=int(clock.now().timestamp())),
            EVENT_HEADER: delivery.event_type,
            DELIVERY_HEADER: delivery.event_id,
        }
        result = send(hook.url, body, headers, settings.timeout_s)
        now = clock.now()
        next_at: datetime | None = None
        if not result.ok:
            delay = retry_delay_s(
                delivery.attempts + 1,
                base_s=settings.backoff_base_s,
                cap_s=settings.backoff_cap_s,
                max_attempts=settings.max_attempts,
                random=random,
            )
            next_at = now + timedelta(seconds=delay) if delay is not None else None
        error = None if result.ok else (result.error or f"HTTP {result.status_code}")
        store.record_attempt(
            stores.state,
            delivery.id,
            now=now,
            status_code=result.status_code,
            error=error,
            delivered=result.ok,
            next_attempt_at=next_at,
        )
        done.append(Attempt(delivery, result, next_at))
    return done


def run_sweeps(sweeps: Sequence[Sweep], stores: Stores, clock: Clock) -> int:
    """Run each sweep (events found by looking, e.g. quarantine expiry); how many were queued."""
    queued = 0
    for sweep in sweeps:
        try:
            queued += sweep(stores, clock)
        except Exception as exc:  # one broken sweep must not stop deliveries
            log.warning("readiness: notification sweep failed (%s: %s)", type(exc).__name__, exc)
    return queued


class DeliveryWorker:
    """The loop: deliver what is due, sweep every ``sweep_every_s``, pause ``poll_s``.

    ``wait(seconds)`` pauses and returns True when the worker should stop (by default the
    stop event's ``wait``); tests pass one that returns at once.
    """

    def __init__(
        self,
        stores: Stores,
        *,
        settings: NotifySettings,
        clock: Clock,
        sweeps: Sequence[Sweep] = (),
        send: Sender = http_sender,
        random: Callable[[], float] = _random.random,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.stores = stores
        self.settings = settings
        self.clock = clock
        self.sweeps = tuple(sweeps)
        self.send = send
        self.random = random
        self._stop = threading.Event()
        self.wait = wait or self._stop.wait
        self._next_sweep: datetime | None = None
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[Attempt]:
        """One round: the sweeps when due, then every due delivery."""
        now = self.clock.now()
        if self.sweeps and (self._next_sweep is None or now >= self._next_sweep):
            run_sweeps(self.sweeps, self.stores, self.clock)
            self._next_sweep = now + timedelta(seconds=self.settings.sweep_every_s)
        attempts: list[Attempt] = []
        while True:
            batch = deliver_due(
                self.stores,
                settings=self.settings,
                clock=self.clock,
                send=self.send,
                random=self.random,
            )
            attempts.extend(batch)
            if len(batch) < BATCH:
                return attempts

    def run(self) -> None:
        """Loop until stopped; an error in one round is logged and the loop goes on."""
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:
                log.warning("readiness: webhook delivery round failed (%s)", type(exc).__name__)
            if self.wait(self.settings.poll_s):
                return

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="readiness-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to stop and wait for the round in progress to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
