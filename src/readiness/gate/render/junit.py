"""JUnit XML output: one ``<testcase>`` per check, so any CI test-report viewer shows the gate.

Built with :mod:`xml.etree.ElementTree`, which is safe for *writing*; anything that parses XML
(our tests included) uses ``defusedxml``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # only builds and serialises; parsing uses defusedxml
from collections import Counter

from readiness._common.canonical import to_jsonable
from readiness.gate.model import CheckOutcome, CheckStatus, GateReport
from readiness.gate.runner import verdict, verdict_reason

# Characters XML 1.0 cannot carry at all; a stray one in a summary would make the file unreadable.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _body(outcome: CheckOutcome) -> str:
    result = outcome.result
    parts = [result.summary]
    if result.evidence:
        evidence = json.dumps(to_jsonable(result.evidence), indent=2, ensure_ascii=False)
        parts.append(f"Evidence:\n{evidence}")
    if result.remediation:
        parts.append(f"Remediation: {result.remediation}")
    return _clean("\n\n".join(parts))


def _testcase(suite: ET.Element, classname: str, outcome: CheckOutcome) -> None:
    result = outcome.result
    case = ET.SubElement(
        suite,
        "testcase",
        classname=classname,
        name=outcome.id,
        time=f"{outcome.duration_s:.3f}",
    )
    summary = _clean(result.summary)
    if result.status is CheckStatus.FAIL:
        ET.SubElement(case, "failure", message=summary, type="fail").text = _body(outcome)
    elif result.status is CheckStatus.ERROR:
        ET.SubElement(case, "error", message=summary, type="error").text = _body(outcome)
    elif result.status is CheckStatus.SKIP:
        ET.SubElement(case, "skipped", message=summary)
    elif result.status is CheckStatus.WARN:
        ET.SubElement(case, "system-out").text = "WARN " + _body(outcome)


def render_junit(report: GateReport) -> str:
    """``<testsuites><testsuite name="readiness.gate.merge" ...>`` with one case per check.

    The suite's properties carry the verdict (``readiness.verdict``) and, when every check was
    skipped, why it is ``error`` (``readiness.verdict_reason``).
    """
    name = f"readiness.gate.{report.gate.value}"
    counts = Counter(o.result.status for o in report.outcomes)
    total_time = f"{sum(o.duration_s for o in report.outcomes):.3f}"
    totals = {
        "tests": str(len(report.outcomes)),
        "failures": str(counts[CheckStatus.FAIL]),
        "errors": str(counts[CheckStatus.ERROR]),
        "skipped": str(counts[CheckStatus.SKIP]),
        "time": total_time,
    }
    root = ET.Element("testsuites", {"name": "readiness", **totals})
    suite = ET.SubElement(root, "testsuite", {"name": name, **totals})
    # Viewers show cases, not the verdict; the properties keep it in the file for scripts.
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="readiness.verdict", value=verdict(report))
    reason = verdict_reason(report)
    if reason is not None:
        ET.SubElement(properties, "property", name="readiness.verdict_reason", value=reason)
    for outcome in report.outcomes:
        _testcase(suite, name, outcome)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
