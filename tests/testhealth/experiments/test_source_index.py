"""Finding each test's definition for the gate's hints, from the ids a real pytest collects.

The projects are collected with pytest itself (``--collect-only -q``), so the ids are exactly
what a report carries: inherited methods under the collecting file, parameters with ``.``,
``::`` and ``/`` in them, classes nested in classes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.testhealth.experiments import source_index
from readiness.testhealth.experiments.hints import hints_for_file, source_hints, split_test_id
from readiness.testhealth.experiments.source_index import TestRef, parse_test_id
from readiness.testhealth.model import Hint, TestHints

pytest_plugins = ["pytester"]

BASE = """\
import time


class BaseTests:
    def test_inherited_sleeps(self):
        time.sleep(1)
"""


def collected(pytester: pytest.Pytester, **files: str) -> list[str]:
    """Write ``files`` (``"pkg/test_a.py": source``) and return the ids pytest collects."""
    for name, source in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.OK, result.outlines
    return [line for line in result.outlines if "::" in line]


def test_an_inherited_test_gets_the_hints_of_its_base_class_in_another_file(
    pytester: pytest.Pytester,
) -> None:
    ids = collected(
        pytester,
        **{
            "hintsuite/__init__.py": "",
            "hintsuite/base.py": BASE,
            "hintsuite/test_child.py": (
                "from hintsuite.base import BaseTests\n\n\nclass TestChild(BaseTests):\n    pass\n"
            ),
        },
    )

    assert ids == ["hintsuite/test_child.py::TestChild::test_inherited_sleeps"]
    assert source_hints(pytester.path, ids) == {
        ids[0]: TestHints("hintsuite/base.py", (Hint("sleep", 6, "time.sleep(1)"),))
    }


@pytest.mark.parametrize(
    ("importing", "base"),
    [
        ("from .base import BaseTests", "BaseTests"),
        ("from . import base", "base.BaseTests"),
        ("import hintsuite.base as b", "b.BaseTests"),
        ("import hintsuite.base", "hintsuite.base.BaseTests"),
        ("from hintsuite.base import *", "BaseTests"),
        ("from hintsuite.base import BaseTests as Renamed", "Renamed"),
    ],
)
def test_a_base_class_is_followed_through_every_form_of_import(
    pytester: pytest.Pytester, importing: str, base: str
) -> None:
    ids = collected(
        pytester,
        **{
            "hintsuite/__init__.py": "",
            "hintsuite/base.py": BASE,
            "hintsuite/test_child.py": f"{importing}\n\n\nclass TestChild({base}):\n    pass\n",
        },
    )

    assert source_hints(pytester.path, ids) == {
        "hintsuite/test_child.py::TestChild::test_inherited_sleeps": TestHints(
            "hintsuite/base.py", (Hint("sleep", 6, "time.sleep(1)"),)
        )
    }


def test_a_base_class_re_exported_by_a_package_is_followed_to_its_definition(
    pytester: pytest.Pytester,
) -> None:
    ids = collected(
        pytester,
        **{
            "hintsuite/__init__.py": "from hintsuite.base import BaseTests\n",
            "hintsuite/base.py": BASE,
            "hintsuite/test_child.py": (
                "import hintsuite\n\n\nclass TestChild(hintsuite.BaseTests):\n    pass\n"
            ),
        },
    )

    assert [t.file for t in source_hints(pytester.path, ids).values()] == ["hintsuite/base.py"]


def test_tests_defined_under_if_and_try_blocks_get_hints(pytester: pytest.Pytester) -> None:
    source = """\
import sys
import time

if sys.version_info >= (3, 8):
    def test_guarded():
        time.sleep(2)

try:
    import json
except ImportError:
    json = None
else:
    class TestInElse:
        def test_method(self):
            time.sleep(3)
"""
    ids = collected(pytester, **{"test_blocks.py": source})

    assert source_hints(pytester.path, ids) == {
        "test_blocks.py::test_guarded": TestHints(
            "test_blocks.py", (Hint("sleep", 6, "time.sleep(2)"),)
        ),
        "test_blocks.py::TestInElse::test_method": TestHints(
            "test_blocks.py", (Hint("sleep", 15, "time.sleep(3)"),)
        ),
    }


def test_parameters_with_dots_double_colons_and_slashes_keep_the_function_hints(
    pytester: pytest.Pytester,
) -> None:
    source = """\
import time

import pytest


@pytest.mark.parametrize("value", ["a.b", "x::y", "/etc/hosts", "[nested]"])
def test_params(value):
    time.sleep(3)
"""
    ids = collected(pytester, **{"test_params.py": source})

    assert ids == [
        "test_params.py::test_params[a.b]",
        "test_params.py::test_params[x::y]",
        "test_params.py::test_params[/etc/hosts]",
        "test_params.py::test_params[[nested]]",
    ]
    hint = TestHints("test_params.py", (Hint("sleep", 8, "time.sleep(3)"),))
    assert source_hints(pytester.path, ids) == dict.fromkeys(ids, hint)


def test_a_method_of_a_class_nested_in_a_class_gets_hints(pytester: pytest.Pytester) -> None:
    source = """\
import time


class TestOuter:
    class TestInner:
        def test_nested(self):
            time.sleep(4)
