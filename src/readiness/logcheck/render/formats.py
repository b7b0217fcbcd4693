"""Machine formats of a lint report: JSON, SARIF 2.1.0, GitHub Actions annotations."""

from __future__ import annotations

import json
from typing import Any

from readiness import __version__
from readiness._common.annotations import (
    github_command,
    github_errors,
    lint_sarif_log,
    sarif_location,
    sarif_notifications,
)
from readiness._common.severity import GITHUB_LEVEL, SARIF_LEVEL
from readiness.logcheck.lint import RULES, LintReport


def json_text(report: LintReport) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"


def sarif(report: LintReport) -> dict[str, Any]:
    """One SARIF 2.1.0 run: every rule of the catalogue, one result per finding."""
    ids = sorted(RULES)
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": ids.index(f.rule),
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message}. Fix: {f.fix}"},
            "locations": [sarif_location(f.file, f.line, f.column, f.end_column)],
            "properties": {"name": f.name},
        }
        for f in report.findings
    ]
    rules = [
        {
            "id": rid,
            "shortDescription": {"text": RULES[rid].title},
            "help": {"text": f"Instead of: {RULES[rid].bad}\nWrite: {RULES[rid].good}"},
            "defaultConfiguration": {"level": SARIF_LEVEL[RULES[rid].severity]},
        }
        for rid in ids
    ]
    notifications = sarif_notifications(report.errors)
    return lint_sarif_log("readiness-logs-lint", __version__, rules, results, notifications)


def sarif_text(report: LintReport) -> str:
    return json.dumps(sarif(report), indent=2, ensure_ascii=False) + "\n"


def github(report: LintReport) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""
    out = []
    for f in report.findings:
        message = f"{f.message}. Fix: {f.fix}"
        out.append(
            github_command(
                GITHUB_LEVEL[f.severity],
                file=f.file,
                line=f.line,
                column=f.column,
                title=f.rule,
                message=message,
            )
        )
    out += github_errors(report.errors, "not linted")
    return "\n".join(out) + ("\n" if out else "")
