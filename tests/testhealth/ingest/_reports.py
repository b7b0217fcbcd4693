"""JUnit XML written the way pytest's ``--junitxml`` writes it, built with ElementTree."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from xml.etree import ElementTree as ET


def pytest_report(
    node_ids: Sequence[str],
    *,
    failing: Collection[str] = (),
    timestamp: str = "2026-03-10T09:00:00.000000+00:00",
) -> bytes:
    """A report of ``node_ids`` (``tests/test_x.py::test_y``) run once each, in order."""
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(
        root,
        "testsuite",
        name="pytest",
        errors="0",
        failures=str(len(failing)),
        skipped="0",
        tests=str(len(node_ids)),
        time="1.234",
        timestamp=timestamp,
        hostname="ci-runner",
    )
    for line, node_id in enumerate(node_ids, start=1):
        path, _, name = node_id.partition("::")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=path.removesuffix(".py").replace("/", "."),
            name=name,
            file=path,
            line=str(line),
            time="0.001",
        )
        if node_id in failing:
            failure = ET.SubElement(case, "failure", message="assert 1 == 2")
            failure.text = (
                f"def {name}():\n>       assert 1 == 2\nE       assert 1 == 2\n\n"
                f"{path}:{line + 1}: AssertionError"
            )
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def node_ids(module: str, first: int, count: int) -> list[str]:
    """``count`` test ids of ``tests/{module}.py``, numbered from ``first``."""
    return [f"tests/{module}.py::test_case_{n}" for n in range(first, first + count)]


# A report cut short, as when pytest is killed while writing it: the closing tags never came.
_FULL = pytest_report(["tests/test_a.py::test_ok"])
TRUNCATED = _FULL[: _FULL.index(b"</testsuite>")]
