"""Data types of the migration linter: sources, statements, findings, reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from readiness._common.severity import Severity as Severity  # noqa: PLC0414 (re-exported)


@dataclass(frozen=True)
class Chunk:
    """SQL taken from a source: the whole file for SQL, one ``op.*`` call for Alembic.

    ``line``/``column`` (1-based) locate the chunk in the file. ``generated`` chunks were
    translated from Python: every statement in them is reported at the chunk's position.
    ``transactional`` is None when the runner decides (SQL files), False inside an Alembic
    ``autocommit_block()``, True for other Alembic operations."""

    sql: str
    line: int = 1
    column: int = 1
    generated: bool = False
    transactional: bool | None = None
    learn_only: bool = False  # a fact about the schema (Alembic's existing_type), not an operation


@dataclass(frozen=True)
class MigrationFile:
    """One migration as loaded from disk, in the order the runner applies it."""

    path: str
    kind: str  # sql | alembic | alembic-sql | django-sql
    text: str
    chunks: tuple[Chunk, ...]
    direction: str = "up"  # up | down
    revision: str | None = None
    comment: str = "--"  # the comment leader suppressions use in this file


@dataclass(frozen=True, eq=False)
class Statement:
    """One parsed SQL statement with its position in the migration file.

    ``node`` is pglast's JSON form (``{"AlterTableStmt": {...}}``); ``kind`` is its one key and
    ``body`` its value. ``memo`` lets rules share what they derive from the statement."""

    file: str
    line: int
    column: int
    sql: str
    node: dict[str, Any]
    transactional: bool | None = None
    generated: bool = False
    learn_only: bool = False
    kind: str = field(init=False)
    body: dict[str, Any] = field(init=False)
    memo: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        ((kind, body),) = self.node.items()
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "body", body)


@dataclass(frozen=True)
class SourceError:
    """A file (or a statement in it) that could not be read or parsed."""

    file: str
    line: int
    column: int
    reason: str
    unreadable: bool = False  # the input itself is missing or unreadable (exit 2)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    """One rule violation, with everything the handbook asks a reviewer to know."""

    rule: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    lock: str | None
    tables: tuple[str, ...]
    rewrites: bool
    rollback_safe: bool
    safe_alternative: str | None
    statement: str = ""
    help_url: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity.label,
            "message": self.message,
            "lock": self.lock,
            "tables": list(self.tables),
            "rewrites": self.rewrites,
            "rollback_safe": self.rollback_safe,
            "safe_alternative": self.safe_alternative,
            "statement": self.statement,
        }


@dataclass
class LintReport:
    """Everything one lint run found."""

    files: int = 0
    statements: int = 0
    findings: list[Finding] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    suppressed: int = 0

    def failing(self, fail_on: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= fail_on]

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "statements": self.statements,
            "suppressed": self.suppressed,
            "findings": [f.as_dict() for f in self.findings],
            "errors": [e.as_dict() for e in self.errors],
        }
