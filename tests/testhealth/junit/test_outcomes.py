"""Expected failures, unexpected passes and collectors are recorded as what they are."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.storage.engine import Stores
from readiness.testhealth.junit.reader import Row, parse_report
from readiness.testhealth.model import Outcome, RunMeta
from readiness.testhealth.service import TestHealthService
from tests.testhealth.junit._xml import document

pytest_plugins = ["pytester"]
ReadRows = Callable[..., list[Row]]


def test_xfailed_and_xpassed_are_outcomes_4_and_5_and_neither_is_a_failure() -> None:
    assert [(int(o), o.is_failure) for o in (Outcome.XFAILED, Outcome.XPASSED)] == [
        (4, False),
        (5, False),
    ]


def plugin_report(cases: Sequence[tuple[str, list[str], str | None]]) -> bytes:
    """What our plugin writes (CONTRACTS C1): per test, ``readiness.outcomes`` when it ran more
    than once or was an xfail/xpass, earlier failing attempts as Surefire children, the final
    attempt as pytest writes it (xfail: ``<skipped type="pytest.xfail">``; xpass: a pass)."""
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(root, "testsuite", name="pytest")
    for name, outcomes, reason in cases:
        case = ET.SubElement(suite, "testcase", classname="tests.test_x", name=name)
        case.set("file", "tests/test_x.py")
        case.set("time", "0.010")
        final = outcomes[-1]
        if len(outcomes) > 1 or final in ("xfailed", "xpassed"):
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="readiness.outcomes", value=",".join(outcomes))
        earlier = "rerun" if final in ("failed", "error") else "flaky"
        for outcome in outcomes[:-1]:
            if outcome in ("failed", "error"):
                tag = earlier + ("Failure" if outcome == "failed" else "Error")
                child = ET.SubElement(case, tag, message="boom", time="0.010")
                ET.SubElement(child, "stackTrace").text = "E   boom"
        if final == "xfailed":
            ET.SubElement(case, "skipped", type="pytest.xfail", message=reason or "")
        elif final == "failed":
            ET.SubElement(case, "failure", message="boom").text = "E   boom"
    return document(root, declaration=True)


def _summary(rows: Sequence[Row]) -> list[tuple[str, int, Outcome, str | None]]:
    return [(r[0].rpartition("::")[2], r[6], Outcome(r[4]), r[7]) for r in rows]


def test_our_plugins_xfail_and_xpass_are_read_as_xfailed_and_xpassed(read_rows: ReadRows) -> None:
    data = plugin_report(
        [
            ("test_known_bug", ["xfailed"], "known bug"),
            ("test_fixed_meanwhile", ["xpassed"], None),
            ("test_rerun_then_xfail", ["failed", "xfailed"], "flaky and known"),
            ("test_plain", ["passed"], None),
        ]
    )

    rows = read_rows(data)

    assert _summary(rows) == [
        ("test_known_bug", 0, Outcome.XFAILED, "known bug"),
        ("test_fixed_meanwhile", 0, Outcome.XPASSED, None),
        ("test_rerun_then_xfail", 0, Outcome.FAILED, "boom"),
        ("test_rerun_then_xfail", 1, Outcome.XFAILED, "flaky and known"),
        ("test_plain", 0, Outcome.PASSED, None),
    ]


def test_an_xfail_keeps_its_reason_but_no_failure_kind_or_type(read_rows: ReadRows) -> None:
    rows = read_rows(plugin_report([("test_known_bug", ["xfailed"], "known bug")]))

    assert rows[0][7:] == ("known bug", None, None)


PROJECT = {
    "tests/__init__.py": "",
    "tests/test_marks.py": """\
import pytest


@pytest.mark.xfail(reason="known bug")
def test_known_bug():
    assert 0


@pytest.mark.xfail(reason="fixed meanwhile?")
def test_fixed_meanwhile():
    pass
""",
    "tests/test_broken.py": "import no_such_module_here\n",
    "tests/test_modskip.py": "import pytest\n\npytest.skip('not here', allow_module_level=True)\n",
}


@pytest.mark.slow
def test_pytests_own_xfail_xpass_collection_error_and_module_skip_are_recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name, text in PROJECT.items():
        (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
        (pytester.path / name).write_text(text, encoding="utf-8")
    xml = pytester.path / "junit.xml"
    pytester.runpytest_subprocess(f"--junitxml={xml}", "--continue-on-collection-errors")

    with xml.open("rb") as f:
        rows = list(parse_report(f, "junit.xml").rows())

    assert sorted((r[0], r[6], Outcome(r[4]), r[7]) for r in rows) == [
        ("tests/test_broken.py", 0, Outcome.ERROR, "collection failure"),
        ("tests/test_marks.py::test_fixed_meanwhile", 0, Outcome.PASSED, None),
        ("tests/test_marks.py::test_known_bug", 0, Outcome.XFAILED, "known bug"),
        ("tests/test_modskip.py", 0, Outcome.SKIPPED, "collection skipped"),
    ]


def test_xfailed_and_xpassed_results_are_stored_and_read_back_by_name(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    data = plugin_report(
        [
            ("test_known_bug", ["failed", "xfailed"], "known bug"),
            ("test_fixed_meanwhile", ["xpassed"], None),
        ]
    )
    meta = RunMeta(commit="c1", branch="main", run_id="r1", timestamp=clock.now())

    service.ingest_bytes(data, source="plugin.xml", meta=meta)
    histories = [
        service.test_history(f"tests/test_x.py::{name}")[0]["attempts"]
        for name in ("test_known_bug", "test_fixed_meanwhile")
    ]
    service.flaky()  # every read works on what was stored

    assert histories == [["failed", "xfailed"], ["xpassed"]]
