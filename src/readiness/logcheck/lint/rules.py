"""The rules: each reads one recognised call and yields the hits it finds.

A hit names the rule, the node (for its position), the offending name, a message and a fix.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass

from readiness.logcheck.lint.calls import LogCall, ModuleContext, dotted
from readiness.logcheck.lint.model import LintOptions, Rule, Severity
from readiness.logcheck.lint.names import FieldNames, PiiMatch, PiiNames

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "pii-name",
            Severity.ERROR,
            "A key or variable named like personal data or a secret reaches a log call",
            'log.info("login", email=user.email, password=form.password)',
            'log.info("login", user_id=user.id)',
        ),
        Rule(
            "whole-object",
            Severity.ERROR,
            "A whole request, user or session object, a request body or locals() is logged",
            'logger.info("request %s", request, extra=locals())',
            'logger.info("request", extra={"path": request.url.path})',
        ),
        Rule(
            "body-with-exception",
            Severity.ERROR,
            "An exception is logged with the request body attached",
            'logger.exception("failed", extra={"body": await request.body()})',
            'logger.exception("failed", extra={"action": "order.create"})',
        ),
        Rule(
            "bad-suppression",
            Severity.ERROR,
            "A suppression gives no reason or names an unknown rule",
            "log.info(email=e)  # readiness: allow pii-name",
            'log.info(email=e)  # readiness: allow pii-name reason="test fixture address"',
        ),
        Rule(
            "field-name",
            Severity.WARNING,
            "A field name breaks the snake_case convention of the baseline fields",
            'log.info("paid", userId=uid, traceID=tid)',
            'log.info("paid", user_id=uid, trace_id=tid)',
        ),
        Rule(
            "print-call",
            Severity.WARNING,
            "print() in service code writes an unstructured line",
            'print("order placed", order_id)',
            'log.info("order placed", order_id=order_id)',
        ),
        Rule(
            "error-context",
            Severity.WARNING,
            "An ERROR log lacks the minimum context: trace_id, the error, the action",
            'logger.error("Error processing payment")',
            'log.error("payment failed", action="payment.charge", trace_id=tid, exc_info=True)',
        ),
        Rule(
            "unbounded-trace",
            Severity.WARNING,
            "A whole exception object or stack dump is logged without a frame limit",
            'log.error("failed", error=exc, stack=traceback.format_exc())',
            'log.error("failed", error=str(exc), exc_info=True)  # stack_frames trims it',
        ),
    )
}

WHOLE_OBJECTS = frozenset(
    {"request", "req", "http_request", "user", "current_user", "session", "environ", "headers"}
)
REQUEST_NAMES = frozenset({"request", "req", "http_request", "self.request"})
BODY_ATTRS = frozenset(
    {"body", "data", "json", "form", "content", "POST", "payload", "get_json", "get_data", "text"}
)
BODY_NAMES = frozenset({"body", "payload", "request_body", "raw_body", "request_data", "req_body"})
WHOLE_CALLS = frozenset({"locals", "vars", "globals"})
TRACEBACK_CALLS = frozenset(
    {
        "traceback.format_exc",
        "traceback.format_exception",
        "traceback.format_tb",
        "traceback.format_stack",
        "traceback.print_exc",
        "traceback.print_stack",
        "traceback.extract_tb",
        "traceback.extract_stack",
    }
)
_LABEL_END = re.compile(r"([A-Za-z_][\w-]*)\s*[=:]\s*$")
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.\d+)?[sdrfixXoeEgGca]")
_ORIGIN = {"kwarg": "field", "extra": "extra key", "bind": "bound key", "dict": "dict key"}
TRACE_KEYS = frozenset({"trace_id", "traceparent"})
ERROR_KEYS = frozenset({"error", "exc_info", "error_type", "error_message"})


@dataclass(frozen=True)
class Hit:
    rule: str
    node: ast.AST
    name: str
    message: str
    fix: str


class Checker:
    """Applies the enabled rules to the calls of one module."""

    def __init__(self, options: LintOptions, ctx: ModuleContext, path: str) -> None:
        self.options = options
        self.ctx = ctx
        self.path = path
        self.pii = PiiNames(options.pii_names, options.safe_names)
        self.fields = FieldNames(options.baseline_fields, options.field_aliases)
        self.print_allowed = _allowed(path, options.print_allowed)

    def check(self, call: LogCall) -> Iterator[Hit]:
        if call.kind == "print":
            if not self.print_allowed:
                yield Hit(
                    "print-call",
                    call.node,
                    "print",
                    "print() in service code writes an unstructured line without the "
                    "baseline fields",
                    'log it: log.info("what happened", key=value) with readiness.logs; '
                    "or list the file in print_allowed",
                )
            yield from self._values(call, call.args, error_context=False)
            for arg in call.args:
                yield from self._labels(arg, [])
            return
        yield from self._fields(call)
        error_context = call.exc_info or call.in_except or call.is_error
        yield from self._values(call, call.values(), error_context=error_context)
        yield from self._labels(call.message, call.args)
        yield from self._traces(call)
        if call.is_error:
            yield from self._context(call)

    # -- names and objects -------------------------------------------------------------------

    def _fields(self, call: LogCall) -> Iterator[Hit]:
        for f in call.fields:
            found = self.pii.match(f.name)
            if found is not None:
                yield self._pii_hit(f.node, f.name, found, _ORIGIN[f.origin])
            better = self.fields.advice(f.name)
            if better is not None:
                yield Hit(
                    "field-name",
                    f.node,
                    f.name,
                    f"field name {f.name!r} is not the convention; the baseline uses "
                    f"snake_case ({better!r})",
                    f"rename it to {better!r} (or configure field_aliases)",
                )

    def _pii_hit(self, node: ast.AST, name: str, term: PiiMatch, what: str) -> Hit:
        kind = "a secret" if term.secret else "personal data"
        return Hit(
            "pii-name",
            node,
            name,
            f"{what} {name!r} is named like {kind} ({term.term}) and reaches the log line",
            f"never log it; log whether it was present (has_{term.term}=True) instead"
            if term.secret
            else "log an identifier or a hash instead (user_id, a masked value), or drop it",
        )

    def _values(
        self, call: LogCall, values: list[ast.expr], *, error_context: bool
    ) -> Iterator[Hit]:
        pii_keys = {
            id(node)
            for f in call.fields
            if f.value is not None and self.pii.match(f.name) is not None
            for node in ast.walk(f.value)
        }
        for value in values:
            for expr in _leaves(value):
                if id(expr) in pii_keys:
                    continue
                yield from self._leaf(expr, error_context=error_context)

    def _labels(self, message: ast.expr | None, args: list[ast.expr]) -> Iterator[Hit]:
        """Labels the message text gives its values: ``f"email={addr}"``, ``"email=%s", addr``
        (the value's own name is checked by ``_leaf``; this catches ``addr``)."""
        pairs: list[tuple[str, ast.expr | None]] = []
        if isinstance(message, ast.JoinedStr):
            before = ""
            for part in message.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    before = part.value
                elif isinstance(part, ast.FormattedValue):
                    ending = _LABEL_END.search(before)
                    if ending is not None:
                        pairs.append((ending[1], part.value))
                    before = ""
        elif isinstance(message, ast.Constant) and isinstance(message.value, str) and args:
            text = message.value.replace("%%", "")
            for index, found in enumerate(_PLACEHOLDER.finditer(text)):
                ending = _LABEL_END.search(text[: found.start()])
                if ending is not None and index < len(args):
                    pairs.append((ending[1], args[index]))
        for label, value in pairs:
            term = self.pii.match(label)
            name = dotted(value) if value is not None else None
            if term is None or (name and self.pii.match(name.rsplit(".", 1)[-1])):
                continue
            yield self._pii_hit(message or ast.Constant(""), label, term, "value labelled")

    def _leaf(self, expr: ast.expr, *, error_context: bool) -> Iterator[Hit]:
        if isinstance(expr, ast.Call):
            name = dotted(expr.func)
            if name in WHOLE_CALLS:
                yield Hit(
                    "whole-object",
                    expr,
                    f"{name}()",
                    f"{name}() puts every variable in scope on the line, secrets included",
                    "pass the few fields you need by name",
                )
                return
        if _is_body(expr):
            shown = dotted(_unwrap(expr)) or "body"
            if error_context:
                yield Hit(
                    "body-with-exception",
                    expr,
                    shown,
                    f"the request body ({shown}) is attached to an exception log; bodies carry "
                    "personal data and secrets",
                    "log the request_id and the body's size or schema error instead",
                )
            else:
                yield Hit(
                    "whole-object",
                    expr,
                    shown,
                    f"the request body ({shown}) is logged whole",
                    "log the fields you need by name, or its size",
                )
            return
        name = dotted(expr)
        if isinstance(expr, ast.Attribute) and expr.attr == "__dict__":
            yield Hit(
                "whole-object",
                expr,
                name or "__dict__",
                f"{name or '__dict__'} logs every attribute of the object",
                "pass the few fields you need by name",
            )
            return
        if name is not None:
            last = name.rsplit(".", 1)[-1]
            if last in WHOLE_OBJECTS:
                yield Hit(
                    "whole-object",
                    expr,
                    name,
                    f"the whole {last} object {name!r} is logged; its repr can carry headers, "
                    "cookies and personal data",
                    f"log an identifier instead ({last}_id) or the fields you need by name",
                )
                return
            found = self.pii.match(last)
            if found is not None:
                yield self._pii_hit(expr, name, found, "variable")
            return
        key = _constant_key(expr)
        if key is not None:
            found = self.pii.match(key)
            if found is not None:
                yield self._pii_hit(expr, key, found, "value of")

    # -- exceptions and stacks ---------------------------------------------------------------

    def _traces(self, call: LogCall) -> Iterator[Hit]:
        frames = self.options.stack_frames
        fix = (
            f"pass exc_info=True and let the renderer trim the stack to stack_frames "
            f"({frames}); log error=str(exc) or type(exc).__name__ as the field"
        )
        for value in call.values():
            for node in ast.walk(value):
                if isinstance(node, ast.Call) and self.ctx.qualified(node.func) in TRACEBACK_CALLS:
                    shown = self.ctx.qualified(node.func) or "traceback"
                    yield Hit(
                        "unbounded-trace",
                        node,
                        shown,
                        f"{shown}() dumps the whole stack into the line, unbounded",
                        fix,
                    )
        for f in call.fields:
            if isinstance(f.value, ast.Name) and f.value.id in self.ctx.except_names:
                yield Hit(
                    "unbounded-trace",
                    f.value,
                    f.value.id,
                    f"the exception object {f.value.id!r} is logged whole as {f.name!r}; a "
                    "renderer may dump its whole stack",
                    fix,
                )
        if call.stack_info is not None:
            yield Hit(
                "unbounded-trace",
                call.stack_info,
                "stack_info",
                "stack_info=True dumps the whole call stack into the line",
                fix,
            )

    def _context(self, call: LogCall) -> Iterator[Hit]:
        have = {self.fields.canonical(f.name) for f in call.fields}
        have |= {self.fields.canonical(k) for k in self.ctx.bound.get(call.receiver or "", ())}
        have |= {self.fields.canonical(k) for k in self.ctx.context_bound}
        missing: list[str] = []
        if call.flavour != "readiness" and not have & TRACE_KEYS:
            missing.append("trace_id")
        mentions_exc = any(
            isinstance(n, ast.Name) and n.id == call.except_name
            for v in call.values()
            for n in ast.walk(v)
        )
        if not (call.exc_info or have & ERROR_KEYS or mentions_exc):
            missing.append("error")
        if "action" not in have:
            missing.append("action")
        if missing:
            shown = ", ".join(missing)
            yield Hit(
                "error-context",
                call.node,
                shown,
                f"{call.level or 'error'} log without {shown}: the line cannot be followed "
                "to its request, cause or operation",
                'add action="<noun.verb>", exc_info=True or error=..., and bind trace_id '
                "(readiness.logs does it per request)",
            )


def _unwrap(expr: ast.expr) -> ast.expr:
    while True:
        if isinstance(expr, ast.Await):
            expr = expr.value
        elif isinstance(expr, ast.Call) and not expr.args and not expr.keywords:
            expr = expr.func
        else:
            return expr


def _is_body(expr: ast.expr) -> bool:
    inner = _unwrap(expr)
    if isinstance(inner, ast.Name):
        return inner.id in BODY_NAMES
    if isinstance(inner, ast.Attribute) and inner.attr in BODY_ATTRS:
        return dotted(inner.value) in REQUEST_NAMES
    return False


def _constant_key(expr: ast.expr) -> str | None:
    """``headers["Authorization"]`` and ``headers.get("cookie")`` -> the key."""
    if isinstance(expr, ast.Subscript):
        key = expr.slice
    elif (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in {"get", "getlist", "pop"}
        and expr.args
    ):
        key = expr.args[0]
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _leaves(value: ast.expr) -> Iterator[ast.expr]:  # noqa: PLR0911, PLR0912 - one per shape
    """The expressions a value interpolates: f-string parts, ``%`` and ``.format`` arguments,
    ``str()``/``repr()`` wrappers, tuple items; otherwise the value itself."""
    if isinstance(value, ast.JoinedStr):
        for part in value.values:
            if isinstance(part, ast.FormattedValue):
                yield from _leaves(part.value)
        return
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mod):
        yield from _leaves(value.left)
        yield from _leaves(value.right)
        return
    if isinstance(value, ast.Tuple | ast.List | ast.Set):
        for item in value.elts:
            yield from _leaves(item)
        return
    if isinstance(value, ast.Dict):
        for item in value.values:
            yield from _leaves(item)
        return
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name) and func.id in {"str", "repr", "format"} and value.args:
            yield from _leaves(value.args[0])
            return
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "format"
            and isinstance(func.value, ast.Constant)
        ):
            for arg in value.args:
                yield from _leaves(arg)
            for kw in value.keywords:
                yield from _leaves(kw.value)
            return
    if isinstance(value, ast.Constant):
        return
    yield value


def _allowed(path: str, globs: tuple[str, ...]) -> bool:
    """Whether ``path`` matches a glob: ``dir/**`` matches any file under a ``dir`` segment,
    a glob without ``/`` matches the file name, others the whole path."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    for glob in globs:
        if glob.endswith("/**"):
            head = glob[:-3].split("/")
            width = len(head)
            for i in range(len(parts) - width):
                if all(
                    fnmatch.fnmatchcase(p, h)
                    for p, h in zip(parts[i : i + width], head, strict=True)
                ):
                    return True
        elif "/" not in glob:
            if fnmatch.fnmatchcase(name, glob):
                return True
        elif fnmatch.fnmatchcase("/".join(parts), glob) or fnmatch.fnmatchcase(
            "/".join(parts), "*/" + glob
        ):
            return True
    return False
