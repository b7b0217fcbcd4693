"""Lint migration files in order, carrying the schema state from one file to the next."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from readiness.migrations.lint import state
from readiness.migrations.lint.suppress import MISSING_REASON, Suppressions, find
from readiness.migrations.model import Finding, LintReport, MigrationFile, Severity, Statement
from readiness.migrations.rules import RULES, Context, Hit, Rule
from readiness.migrations.rules.locks import statement_lock, statement_tables
from readiness.migrations.sources import load, parse

STATEMENT_SHOWN = 300


@dataclass(frozen=True)
class LintOptions:
    """How to lint: the target PostgreSQL major version, the runner, the rules."""

    pg_version: int = 15
    runner_transaction: bool = False  # the runner wraps each SQL file in a transaction
    disable: frozenset[str] = field(default_factory=frozenset)
    enable: frozenset[str] | None = None  # None: every rule
    include_down: bool = False
    since: str | None = None  # the first pending migration: the files before it are applied


def first_pending(files: Sequence[MigrationFile], since: str | None) -> int:
    """The index of the first file to lint: the one named ``since`` (file name, path suffix or
    Alembic revision); 0 without ``since``. Raises ValueError when no file has that name."""
    if since is None:
        return 0
    for i, f in enumerate(files):
        if since in {Path(f.path).name, f.revision} or f.path.endswith(since):
            return i
    raise ValueError(since)


def _dispatch(options: LintOptions) -> dict[str, list[Rule]]:
    table: dict[str, list[Rule]] = {}
    for rule in RULES.values():
        if rule.id in options.disable or (
            options.enable is not None and rule.id not in options.enable
        ):
            continue
        for kind in rule.kinds:
            table.setdefault(kind, []).append(rule)
    return table


def lint_paths(paths: Iterable[str | Path], options: LintOptions | None = None) -> LintReport:
    """Load every migration under ``paths`` and lint them as one ordered set."""
    options = options or LintOptions()
    loaded = load(paths, include_down=options.include_down)
    report = lint_files(loaded.files, options)
    report.errors[:0] = loaded.errors
    return report


def lint_files(files: Sequence[MigrationFile], options: LintOptions | None = None) -> LintReport:
    """Lint ``files`` in order (the schema state of earlier files applies to later ones)."""
    options = options or LintOptions()
    ctx = Context(pg_version=options.pg_version, runner_transaction=options.runner_transaction)
    rules = _dispatch(options)
    any_rules = rules.get("*", [])
    pending = first_pending(files, options.since)
    _learn_applied(ctx, files[:pending])
    files = files[pending:]
    report = LintReport(files=len(files))
    for file in files:
        first = len(report.findings)
        statements, errors = parse(file)
        report.errors.extend(errors)
        report.statements += len(statements)
        marks = find(file.text)
        suppressions = Suppressions(marks, [s.line for s in statements])
        if MISSING_REASON not in options.disable:
            for mark in suppressions.missing_reason():
                report.findings.append(_missing_reason(file.path, mark.line, sorted(mark.rules)))
        state.start_file(ctx, None if file.kind != "alembic" else True)
        once: set[str] = set()
        for stmt in statements:
            if stmt.learn_only:
                state.learn(ctx, stmt)
                report.statements -= 1
                continue
            state.before(ctx, stmt)
            kind_rules = rules.get(stmt.kind)
            subs = _subtypes(stmt)
            for rule in (*kind_rules, *any_rules) if kind_rules else any_rules:
                if rule.id in once or (
                    rule.subtypes and subs is not None and rule.subtypes.isdisjoint(subs)
                ):
                    continue
                for hit in rule.check(stmt, ctx):
                    if rule.once_per_file:
                        once.add(rule.id)
                    if suppressions.allows(stmt.line, rule.id):
                        report.suppressed += 1
                    else:
                        report.findings.append(_finding(rule, hit, stmt))
            state.learn(ctx, stmt)
        report.findings[first:] = sorted(report.findings[first:], key=lambda f: f.line)
    return report


def _learn_applied(ctx: Context, applied: Sequence[MigrationFile]) -> None:
    """Applied migrations build the schema the pending ones change; their tables exist."""
    for file in applied:
        statements, _ = parse(file)
        for stmt in statements:
            state.learn(ctx, stmt)
    ctx.created_tables.clear()
    ctx.created_indexes.clear()


def _subtypes(stmt: Statement) -> set[str] | None:
    """The subcommands of an ALTER TABLE (None for other statements)."""
    if stmt.kind != "AlterTableStmt":
        return None
    return {c.get("AlterTableCmd", {}).get("subtype", "") for c in stmt.body.get("cmds", [])}


def _finding(rule: Rule, hit: Hit, stmt: Statement) -> Finding:
    lock = hit.lock or (None if rule.style else statement_lock(stmt))
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=hit.message,
        file=stmt.file,
        line=stmt.line,
        column=stmt.column,
        lock=lock,
        tables=hit.tables or statement_tables(stmt),
        rewrites=hit.rewrites,
        rollback_safe=hit.rollback_safe,
        safe_alternative=hit.safe_alternative,
        statement=stmt.sql[:STATEMENT_SHOWN],
    )


def _missing_reason(path: str, line: int, rules: list[str]) -> Finding:
    return Finding(
        rule=MISSING_REASON,
        severity=Severity.ERROR,
        message=f"suppression of {', '.join(rules)} has no reason: it suppresses nothing",
        file=path,
        line=line,
        column=1,
        lock=None,
        tables=(),
        rewrites=False,
        rollback_safe=True,
        safe_alternative=f'-- readiness: allow {",".join(rules)} reason="why this is safe here"',
    )


def _register_missing_reason() -> None:
    def never(stmt: Statement, ctx: Context) -> list[Hit]:
        return []

    RULES[MISSING_REASON] = Rule(
        MISSING_REASON, Severity.ERROR, "A suppression without a reason", ("-",), never
    )


_register_missing_reason()
