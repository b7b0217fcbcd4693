"""Static determinism hints: what in a test's source makes it likely to flake.

Pure and AST-based. Kinds: ``sleep``, ``wall-clock``, ``unseeded-random``, ``network``,
``hard-coded-port``, ``temp-path`` and ``module-state``. Each hint carries the line and its
source text. Module-level mutable state is reported only when the test reads that name, so a
module full of tests does not repeat the same hint for tests that never touch the state.

:func:`source_hints` is what the merge gate calls for every new test: it finds each test's
definition with :class:`~.source_index.SourceIndex` (each file parsed once, inherited tests
followed to their base class's file) and never raises for a test it cannot locate.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from readiness.errors import InputError, NotFoundError
from readiness.testhealth.experiments.source_index import (
    Definition,
    SourceIndex,
    TestRef,
    parse_module,
    parse_test_id,
)
from readiness.testhealth.model import Hint, TestHints

_State = dict[str, tuple[int, str]]  # module-level mutable name -> (line, kind)

_WALL_CLOCK = {
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "date.today",
    "time.time",
    "time.time_ns",
}
_SLEEPS = {"time.sleep", "asyncio.sleep", "sleep"}
_RANDOM_FUNCS = {
    "random",
    "randint",
    "randrange",
    "choice",
    "choices",
    "shuffle",
    "sample",
    "uniform",
    "gauss",
    "getrandbits",
    "randbytes",
    "triangular",
}
_NETWORK_PREFIXES = ("requests.", "httpx.", "urllib.request.", "aiohttp.", "socket.")
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", "testserver"}  # noqa: S104 - names
_HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "request", "stream", "urlopen"}
_MUTABLE_CALLS = {"list", "dict", "set", "defaultdict", "deque", "OrderedDict", "Counter"}
_HOST_PORT = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|[\w.-]+\.\w+):(\d{4,5})\b")
_IGNORED_MODULE_NAMES = {"__all__", "pytest_plugins", "pytestmark"}


def _imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements anywhere in ``body``, in source order.

    Imports are statements, so only statement bodies are descended: walking every expression
    of a large test module cost more than parsing it.
    """
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                yield from _imports(children)


def _nodes(root: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``root``, in no particular order.

    The gate walks every new test's body; ``ast.walk`` (and ``NodeVisitor``'s per-node method
    lookup) cost more than parsing the file, a plain stack over ``_fields`` about half.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                stack.append(value)
            elif type(value) is list:
                stack.extend(v for v in value if isinstance(v, ast.AST))


def _aliases(module: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in _imports(module.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _is_mutable(value: ast.expr) -> str | None:
    if isinstance(value, ast.List | ast.ListComp):
        return "list"
    if isinstance(value, ast.Dict | ast.DictComp):
        return "dict"
    if isinstance(value, ast.Set | ast.SetComp):
        return "set"
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in _MUTABLE_CALLS:
            return str(name)
    return None


def _module_state(module: ast.Module) -> _State:
    state: _State = {}
    for node in module.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        kind = _is_mutable(value) if value is not None else None
        if kind is None:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in _IGNORED_MODULE_NAMES:
                state[target.id] = (node.lineno, kind)
    return state


def _remote_host(url: str) -> str | None:
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        return None
    host = urlsplit(url).hostname or ""
    return None if host in _LOOPBACK or host.startswith("127.") else host


class _Visitor:
    """Collects hints from the nodes :meth:`scan` walks."""

    def __init__(self, aliases: dict[str, str], lines: list[str]) -> None:
        self.aliases = aliases
        self.lines = lines
        self.hints: dict[tuple[str, int], Hint] = {}
        self.seeded = False
        self.random_calls: list[int] = []
        self.names: set[str] = set()

    def add(self, kind: str, line: int) -> None:
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        self.hints.setdefault((kind, line), Hint(kind=kind, line=line, text=text))

    def scan(self, root: ast.AST) -> None:
        """Look at every node under ``root`` (a statement or a decorator)."""
        for node in _nodes(root):
            if isinstance(node, ast.Name):
                self.names.add(node.id)
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Constant):
                self._constant(node)
            elif isinstance(node, ast.Global):
                self.add("module-state", node.lineno)

    def _constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if node.value == "/tmp" or node.value.startswith("/tmp/"):  # noqa: S108 - detecting it
                self.add("temp-path", node.lineno)
            if _HOST_PORT.search(node.value) and any(
                1024 <= int(p) <= 65535 for p in _HOST_PORT.findall(node.value)
            ):
                self.add("hard-coded-port", node.lineno)

    def _call(self, node: ast.Call) -> None:
        name = _dotted(node.func, self.aliases) or ""
        last = name.rsplit(".", 1)[-1]
        if name in _SLEEPS and self._constant_delay(node):
            self.add("sleep", node.lineno)
        if name in _WALL_CLOCK:
            self.add("wall-clock", node.lineno)
        if name in ("random.seed", "random.Random") and (node.args or node.keywords):
            self.seeded = True
        if name.startswith("random.") and last in _RANDOM_FUNCS and name.count(".") == 1:
            self.random_calls.append(node.lineno)
        if name in ("uuid.uuid4", "uuid.uuid1", "os.urandom"):
            self.add("unseeded-random", node.lineno)
        self._sockets(node, name, last)
        self._urls(node, name, last)

    @staticmethod
    def _constant_delay(node: ast.Call) -> bool:
        arg = node.args[0] if node.args else None
        return (
            isinstance(arg, ast.Constant)
            and isinstance(arg.value, int | float)
            and not isinstance(arg.value, bool)
            and arg.value > 0
        )

    def _urls(self, node: ast.Call, name: str, last: str) -> None:
        if not (name.startswith(_NETWORK_PREFIXES) or last in _HTTP_VERBS):
            return
        for arg in [*node.args[:1], *(k.value for k in node.keywords if k.arg == "url")]:
            if isinstance(arg, ast.Constant) and _remote_host(str(arg.value)):
                self.add("network", node.lineno)

    def _sockets(self, node: ast.Call, name: str, last: str) -> None:
        for keyword in node.keywords:
            if keyword.arg == "port" and _is_port(keyword.value):
                self.add("hard-coded-port", node.lineno)
        if last not in ("connect", "bind", "create_connection", "listen", "connect_ex"):
            return
        arg = node.args[0] if node.args else None
        if last == "listen" and _is_port(arg):
            self.add("hard-coded-port", node.lineno)
        if isinstance(arg, ast.Tuple) and len(arg.elts) == 2:
            host, port = arg.elts
            if _is_port(port):
                self.add("hard-coded-port", node.lineno)
            if (
                isinstance(host, ast.Constant)
                and isinstance(host.value, str)
                and host.value not in _LOOPBACK
                and not host.value.startswith("127.")
                and last != "bind"
            ):
                self.add("network", node.lineno)


def _is_port(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Constant) and type(node.value) is int and 1024 <= node.value <= 65535
    )


