"""The fast reader gives exactly what the exact (callback) reader gives, rows and errors."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.errors import JUnitParseError
from readiness.testhealth.junit import fast as junit_fast
from readiness.testhealth.junit.reader import Row, parse_report

DATA = Path(__file__).parent / "data" / "junit"
FIXTURES = sorted(p.name for p in DATA.glob("*.xml"))


@pytest.fixture(autouse=True, params=["speedups", "pure-python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with the C accelerator and without it."""
    if request.param == "pure-python":
        monkeypatch.setattr(junit_fast, "_speedups", None)
    elif junit_fast._speedups is None:
        pytest.skip("the C accelerator (readiness-speedups) is not installed")
    return str(request.param)


def _read(data: bytes, *, fast: bool) -> tuple[list[Row], tuple[object, ...]] | tuple[str, ...]:
    report = parse_report(io.BytesIO(data), "r.xml", fast=fast)
    try:
        rows = list(report.rows())
    except JUnitParseError as exc:
        return ("error", str(exc))
    facts = (report.format, report.properties, report.seed, report.suite, report.timestamp)
    return rows, facts


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_reads_the_same_on_both_paths(name: str) -> None:
    data = (DATA / name).read_bytes()
    assert _read(data, fast=True) == _read(data, fast=False)


@pytest.mark.parametrize(
    "name", ["pytest_xunit1.xml", "pytest_rerunfailures.xml", "jest_junit.xml", "surefire.xml"]
)
def test_common_reports_stay_on_the_fast_path(name: str) -> None:
    report = parse_report(io.BytesIO((DATA / name).read_bytes()), name)
    list(report.rows())
    assert report.fast_fallback is None


def test_cdata_hands_the_rest_of_the_file_to_the_exact_reader() -> None:
    report = parse_report(io.BytesIO((DATA / "go_junit_report.xml").read_bytes()), "go.xml")
    list(report.rows())
    assert report.fast_fallback == "HandOver: markup"


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r&<>\"'"),
    max_size=12,
)
_CHILD = st.sampled_from(
    [
        "",
        '<failure message={m} type="AssertionError">{t}</failure>',
        "<failure>{t}</failure>",
        "<error message={m}>{t}<system-out>{t}</system-out></error>",
        "<skipped message={m}/>",
        "<skipped>{t}</skipped>",
        '<flakyFailure message={m} type="java.net.SocketTimeoutException" time="0.2">'
        "<stackTrace>{t}</stackTrace><system-out>{t}</system-out></flakyFailure>",
        "<rerunError>{t}<system-err>x</system-err>{t}</rerunError>",
        "<system-out>{t}</system-out>",
        "<properties><property name={m} value={m}/></properties>",
    ]
)


