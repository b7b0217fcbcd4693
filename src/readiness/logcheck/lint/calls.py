"""The call recogniser: which names in a module are loggers, and which calls log, bind or print.

It understands the standard library (``logging.getLogger``, ``logging.info``, ``extra=``),
structlog (``get_logger``, keyword fields, ``.bind()``, ``bind_contextvars``), the platform's own
``readiness.logs.get_logger``/``bind``, and ``print()``. Names conventionally used for loggers
(``logger``, ``log``, ``self.logger``, ``app.logger``) count as loggers even when their origin is
out of sight, since that is how most services hold them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "msg", "log"}
)
ASYNC_METHODS = frozenset({"a" + m for m in LOG_METHODS})
ERROR_METHODS = frozenset({"error", "exception", "critical", "fatal"})
BIND_METHODS = frozenset({"bind", "new"})
CONVENTIONAL = frozenset({"logger", "log", "_logger", "_log", "LOGGER", "LOG", "LOGGER_", "logr"})
_LEVEL_NAMES = {"ERROR": "error", "CRITICAL": "critical", "FATAL": "fatal", "WARNING": "warning"}
_LEVEL_NUMBERS = {40: "error", 50: "critical"}
_STDLIB_FACTORIES = frozenset({"logging.getLogger", "logging.getLoggerClass"})
_STRUCTLOG_FACTORIES = frozenset(
    {
        "structlog.get_logger",
        "structlog.getLogger",
        "structlog.stdlib.get_logger",
        "structlog.wrap_logger",
    }
)
_READINESS_FACTORIES = frozenset({"readiness.logs.get_logger"})
_CONTEXT_BINDS = frozenset(
    {"structlog.contextvars.bind_contextvars", "readiness.logs.bind", "readiness.logs.bound"}
)
_STDLIB_KWARGS = frozenset({"exc_info", "stack_info", "stacklevel", "extra"})


@dataclass(frozen=True)
class Field:
    """A named value a call attaches to the log line: keyword, ``extra`` key, bind key."""

    name: str
    value: ast.expr | None
    node: ast.AST  # where the name is written (for the position of a finding)
    origin: str  # kwarg | extra | bind | dict


@dataclass
class LogCall:
    """One recognised call; ``kind`` is ``log``, ``bind`` or ``print``."""

    kind: str
    node: ast.Call
    method: str
    flavour: str  # stdlib | structlog | readiness | unknown
    receiver: str | None = None
    level: str | None = None
    message: ast.expr | None = None
    args: list[ast.expr] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    spreads: list[ast.expr] = field(default_factory=list)
    exc_info: bool = False
    stack_info: ast.keyword | None = None
    except_name: str | None = None  # the exception variable of the enclosing ``except``
    in_except: bool = False

    @property
    def is_error(self) -> bool:
        return self.kind == "log" and self.level in {"error", "critical", "fatal"}

    def values(self) -> list[ast.expr]:
        """Every expression whose value ends up in the line."""
        out: list[ast.expr] = [] if self.message is None else [self.message]
        out += self.args
        out += [f.value for f in self.fields if f.value is not None]
        return out + self.spreads


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@dataclass
class ModuleContext:
    """What the module tells about loggers: imports, logger variables and bound fields."""

    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    loggers: dict[str, str] = field(default_factory=dict)  # dotted variable -> flavour
    bound: dict[str, frozenset[str]] = field(default_factory=dict)  # variable -> bound keys
    context_bound: set[str] = field(default_factory=set)  # keys bound to the context anywhere
    except_names: set[str] = field(default_factory=set)
    functions: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    # ^ a bound log method under its own name (``error = logger.error``): flavour, method, logger
    print_shadowed: bool = False

    def qualified(self, node: ast.AST) -> str | None:
        """``node``'s qualified name through the module's imports (``lg.x`` -> ``logging.x``)."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        base = self.aliases.get(head)
        if base is None:
            return name
        return f"{base}.{rest}" if rest else base

    def logger_flavour(self, node: ast.AST) -> str | None:  # noqa: PLR0911 - one per origin
        """The flavour of the logger ``node`` evaluates to, or None if it is not one."""
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            qualified = self.qualified(node.func)
            if qualified in _STDLIB_FACTORIES:
                return "stdlib"
            if qualified in _STRUCTLOG_FACTORIES:
                return "structlog"
            if qualified in _READINESS_FACTORIES:
                return "readiness"
            if isinstance(node.func, ast.Attribute) and node.func.attr in BIND_METHODS:
                return self.logger_flavour(node.func.value)
            return None
        name = dotted(node)
        if name is None:
            return None
        if name in self.loggers:
            return self.loggers[name]
        if self.qualified(node) == "logging":
            return "stdlib"
        last = name.rsplit(".", 1)[-1]
        return "unknown" if last in CONVENTIONAL else None


def _bound_keys(call: ast.Call) -> frozenset[str]:
    return frozenset(k.arg for k in call.keywords if k.arg is not None)


