"""JSON output, and the conversion of evidence to JSON values the other renderers share."""

from __future__ import annotations

import json
from typing import Any

from readiness._common.canonical import to_jsonable
from readiness.gate.model import CheckOutcome, GateReport
from readiness.gate.runner import verdict, verdict_reason


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
        "missing_evidence": result.missing_evidence,
        "allowed_by": result.allowed_by,
        "duration_s": round(outcome.duration_s, 6),
    }


def render_json(report: GateReport) -> str:
    """``{"gate", "verdict", "reason", "checks": [...]}``, indented, keys in a fixed order.

    ``reason`` says why the verdict is ``error`` when no check errored (every check skipped);
    it is ``null`` otherwise.
    """
    document = {
        "gate": report.gate.value,
        "verdict": verdict(report),
        "reason": verdict_reason(report),
        "checks": [outcome_dict(o) for o in report.outcomes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
