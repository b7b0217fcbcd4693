"""Machine formats of a lint report: JSON, SARIF 2.1.0, GitHub annotations, Markdown."""

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
from readiness.migrations.model import LintReport, Severity
from readiness.migrations.rules import RULES


def json_text(report: LintReport) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"


def sarif(report: LintReport) -> dict[str, Any]:
    used = sorted({f.rule for f in report.findings})
    results: list[dict[str, Any]] = []
    for f in report.findings:
        results.append(
            {
                "ruleId": f.rule,
                "level": SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [sarif_location(f.file, f.line, f.column)],
                "properties": {
                    "lock": f.lock,
                    "rewrites": f.rewrites,
                    "rollback_safe": f.rollback_safe,
                    "safe_alternative": f.safe_alternative,
                },
            }
        )
    notifications = sarif_notifications(report.errors)
    rules = [
        {
            "id": rid,
            "shortDescription": {"text": RULES[rid].title},
            "defaultConfiguration": {"level": SARIF_LEVEL[RULES[rid].severity]},
        }
        for rid in used
        if rid in RULES
    ]
    return lint_sarif_log("readiness-migrations", __version__, rules, results, notifications)


def sarif_text(report: LintReport) -> str:
    return json.dumps(sarif(report), indent=2, ensure_ascii=False) + "\n"


def github(report: LintReport) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""
    out = []
    for f in report.findings:
        title = f"{f.rule} ({f.lock or 'no lock'})"
        out.append(
            github_command(
                GITHUB_LEVEL[f.severity],
                file=f.file,
                line=f.line,
                column=f.column,
                title=title,
                message=f.message,
            )
        )
    out += github_errors(report.errors, "unparseable")
    return "\n".join(out) + ("\n" if out else "")


def markdown(report: LintReport) -> str:
    """A pull-request comment: a summary table and each finding's safe alternative."""
    if not report.findings and not report.errors:
        return f"### Migration lint\n\nNo findings in {report.files} files.\n"
    lines = [
        "### Migration lint",
        "",
        "| | rule | where | lock | rewrites | rollback-safe |",
        "|---|---|---|---|---|---|",
    ]
    icon = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}
    for f in report.findings:
        lines.append(
            f"| {icon[f.severity]} | `{f.rule}` | `{f.file}:{f.line}` | {f.lock or '—'} | "
            f"{'yes' if f.rewrites else 'no'} | {'yes' if f.rollback_safe else 'no'} |"
        )
    for e in report.errors:
        lines.append(f"| ❌ | `parse` | `{e.file}:{e.line}:{e.column}` | — | — | — |")
    for f in report.findings:
        if f.safe_alternative:
            lines += [
                "",
                f"<details><summary><code>{f.rule}</code> at <code>{f.file}:{f.line}</code>: "
                f"{_html(f.message)}</summary>",
                "",
                "```sql",
                f.safe_alternative,
                "```",
                "</details>",
            ]
    return "\n".join(lines) + "\n"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
