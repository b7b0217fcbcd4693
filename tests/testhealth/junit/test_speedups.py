"""The C accelerator of the JUnit reader, called directly: exact rows, and no crash on any text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.testhealth.junit.rows import parse_time

speedups: Any = pytest.importorskip("_readiness_speedups")


def _prefix_of(classname: str, file: str | None) -> tuple[str, str | None] | None:
    if classname == "dynamic":
        return None  # the id depends on the name: the region is not the accelerator's
    return f"{file or classname}::", file


def _scan(text: str) -> Any:
    return speedups.scan(text, "suite", _prefix_of, parse_time)


def test_plain_cases_become_rows_and_cases_with_markup_are_held_for_the_handlers() -> None:
    text = (
        '\n  <testcase classname="m" name="a" file="m.py" time="0.5"/>\n'
        "  <testcase name='b' classname='m' time='1,234.5' extra=\"x\">ignored text</testcase>\n"
        '  <testcase classname="m" name="b" time="nan"/>\n'
        '  <testcase classname="n" name="c" time=" 2 "><failure message="boom">x</failure>'
        "</testcase >\n  trailing text"
    )

    rows, special, held = _scan(text)

    assert rows == [
        ("m.py::a", "suite", "a", "m.py", 0, 0.5, 0, None, None, None),
        ("m::b", "suite", "b", None, 0, 1234.5, 0, None, None, None),
        ("m::b", "suite", "b", None, 0, 0.0, 0, None, None, None),
        ("n::c", "suite", "c", None, 0, 2.0, 0, None, None, None),
    ]
    assert special == [3]
    assert held == {
        0: ("", {"classname": "m", "name": "a", "file": "m.py", "time": "0.5"}),
        2: ("", {"classname": "m", "name": "b", "time": "nan"}),
        3: ('<failure message="boom">x</failure>', {"classname": "n", "name": "c", "time": " 2 "}),
    }


def test_captured_output_alone_leaves_a_plain_row() -> None:
    text = (
        '<testcase classname="m" name="a"><system-out>log &amp; more\n</system-out>'
        "<system-err/></testcase>"
        '<testcase classname="m" name="b"><system-out>x</system-out><skipped/></testcase>'
        '<testcase classname="m" name="c"><system-out a="1">x</system-out></testcase>'
        '<testcase classname="m" name="d"><system-out>x</system-err></testcase>'
    )

    rows, special, held = _scan(text)

    assert [r[0] for r in rows] == ["m::a", "m::b", "m::c", "m::d"]
    assert special == [1, 2, 3]  # a failure or skip, attributes, a mismatched end: the handlers
    assert sorted(held) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just text",
        '<testcase name="a"/><testsuite name="s">',  # another element
        '<testcase name="a"/><!-- note -->',
        '<testcase name="a" x="1 &amp; 2"/>',  # a value to normalise
        '<testcase name="a\tb"/>',
        '<testcase name="é"/>',  # not ASCII
        '<testcase name=""/>',
        '<testcase classname="m"/>',
        '<testcase name="a" name="b"/>',
        '<testcase name="a"class="c"/>',
        '<testcase name="a"><testcase name="b"/></testcase>',
        '<testcase name="a">',
        '<testcase name="a"></testcase',
        '<testcase classname="dynamic" name="a"/>',
        '<testcases name="a"/>',
        '<testcase name="a" x="<"/>',
        "<testcase " + " ".join(f'a{i}="1"' for i in range(40)) + ' name="a"/>',
    ],
)
def test_anything_but_plain_testcases_is_left_to_the_pure_python_reader(text: str) -> None:
    assert _scan(text) is None


_PIECES = st.sampled_from(
    [
        "<testcase",
        " ",
        "\n",
        'name="t"',
        "name='u'",
        ' classname="c"',
        ' file="f.py"',
        ' time="0.25"',
        ' time="x"',
        "=",
        '"',
        "'",
        "/>",
        ">",
        "</testcase>",
        "</testcase",
        "<failure/>",
        "<system-out>",
        "</system-out>",
        "<system-err/>",
        "<",
        "&amp;",
        "é",
        "dynamic",
    ]
)


@settings(max_examples=1500)
@given(st.lists(_PIECES | st.text(max_size=4), max_size=40))
def test_any_text_gives_rows_or_none_and_never_crashes(pieces: list[str]) -> None:
    found = _scan("".join(pieces))
    if found is not None:
        rows, special, held = found
        assert rows
        assert all(len(r) == 10 and r[0].endswith(r[2]) for r in rows)
        assert set(special) <= set(held) <= set(range(len(rows)))
