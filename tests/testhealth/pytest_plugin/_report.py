"""Reading the plugin's JUnit XML in tests (ElementTree only) and the generated test modules."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

# Plugins of this repository's environment that a generated project never needs; blocking them
# keeps each pytest subprocess (and each xdist worker) from importing them.
LEAN = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio")

# A test that fails the first `fails` times it runs, then passes: deterministic flakiness. The
# counter file sits next to the module, so reruns in the same xdist worker see earlier runs.
COUNTER_TEST = """\
from pathlib import Path

COUNTER = Path(__file__).with_name("counter_{name}.txt")


def test_{name}():
    runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(runs + 1))
    assert runs >= {fails} or runs in {pass_runs}, f"run {{runs}}"
"""


def counter_test(name: str, fails: int, pass_runs: tuple[int, ...] = ()) -> str:
    """Source of a module whose ``test_<name>`` fails its first ``fails`` runs."""
    return COUNTER_TEST.format(name=name, fails=fails, pass_runs=pass_runs)


def root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def cases(path: Path) -> list[ET.Element]:
    """Every testcase of the report, in document order."""
    return list(root(path).iter("testcase"))


def suites(path: Path) -> dict[str, list[str]]:
    """Suite name -> the ``name`` of its testcases, in document order."""
    return {
        str(s.get("name")): [str(c.get("name")) for c in s.iter("testcase")]
        for s in root(path).iter("testsuite")
    }


def case_properties(case: ET.Element) -> dict[str, str | None]:
    return {p.get("name") or "": p.get("value") for p in case.iter("property")}


def suite_properties(suite: ET.Element) -> dict[str, str | None]:
    props = suite.find("properties")
    return {} if props is None else {p.get("name") or "": p.get("value") for p in props}


def children(case: ET.Element) -> list[tuple[str, dict[str, str], str | None]]:
    """``(tag, attributes, text)`` of each child of a testcase except its properties."""
    return [(c.tag, dict(c.attrib), c.text) for c in case if c.tag != "properties"]


def by_name(path: Path) -> dict[str, ET.Element]:
    return {str(c.get("name")): c for c in cases(path)}
