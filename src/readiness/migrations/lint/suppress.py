"""Inline suppressions: ``-- readiness: allow RULE[,RULE] reason="why"`` (``#`` in Python).

A suppression applies to the statement that starts on its line or to the next statement after
it. A suppression without a reason suppresses nothing and is itself a finding.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

_PATTERN = re.compile(
    r"(?:--|#)\s*readiness:\s*allow\s+(?P<rules>[\w,\s-]+?)"
    r"(?:\s+reason\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'))?\s*$"
)
MISSING_REASON = "suppression-missing-reason"


@dataclass(frozen=True)
class Suppression:
    line: int
    rules: frozenset[str]
    reason: str | None


def find(text: str) -> list[Suppression]:
    """The suppression comments of a file, in line order."""
    if "readiness:" not in text:
        return []
    out: list[Suppression] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "readiness:" not in line:
            continue
        m = _PATTERN.search(line)
        if m:
            rules = frozenset(r.strip() for r in re.split(r"[,\s]+", m.group("rules")) if r.strip())
            reason = m.group("dq") if m.group("dq") is not None else m.group("sq")
            out.append(Suppression(number, rules, reason.strip() if reason else None))
    return out


class Suppressions:
    """Which (statement line, rule) pairs a file's suppressions cover."""

    def __init__(self, found: list[Suppression], statement_lines: list[int]) -> None:
        self.found = found
        lines = sorted(set(statement_lines))
        self.covered: dict[tuple[int, str], Suppression] = {}
        for s in found:
            if not s.reason:
                continue
            i = bisect_left(lines, s.line)
            if i < len(lines):
                for rule_id in s.rules:
                    self.covered[(lines[i], rule_id)] = s

    def allows(self, line: int, rule_id: str) -> bool:
        return (line, rule_id) in self.covered

    def missing_reason(self) -> list[Suppression]:
        return [s for s in self.found if not s.reason]
