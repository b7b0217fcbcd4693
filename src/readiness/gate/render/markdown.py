"""Markdown output for a pull-request comment: verdict heading, a table, evidence in <details>."""

from __future__ import annotations

import html
import json

from readiness._common.canonical import to_jsonable
from readiness.gate.model import CheckOutcome, CheckStatus, GateReport
from readiness.gate.render.text import counts_line
from readiness.gate.runner import verdict, verdict_reason

EMOJI = {
    CheckStatus.PASS: "✅",
    CheckStatus.WARN: "⚠️",
    CheckStatus.FAIL: "❌",
    CheckStatus.SKIP: "⏭️",
    CheckStatus.ERROR: "💥",
}
_VERDICT_EMOJI = {"pass": "✅", "fail": "❌", "error": "💥"}


def _cell(text: str) -> str:
    # A table cell is one line; a pipe would end it and raw HTML would be interpreted.
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _details(outcome: CheckOutcome) -> list[str]:
    result = outcome.result
    status = result.status.value
    lines = [
        "<details>",
        f"<summary>{EMOJI[result.status]} <code>{html.escape(outcome.id)}</code> "
        f"({status}): {html.escape(result.summary)}</summary>",
        "",
        f"Checklist item: {_cell(outcome.checklist_item)}",
        "",
    ]
    if result.remediation:
        lines += [f"**Remediation:** {_cell(result.remediation)}", ""]
    if result.evidence:
        evidence = json.dumps(to_jsonable(result.evidence), indent=2, ensure_ascii=False)
        # A fence longer than any backtick run inside keeps the block closed where we close it.
        fence = "`" * max(3, _longest_backtick_run(evidence) + 1)
        lines += [f"{fence}json", evidence, fence, ""]
    lines += ["</details>", ""]
    return lines


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def render_markdown(report: GateReport) -> str:
    """A PR comment: ``## ✅ Readiness merge gate: pass``, a table, then details of non-passes."""
    outcome = verdict(report)
    lines = [
        f"## {_VERDICT_EMOJI[outcome]} Readiness {report.gate.value} gate: {outcome}",
        "",
        counts_line(report),
        "",
    ]
    reason = verdict_reason(report)
    if reason is not None:
        lines += [f"**{_cell(reason)}**", ""]
    if report.outcomes:
        lines += ["| Status | Check | Summary |", "| --- | --- | --- |"]
        lines += [
            f"| {EMOJI[o.result.status]} {o.result.status.value} | `{o.id}` "
            f"| {_cell(o.result.summary)} |"
            for o in report.outcomes
        ]
        lines.append("")
    for o in report.outcomes:
        if o.result.status is not CheckStatus.PASS:
            lines += _details(o)
    return "\n".join(lines).rstrip("\n") + "\n"
