"""Read literal values out of Python expressions (``ast``) without executing anything."""

from __future__ import annotations

import ast

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

UNKNOWN = "unknown"


def call_name(node: ast.expr) -> str:
    """``sa.Column`` -> ``Column``; ``postgresql.JSONB`` -> ``JSONB``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def string(node: ast.expr | None, default: str | None = None) -> str | None:
    """A string constant, ``op.f("x")``, ``sa.text("x")``, a joined f-string's literal parts."""
    if node is None:
        return default
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, ast.Call)
        and node.args
        and call_name(node) in {"f", "text", "literal_column"}
    ):
        return string(node.args[0], default)
    if isinstance(node, ast.JoinedStr):
        parts = [_formatted(v) for v in node.values]
        return "".join(parts) if parts else default
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = string(node.left), string(node.right)
        if left is not None and right is not None:
            return left + right
    return default


def _formatted(value: ast.expr) -> str:
    """A part of an f-string: its text, the inlined constant, else a placeholder name."""
    if isinstance(value, ast.Constant):
        return str(value.value)
    if isinstance(value, ast.FormattedValue):
        inner = string(value.value)
        return inner if inner is not None else UNKNOWN
    return UNKNOWN


def name(node: ast.expr | None) -> str:
    """An identifier from a string expression, quoted when it is not a plain lower-case name."""
    value = string(node)
    if not value:
        return UNKNOWN
    return ident(value)


_KEYWORDS = frozenset(RESERVED_KEYWORDS | COL_NAME_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS)


def ident(value: str) -> str:
    """``value`` as an SQL identifier, quoted when it is not a plain lower-case non-keyword."""
    plain = value.replace("_", "a").isalnum() and value.islower() and not value[0].isdigit()
    if plain and value not in _KEYWORDS:
        return value
    return '"' + value.replace('"', '""') + '"'


def constant(node: ast.expr | None) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = constant(node.operand)
        if isinstance(inner, int | float):
            return -inner
    return None


def names(node: ast.expr | None) -> list[str]:
    """A list/tuple of column names (strings or ``sa.text`` expressions)."""
    if isinstance(node, ast.List | ast.Tuple):
        out: list[str] = []
        for elt in node.elts:
            if isinstance(elt, ast.Call) and call_name(elt) == "text":
                out.append("(" + (string(elt) or UNKNOWN) + ")")
            else:
                out.append(name(elt))
        return out
    if node is not None and string(node) is not None:
        return [name(node)]
    return [UNKNOWN]


def kwargs(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