def build_context(tree: ast.Module) -> ModuleContext:  # noqa: PLR0912 - one pass per fact
    """Collect imports, logger variables and bound keys (order-insensitive, two passes)."""
    ctx = ModuleContext()
    nodes = list(ast.walk(tree))  # walked once: the walk costs more than the passes over it
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    ctx.aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                ctx.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.ExceptHandler) and node.name:
            ctx.except_names.add(node.name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "print":
            ctx.print_shadowed = True
    assigns: list[tuple[list[str], ast.expr]] = []
    pairs: list[tuple[ast.expr, ast.expr]] = []
    for node in nodes:
        if isinstance(node, ast.Assign):
            names = [n for n in (dotted(t) for t in node.targets) if n]
            assigns.append((names, node.value))
            for each in node.targets:
                if isinstance(each, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs.extend(zip(each.elts, node.value.elts, strict=False))
                else:
                    pairs.append((each, node.value))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            annotated = dotted(node.target)
            if annotated:
                assigns.append(([annotated], node.value))
        if isinstance(node, ast.Name) and node.id == "print" and isinstance(node.ctx, ast.Store):
            ctx.print_shadowed = True
    for _ in range(2):  # a logger bound from another logger assigned later in the file
        for names, value in assigns:
            flavour = ctx.logger_flavour(value)
            if flavour is None:
                continue
            keys: frozenset[str] = frozenset()
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr in BIND_METHODS
            ):
                parent = dotted(value.func.value) or ""
                keys = ctx.bound.get(parent, frozenset()) | _bound_keys(value)
            for name in names:
                ctx.loggers[name] = flavour
                ctx.bound[name] = keys
    for target, value in pairs:
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Attribute)
            and value.attr in LOG_METHODS | ASYNC_METHODS
        ):
            flavour = ctx.logger_flavour(value.value)
            if flavour is not None:
                ctx.functions[target.id] = (flavour, value.attr, dotted(value.value))
    for node in nodes:
        if isinstance(node, ast.Call) and ctx.qualified(node.func) in _CONTEXT_BINDS:
            ctx.context_bound |= _bound_keys(node)
    return ctx


def _level_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and node.attr in _LEVEL_NAMES:
        return _LEVEL_NAMES[node.attr]
    if isinstance(node, ast.Name) and node.id in _LEVEL_NAMES:
        return _LEVEL_NAMES[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return _LEVEL_NUMBERS.get(node.value, "info")
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _LEVEL_NAMES.get(node.value.upper(), node.value.lower())
    return None


def _truthy(node: ast.expr) -> bool:
    return not (isinstance(node, ast.Constant) and not node.value)


def _dict_fields(node: ast.expr, origin: str) -> tuple[list[Field], list[ast.expr]]:
    """Keys of a ``{...}`` or ``dict(...)`` literal; anything else is a spread."""
    if isinstance(node, ast.Dict):
        fields: list[Field] = []
        spreads: list[ast.expr] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                spreads.append(value)
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                fields.append(Field(key.value, value, key, origin))
            else:
                spreads.append(value)
        return fields, spreads
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        fields = [Field(k.arg, k.value, k, origin) for k in node.keywords if k.arg is not None]
        spreads = [k.value for k in node.keywords if k.arg is None] + list(node.args)
        return fields, spreads
    return [], [node]


def recognise(node: ast.Call, ctx: ModuleContext) -> LogCall | None:  # noqa: PLR0911, PLR0912 - one branch per call shape
    """The log, bind or print call ``node`` is, or None."""
    func = node.func
    if (
        isinstance(func, ast.Name)
        and func.id == "print"
        and not ctx.print_shadowed
        and func.id not in ctx.aliases
    ):
        return LogCall("print", node, "print", "print", args=list(node.args))
    qualified = ctx.qualified(func)
    if qualified in _CONTEXT_BINDS:
        call = LogCall("bind", node, qualified.rsplit(".", 1)[-1], "structlog")
        _keywords(call, node, "bind")
        return call
    if isinstance(func, ast.Name) and func.id in ctx.functions:
        flavour, method, receiver = ctx.functions[func.id]
    elif isinstance(func, ast.Attribute):
        found = ctx.logger_flavour(func.value)
        if found is None:
            return None
        flavour, method, receiver = found, func.attr, dotted(func.value)
    else:
        return None
    if method in BIND_METHODS:
        call = LogCall("bind", node, method, flavour, receiver=receiver)
        _keywords(call, node, "bind")
        return call
    base = method[1:] if method in ASYNC_METHODS else method
    if base not in LOG_METHODS:
        return None
    call = LogCall("log", node, base, flavour, receiver=receiver)
    positional = list(node.args)
    if base == "log":
        call.level = _level_of(positional[0]) if positional else None
        positional = positional[1:]
    else:
        call.level = {"warn": "warning", "exception": "error", "msg": "info"}.get(base, base)
    call.exc_info = base == "exception"
    if positional:
        call.message = positional[0]
        for arg in positional[1:]:
            if isinstance(arg, ast.Dict):
                fields, spreads = _dict_fields(arg, "dict")
                call.fields += fields
                call.spreads += spreads
            elif isinstance(arg, ast.Starred):
                call.spreads.append(arg.value)
            else:
                call.args.append(arg)
    _keywords(call, node, "kwarg")
    return call


def _keywords(call: LogCall, node: ast.Call, origin: str) -> None:
    for kw in node.keywords:
        if kw.arg is None:
            call.spreads.append(kw.value)
        elif origin == "kwarg" and kw.arg == "extra":
            fields, spreads = _dict_fields(kw.value, "extra")
            call.fields += fields
            call.spreads += spreads
        elif origin == "kwarg" and kw.arg == "exc_info":
            call.exc_info = call.exc_info or _truthy(kw.value)
        elif origin == "kwarg" and kw.arg == "stack_info":
            call.stack_info = kw if _truthy(kw.value) else None
        elif origin == "kwarg" and kw.arg in _STDLIB_KWARGS:
            continue
        else:
            call.fields.append(Field(kw.arg, kw.value, kw, origin))
