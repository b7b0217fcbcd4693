"""Field-presence monitoring from sample events (pure, handbook Q11): the tolerant reader's
blind spot is a field that silently stops arriving, so each day's samples are counted per field
path and a field whose presence falls from ``high`` % yesterday to ``low`` % today is reported.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from readiness.errors import InputError

MAX_LINE = 1_000_000
MAX_DEPTH = 32
MAX_PATH = 500  # the stored path's length
MAX_PATHS = 10_000  # distinct field paths in one batch


def parse_samples(text: str) -> list[dict[str, Any]]:
    """JSON lines, one object per non-blank line; :class:`InputError` names the bad line."""
    events: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise InputError(f"sample line {number}: longer than {MAX_LINE} characters")
        try:
            event = json.loads(line)
        except ValueError as exc:
            raise InputError(f"sample line {number}: not JSON ({exc})") from None
        except RecursionError:
            raise InputError(f"sample line {number}: nested too deeply") from None
        if not isinstance(event, dict):
            raise InputError(
                f"sample line {number}: expected a JSON object (got {type(event).__name__})"
            )
        events.append(event)
    return events


def present_paths(event: Mapping[str, Any]) -> set[str]:
    """The field paths present (not null) in one event: ``order.amount``, ``lines[].sku``."""
    out: set[str] = set()
    _walk(event, "", out, 0)
    return out


def _walk(node: Any, prefix: str, out: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if value is None:
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            out.add(path)
            _walk(value, path, out, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _walk(item, f"{prefix}[]", out, depth + 1)


def count(events: Iterable[Mapping[str, Any]]) -> tuple[int, Counter[str]]:
    """How many events, and in how many of them each path is present."""
    total = 0
    present: Counter[str] = Counter()
    for event in events:
        total += 1
        paths = present_paths(event)
        long = next((p for p in paths if len(p) > MAX_PATH), None)
        if long is not None:
            raise InputError(
                f"sample event {total}: field path longer than {MAX_PATH} characters "
                f"({long[:40]}...)"
            )
        present.update(paths)
        if len(present) > MAX_PATHS:
            raise InputError(f"samples hold more than {MAX_PATHS} distinct field paths")
    return total, present


@dataclass(frozen=True)
class PresenceDrop:
    path: str
    before: float  # percent of the earlier day's events holding the field
    after: float

    def message(self) -> str:
        return f"{self.path}: present in {self.before:g}% of events, then {self.after:g}%"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "message": self.message(),
        }


def percent(present: int, total: int) -> float:
    return round(100.0 * present / total, 4) if total else 0.0


def drops(
    before: tuple[int, Mapping[str, int]],
    after: tuple[int, Mapping[str, int]],
    *,
    high: float = 100.0,
    low: float = 0.0,
) -> list[PresenceDrop]:
    """Fields present in at least ``high`` % of the earlier day's events and at most ``low`` %
    of the later day's (no events on either day: nothing to compare, nothing reported)."""
    (b_total, b_present), (a_total, a_present) = before, after
    if not b_total or not a_total:
        return []
    out = []
    for path in sorted(b_present):
        b = percent(b_present[path], b_total)
        a = percent(a_present.get(path, 0), a_total)
        if b >= high and a <= low:
            out.append(PresenceDrop(path, b, a))
    return out
