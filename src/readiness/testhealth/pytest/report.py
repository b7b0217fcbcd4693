"""JUnit XML written by the pytest plugin: one testcase per test, earlier attempts as
Surefire-style ``rerun*``/``flaky*`` children, so no attempt is lost. Standard library only.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import datetime

QUARANTINED_PROPERTY = "readiness.quarantined"


@dataclass
class _Attempt:
    outcome: str = "passed"  # passed | failed | error | skipped
    duration: float = 0.0
    message: str | None = None
    failure_type: str | None = None
    text: str | None = None


@dataclass
class _Case:
    nodeid: str
    location: tuple[str, int | None, str]
    attempts: list[_Attempt] = field(default_factory=list)
    quarantined: str | None = None


def _classname(nodeid: str) -> tuple[str, str]:
    parts = nodeid.split("::")
    module = parts[0].removesuffix(".py").replace("/", ".").replace("\\", ".")
    return ".".join([module, *parts[1:-1]]), parts[-1]


def render_junit(cases: list[_Case], properties: dict[str, str], timestamp: datetime) -> bytes:
    """JUnit XML in pytest's schema, with earlier attempts as Surefire rerun/flaky children."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(root, "testsuite", name="pytest")
    if properties:
        props = ET.SubElement(suite, "properties")
        for name, value in properties.items():
            ET.SubElement(props, "property", name=name, value=value)
    counts = {"failed": 0, "error": 0, "skipped": 0}
    total = 0.0
    # Readers guess the producer from the first testcase; one with Surefire attempt children
    # looks like Maven's. Cases with a single clean attempt go first (stable otherwise).
    ordered = sorted(cases, key=lambda c: any(a.outcome in _FAILING for a in c.attempts[:-1]))
    for case in ordered:
        if not case.attempts:
            continue
        final = case.attempts[-1]
        counts[final.outcome] = counts.get(final.outcome, 0) + 1
        duration = sum(a.duration for a in case.attempts)
        total += duration
        classname, name = _classname(case.nodeid)
        attrs = {"classname": classname, "name": name, "file": case.location[0]}
        if case.location[1] is not None:
            attrs["line"] = str(case.location[1])
        attrs["time"] = f"{duration:.3f}"
        element = ET.SubElement(suite, "testcase", attrs)
        if len(case.attempts) > 1 or case.quarantined is not None:
            props = ET.SubElement(element, "properties")
            ET.SubElement(
                props, "property", name="readiness.attempts", value=str(len(case.attempts))
            )
            outcomes = ",".join(a.outcome for a in case.attempts)
            ET.SubElement(props, "property", name="readiness.outcomes", value=outcomes)
            if case.quarantined is not None:
                ET.SubElement(props, "property", name=QUARANTINED_PROPERTY, value=case.quarantined)
        earlier = "rerun" if final.outcome in ("failed", "error") else "flaky"
        for attempt in case.attempts[:-1]:
            if attempt.outcome in ("failed", "error"):
                tag = earlier + ("Failure" if attempt.outcome == "failed" else "Error")
                child = ET.SubElement(element, tag, _message_attrs(attempt))
                child.set("time", f"{attempt.duration:.3f}")
                ET.SubElement(child, "stackTrace").text = attempt.text
        if final.outcome in ("failed", "error"):
            tag = "failure" if final.outcome == "failed" else "error"
            ET.SubElement(element, tag, _message_attrs(final)).text = final.text
        elif final.outcome == "skipped":
            ET.SubElement(element, "skipped", type="pytest.skip", message=final.message or "")
    suite.set("errors", str(counts["error"]))
    suite.set("failures", str(counts["failed"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("tests", str(sum(1 for c in cases if c.attempts)))
    suite.set("time", f"{total:.3f}")
    suite.set("timestamp", timestamp.isoformat())
    suite.set("hostname", platform.node())
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


_FAILING = ("failed", "error")


def _message_attrs(attempt: _Attempt) -> dict[str, str]:
    attrs = {"message": (attempt.message or "")[:2000]}
    if attempt.failure_type:
        attrs["type"] = attempt.failure_type
    return attrs
