"""Test identity and the producer of a JUnit XML report.

Test identity (``CaseResult.test_id``), one rule per format (docs/testhealth.md shows examples):

- **pytest**: the node id, ``path/to/test_file.py::TestClass::test_name[params]``. pytest's
  junitxml derives ``classname`` from the node id (path with ``/`` as ``.``, ``.py`` dropped, then
  the classes) and keeps the whole last part (parameters included, exactly) in ``name``; xunit1
  adds the ``file`` the test is *defined* in. The path comes from ``file`` when it agrees with the
  classname; when it does not (an inherited test method defined in another module), the
  classname wins: the node id names the collecting module. Without ``file`` (xunit2) the
  trailing capitalised segments of the classname are the classes and the rest the module path.
  A testcase with an empty classname is a collector (``classname=""``, ``name="tests.test_x"``,
  a collection error or a module-level skip): its id is the module path, ``tests/test_x.py``,
  from ``file`` when present.
- **surefire**: ``classname#name`` (the Java ``Class#method`` convention).
- **jest**: ``<file>::<title>`` when the report names the test file: the ``file`` attribute
  (jest-junit ``addFileAttribute``) or a suite named by its path (``usePathForSuiteName`` or a
  ``{filepath}`` suite template). ``<title>`` is ``name`` when ``classname`` is empty or equal to
  it (jest-junit's default templates write ``"<describe...> <test>"`` into both), else
  ``classname::name``. Without a file, jest-junit's default report cannot tell two files apart:
  the id is ``<suite>::<name>`` (the suite is the file's first describe block), and the same
  describe and title in two files share an id.
- **go, junit**: ``classname::name``; when the classname is missing or equals the name the
  ``file`` attribute, else the suite name, takes its place.
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
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*")
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
    if root_name == "jest tests" or file.endswith(_JS_EXT) or _is_js_path(suite_attrs.get("name")):
        return "jest"  # the root, the file attribute, or a suite named by its path
    if name.startswith("test") and classname.split(".")[-1].startswith(("test_", "Test")):
        return "pytest"
    return "jest" if " " in classname else "junit"


def _is_js_path(suite: str | None) -> bool:
    return suite is not None and suite.endswith(_JS_EXT)


def _pytest_id(classname: str, name: str, file: str | None) -> tuple[str, str | None]:
    path = file.replace("\\", "/") if file else None
    if not classname:
        return _collector_id(name, path)
    parts = [p for p in classname.split(".") if p]
    classes = _trailing_classes(parts)
    if path:
        module = path.removesuffix(".py").replace("/", ".")
        if classname == module:
            return "::".join([path, name]), path
        if classname.startswith(module + "."):
            return "::".join([path, *classname[len(module) + 1 :].split("."), name]), path
        # The same module behind a --junitprefix, or a file path with a source root before
        # the module's dotted name: the file is right.
        head, dotted = parts[: len(parts) - len(classes)], module.split(".")
        if head and (head[-len(dotted) :] == dotted or dotted[-len(head) :] == head):
            return "::".join([path, *classes, name]), path
    # No file, or the file an inherited test is defined in: the classname names the module.
    module_parts = parts[: len(parts) - len(classes)]
    guessed = _module_path(module_parts, path) if module_parts else None
    return "::".join([p for p in (guessed, *classes, name) if p]), guessed


def _trailing_classes(parts: list[str]) -> list[str]:
    n = 0
    for part in reversed(parts):
        if not part[:1].isupper():
            break
        n += 1
    return parts[len(parts) - n :]


def _module_path(module_parts: list[str], hint: str | None) -> str:
    """The file of a dotted module; a directory of ``hint`` (the defining file) whose dotted
    form starts the module keeps its dots (``tests/v1.2/test_x.py``)."""
    dotted = ".".join(module_parts)
    if hint:
        directory = hint.rpartition("/")[0]
        while directory:
            if dotted.startswith(directory.replace("/", ".") + "."):
                rest = dotted[len(directory) + 1 :]
                return f"{directory}/{rest.replace('.', '/')}.py"
            directory = directory.rpartition("/")[0]
    return "/".join(module_parts) + ".py"


def _collector_id(name: str, path: str | None) -> tuple[str, str | None]:
    """A collector's testcase (collection error, module-level skip): the module path."""
    if path:
        return path, path
    if _DOTTED.fullmatch(name):
        guessed = name.replace(".", "/") + ".py"
        return guessed, guessed
    return name, None  # our plugin's "(session)" error


def _jest_location(file: str | None, suite: str | None) -> str | None:
    """The test file a jest-junit testcase names: its ``file`` attribute or a path suite."""
    if file:
        return file
    return suite if _is_js_path(suite) else None


def id_prefix(
    fmt: str, classname: str, file: str | None, suite: str | None
) -> tuple[str | None, str | None]:
    """``(prefix, file)`` such that ``prefix + name`` is the test id; ``None`` when it depends
    on the name (a collector's testcase, a classname that may equal the name)."""
    if fmt == "pytest":
        if not classname:
            return None, file
        marker = "\x00"
        test_id, path = _pytest_id(classname, marker, file)
        return test_id[: -len(marker)], path
    if fmt == "surefire":
        return (f"{classname}#" if classname else ""), file
    if classname:
        return None, file
    location = _jest_location(file, suite) if fmt == "jest" else None
    if location:
        return f"{location}::", location
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
    if fmt == "jest":
        location = _jest_location(file, suite)
        if location:
            title = name if not classname or classname == name else f"{classname}::{name}"
            return f"{location}::{title}", location
    prefix = classname if classname and classname != name else (file or suite)
    return (f"{prefix}::{name}" if prefix else name), file
