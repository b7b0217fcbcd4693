"""Markdown output for a pull-request comment: short and written for the people reading the PR.

A verdict heading, the commit judged, one table row per check, then what to do about each
finding in the check's own words. No evidence dumps (JSON, ``null``): the table and the advice
are what a reviewer reads; the JSON and SARIF outputs carry the evidence for machines. Full
commit hashes are cut to 12 characters. A link to the server's gates page follows when the
caller knows one.

Checklist items are not repeated here: they explain why a check exists, which fits the docs,
while a PR comment must say what to do about *this* finding (a broken test is not a flaky one).
"""

from __future__ import annotations

import html
import re

from readiness.gate.model import CheckStatus, GateReport
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
_ADVISED = (CheckStatus.FAIL, CheckStatus.ERROR, CheckStatus.WARN)  # most urgent first
SHORT_HASH = 12
# SHA-1 and SHA-256 object names; shorter hex runs may be numbers, and are left alone.
_HASH = re.compile(r"\b([0-9a-fA-F]{40}|[0-9a-fA-F]{64})\b")


def short_hashes(text: str) -> str:
    """``text`` with every 40- or 64-hex-digit hash cut to its first 12 digits."""
    return _HASH.sub(lambda m: m.group(1)[:SHORT_HASH], text)


def _cell(text: str) -> str:
    # A table cell is one line; a pipe would end it and raw HTML would be interpreted.
    one_line = " ".join(short_hashes(text).split())
    return html.escape(one_line, quote=False).replace("|", "\\|")


def _revisions(report: GateReport) -> str | None:
    head = f"`{_cell(report.head)}`" if report.head else None
    base = f"`{_cell(report.base)}`" if report.base else None
    if head and base:
        return f"Commit {head} against {base}"
    if head:
        return f"Commit {head}"
    if base:
        return f"Against {base}"
    return None


def render_markdown(report: GateReport, *, dashboard_url: str | None = None) -> str:
    """A PR comment: ``## ✅ Readiness merge gate: pass``, a table, then what to do.

    ``dashboard_url`` is the gates page of the project on a Readiness server; the comment
    links to it when given.
    """
    outcome = verdict(report)
    lines = [f"## {_VERDICT_EMOJI[outcome]} Readiness {report.gate.value} gate: {outcome}", ""]
    revisions = _revisions(report)
    lines += [f"{revisions} · {counts_line(report)}" if revisions else counts_line(report), ""]
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
    advice = [
        f"- {EMOJI[o.result.status]} `{o.id}`: {_cell(o.result.remediation)}"
        for status in _ADVISED
        for o in report.outcomes
        if o.result.status is status and o.result.remediation
    ]
    if advice:
        lines += ["**What to do**", "", *advice, ""]
    if dashboard_url:
        lines += [f"[Gate history and trends on the dashboard]({_link(dashboard_url)})", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _link(url: str) -> str:
    # A link destination ends at a space or a closing parenthesis: encode both.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
