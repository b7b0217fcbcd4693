"""Alembic migration scripts, read with ``ast`` (never imported or executed).

The ``op.*`` calls of ``upgrade()`` (and ``batch_op.*`` inside ``op.batch_alter_table``) become the
SQL they emit on PostgreSQL, one :class:`Chunk` per call at the call's line; operations inside
``op.get_context().autocommit_block()`` are marked as running outside a transaction.
"""

from __future__ import annotations

import ast
import copy
import re

from readiness.migrations.model import Chunk, MigrationFile, SourceError
from readiness.migrations.sources.alembic_ops import Known, translate
from readiness.migrations.sources.pyexpr import call_name, string

_REVISION = re.compile(r"^revision\s*(?::\s*\w+\s*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]+)?=\s*(.+)$", re.MULTILINE)


def down_revisions(text: str) -> list[str]:
    m = _DOWN.search(text)
    return re.findall(r"['\"]([^'\"]+)['\"]", m.group(1)) if m else []


def read_alembic(path: str, text: str) -> MigrationFile | SourceError:
    """The upgrade operations of one Alembic script, or why it cannot be read."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return SourceError(
            path, exc.lineno or 1, exc.offset or 1, f"Python syntax error: {exc.msg}"
        )
    except (ValueError, RecursionError, MemoryError) as exc:
        return SourceError(path, 1, 1, f"Python source cannot be parsed: {type(exc).__name__}")
    if "django.db" in text and "migrations.Migration" in text:
        return SourceError(
            path, 1, 1, "a Django migration: lint the output of `manage.py sqlmigrate APP NAME`"
        )
    rev = _REVISION.search(text)
    chunks: list[Chunk] = []
    constants = _module_constants(tree)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "upgrade":
            inline = _Inline({**constants, **_dialect_flags(node.body)})
            body = [inline.visit(s) for s in node.body]
            _walk(body, chunks, batch_table=None, transactional=True)
    return MigrationFile(
        path,
        "alembic",
        text,
        tuple(chunks),
        revision=rev.group(1) if rev else None,
        comment="#",
    )


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = <expression>`` assignments (types, table names) to inline."""
    out: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id not in {"revision", "down_revision"}:
                out[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            out[node.target.id] = node.value
    return out


class _Inline(ast.NodeTransformer):
    def __init__(self, constants: dict[str, ast.expr]) -> None:
        self.constants = constants

    def visit_Name(self, node: ast.Name) -> ast.expr:
        value = self.constants.get(node.id)
        return value if value is not None and isinstance(node.ctx, ast.Load) else node


def _walk(
    body: list[ast.stmt], out: list[Chunk], *, batch_table: str | None, transactional: bool
) -> None:
    for stmt in body:
        if isinstance(stmt, ast.With | ast.AsyncWith):
            table, tx = batch_table, transactional
            for item in stmt.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and call_name(expr) == "batch_alter_table":
                    table = string(expr.args[0]) if expr.args else None
                    table = table or string(_kw(expr, "table_name")) or "unknown"
                elif isinstance(expr, ast.Call) and call_name(expr) == "autocommit_block":
                    tx = False
            _walk(stmt.body, out, batch_table=table, transactional=tx)
            continue
        for child in _blocks(stmt):
            _walk(child, out, batch_table=batch_table, transactional=transactional)
        if _returns_on_postgresql(stmt):
            return  # `if dialect != "mssql": return`: the rest is for another database
        if isinstance(stmt, ast.For):
            for unrolled in _unrolled(stmt):
                _walk(unrolled, out, batch_table=batch_table, transactional=transactional)
        for call in _calls(stmt):
            for sql in translate(call, batch_table):
                out.append(
                    Chunk(
                        str.__str__(sql),
                        call.lineno,
                        call.col_offset + 1,
                        True,
                        transactional=transactional,
                        learn_only=isinstance(sql, Known),
                    )
                )


def _kw(call: ast.Call, key: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == key), None)


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        branch = _dialect_branch(stmt.test)
        if branch is not None:
            return [stmt.body] if branch else [stmt.orelse]
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.For):
        return [] if _loop_values(stmt) else [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.While):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.Try):
        return [stmt.body, stmt.orelse, stmt.finalbody, *[h.body for h in stmt.handlers]]
    return []


def _calls(stmt: ast.stmt) -> list[ast.Call]:
    """The outermost ``op.x(...)``/``batch_op.x(...)`` calls of one simple statement."""
    if isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign | ast.Return):
        value = stmt.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            return [value]
    return []


def _dialect_flags(body: list[ast.stmt]) -> dict[str, ast.expr]:
    """Local ``is_sqlite = conn.dialect.name == "sqlite"`` flags, to inline into ``if``s."""
    return {
        stmt.targets[0].id: stmt.value
        for stmt in body
        if isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and _dialect_branch(stmt.value) is not None
    }


_OTHER_DIALECTS = ("mysql", "sqlite", "mssql", "oracle", "mariadb")


def _dialect_branch(test: ast.expr) -> bool | None:  # noqa: PLR0911 - one per test shape
    """True when an ``if`` on the dialect name takes its body on PostgreSQL, False when its
    ``else``; None when the test is not about the dialect."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _dialect_branch(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.Call) and call_name(test) == "bool" and len(test.args) == 1:
        return _dialect_branch(test.args[0])
    if isinstance(test, ast.Call) and call_name(test) == "isinstance" and len(test.args) == 2:
        cls = call_name(test.args[1]).lower()
        if "postgres" in cls or cls.startswith("pg"):
            return True
        return False if any(d in cls or cls.startswith("ms") for d in _OTHER_DIALECTS) else None
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    values = [string(test.left), string(test.comparators[0])]
    equal = isinstance(test.ops[0], ast.Eq | ast.Is)
    if not equal and not isinstance(test.ops[0], ast.NotEq | ast.IsNot):
        return None
    if "postgresql" in values:
        return equal
    if any(d in values for d in _OTHER_DIALECTS):
        return not equal
    return None


def _loop_values(stmt: ast.For) -> list[ast.expr]:
    """The constant elements a ``for`` iterates over (flattening ``*TUPLE``), or []."""
    if not isinstance(stmt.target, ast.Name) or not isinstance(stmt.iter, ast.Tuple | ast.List):
        return []
    out: list[ast.expr] = []
    for elt in stmt.iter.elts:
        if isinstance(elt, ast.Starred) and isinstance(elt.value, ast.Tuple | ast.List):
            out.extend(elt.value.elts)
        else:
            out.append(elt)
    return out if all(isinstance(e, ast.Constant) for e in out) else []


def _unrolled(stmt: ast.For) -> list[list[ast.stmt]]:
    """The body of a loop over constants, once per value with the loop variable inlined."""
    target = stmt.target.id if isinstance(stmt.target, ast.Name) else ""
    return [
        [_Inline({target: value}).visit(copy.deepcopy(s)) for s in stmt.body]
        for value in _loop_values(stmt)
    ]


def _returns_on_postgresql(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If) or _dialect_branch(stmt.test) is not True:
        return False
    return bool(stmt.body) and isinstance(stmt.body[-1], ast.Return)
