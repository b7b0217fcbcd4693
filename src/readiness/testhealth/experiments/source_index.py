"""Where a test is defined: pytest node ids resolved to function definitions in a checkout.

A :class:`SourceIndex` parses each file at most once, however many tests live in it, and finds
the function a node id names:

- module functions and methods of (nested) classes, also when defined under ``if``/``try``/
  ``with`` blocks (the last definition in source order wins, as it would at import time);
- inherited methods: the class's bases are followed through the same module and through its
  imports (``from .base import Base``, ``import tests.base as b`` + ``b.Base``, ``from x
  import *``) to the file that defines them;
- parametrised ids keep their parameters apart, whatever they contain (``test_x[a::b]``,
  ``test_x[/etc/hosts]``).

Anything it cannot resolve (a file missing, outside the root, not UTF-8 or its declared
encoding, not valid Python, a name defined elsewhere) is simply not found: looking for hints
must never fail a gate.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from readiness.errors import InputError, NotFoundError, ReadinessError

__all__ = ["Definition", "ParsedModule", "SourceIndex", "TestRef", "parse_module", "parse_test_id"]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_MAX_DEPTH = 16  # bases and re-exports followed before giving up (cycles, pathological code)


@dataclass(frozen=True, slots=True)
class TestRef:
    """A pytest node id split into its file, its (nested) classes and its function."""

    __test__ = False  # not a pytest test class

    file: str
    classes: tuple[str, ...]
    function: str


def parse_test_id(test_id: str) -> TestRef | None:
    """The parts of ``path.py::[Class::...]test_name[params]``; ``None`` for other ids.

    Parameters are cut at the first ``[`` after the file, so ``::``, ``.`` and ``/`` inside
    them never split the id.
    """
    file, sep, rest = test_id.partition("::")
    if not sep or not file.endswith(".py"):
        return None
    # "()" is the instance node of pytest < 7 ids (``TestA::()::test_b``).
    names = [n for n in rest.split("[", 1)[0].split("::") if n != "()"]
    if not names or not all(name.isidentifier() for name in names):
        return None
    return TestRef(file=file, classes=tuple(names[:-1]), function=names[-1])


@dataclass(eq=False)
class ParsedModule:
    """One parsed source file: its root-relative path, syntax tree and lines."""

    relative: str
    tree: ast.Module
    lines: list[str]
    _scopes: dict[int, _Scope] = field(default_factory=dict, init=False, repr=False)
    _imports: dict[str, tuple[int, str]] | None = field(default=None, init=False, repr=False)
    _star: list[tuple[int, str]] = field(default_factory=list, init=False, repr=False)

    def scope(self, node: ast.Module | ast.ClassDef) -> _Scope:
        """The classes and functions a module or class body defines (cached per body)."""
        found = self._scopes.get(id(node))
        if found is None:
            found = self._scopes[id(node)] = _Scope.of(node.body)
        return found

    def imports(self) -> dict[str, tuple[int, str]]:
        """Local name -> (relative-import level, dotted origin) of the module's imports."""
        if self._imports is None:
            self._imports = {}
            for node in _flat(self.tree.body):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            self._imports[alias.asname] = (0, alias.name)
                        else:
                            first = alias.name.split(".")[0]
                            self._imports[first] = (0, first)
                elif isinstance(node, ast.ImportFrom):
                    module = node.module or ""
                    for alias in node.names:
                        origin = f"{module}.{alias.name}" if module else alias.name
                        if alias.name == "*":
                            self._star.append((node.level, module))
                        else:
                            self._imports[alias.asname or alias.name] = (node.level, origin)
        return self._imports

    def star_imports(self) -> list[tuple[int, str]]:
        """(level, module) of every ``from module import *``."""
        self.imports()
        return self._star


@dataclass(frozen=True, slots=True)
class _Scope:
    classes: dict[str, ast.ClassDef]
    functions: dict[str, FunctionNode]

    @classmethod
    def of(cls, body: list[ast.stmt]) -> _Scope:
        classes: dict[str, ast.ClassDef] = {}
        functions: dict[str, FunctionNode] = {}
        for node in _flat(body):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = node
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions[node.name] = node
        return cls(classes, functions)


def _flat(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a body, descending into blocks but not into functions or classes."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.For | ast.AsyncFor | ast.While):
            yield from _flat(node.body)
            yield from _flat(node.orelse)
        elif isinstance(node, ast.With | ast.AsyncWith):
            yield from _flat(node.body)
        elif isinstance(node, ast.Try | ast.TryStar):
            yield from _flat(node.body)
            for handler in node.handlers:
                yield from _flat(handler.body)
            yield from _flat(node.orelse)
            yield from _flat(node.finalbody)


def parse_module(data: bytes, relative: str, *, label: str | None = None) -> ParsedModule:
    """Parse source bytes (a PEP 263 encoding declaration is honoured).

    Raises :class:`InputError` naming ``label`` (default ``test file <relative>``) when the
    bytes do not decode or are not valid Python.
    """
    where = label or f"test file {relative}"
    try:
        source = importlib.util.decode_source(data)
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise InputError(
            f"{where}: cannot be decoded as Python source ({exc}); cannot look for hints"
        ) from exc
    try:
        tree = ast.parse(source, filename=relative)
    except SyntaxError as exc:
        raise InputError(
            f"{where} line {exc.lineno}: not valid Python ({exc.msg}); cannot look for hints"
        ) from exc
    except (ValueError, RecursionError) as exc:  # NUL bytes (3.11), absurd nesting
        raise InputError(f"{where}: not valid Python ({exc}); cannot look for hints") from exc
    return ParsedModule(relative=relative, tree=tree, lines=source.splitlines())


@dataclass(frozen=True, slots=True)
class Definition:
    """A test function and the module that defines it (another file for inherited tests)."""

    module: ParsedModule
    function: FunctionNode


class SourceIndex:
    """Test sources under ``root``, each file parsed at most once; see the module docstring.

    Without a root nothing is read: only modules given to :meth:`add` are known.
    """

    def __init__(self, root: Path | None) -> None:
        self.root = None if root is None else Path(os.path.normpath(root.absolute()))
        self._modules: dict[str, ParsedModule | ReadinessError] = {}

    def add(self, module: ParsedModule) -> None:
        """Know ``module`` under its ``relative`` path without reading a file."""
        self._modules[module.relative] = module

    def load(self, relative: str) -> ParsedModule:
        """The parsed file at ``relative`` (cached, failures too); raises what went wrong."""
        found = self._modules.get(relative)
        if found is None:
            found = self._modules[relative] = self._read(relative)
        if isinstance(found, ReadinessError):
            raise found
        return found

    def module(self, relative: str) -> ParsedModule | None:
        """The parsed file at ``relative``, or ``None`` when it cannot be read or parsed."""
        try:
            return self.load(relative)
        except ReadinessError:
            return None

    def _read(self, relative: str) -> ParsedModule | ReadinessError:
        if self.root is None:
            return NotFoundError(f"test file {relative}: no project root to read it from")
        path = Path(os.path.normpath(self.root / relative))
        if not path.is_relative_to(self.root):
            return NotFoundError(f"test file {relative}: outside the project root {self.root}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            return NotFoundError(f"test file {relative}: cannot be read ({exc.strerror})")
        try:
            return parse_module(data, path.relative_to(self.root).as_posix())
        except InputError as exc:
            return exc

    def find(self, ref: TestRef) -> Definition | None:
        """The definition of the test ``ref`` names, or ``None`` when it cannot be resolved."""
        module = self.module(ref.file)
        if module is None:
            return None
        if not ref.classes:
            function = module.scope(module.tree).functions.get(ref.function)
            return None if function is None else Definition(module, function)
        owner: tuple[ParsedModule, ast.Module | ast.ClassDef] | None = (module, module.tree)
        for name in ref.classes:
            owner = self._member_class(*owner, name, 0) if owner else None
        if owner is None or not isinstance(owner[1], ast.ClassDef):
            return None
        return self._method(owner[0], owner[1], ref.function, 0)

    def _member_class(
        self, module: ParsedModule, scope: ast.Module | ast.ClassDef, name: str, depth: int
    ) -> tuple[ParsedModule, ast.ClassDef] | None:
        found = module.scope(scope).classes.get(name)
        if found is not None:
            return module, found
        if isinstance(scope, ast.Module):
            return self._imported_class(module, name, depth)
        for base_module, base in self._bases(module, scope, depth):
            inherited = self._member_class(base_module, base, name, depth + 1)
            if inherited is not None:
                return inherited
        return None

    def _method(
        self, module: ParsedModule, cls: ast.ClassDef, name: str, depth: int
    ) -> Definition | None:
        function = module.scope(cls).functions.get(name)
        if function is not None:
            return Definition(module, function)
        for base_module, base in self._bases(module, cls, depth):
            found = self._method(base_module, base, name, depth + 1)
            if found is not None:
                return found
        return None

    def _bases(
        self, module: ParsedModule, cls: ast.ClassDef, depth: int
    ) -> Iterator[tuple[ParsedModule, ast.ClassDef]]:
        if depth >= _MAX_DEPTH:
            return
        for base in cls.bases:
            dotted = _dotted(base)
            if dotted is None:
                continue
            first, *rest = dotted
            owner = self._member_class(module, module.tree, first, depth + 1)
            if owner is None and rest and first in module.imports():
                owner = self._import_path(module, first, rest, depth + 1)
                rest = []
            for name in rest:
                owner = self._member_class(*owner, name, depth + 1) if owner else None
            if owner is not None:
                yield owner

    def _imported_class(
        self, module: ParsedModule, name: str, depth: int
    ) -> tuple[ParsedModule, ast.ClassDef] | None:
        """The class ``name`` that ``module`` imports (also through ``*`` and re-exports)."""
        if depth >= _MAX_DEPTH:
            return None
        imported = module.imports().get(name)
        if imported is not None:
            level, origin = imported
            target, _, member = origin.rpartition(".")
            if not target and not level:
                return None  # ``import x`` binds a module, not a class
            source = self._resolve(module, level, target)
            return self._member_class(source, source.tree, member, depth + 1) if source else None
        for level, target in module.star_imports():
            source = self._resolve(module, level, target)
            found = self._member_class(source, source.tree, name, depth + 1) if source else None
            if found is not None:
                return found
        return None

    def _import_path(
        self, module: ParsedModule, first: str, rest: list[str], depth: int
    ) -> tuple[ParsedModule, ast.ClassDef] | None:
        """``first.rest...`` where ``first`` names an imported module (``b.Base``)."""
        level, origin = module.imports()[first]
        for split in range(len(rest) - 1, -1, -1):
            target = ".".join([origin, *rest[:split]])
            source = self._resolve(module, level, target)
            if source is None:
                continue
            owner: tuple[ParsedModule, ast.Module | ast.ClassDef] | None = (source, source.tree)
            for name in rest[split:]:
                owner = self._member_class(*owner, name, depth + 1) if owner else None
            if owner is not None and isinstance(owner[1], ast.ClassDef):
                return owner[0], owner[1]
        return None

    def _resolve(self, module: ParsedModule, level: int, dotted: str) -> ParsedModule | None:
        """The file of the module ``dotted`` imported from ``module`` (relative at ``level``)."""
        parts = [p for p in dotted.split(".") if p]
        here = Path(module.relative).parent
        if level:
            bases = [Path(*here.parts[: max(0, len(here.parts) - (level - 1))])]
        else:
            # pytest puts the rootdir and the test's directories on sys.path (rootdir and
            # prepend import modes); a src layout is common for the code under test.
            bases = [here, *here.parents, Path("src")]
        for base in bases:
            package = Path(base, *parts)
            candidates = [package / "__init__.py"]
            if parts:
                candidates.insert(0, package.parent / f"{parts[-1]}.py")
            for candidate in candidates:
                found = self.module(candidate.as_posix())
                if found is not None:
                    return found
        return None


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return list(reversed(parts))
