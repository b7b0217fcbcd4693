"""CODEOWNERS (GitHub and GitLab): who owns a test file, for quarantine entries and reports.

Patterns follow gitignore: ``*`` stays inside one path segment, ``**`` crosses segments, a
leading ``/`` (or a ``/`` inside the pattern) anchors at the repository root, a trailing ``/``
matches a directory and everything below it. The last matching pattern wins; in GitLab files
each ``[Section]`` is matched on its own and the owners of all sections are combined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SEARCH_DIRS = (".github", "", "docs", ".gitlab")
_SECTION = re.compile(r"^\^?\[(?P<name>[^\]]+)\](?:\[\d+\])?(?:\s+(?P<owners>.*))?$")


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern line: the pattern, its owners, the section it is in and its line number."""

    pattern: str
    owners: tuple[str, ...]
    section: str | None
    line: int
    regex: re.Pattern[str]


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    directory_only = pattern.endswith("/")
    body = pattern.strip("/") if pattern != "/" else ""
    anchored = pattern.startswith("/") or "/" in body
    out: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[" and "]" in body[i + 1 :]:
            end = body.index("]", i + 1)
            out.append("[" + body[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    # A pattern naming a directory owns everything below it; a trailing '/' demands that.
    suffix = "/.*" if directory_only else "(?:/.*)?"
    return re.compile(f"^{prefix}{''.join(out)}{suffix}$")


def _strip_comment(line: str) -> str:
    # '#' after whitespace starts a comment; '\#' is a literal hash.
    match = re.search(r"(?<!\\)\s#", line)
    return line[: match.start()] if match else line


class CodeOwners:
    """Parsed CODEOWNERS rules; :meth:`owners_for` answers who owns a path."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    @classmethod
    def parse(cls, text: str) -> CodeOwners:
        """Parse the text of a CODEOWNERS file (comments, GitLab sections, escaped ``\\#``)."""
        rules: list[Rule] = []
        section: str | None = None
        section_owners: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            line = _strip_comment(line).strip()
            header = _SECTION.match(line)
            if header:
                section = header["name"].strip()
                section_owners = tuple((header["owners"] or "").split())
                continue
            pattern, *owners = line.split()
            pattern = pattern.replace("\\#", "#")
            rules.append(
                Rule(
                    pattern=pattern,
                    owners=tuple(owners) or section_owners,
                    section=section,
                    line=number,
                    regex=_glob_to_regex(pattern),
                )
            )
        return cls(rules)

    def owners_for(self, path: str) -> list[str]:
        """Owners of ``path`` (relative to the repository root), best first, without repeats."""
        clean = path.replace("\\", "/").removeprefix("./").lstrip("/")
        last_by_section: dict[str | None, Rule] = {}
        for rule in self.rules:
            if rule.regex.match(clean):
                last_by_section[rule.section] = rule
        owners: list[str] = []
        for rule in sorted(last_by_section.values(), key=lambda r: _section_order(self, r)):
            owners += [o for o in rule.owners if o not in owners]
        return owners


def _section_order(codeowners: CodeOwners, rule: Rule) -> int:
    for index, candidate in enumerate(codeowners.rules):
        if candidate.section == rule.section:
            return index
    return 0


def parse_codeowners(text: str) -> CodeOwners:
    """Parse the text of a CODEOWNERS file."""
    return CodeOwners.parse(text)


def find_codeowners(root: Path) -> Path | None:
    """The CODEOWNERS file of the repository at ``root``, looked up where GitHub and GitLab do."""
    for folder in SEARCH_DIRS:
        candidate = root / folder / "CODEOWNERS" if folder else root / "CODEOWNERS"
        if candidate.is_file():
            return candidate
    return None


def load_codeowners(root: Path, configured: str | None = None) -> CodeOwners | None:
    """Load the configured CODEOWNERS file (relative to ``root``) or the one found in ``root``."""
    path = (root / configured) if configured else find_codeowners(root)
    if path is None or not path.is_file():
        return None
    return CodeOwners.parse(path.read_text(encoding="utf-8"))


def default_owner(codeowners: CodeOwners | None, test_id: str) -> str | None:
    """The default owner of a quarantine entry: the first owner of the test's file."""
    if codeowners is None:
        return None
    owners = codeowners.owners_for(test_id.split("::", 1)[0])
    return owners[0] if owners else None