def function_hints(definition: Definition, aliases: dict[str, str], state: _State) -> list[Hint]:
    """Hints of one test function, given its module's aliases and module-level state."""
    function = definition.function
    visitor = _Visitor(aliases, definition.module.lines)
    for node in [*function.body, *function.decorator_list]:
        visitor.scan(node)
    if not visitor.seeded:
        for line in visitor.random_calls:
            visitor.add("unseeded-random", line)
    for name, (line, _kind) in state.items():
        if name in visitor.names:
            visitor.add("module-state", line)
    return sorted(visitor.hints.values(), key=lambda h: (h.line, h.kind))


class _Hinter:
    """Hints of definitions, with each module's aliases and state and each function's hints
    computed once (parametrised ids share one function)."""

    def __init__(self) -> None:
        self._modules: dict[int, tuple[dict[str, str], _State]] = {}
        self._functions: dict[int, tuple[Hint, ...]] = {}

    def hints(self, definition: Definition) -> tuple[Hint, ...]:
        key = id(definition.function)
        found = self._functions.get(key)
        if found is None:
            module = definition.module
            facts = self._modules.get(id(module))
            if facts is None:
                facts = self._modules[id(module)] = (
                    _aliases(module.tree),
                    _module_state(module.tree),
                )
            try:
                found = tuple(function_hints(definition, *facts))
            except RecursionError:  # absurdly nested code: no hints rather than no gate
                found = ()
            self._functions[key] = found
        return found


def _definition(index: SourceIndex, ref: TestRef) -> Definition:
    found = index.find(ref)
    if found is None:
        where = ".".join([*ref.classes, ref.function])
        raise NotFoundError(f"test function {where!r} not found in {ref.file}")
    return found


def hints_for_test(source: str, function_name: str, class_name: str | None) -> list[Hint]:
    """Hints for one test function of a module's source, sorted by line then kind.

    Raises :class:`InputError` when the source is not Python and :class:`NotFoundError` when
    the function (or method of ``class_name``, inherited within the module included) is absent.
    """
    module = parse_module(source.encode("utf-8"), "<test source>", label="test source")
    index = SourceIndex(None)
    index.add(module)
    classes = () if class_name is None else (class_name,)
    definition = _definition(index, TestRef(module.relative, classes, function_name))
    return list(_Hinter().hints(definition))


def split_test_id(test_id: str) -> tuple[str, str | None, str]:
    """``(file, innermost class or None, function)`` of a pytest node id (parameters dropped)."""
    ref = parse_test_id(test_id)
    if ref is None:
        raise InputError(f"test id {test_id!r}: expected 'path.py::[Class::]test_name'")
    return ref.file, (ref.classes[-1] if ref.classes else None), ref.function


def hints_for_file(path: Path, test_id: str) -> list[Hint]:
    """Hints for the test ``test_id`` whose module is the file at ``path``.

    Base classes are followed into files next to it. Raises :class:`NotFoundError` when the
    file cannot be read or the test is not in it, :class:`InputError` when it is not Python.
    """
    ref = parse_test_id(test_id)
    if ref is None:
        raise InputError(f"test id {test_id!r}: expected 'path.py::[Class::]test_name'")
    index = SourceIndex(path.parent)
    index.load(path.name)
    definition = _definition(index, TestRef(path.name, ref.classes, ref.function))
    return list(_Hinter().hints(definition))


def source_hints(root: Path, test_ids: Iterable[str]) -> dict[str, TestHints]:
    """Determinism hints of the tests (among ``test_ids``) whose Python source is under ``root``.

    Never raises for a test: an id that is not a pytest node id, a file that is missing,
    unreadable or not Python, a test that cannot be located all give no hints. Each file is
    parsed once. ``TestHints.file`` is the file that defines the test (the base class's file
    for an inherited test), so the hint lines point into it.
    """
    index = SourceIndex(root)
    hinter = _Hinter()
    out: dict[str, TestHints] = {}
    for test_id in test_ids:
        ref = parse_test_id(test_id)
        definition = index.find(ref) if ref is not None else None
        if definition is None:
            continue
        found = hinter.hints(definition)
        if found:
            out[test_id] = TestHints(file=definition.module.relative, hints=found)
    return out
