"""The engine: parse one module, recognise its log calls, apply the rules and suppressions."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from readiness.logcheck.lint.calls import LogCall, ModuleContext, build_context, recognise
from readiness.logcheck.lint.model import Finding, LintOptions, LintReport, SourceError
from readiness.logcheck.lint.rules import RULES, Checker, Hit
from readiness.logcheck.lint.suppress import Suppression, find_suppressions


@dataclass
class FileResult:
    """The findings of one file, the parse error that stopped it, and how many were suppressed."""

    findings: list[Finding] = field(default_factory=list)
    error: SourceError | None = None
    suppressed: int = 0


def _calls(tree: ast.AST, ctx: ModuleContext) -> Iterator[LogCall]:
    """Recognised calls in source order, each knowing its enclosing ``except`` clause."""
    stack: list[tuple[ast.AST, str | None, bool]] = [(tree, None, False)]
    found: list[LogCall] = []
    while stack:
        node, except_name, in_except = stack.pop()
        if isinstance(node, ast.ExceptHandler):
            except_name, in_except = node.name, True
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            except_name, in_except = None, False
        if isinstance(node, ast.Call):
            call = recognise(node, ctx)
            if call is not None:
                call.except_name, call.in_except = except_name, in_except
                found.append(call)
        stack.extend((child, except_name, in_except) for child in ast.iter_child_nodes(node))
    found.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    return iter(found)


def _position(node: ast.AST) -> tuple[int, int, int]:
    line = getattr(node, "lineno", 1)
    if isinstance(node, ast.keyword) and node.arg is not None:  # the name, not name=value
        return line, node.col_offset + 1, node.col_offset + 1 + len(node.arg)
    end = getattr(node, "end_col_offset", None)
    same = getattr(node, "end_lineno", None) == line
    return line, getattr(node, "col_offset", 0) + 1, end + 1 if same and end is not None else 0


def _suppressed(hit: Hit, call: LogCall, line: int, found: list[Suppression]) -> bool:
    lines = {line, call.node.lineno, getattr(call.node, "end_lineno", None) or call.node.lineno}
    for s in found:
        if not s.covers(hit.rule):
            continue
        if (s.line + 1 if s.alone else s.line) in lines:
            return True
    return False


def _bad_suppressions(path: str, found: list[Suppression]) -> Iterator[Finding]:
    rule = RULES["bad-suppression"]
    for s in found:
        unknown = sorted(r for r in s.rules if r not in RULES)
        if not s.rules or unknown:
            what = f"unknown rule {', '.join(unknown)}" if unknown else "no rule named"
            message = f"suppression {s.text!r}: {what}"
            fix = 'name a rule: # readiness: allow pii-name reason="..."'
        elif not s.reason:
            message = f"suppression {s.text!r} gives no reason, so it suppresses nothing"
            fix = 'add reason="why this log call is safe"'
        else:
            continue
        end = s.column + len(s.text)
        yield Finding(rule.id, rule.severity, path, s.line, s.column, message, s.text, fix, end)


def lint_source(path: str, source: str, options: LintOptions) -> FileResult:
    """Lint one module's text; a syntax error is reported as the file's error."""
    result = FileResult()
    nul = source.find("\0")
    if nul >= 0:  # Python 3.11 raises ValueError for it, 3.12 a SyntaxError: one message for both
        line, column = source.count("\n", 0, nul) + 1, nul - source.rfind("\n", 0, nul)
        result.error = SourceError(path, line, column, "not valid Python: a NUL byte")
        return result
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        reason = f"not valid Python: {exc.msg}"
        result.error = SourceError(path, exc.lineno or 1, exc.offset or 1, reason)
        return result
    except (ValueError, RecursionError, MemoryError) as exc:
        result.error = SourceError(path, 1, 1, f"cannot be parsed: {type(exc).__name__}")
        return result
    try:
        ctx = build_context(tree)
        checker = Checker(options, ctx, path)
        found = find_suppressions(source)
        seen: set[tuple[str, int, int, str]] = set()
        for call in _calls(tree, ctx):
            for hit in checker.check(call):
                if hit.rule in options.disable:
                    continue
                line, column, end = _position(hit.node)
                key = (hit.rule, line, column, hit.name)
                if key in seen:
                    continue
                seen.add(key)
                if _suppressed(hit, call, line, found):
                    result.suppressed += 1
                    continue
                rule = RULES[hit.rule]
                result.findings.append(
                    Finding(
                        rule.id,
                        rule.severity,
                        path,
                        line,
                        column,
                        hit.message,
                        hit.name,
                        hit.fix,
                        end,
                    )
                )
        if "bad-suppression" not in options.disable:
            result.findings += _bad_suppressions(path, found)
    except RecursionError:
        result.findings.clear()
        result.error = SourceError(path, 1, 1, "too deeply nested to lint")
    result.findings.sort(key=lambda f: (f.line, f.column, f.rule, f.name))
    return result


def lint_texts(files: list[tuple[str, str]], options: LintOptions) -> LintReport:
    """Lint ``(path, source)`` pairs into one report."""
    report = LintReport()
    for path, source in files:
        got = lint_source(path, source, options)
        report.files += 1
        report.findings += got.findings
        report.suppressed += got.suppressed
        if got.error is not None:
            report.errors.append(got.error)
        report.sources[path] = source
    return report