@st.composite
def _case(draw: st.DrawFn, classnames: list[str], names: list[str]) -> str:
    attrs = [("classname", draw(st.sampled_from(classnames)))] if draw(st.booleans()) else []
    attrs.insert(draw(st.integers(0, len(attrs))), ("name", draw(st.sampled_from(names))))
    if draw(st.booleans()):
        attrs.append(("file", draw(st.sampled_from(["tests/test_a.py", "src/a.test.ts", ""]))))
    if draw(st.booleans()):
        attrs.append(("time", draw(st.sampled_from(["0.5", "1,234.5", "", "nan", "-1", "2"]))))
    tag = "<testcase" + "".join(f" {k}={quoteattr(v)}" for k, v in attrs)
    children = draw(st.lists(_CHILD, max_size=3))
    if not any(children):
        return tag + "/>"
    body = "".join(c.format(m=quoteattr(draw(_TEXT)), t=_escape(draw(_TEXT))) for c in children)
    return f"{tag}>{body}</testcase>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def reports(draw: st.DrawFn) -> bytes:
    root = draw(st.sampled_from(["pytest tests", "jest tests", "", "suites"]))
    classnames = draw(
        st.sampled_from(
            [
                ["tests.test_a.TestX", "tests.test_a", "pkg.tests.test_b.TestY.TestZ"],
                ["com.acme.ShopTest", "com.acme.OrderTest"],
                ["github.com/acme/cart", "Cart", "checkout flow"],
                ["A", "b c", "ünï&cödé"],
            ]
        )
    )
    names = draw(st.lists(st.sampled_from(["test_a", "TestB/sub", "adds <x>", "t[1]"]), min_size=1))
    suites = []
    for s in range(draw(st.integers(1, 3))):
        props = '<properties><property name="random_seed" value="7"/></properties>'
        cases = draw(st.lists(_case(classnames, names), max_size=8))
        name = quoteattr(draw(st.sampled_from(["pytest", f"suite{s}", "github.com/acme/cart"])))
        suites.append(
            f'<testsuite name={name} timestamp="2026-03-10T09:00:00">{props}'
            + "\n".join(cases)
            + "</testsuite>"
        )
    decl = draw(st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>\n']))
    return (
        decl + f"<testsuites name={quoteattr(root)}>\n" + "\n".join(suites) + "\n</testsuites>\n"
    ).encode()


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(reports())
def test_generated_reports_read_the_same_on_both_paths(data: bytes) -> None:
    assert _read(data, fast=True) == _read(data, fast=False)


@settings(
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(reports(), st.integers(1, 4096))
def test_read_sizes_do_not_change_what_the_fast_path_reads(data: bytes, size: int) -> None:
    class Trickle(io.BytesIO):
        def read(self, n: int | None = -1, /) -> bytes:
            return super().read(size)

    trickled = parse_report(Trickle(data), "r.xml")
    assert list(trickled.rows()) == list(parse_report(io.BytesIO(data), "r.xml").rows())


def test_captured_output_reads_as_the_exact_reader_reads_it() -> None:
    outputs = [
        "<system-out>started &amp; done\n</system-out>",
        "<system-out/><system-err>warn</system-err>",
        '<system-out>x</system-out><failure message="boom">E  1 != 2</failure>',
        "<system-out>x</system-out>",  # then rerun: same id again
    ]
    names = ["test_0", "test_1", "test_2", "test_2"]
    cases = [
        f'<testcase classname="tests.test_a" name="{n}" time="0.5">{o}</testcase>'
        for n, o in zip(names, outputs, strict=True)
    ]
    data = f'<testsuite name="pytest">{"".join(cases)}</testsuite>'.encode()

    fast = parse_report(io.BytesIO(data), "r.xml")
    rows = list(fast.rows())

    assert [(r[0], r[4], r[6]) for r in rows] == [
        ("tests/test_a.py::test_0", 0, 0),
        ("tests/test_a.py::test_1", 0, 0),
        ("tests/test_a.py::test_2", 1, 0),
        ("tests/test_a.py::test_2", 0, 1),
    ]
    assert (rows, fast.fast_fallback) == (
        list(parse_report(io.BytesIO(data), "r.xml", fast=False).rows()),
        None,
    )


def test_a_big_uniform_report_is_read_in_bulk_and_matches_the_exact_reader() -> None:
    lines = ['<testsuites name="pytest tests"><testsuite name="pytest">']
    for i in range(30_000):
        body = (
            '<failure message="boom &amp; more">E  assert 1 == 2</failure>' if i % 97 == 0 else ""
        )
        cls = f"tests.test_m{i // 500}.TestC{i % 20}"
        attrs = f'classname="{cls}" name="test_{i // (2 if i % 500 == 3 else 1)}" time="0.01"'
        lines.append(f"<testcase {attrs}>{body}</testcase>" if body else f"<testcase {attrs}/>")
    lines.append("</testsuite></testsuites>")
    data = "\n".join(lines).encode()
    fast = parse_report(io.BytesIO(data), "big.xml")
    rows = list(fast.rows())
    assert (len(rows), fast.fast_fallback) == (30_000, None)
    assert rows == list(parse_report(io.BytesIO(data), "big.xml", fast=False).rows())


@pytest.mark.parametrize(
    ("body", "message", "failure_type"),
    [
        (
            "<failure>\r\n  E  x &amp; y &#x41;\r\nt.py:3: KeyError\r\n</failure>",
            "x & y A",
            "KeyError",
        ),
        (
            '<error message="failed" type="OSError">E  disk &lt;full&gt;</error>',
            "disk <full>",
            "OSError",
        ),
        (
            '<skipped message="later &amp; maybe">ignored &amp; text</skipped>',
            "later & maybe",
            None,
        ),
        ('\n  <failure message="boom"/>\n', "boom", None),
        ('<failure message="a &amp;lt; b &quot;c&apos;">x</failure>', "a &lt; b \"c'", None),
    ],
)
def test_a_single_outcome_child_reads_its_message_and_type_like_the_exact_reader(
    body: str, message: str, failure_type: str | None
) -> None:
    cases = [f'<testcase classname="tests.test_a" name="test_{i}"/>' for i in range(3)]
    cases.insert(2, f'<testcase classname="tests.test_a" name="test_x">{body}</testcase>')
    data = f'<testsuite name="pytest">{"".join(cases)}</testsuite>'.encode()

    fast = parse_report(io.BytesIO(data), "r.xml")
    rows = list(fast.rows())

    assert (rows[2][7], rows[2][8], fast.fast_fallback) == (message, failure_type, None)
    assert rows == list(parse_report(io.BytesIO(data), "r.xml", fast=False).rows())


@pytest.mark.parametrize("ref", ["&#xD800;", "&#1;", "&#xFFFE;", "&#0;"])
def test_a_character_xml_forbids_is_the_exact_readers_error_on_the_fast_path(ref: str) -> None:
    cases = "".join(f'<testcase classname="m" name="t{i}"/>\n' for i in range(3))
    bad = f'<testcase classname="m" name="t"><failure message="x {ref}">y</failure></testcase>'
    data = f'<testsuite name="pytest">\n{cases}{bad}\n</testsuite>'.encode()
    errors = []
    for fast in (True, False):
        with pytest.raises(JUnitParseError) as caught:
            list(parse_report(io.BytesIO(data), "r.xml", fast=fast).rows())
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "r.xml line 5" in errors[0]
