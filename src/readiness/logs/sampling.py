"""Deterministic sampling per trace: a request's DEBUG and INFO lines are kept or dropped whole.

WARN, ERROR and FATAL lines, lines marked ``audit=True``, lines without a ``trace_id`` and the
lines written under a debug grant (``readiness.logs.override``) are never sampled. A trace is
kept when ``sample_fraction(trace_id) < rate``; every line of a sampled level that is kept
records ``sample_rate`` so counts can be scaled back up.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import MutableMapping
from typing import Any

import structlog

from readiness.logs import override

SAMPLED_LEVELS = frozenset({"debug", "info"})


def sample_fraction(trace_id: str) -> float:
    """A trace's place in [0, 1): the first 8 bytes of SHA-256(trace_id) over 2**64 (the same in
    every service, whatever the id's format)."""
    digest = hashlib.sha256(trace_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def keep(level: str, trace_id: object, *, rate: float, audit: bool = False) -> bool:
    """Whether a line of ``level`` in trace ``trace_id`` is written at sampling ``rate``."""
    if audit or level not in SAMPLED_LEVELS or not isinstance(trace_id, str) or not trace_id:
        return True
    return sample_fraction(trace_id) < rate


class Sampler:
    """The structlog processor (drops with ``DropEvent``) and the ``logging`` filter."""

    def __init__(self, rate: float) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"sample rate must be between 0 and 1 (got {rate!r})")
        self.rate = rate

    def __call__(
        self, _logger: object, _method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        level = str(event_dict.get("level", ""))
        trace_id = event_dict.get("trace_id")
        foreign = "_record" in event_dict and not event_dict.get("_from_structlog")
        # logruntime hook: a request being debugged under a grant is kept whole
        audit = bool(event_dict.get("audit")) or override.request_level() is not None
        if not foreign and not keep(level, trace_id, rate=self.rate, audit=audit):
            # (a third-party line was already decided by ``filter``, before formatting)
            raise structlog.DropEvent
        if not audit and level in SAMPLED_LEVELS and isinstance(trace_id, str) and trace_id:
            event_dict["sample_rate"] = self.rate
        return event_dict

    def filter(self, record: logging.LogRecord) -> bool:
        """``logging.Filter`` protocol, for third-party lines (the context's ``trace_id``)."""
        level = {"warning": "warn", "critical": "fatal"}.get(
            record.levelname.lower(), record.levelname.lower()
        )
        trace_id = structlog.contextvars.get_contextvars().get("trace_id")
        # A request under a debug grant keeps its third-party lines too, as its own.
        audit = bool(getattr(record, "audit", False)) or override.request_level() is not None
        return keep(level, trace_id, rate=self.rate, audit=audit)
