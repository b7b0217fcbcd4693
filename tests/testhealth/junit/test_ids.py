"""Test ids from real runners: pytest node ids, jest ids that tell files apart."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from readiness.testhealth.junit.ids import make_test_id
from readiness.testhealth.junit.reader import Row, parse_report
from tests.testhealth.junit._xml import document

pytest_plugins = ["pytester"]
ReadRows = Callable[..., list[Row]]

# -- pytest ---------------------------------------------------------------------------------

PARAMS = ["x::y", "/etc/hosts", "a.b", "[z]", "ünï", "with space", "tab\there"]
PROJECT = {
    "tests/__init__.py": "",
    "tests/sub/__init__.py": "",
    "tests/base.py": "class BaseChecks:\n    def test_inherited(self):\n        pass\n",
    "tests/test_base_file.py": "class TestBase:\n    def test_from_base(self):\n        pass\n",
    "tests/test_child.py": f"""\
import pytest
from tests.base import BaseChecks
from tests.test_base_file import TestBase


class TestChild(BaseChecks):
    def test_own(self):
        pass


class TestDerived(TestBase):
    pass


class TestOuter:
    class TestInner:
        def test_nested(self):
            pass


@pytest.mark.parametrize("value", {PARAMS!r})
def test_param(value):
    pass


@pytest.mark.parametrize("a,b", [(1, "p.q::r[s]")])
def test_two_params(a, b):
    pass
""",
    "tests/sub/test_broken.py": "import no_such_module_here\n\n\ndef test_never():\n    pass\n",
    "tests/test_modskip.py": """\
import pytest

pytest.skip("not on this platform", allow_module_level=True)


def test_never():
    pass
