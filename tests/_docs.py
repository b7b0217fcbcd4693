"""Reading the commands a page of documentation prints, for the tests that run them as pasted."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
_HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$")


def readme_section(title: str, readme: Path = ROOT / "README.md") -> str:
    """The README's section headed ``title`` (any level), up to the next heading of the same or a
    higher level; ``#`` lines inside fenced code blocks are not headings."""
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    fenced = False
    level = 0
    taken: list[str] = []
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if level:
            if heading and len(heading.group(1)) <= level:
                break
            taken.append(line)
        elif heading and heading.group(2) == title:
            level = len(heading.group(1))
    if not level:
        raise LookupError(f"README has no section headed {title!r}")
    return "".join(taken)


def shell_commands(text: str, program: str = "readiness") -> list[str]:
    """The lines of the ```sh blocks of ``text`` that run ``program``, without trailing
    ``  # comments``."""
    found: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith(f"{program} "):
                found.append(command)
    return found
