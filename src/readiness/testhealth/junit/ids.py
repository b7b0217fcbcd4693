"""Test identity and the producer of a JUnit XML report.

Test identity (``CaseResult.test_id``), one rule per format:

- pytest: ``path/to/test_file.py::TestClass::test_name`` from the ``file`` attribute when present,
  else from the dotted classname (trailing capitalised segments are classes, the rest the module).
- surefire: ``classname#name`` (the Java ``Class#method`` convention).
- jest, go, junit: ``classname::name``; when the classname is missing or equals the name
  (jest-junit's default templates) the ``file`` attribute, else the suite name, takes its place.
"""

from __future__ import annotations

import re

from readiness.testhealth.model import Outcome

FORMATS = ("pytest", "jest", "surefire", "go", "junit")
# Surefire children that are earlier attempts of a testcase (see ``junit``).
_ATTEMPT_CHILDREN = {
    "flakyFailure": Outcome.FAILED,
    "flakyError": Outcome.ERROR,
    "rerunFailure": Outcome.FAILED,
    "rerunError": Outcome.ERROR,
}
_JS_EXT = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
_GO_TEST_NAME = re.compile(r"^(?:Test|Benchmark|Example|Fuzz)\w*(?:/|$)")


def guess_format(
    root_name: str,
    suite_attrs: dict[str, str],
    properties: dict[str, str],
    case_attrs: dict[str, str],
    case_children: set[str],
) -> str:
    """The producer of a report, from its root, first suite, properties and first testcase."""
    classname = case_attrs.get("classname", "")
    name = case_attrs.get("name", "")
    file = case_attrs.get("file", "")
    schema = " ".join(v for k, v in suite_attrs.items() if "schema" in k.lower())
    # Our own plugin (and readiness.testing.junit_xml) writes reruns as Surefire children, so
    # these strong pytest signals win over the children.
    if root_name == "pytest tests" or suite_attrs.get("name") == "pytest" or file.endswith(".py"):
        return "pytest"
    if (
        "surefire" in schema
        or case_children & _ATTEMPT_CHILDREN.keys()
        or any(p.startswith(("java.", "surefire", "maven.")) for p in properties)
    ):
        return "surefire"
    if "go.version" in properties or (
        _GO_TEST_NAME.match(name) and classname and classname == suite_attrs.get("name")
    ):
        return "go"
    if root_name == "jest tests" or file.endswith(_JS_EXT):
        return "jest"
    if name.startswith("test") and classname.split(".")[-1].startswith(("test_", "Test")):
        return "pytest"
    return "jest" if " " in classname else "junit"


def _pytest_id(classname: str, name: str, file: str | None) -> tuple[str, str | None]:
    parts = [p for p in classname.split(".") if p]
    if file:
        path = file.replace("\\", "/")
        module = path.removesuffix(".py").replace("/", ".")
        if classname == module:
            classes: list[str] = []
        elif classname.startswith(module + "."):
            classes = classname[len(module) + 1 :].split(".")
        else:
            classes = _trailing_classes(parts)
        return "::".join([path, *classes, name]), path
    classes = _trailing_classes(parts)
    module_parts = parts[: len(parts) - len(classes)]
    guessed = "/".join(module_parts) + ".py" if module_parts else None
    return "::".join([p for p in (guessed, *classes, name) if p]), guessed


def _trailing_classes(parts: list[str]) -> list[str]:
    n = 0
    for part in reversed(parts):
        if not part[:1].isupper():
            break
        n += 1
    return parts[len(parts) - n :]


def id_prefix(
    fmt: str, classname: str, file: str | None, suite: str | None
) -> tuple[str | None, str | None]:
    """``(prefix, file)`` such that ``prefix + name`` is the test id; ``None`` when it depends
    on the name (a jest-junit classname that may equal the name)."""
    if fmt == "pytest":
        marker = "\x00"
        test_id, path = _pytest_id(classname, marker, file)
        return test_id[: -len(marker)], path
    if fmt == "surefire":
        return (f"{classname}#" if classname else ""), file
    if classname:
        return None, file
    prefix = file or suite
    return (f"{prefix}::" if prefix else ""), file


def make_test_id(
    fmt: str, classname: str, name: str, file: str | None, suite: str | None
) -> tuple[str, str | None]:
    """``(test_id, file)`` of a testcase under the identity rule of ``fmt`` (module docstring)."""
    if fmt == "pytest":
        return _pytest_id(classname, name, file)
    if fmt == "surefire":
        return (f"{classname}#{name}" if classname else name), file
    prefix = classname if classname and classname != name else (file or suite)
    return (f"{prefix}::{name}" if prefix else name), file
