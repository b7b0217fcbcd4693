"""Large files are checked by expat in a second process; results and errors stay the same."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from readiness.errors import JUnitParseError
from readiness.testhealth.junit import apart as junit_apart
from readiness.testhealth.junit.reader import Row, parse_report

DATA = Path(__file__).parent / "data" / "junit"
FIXTURES = sorted(p.name for p in DATA.glob("*.xml"))
MALFORMED = [
    "<html>\n<body/></html>",
    '<testsuite>\n<testcase classname="a"/>\n</testsuite>',
    '<testsuite>\n<testcase name="a">\n</testsuite>',
    "<testsuite>\n<testcase name='a'/>",
    "",
    "<testsuite/>\n<junk/>",
    '<testsuite>\n<testcase name="a"/>\n<!-- late --><testcase name="b"/>\n<oops></testsuite>',
    '<testsuite>\n<testcase name="a"/>\n<testcase name="b" x="&bad;"/></testsuite>',
    '<testsuite>\n<testcase name="a"><failure message="&#xD800;"/></testcase></testsuite>',
    '<testsuite>\n<testcase name="a"><failure>&#1;</failure></testcase></testsuite>',
]

Outcome = tuple[list[Row], object] | tuple[str, str]


def _read(stream: io.BufferedIOBase | io.BytesIO, *, fast: bool = True) -> Outcome:
    report = parse_report(stream, "r.xml", fast=fast)
    try:
        rows = list(report.rows())
    except JUnitParseError as exc:
        return ("error", str(exc))
    return rows, (report.format, report.properties, report.suite, report.timestamp)


def _apart(path: Path) -> Outcome:
    with path.open("rb") as f:
        return _read(f)


@pytest.fixture
def apart_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(junit_apart, "APART_MIN", 0)


@pytest.mark.usefixtures("apart_always")
@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_checked_apart_reads_as_the_exact_reader_does(name: str) -> None:
    data = (DATA / name).read_bytes()

    assert _apart(DATA / name) == _read(io.BytesIO(data), fast=False)


@pytest.mark.usefixtures("apart_always")
@pytest.mark.parametrize("xml", MALFORMED)
def test_malformed_files_checked_apart_raise_the_exact_readers_error(
    xml: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(xml, encoding="utf-8")

    outcome = _apart(path)

    assert outcome == _read(io.BytesIO(xml.encode()), fast=False)
    assert outcome[0] == "error"


@pytest.mark.usefixtures("apart_always")
def test_a_checker_that_dies_without_a_verdict_leaves_the_check_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(junit_apart, "_CHECKER", "import sys; sys.exit(3)")
    path = tmp_path / "bad.xml"
    path.write_text('<testsuite>\n<testcase name="a"/>\n<oops></testsuite>', encoding="utf-8")

    assert _apart(path) == (
        "error",
        "JUnit XML r.xml line 3: mismatched tag; nothing from this file was ingested",
    )


def test_only_regular_files_from_their_start_above_the_threshold_are_checked_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(junit_apart, "APART_MIN", 10)
    big, small = tmp_path / "big.xml", tmp_path / "small.xml"
    big.write_bytes(b"<testsuite/>" * 2)
    small.write_bytes(b"<a/>")

    with big.open("rb") as f, small.open("rb") as g:
        found = [junit_apart.real_file(f), junit_apart.real_file(g)]
        f.read(1)
        found.append(junit_apart.real_file(f))
    found.append(junit_apart.real_file(io.BytesIO(b"<testsuite/>" * 2)))

    assert found == [big, None, None, None]


@pytest.mark.usefixtures("apart_always")
def test_a_well_formed_file_takes_the_second_processes_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verdicts: list[bool] = []
    original = junit_apart.Checker.verdict

    def spy(self: junit_apart.Checker, report: object) -> bool:
        verdicts.append(original(self, report))  # type: ignore[arg-type]
        return verdicts[-1]

    monkeypatch.setattr(junit_apart.Checker, "verdict", spy)

    rows, _facts = _apart(DATA / "pytest_xunit1.xml")

    assert (len(rows), verdicts) == (6, [True])
