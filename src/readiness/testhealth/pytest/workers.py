"""pytest-xdist: what the controller hands its workers, so a session stays one run.

The controller loads the quarantine once (file and server) and fixes the session's clock; every
worker enforces exactly that list at exactly that instant instead of asking the server again.
Values cross execnet, so they travel as plain strings, lists and dicts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pytest

    from readiness.testhealth.model import QuarantineEntry

__all__ = ["NOW_KEY", "QUARANTINE_KEY", "entries_from_wire", "entries_to_wire", "worker_input"]

QUARANTINE_KEY = "readiness_quarantine"
NOW_KEY = "readiness_now"
_FIELDS = ("test_id", "owner", "reason", "issue", "created", "expires", "created_by", "source")


def worker_input(config: pytest.Config) -> Mapping[str, Any] | None:
    """What the controller sent this process, or ``None`` when it is not an xdist worker."""
    wire: Mapping[str, Any] | None = getattr(config, "workerinput", None)
    return wire


def entries_to_wire(entries: Iterable[QuarantineEntry]) -> list[dict[str, str | None]]:
    """Quarantine entries as execnet-safe dicts (datetimes in ISO 8601)."""
    out: list[dict[str, str | None]] = []
    for entry in entries:
        item: dict[str, str | None] = {}
        for name in _FIELDS:
            value = getattr(entry, name)
            item[name] = value.isoformat() if isinstance(value, datetime) else value
        out.append(item)
    return out


def entries_from_wire(items: Iterable[Mapping[str, Any]]) -> list[QuarantineEntry]:
    """The entries :func:`entries_to_wire` sent."""
    from readiness.testhealth.model import QuarantineEntry

    return [
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
        for item in items
    ]