"""
    ids = collected(pytester, **{"test_nested.py": source})

    assert source_hints(pytester.path, ids) == {
        "test_nested.py::TestOuter::TestInner::test_nested": TestHints(
            "test_nested.py", (Hint("sleep", 7, "time.sleep(4)"),)
        )
    }


# --- files that cannot be read: no hints, never an error --------------------------------------


def write(root: Path, name: str, data: bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


SLEEPY = b"import time\n\n\ndef test_x():\n    time.sleep(1)\n"


def test_an_unparseable_file_gives_no_hints_and_the_other_files_still_do(tmp_path: Path) -> None:
    write(tmp_path, "tests/test_bad.py", b"def test_x(:\n    pass\n")
    write(tmp_path, "tests/test_ok.py", SLEEPY)

    found = source_hints(tmp_path, ["tests/test_bad.py::test_x", "tests/test_ok.py::test_x"])

    assert list(found) == ["tests/test_ok.py::test_x"]


def test_a_file_that_is_not_utf8_gives_no_hints(tmp_path: Path) -> None:
    write(tmp_path, "test_latin.py", b"# caf\xe9 without a coding declaration\n" + SLEEPY)

    assert source_hints(tmp_path, ["test_latin.py::test_x"]) == {}


def test_a_file_declaring_its_encoding_is_decoded_with_it(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport time\n\n\ndef test_x():\n    time.sleep(1)  # é\n"
    write(tmp_path, "test_latin.py", source.encode("latin-1"))

    assert source_hints(tmp_path, ["test_latin.py::test_x"]) == {
        "test_latin.py::test_x": TestHints(
            "test_latin.py", (Hint("sleep", 6, "time.sleep(1)  # é"),)
        )
    }


def test_a_file_that_vanished_gives_no_hints(tmp_path: Path) -> None:
    assert source_hints(tmp_path, ["tests/test_gone.py::test_x"]) == {}


def test_a_file_outside_the_root_is_never_read(tmp_path: Path) -> None:
    write(tmp_path, "outside.py", SLEEPY)
    (tmp_path / "root").mkdir()

    found = source_hints(
        tmp_path / "root", ["../outside.py::test_x", f"{tmp_path}/outside.py::test_x"]
    )

    assert found == {}


@pytest.mark.parametrize(
    "test_id",
    [
        "tests/test_broken.py",
        "(session)",
        "src/sum.test.js::adds numbers",
        "com.example.OrderTest#refunds",
        "tests/test_a.py::",
        "tests/test_a.py::TestA::()::test_x",
    ],
)
def test_ids_that_name_no_python_function_give_no_hints(tmp_path: Path, test_id: str) -> None:
    write(tmp_path, "tests/test_a.py", SLEEPY)

    assert source_hints(tmp_path, [test_id]) == {}


def test_a_cycle_of_base_classes_gives_no_hints(tmp_path: Path) -> None:
    write(tmp_path, "test_cycle.py", b"class TestA(B):\n    pass\n\n\nclass B(TestA):\n    pass\n")

    assert source_hints(tmp_path, ["test_cycle.py::TestA::test_x"]) == {}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_no_test_id_ever_raises(test_id: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        write(Path(root), "tests/test_a.py", SLEEPY)

        source_hints(Path(root), [test_id, f"tests/test_a.py::{test_id}"])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_no_file_content_ever_raises(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as root:
        write(Path(root), "tests/test_a.py", data)

        source_hints(Path(root), ["tests/test_a.py::test_x", "tests/test_a.py::TestA::test_x"])


# --- parsing once ----------------------------------------------------------------------------


def test_each_file_is_parsed_once_however_many_of_its_tests_are_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = source_index.parse_module

    def counting(
        data: bytes, relative: str, *, label: str | None = None
    ) -> source_index.ParsedModule:
        parsed.append(relative)
        return real(data, relative, label=label)

    monkeypatch.setattr(source_index, "parse_module", counting)
    for n in range(3):
        body = "".join(f"class TestC{c}(B):\n    pass\n\n\n" for c in range(20))
        write(tmp_path, f"tests/test_{n}.py", f"from tests.base import B\n\n\n{body}".encode())
    write(
        tmp_path,
        "tests/base.py",
        b"import time\n\n\nclass B:\n    def test_x(self):\n        time.sleep(1)\n",
    )
    ids = [
        f"tests/test_{n}.py::TestC{c}::test_x[{p}]"
        for n in range(3)
        for c in range(20)
        for p in range(5)
    ]

    found = source_hints(tmp_path, ids)

    assert len(found) == 300
    assert sorted(parsed) == [
        "tests/base.py",
        "tests/test_0.py",
        "tests/test_1.py",
        "tests/test_2.py",
    ]


# --- ids --------------------------------------------------------------------------------------


def test_an_id_is_split_before_its_parameters_whatever_they_contain() -> None:
    assert parse_test_id("tests/t.py::TestA::TestB::test_c[x::y/z.w]") == TestRef(
        "tests/t.py", ("TestA", "TestB"), "test_c"
    )
    assert split_test_id("t.py::TestA::test_b[x::y]") == ("t.py", "TestA", "test_b")


def test_hints_for_a_file_follow_a_base_class_into_a_sibling_file(tmp_path: Path) -> None:
    write(tmp_path, "base.py", BASE.encode())
    write(
        tmp_path,
        "test_child.py",
        b"from base import BaseTests\n\n\nclass TestChild(BaseTests):\n    pass\n",
    )

    hints = hints_for_file(
        tmp_path / "test_child.py", "test_child.py::TestChild::test_inherited_sleeps"
    )

    assert hints == [Hint("sleep", 6, "time.sleep(1)")]
