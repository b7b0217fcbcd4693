"""JSON output, and the conversion of evidence to JSON values the other renderers share."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Set
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import PurePath
from typing import Any

from readiness.gate.model import CheckOutcome, GateReport
from readiness.gate.runner import verdict


def to_jsonable(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value reads best
    """``value`` as plain JSON data: datetimes become ISO strings, sets sorted lists, etc."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Set):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def outcome_dict(outcome: CheckOutcome) -> dict[str, Any]:
    """One check outcome as JSON data (the shape of ``checks[i]`` in the JSON output)."""
    result = outcome.result
    return {
        "id": outcome.id,
        "title": outcome.title,
        "checklist_item": outcome.checklist_item,
        "status": result.status.value,
        "summary": result.summary,
        "evidence": to_jsonable(result.evidence),
        "remediation": result.remediation,
        "duration_s": round(outcome.duration_s, 6),
    }


def render_json(report: GateReport) -> str:
    """``{"gate", "verdict", "checks": [...]}``, indented, keys in a fixed order."""
    document = {
        "gate": report.gate.value,
        "verdict": verdict(report),
        "checks": [outcome_dict(o) for o in report.outcomes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
