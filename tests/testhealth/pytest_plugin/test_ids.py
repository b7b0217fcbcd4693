"""Test identity in the report: pytest's own names, the node id's file, exact parameters."""

from __future__ import annotations

import io
import string

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest
from _pytest.junitxml import mangle_test_address  # the reference the plugin must agree with
from hypothesis import given
from hypothesis import strategies as st

from readiness.testhealth.junit.reader import parse_report
from readiness.testhealth.pytest.report import pytest_names, xml_safe
from tests.testhealth.pytest_plugin._report import by_name, cases

pytest_plugins = ["pytester"]

PARAMS = """\
import pytest

VALUES = ["a.b", "x::y", "dir/file.py", "[open", "close]", "\\u00fcn\\u00efcode", "L" * 300, "1.5"]


@pytest.mark.parametrize("value", VALUES)
def test_value(value):
    pass


class TestNested:
    @pytest.mark.parametrize(
        "path", ["/etc/hosts", "t.py::t[1]"], ids=["/etc/hosts", "t.py::t[1]"]
    )
    def test_path(self, path):
        pass
"""
BASE = "class TestBase:\n    def test_shared(self):\n        pass\n"
CHILD = """\
from suite_ids.test_base import TestBase


class TestChild(TestBase):
    def test_own(self):
        pass
"""


def _id_project(pytester: pytest.Pytester) -> None:
    package = pytester.mkpydir("suite_ids")
    (package / "test_params.py").write_text(PARAMS, encoding="utf-8")
    (package / "test_base.py").write_text(BASE, encoding="utf-8")
    sub = package / "sub"
    sub.mkdir()
    (sub / "__init__.py").write_text("", encoding="utf-8")
    (sub / "test_child.py").write_text(CHILD, encoding="utf-8")


def _collected(pytester: pytest.Pytester) -> list[str]:
    result = pytester.runpytest("-p", "no:randomly", "--collect-only", "-q")
    return [line for line in result.outlines if "::" in line]


def test_ids_read_from_the_report_equal_pytest_collect_only_for_hard_parameters_and_inheritance(
    pytester: pytest.Pytester,
) -> None:
    _id_project(pytester)
    collected = _collected(pytester)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    with (pytester.path / "out.xml").open("rb") as stream:
        ids = [row.test_id for row in parse_report(stream, "out.xml")]
    assert len(collected) == 14
    assert ids == collected


def test_every_file_attribute_is_the_path_part_of_the_node_id(pytester: pytest.Pytester) -> None:
    _id_project(pytester)
    collected = _collected(pytester)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    files = [c.get("file") for c in cases(pytester.path / "out.xml")]
    assert files == [nodeid.partition("::")[0] for nodeid in collected]


def test_an_inherited_test_names_the_collecting_file_and_no_line_of_the_defining_one(
    pytester: pytest.Pytester,
) -> None:
    _id_project(pytester)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml", "suite_ids/sub")

    inherited = by_name(pytester.path / "out.xml")["test_shared"]
    assert inherited.attrib == {
        "classname": "suite_ids.sub.test_child.TestChild",
        "name": "test_shared",
        "file": "suite_ids/sub/test_child.py",
        "time": inherited.get("time", ""),
    }
    own = by_name(pytester.path / "out.xml")["test_own"]
    assert (own.get("file"), own.get("line")) == ("suite_ids/sub/test_child.py", "4")


def test_parameters_stay_one_opaque_bracket_on_the_name(pytester: pytest.Pytester) -> None:
    _id_project(pytester)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml", "suite_ids/test_params.py")

    names = [(c.get("classname"), c.get("name")) for c in cases(pytester.path / "out.xml")]
    assert names[1:3] == [
        ("suite_ids.test_params", "test_value[x::y]"),
        ("suite_ids.test_params", "test_value[dir/file.py]"),
    ]
    assert names[-1] == ("suite_ids.test_params.TestNested", "test_path[t.py::t[1]]")


_segment = st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=12)
_params = st.text(max_size=30)


@given(
    path=st.lists(_segment, min_size=1, max_size=4).map("/".join),
    names=st.lists(_segment, max_size=3),
    params=st.none() | _params,
)
def test_classname_and_name_agree_with_pytest_junitxml_for_any_node_id(
    path: str, names: list[str], params: str | None
) -> None:
    nodeid = "::".join([path, *names]) + (f"[{params}]" if names and params is not None else "")

    mangled = mangle_test_address(nodeid)

    assert pytest_names(nodeid) == (".".join(mangled[:-1]), mangled[-1])


@given(st.text())
def test_any_text_made_xml_safe_is_written_and_read_back_as_is(text: str) -> None:
    from xml.etree import ElementTree as ET

    written = ET.tostring(ET.Element("e", a=xml_safe(text)), encoding="utf-8")

    assert ET.parse(io.BytesIO(written)).getroot().get("a") == xml_safe(text)


_legal_xml = st.text(
    st.characters(codec="utf-8", exclude_characters="\x7f\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or c >= " "
    )
)


@given(_legal_xml)
def test_text_xml_can_carry_is_left_unchanged(text: str) -> None:
    assert xml_safe(text) == text
