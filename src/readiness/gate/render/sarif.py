"""SARIF 2.1.0 output, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One rule per check; one result per check outcome. Evidence may point at source in two ways,
and each becomes a SARIF location:

- ``{"file": "tests/test_x.py", "line": 12}``: one location for the check's result;
- ``{"locations": [{"file": ..., "line": ..., "message": ...}, ...]}``: one result per
  entry (code scanning shows only a result's first location), its message the entry's
  ``message`` or else the check summary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import readiness
from readiness._common.annotations import INFORMATION_URI
from readiness._common.annotations import sarif_log as envelope
from readiness._common.canonical import to_jsonable
from readiness.gate.model import CheckOutcome, CheckStatus, GateReport
from readiness.gate.runner import verdict, verdict_reason

# (kind, level) per status; SARIF requires level "none" whenever kind is not "fail".
_KIND_LEVEL: Final = {
    CheckStatus.PASS: ("pass", "none"),
    CheckStatus.SKIP: ("notApplicable", "none"),
    CheckStatus.WARN: ("fail", "warning"),
    CheckStatus.FAIL: ("fail", "error"),
    CheckStatus.ERROR: ("fail", "error"),
}


def _rule_name(check_id: str) -> str:
    # SARIF rule names are identifier-like: tests.no_new_flaky -> TestsNoNewFlaky.
    words = check_id.replace(".", "_").split("_")
    return "".join(word[:1].upper() + word[1:] for word in words if word)


def _rule(outcome: CheckOutcome) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": outcome.id,
        "name": _rule_name(outcome.id),
        "shortDescription": {"text": outcome.title},
        "fullDescription": {"text": outcome.checklist_item},
    }
    if outcome.result.remediation:
        rule["help"] = {"text": outcome.result.remediation}
    return rule


def _location(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    file = entry.get("file")
    if not isinstance(file, str) or not file:
        return None
    physical: dict[str, Any] = {"artifactLocation": {"uri": file.replace("\\", "/")}}
    line = entry.get("line")
    if isinstance(line, int) and not isinstance(line, bool) and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _results(index: int, outcome: CheckOutcome) -> list[dict[str, Any]]:
    result = outcome.result
    kind, level = _KIND_LEVEL[result.status]
    base: dict[str, Any] = {
        "ruleId": outcome.id,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": {"text": result.summary},
        "properties": {
            "status": result.status.value,
            "evidence": to_jsonable(result.evidence),
            "durationSeconds": round(outcome.duration_s, 6),
            "missingEvidence": result.missing_evidence,
            "allowedBy": result.allowed_by,
        },
    }
    entries = result.evidence.get("locations")
    if isinstance(entries, list | tuple) and entries:
        results = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            location = _location(entry)
            one = dict(base)
            message = entry.get("message")
            if isinstance(message, str) and message:
                one["message"] = {"text": message}
            if location is not None:
                one["locations"] = [location]
            results.append(one)
        if results:
            return results
    location = _location(result.evidence)
    if location is not None:
        base["locations"] = [location]
    return [base]


def _invocation(report: GateReport) -> dict[str, Any]:
    # Unsuccessful whenever the gate cannot vouch for the change: a check errored, or none ran.
    invocation: dict[str, Any] = {"executionSuccessful": verdict(report) != "error"}
    reason = verdict_reason(report)
    if reason is not None:
        invocation["toolExecutionNotifications"] = [{"level": "error", "message": {"text": reason}}]
    return invocation


def sarif_log(report: GateReport) -> dict[str, Any]:
    """The SARIF log of ``report`` as a dict (``render_sarif`` serialises it)."""
    rules = [_rule(o) for o in report.outcomes]
    results = [r for i, o in enumerate(report.outcomes) for r in _results(i, o)]
    driver = {
        "name": "readiness",
        "informationUri": INFORMATION_URI,
        "version": readiness.__version__,
        "rules": rules,
    }
    return envelope(
        driver,
        automationDetails={"id": f"readiness/gate/{report.gate.value}/"},
        invocations=[_invocation(report)],
        results=results,
    )


def render_sarif(report: GateReport) -> str:
    """``report`` as a SARIF 2.1.0 log (JSON text)."""
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
