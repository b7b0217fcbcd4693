"""JUnit XML written by the pytest plugin (CONTRACTS C1). Standard library only.

One ``<testsuite>`` per process that ran tests (``pytest``, or ``pytest:gw0``, ``pytest:gw1``...
under pytest-xdist), its testcases in execution order. One testcase per test: the final attempt
decides the child (``failure``, ``error``, ``skipped``, or none), earlier failing attempts are
Surefire-style ``rerunFailure``/``flakyFailure`` children, and ``readiness.outcomes`` lists every
attempt's outcome whenever the child alone cannot say it (several attempts, xfail, xpass). Failed
collectors, module-level skips and a session that ended in error are testcases too, shaped as
pytest's own ``--junitxml`` writes them, so a broken run never reads as "0 tests, all passed".
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = [
    "OUTCOMES_PROPERTY",
    "QUARANTINED_PROPERTY",
    "Attempt",
    "Case",
    "pytest_names",
    "render_junit",
    "xml_safe",
]

QUARANTINED_PROPERTY = "readiness.quarantined"
OUTCOMES_PROPERTY = "readiness.outcomes"
ATTEMPTS_PROPERTY = "readiness.attempts"
_FAILING = ("failed", "error")
# Outcomes a <skipped> child or no child cannot tell apart from a skip or a pass.
_NEEDS_LIST = ("xfailed", "xpassed")
_MESSAGE_MAX = 2000
# XML 1.0 has no way to write these characters (pytest also refuses DEL); they are shown as
# "#x07" the way pytest's own junitxml does, so the report stays readable by any parser.
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\x7e\x80-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with characters XML cannot carry replaced by a visible ``#xNN``."""
    return _ILLEGAL_XML.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"#x{code:02X}" if code <= 0xFF else f"#x{code:04X}"


@dataclass
class Attempt:
    """One run of a test (or one collector, or the session's end).

    ``outcome`` is one of ``passed|failed|error|skipped|xfailed|xpassed``; ``message``, ``type``
    and ``text`` are the attributes and text of the child element the attempt writes.
    """

    outcome: str = "passed"
    duration: float = 0.0
    message: str | None = None
    type: str | None = None
    text: str | None = None
    finished: bool = True


@dataclass
class Case:
    """One testcase: its identity in the report and every attempt, in order."""

    classname: str
    name: str
    file: str
    line: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    quarantined: str | None = None


def pytest_names(nodeid: str) -> tuple[str, str]:
    """``(classname, name)`` of a node id, as pytest's own junitxml derives them.

    The parameters stay one opaque bracket on the name, so ``.``, ``::``, ``/`` and ``[`` inside
    them survive; a collector without ``::`` (a module) is all path: ``("", "tests.test_a")``.
    """
    path, sep, tail = nodeid.partition("::")
    names = [path]
    params = None
    if sep:
        name_part, bracket, param_part = tail.partition("[")
        names += name_part.split("::")
        params = param_part.removesuffix("]") if bracket else None
    names[0] = names[0].replace("/", ".").removesuffix(".py")
    if params is not None:
        names[-1] += f"[{params}]"
    return ".".join(names[:-1]), names[-1]


def render_junit(
    suites: Mapping[str, Sequence[Case]], properties: Mapping[str, str], timestamp: datetime
) -> bytes:
    """The report: one ``<testsuite>`` per entry of ``suites``, in the given order."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="pytest tests")
    host = platform.node()
    for suite_name, cases in suites.items():
        suite = ET.SubElement(root, "testsuite", name=suite_name)
        if properties:
            props = ET.SubElement(suite, "properties")
            for name, value in properties.items():
                ET.SubElement(props, "property", name=name, value=xml_safe(value))
        counts = {"failed": 0, "error": 0, "skipped": 0}
        total = 0.0
        for case in cases:
            final = case.attempts[-1]
            outcome = "skipped" if final.outcome == "xfailed" else final.outcome
            counts[outcome] = counts.get(outcome, 0) + 1
            duration = sum(a.duration for a in case.attempts)
            total += duration
            _write_case(ET.SubElement(suite, "testcase"), case, duration)
        suite.set("errors", str(counts["error"]))
        suite.set("failures", str(counts["failed"]))
        suite.set("skipped", str(counts["skipped"]))
        suite.set("tests", str(len(cases)))
        suite.set("time", f"{total:.3f}")
        suite.set("timestamp", timestamp.isoformat())
        suite.set("hostname", host)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _write_case(element: ET.Element, case: Case, duration: float) -> None:
    import xml.etree.ElementTree as ET

    element.set("classname", xml_safe(case.classname))
    element.set("name", xml_safe(case.name))
    element.set("file", xml_safe(case.file))
    if case.line is not None:
        element.set("line", str(case.line))
    element.set("time", f"{duration:.3f}")
    outcomes = [a.outcome for a in case.attempts]
    several = len(outcomes) > 1
    if several or case.quarantined is not None or any(o in _NEEDS_LIST for o in outcomes):
        props = ET.SubElement(element, "properties")
        if several or case.quarantined is not None:
            ET.SubElement(props, "property", name=ATTEMPTS_PROPERTY, value=str(len(outcomes)))
        ET.SubElement(props, "property", name=OUTCOMES_PROPERTY, value=",".join(outcomes))
        if case.quarantined is not None:
            ET.SubElement(
                props, "property", name=QUARANTINED_PROPERTY, value=xml_safe(case.quarantined)
            )
    final = case.attempts[-1]
    earlier = "rerun" if final.outcome in _FAILING else "flaky"
    for attempt in case.attempts[:-1]:
        if attempt.outcome in _FAILING:
            tag = earlier + ("Failure" if attempt.outcome == "failed" else "Error")
            child = ET.SubElement(element, tag, _child_attrs(attempt))
            child.set("time", f"{attempt.duration:.3f}")
            ET.SubElement(child, "stackTrace").text = xml_safe(attempt.text or "")
    if final.outcome in _FAILING:
        tag = "failure" if final.outcome == "failed" else "error"
        ET.SubElement(element, tag, _child_attrs(final)).text = xml_safe(final.text or "")
    elif final.outcome in ("skipped", "xfailed"):
        child = ET.SubElement(element, "skipped", _child_attrs(final))
        if final.text:
            child.text = xml_safe(final.text)


def _child_attrs(attempt: Attempt) -> dict[str, str]:
    # pytest writes ``type`` before ``message``; keep the same attribute order.
    attrs = {"type": xml_safe(attempt.type)} if attempt.type else {}
    attrs["message"] = xml_safe((attempt.message or "")[:_MESSAGE_MAX])
    return attrs