""",
}
COLLECTORS = ["tests/sub/test_broken.py", "tests/test_modskip.py"]
_RUN = ("-p", "no:cacheprovider")


def _project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # pytest alone: a plain project
    for name, text in PROJECT.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _node_ids(pytester: pytest.Pytester) -> list[str]:
    collected = pytester.runpytest_subprocess("--collect-only", "-q", *_RUN)
    return [line for line in collected.outlines if line.startswith("tests/") and "::" in line]


def _junit_ids(pytester: pytest.Pytester, family: str) -> dict[str, list[str]]:
    xml = pytester.path / f"junit-{family}.xml"
    pytester.runpytest_subprocess(
        *_RUN, "-o", f"junit_family={family}", f"--junitxml={xml}",
        "--continue-on-collection-errors",
    )  # fmt: skip
    ids = {}
    for path, fast in (("fast", True), ("exact", False)):
        with xml.open("rb") as f:
            ids[path] = sorted(row[0] for row in parse_report(f, xml.name, fast=fast).rows())
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_ids_from_pytests_own_junitxml_are_its_collect_only_node_ids(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, family: str
) -> None:
    _project(pytester, monkeypatch)
    node_ids = _node_ids(pytester)

    ids = _junit_ids(pytester, family)

    assert "tests/test_child.py::TestChild::test_inherited" in node_ids
    assert "tests/test_child.py::test_param[[z]]" in node_ids
    expected = sorted([*node_ids, *COLLECTORS])
    assert ids == {"fast": expected, "exact": expected}


@pytest.mark.parametrize(
    ("classname", "name", "file", "expected"),
    [
        pytest.param(
            "tests.test_child.TestChild", "test_inherited", "tests/base.py",
            ("tests/test_child.py::TestChild::test_inherited", "tests/test_child.py"),
            id="an inherited method: the classname wins over the defining file",
        ),
        pytest.param(
            "tests.v1.2.test_x.TestY", "test_z", "tests/v1.2/base.py",
            ("tests/v1.2/test_x.py::TestY::test_z", "tests/v1.2/test_x.py"),
            id="the defining file's directories keep their dots",
        ),
        pytest.param(
            "ci.tests.test_x.TestY", "test_z", "tests/test_x.py",
            ("tests/test_x.py::TestY::test_z", "tests/test_x.py"),
            id="a --junitprefix before the module: the file agrees",
        ),
        pytest.param(
            "tests.test_x", "test_p[a.b::c/d[e]]", None,
            ("tests/test_x.py::test_p[a.b::c/d[e]]", "tests/test_x.py"),
            id="parameters survive exactly",
        ),
        pytest.param(
            "", "tests.sub.test_broken", "tests/sub/test_broken.py",
            ("tests/sub/test_broken.py", "tests/sub/test_broken.py"),
            id="a collector with a file: the file",
        ),
        pytest.param(
            "", "tests.sub.test_broken", None,
            ("tests/sub/test_broken.py", "tests/sub/test_broken.py"),
            id="a collector without a file: its dotted name as a path",
        ),
        pytest.param(
            "", "(session)", "", ("(session)", None), id="our plugin's session error"
        ),
    ],
)  # fmt: skip
def test_pytest_ids_follow_the_node_id_rules(
    classname: str, name: str, file: str | None, expected: tuple[str, str | None]
) -> None:
    assert make_test_id("pytest", classname, name, file, "pytest") == expected


# -- jest-junit -----------------------------------------------------------------------------

TITLES = ["works with a::b", "works with x[1]", "works with /etc/hosts", "ünï «ok»", "  spaced  "]
# (file, describe blocks, title) per test, as jest runs them; two files with the same names.
JEST_TESTS = [
    (f"src/{part}/cart.test.js", describes, title)
    for part in ("a", "b")
    for describes, title in [
        (["Cart"], "adds an item"),
        (["Cart", "with coupons", "nested deeper"], "applies a coupon"),
        *((["Cart"], t) for t in TITLES),
        ([], "top level test"),
    ]
]


def jest_junit_report(
    tests: Sequence[tuple[str, list[str], str]],
    *,
    add_file_attribute: bool = False,
    use_path_for_suite_name: bool = False,
    class_name_template: str = "{classname} {title}",
    title_template: str = "{classname} {title}",
) -> bytes:
    """What jest-junit 17 writes: one suite per test file, named by the first test's top describe
    (or the file path with ``usePathForSuiteName``); ``classname`` and ``name`` from the
    templates (``{classname}`` is the describe blocks joined by a space)."""
    root = ET.Element("testsuites", name="jest tests", tests=str(len(tests)))
    suites: dict[str, ET.Element] = {}
    for file, describes, title in tests:
        suite = suites.get(file)
        if suite is None:
            name = file if use_path_for_suite_name else (describes[:1] or ["undefined"])[0]
            suite = suites[file] = ET.SubElement(root, "testsuite", name=name, errors="0")
        values = {"classname": " ".join(describes), "title": title}
        case = ET.SubElement(suite, "testcase")
        case.set("classname", class_name_template.format(**values))
        case.set("name", title_template.format(**values))
        case.set("time", "0.004")
        if add_file_attribute:
            case.set("file", file)
    return document(root, declaration=True)


def test_jest_ids_with_the_file_attribute_tell_two_files_apart(read_rows: ReadRows) -> None:
    rows = read_rows(jest_junit_report(JEST_TESTS, add_file_attribute=True))

    assert [r[0] for r in rows] == [
        f"{file}::{' '.join(describes)} {title}" for file, describes, title in JEST_TESTS
    ]
    assert {r[6] for r in rows} == {0}


def test_jest_ids_with_path_suites_and_split_templates_tell_two_files_apart(
    read_rows: ReadRows,
) -> None:
    data = jest_junit_report(
        JEST_TESTS,
        use_path_for_suite_name=True,
        class_name_template="{classname}",
        title_template="{title}",
    )

    rows = read_rows(data)

    expected = [
        f"{file}::{' '.join(describes)}::{title}" if describes else f"{file}::{title}"
        for file, describes, title in JEST_TESTS
    ]
    assert ([r[0] for r in rows], [r[3] for r in rows]) == (
        expected,
        [file for file, _, _ in JEST_TESTS],
    )


def test_jest_default_reports_name_no_file_so_the_same_titles_share_an_id(
    read_rows: ReadRows,
) -> None:
    # jest-junit's defaults write neither the file nor its path: documented in ids.py.
    rows = read_rows(jest_junit_report(JEST_TESTS[:1] + JEST_TESTS[len(TITLES) + 3 :][:1]))

    assert [(r[0], r[6]) for r in rows] == [
        ("Cart::Cart adds an item", 0),
        ("Cart::Cart adds an item", 1),
    ]


def _jest_modules() -> Path | None:
    found = os.environ.get("TEST_JEST_MODULES")
    path = Path(found) if found else None
    ok = path is not None and (path / ".bin" / "jest").exists() and (path / "jest-junit").is_dir()
    return path if ok and shutil.which("node") else None


_JEST_FILE = """\
describe('Cart', () => {
  test('adds an item', () => {});
  describe('with coupons', () => {
    describe('nested deeper', () => {
      test('applies a coupon', () => {});
    });
  });
  test.each(%s)('works with %%s', (v) => {});
});
test('top level test', () => {});
"""


@pytest.mark.slow
@pytest.mark.skipif(
    _jest_modules() is None,
    reason="needs node and TEST_JEST_MODULES=<node_modules with jest and jest-junit>",
)
@pytest.mark.parametrize("add_file", [True, False], ids=["addFileAttribute", "defaults"])
def test_real_jest_junit_ids_are_stable_and_tell_files_apart_when_the_file_is_written(
    tmp_path: Path, add_file: bool
) -> None:
    modules = _jest_modules()
    assert modules is not None
    (tmp_path / "node_modules").symlink_to(modules)
    (tmp_path / "package.json").write_text('{"name": "ids", "private": true}')
    values = [["a::b"], ["x[1]"], ["/etc/hosts"], ["ünï «ok»"], ["  spaced  "]]
    for part in ("a", "b"):
        (tmp_path / "src" / part).mkdir(parents=True)
        (tmp_path / "src" / part / "cart.test.js").write_text(_JEST_FILE % values)
    env = {
        **os.environ,
        "JEST_JUNIT_OUTPUT_NAME": "junit.xml",
        "JEST_JUNIT_ADD_FILE_ATTRIBUTE": "true" if add_file else "false",
    }
    subprocess.run(
        [str(modules / ".bin" / "jest"), "--ci", "--reporters=default", "--reporters=jest-junit"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=True,
        timeout=600,
    )

    data = (tmp_path / "junit.xml").read_bytes()
    ids = [(r[0], r[6]) for r in parse_report(io.BytesIO(data), "junit.xml").rows()]

    titles = [
        "Cart adds an item",
        "Cart with coupons nested deeper applies a coupon",
        *(f"Cart works with {v[0]}" for v in values),
        " top level test",
    ]
    if add_file:
        expected = [(f"src/{p}/cart.test.js::{t}", 0) for p in ("a", "b") for t in titles]
    else:
        expected = [(f"Cart::{t}", n) for n in (0, 1) for t in titles]
    assert sorted(ids) == sorted(expected)
