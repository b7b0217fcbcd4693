"""Suppressions: ``# readiness: allow RULE[,RULE] reason="..."`` on the line or the line above.

A suppression without a reason suppresses nothing and is itself a finding (``bad-suppression``).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

_ALLOW = re.compile(
    r"#\s*readiness:\s*allow\s+(?P<rules>[\w.,\s-]+?)(?:\s+reason\s*=\s*\"(?P<reason>[^\"]*)\")?\s*$"
)
_MENTION = re.compile(r"#\s*readiness:\s*allow\b")


@dataclass(frozen=True)
class Suppression:
    line: int
    column: int
    rules: frozenset[str]
    reason: str
    alone: bool  # the comment is the only thing on its line (it covers the next line)
    text: str

    def covers(self, rule: str) -> bool:
        return bool(self.reason) and rule in self.rules


def find_suppressions(source: str) -> list[Suppression]:
    """Every ``readiness: allow`` comment of the module (comments only, never strings)."""
    found: list[Suppression] = []
    if "readiness:" not in source:  # tokenising is the slow part; most files have none
        return found
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return found
    code_lines: set[int] = set()
    for tok in tokens:
        if tok.type not in {
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        }:
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    for tok in tokens:
        if tok.type != tokenize.COMMENT or not _MENTION.search(tok.string):
            continue
        line, col = tok.start
        match = _ALLOW.search(tok.string)
        rules: frozenset[str] = frozenset()
        reason = ""
        if match is not None:
            rules = frozenset(r for r in re.split(r"[,\s]+", match["rules"]) if r)
            reason = (match["reason"] or "").strip()
        found.append(
            Suppression(line, col + 1, rules, reason, line not in code_lines, tok.string.strip())
        )
    return found
