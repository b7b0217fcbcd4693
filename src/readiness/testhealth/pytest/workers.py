"""pytest-xdist: what the controller hands its workers, so a session stays one run.

The controller loads the settings and the quarantine once (file and server) and fixes the
session's clock; every worker enforces exactly that list at exactly that instant, without asking
the server again or loading the settings itself. Values cross execnet, so they travel as plain
strings, numbers, lists and dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pytest

    from readiness.testhealth.model import QuarantineEntry

__all__ = ["WIRE_KEY", "WorkerSetup", "to_wire", "worker_setup"]

WIRE_KEY = "readiness"
_FIELDS = ("test_id", "owner", "reason", "issue", "created", "expires", "created_by", "source")


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker takes from its controller instead of working it out again."""

    quarantine: list[QuarantineEntry]
    now: datetime
    new_reruns: int


def to_wire(
    quarantine: Iterable[QuarantineEntry], now: datetime, new_reruns: int
) -> dict[str, Any]:
    """The controller's decisions as execnet-safe values (datetimes in ISO 8601)."""
    entries: list[dict[str, str | None]] = []
    for entry in quarantine:
        item: dict[str, str | None] = {}
        for name in _FIELDS:
            value = getattr(entry, name)
            item[name] = value.isoformat() if isinstance(value, datetime) else value
        entries.append(item)
    return {"quarantine": entries, "now": now.isoformat(), "new_reruns": new_reruns}


def worker_setup(config: pytest.Config) -> WorkerSetup | None:
    """What the controller sent this xdist worker; ``None`` in any other process (or when the
    controller had no readiness plugin registered)."""
    wire = getattr(config, "workerinput", {}).get(WIRE_KEY)
    if wire is None:
        return None
    from readiness.testhealth.model import QuarantineEntry

    quarantine = [
        QuarantineEntry(
            test_id=item["test_id"],
            owner=item["owner"],
            reason=item["reason"],
            issue=item["issue"],
            created=datetime.fromisoformat(item["created"]),
            expires=datetime.fromisoformat(item["expires"]),
            created_by=item["created_by"],
            source=item["source"],
        )
        for item in wire["quarantine"]
    ]
    return WorkerSetup(quarantine, datetime.fromisoformat(wire["now"]), int(wire["new_reruns"]))
