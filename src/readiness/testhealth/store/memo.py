"""Results of costly reads kept per engine, under a key that names the data they came from.

A key must change whenever the answer could (see :func:`.evidence_cache.state_stamp`), so a
kept answer is never stale: the memo only saves recomputing the same answer. Each engine keeps
its last few answers (least recently used out first); an engine that is gone takes its answers
with it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine


class EngineMemo:
    """Answers of one kind of read, at most ``size`` per engine."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: WeakKeyDictionary[Engine, OrderedDict[Hashable, Any]] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, engine: Engine, key: Hashable) -> Any | None:
        """The answer kept for ``key``, or None."""
        with self._lock:
            kept = self._kept.get(engine)
            if kept is None or key not in kept:
                return None
            kept.move_to_end(key)
            return kept[key]

    def put(self, engine: Engine, key: Hashable, answer: Any) -> None:
        """Keep ``answer`` (immutable: callers share it) for ``key``."""
        with self._lock:
            kept = self._kept.setdefault(engine, OrderedDict())
            kept[key] = answer
            kept.move_to_end(key)
            while len(kept) > self._size:
                kept.popitem(last=False)

    def get_or_load(self, engine: Engine, key: Hashable, load: Callable[[], Any]) -> Any:
        """The kept answer for ``key``, else ``load()`` kept and returned."""
        answer = self.get(engine, key)
        if answer is None:
            answer = load()
            self.put(engine, key, answer)
        return answer
