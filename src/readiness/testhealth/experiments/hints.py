"""Static determinism hints: what in a test's source makes it likely to flake.

Pure and AST-based. Kinds: ``sleep``, ``wall-clock``, ``unseeded-random``, ``network``,
``hard-coded-port``, ``temp-path`` and ``module-state``. Each hint carries the line and its
source text. Module-level mutable state is reported only when the test reads that name, so a
module full of tests does not repeat the same hint for tests that never touch the state.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from readiness.errors import InputError, NotFoundError
from readiness.testhealth.model import Hint, TestHints

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


def _aliases(module: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(module):
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


def _find_function(
    module: ast.Module, function_name: str, class_name: str | None
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    scope: list[ast.stmt] = module.body
    if class_name is not None:
        classes = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == class_name]
        if not classes:
            return None
        scope = classes[0].body
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function_name:
            return node
    return None


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


def _module_state(module: ast.Module) -> dict[str, tuple[int, str]]:
    state: dict[str, tuple[int, str]] = {}
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


class _Visitor(ast.NodeVisitor):
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

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        self.add("module-state", node.lineno)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if node.value == "/tmp" or node.value.startswith("/tmp/"):  # noqa: S108 - detecting it
                self.add("temp-path", node.lineno)
            if _HOST_PORT.search(node.value) and any(
                1024 <= int(p) <= 65535 for p in _HOST_PORT.findall(node.value)
            ):
                self.add("hard-coded-port", node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
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
        self.generic_visit(node)

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


def hints_for_test(source: str, function_name: str, class_name: str | None) -> list[Hint]:
    """Hints for one test function of a module's source, sorted by line then kind."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise InputError(
            f"test source line {exc.lineno}: not valid Python ({exc.msg}); cannot look for hints"
        ) from exc
    function = _find_function(module, function_name, class_name)
    if function is None:
        where = f"{class_name}.{function_name}" if class_name else function_name
        raise NotFoundError(f"test function {where!r} not found in the module source")
    lines = source.splitlines()
    visitor = _Visitor(_aliases(module), lines)
    for statement in function.body:
        visitor.visit(statement)
    for decorator in function.decorator_list:
        visitor.visit(decorator)
    if not visitor.seeded:
        for line in visitor.random_calls:
            visitor.add("unseeded-random", line)
    for name, (line, _kind) in _module_state(module).items():
        if name in visitor.names:
            visitor.add("module-state", line)
    return sorted(visitor.hints.values(), key=lambda h: (h.line, h.kind))


def split_test_id(test_id: str) -> tuple[str, str | None, str]:
    """``(file, class or None, function)`` of a pytest node id (parameters dropped)."""
    parts = test_id.split("::")
    if len(parts) < 2:
        raise InputError(f"test id {test_id!r}: expected 'path.py::[Class::]test_name'")
    function = parts[-1].split("[", 1)[0]
    class_name = parts[-2] if len(parts) > 2 else None
    return parts[0], class_name, function


def hints_for_file(path: Path, test_id: str) -> list[Hint]:
    """Hints for the test ``test_id`` whose module is the file at ``path``."""
    _, class_name, function = split_test_id(test_id)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFoundError(f"test file {path}: cannot be read ({exc.strerror})") from exc
    return hints_for_test(source, function, class_name)


def source_hints(root: Path, test_ids: Iterable[str]) -> dict[str, TestHints]:
    """Determinism hints of the tests (among ``test_ids``) whose Python source is under ``root``."""
    out: dict[str, TestHints] = {}
    for test_id in test_ids:
        relative = test_id.split("::", 1)[0]
        path = root / relative
        if path.is_file() and path.suffix == ".py":
            found = tuple(hints_for_file(path, test_id))
            if found:
                out[test_id] = TestHints(file=relative, hints=found)
    return out
