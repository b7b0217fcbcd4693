"""Where a finding is, as CI systems read it: a SARIF 2.1.0 location and a GitHub Actions workflow
command (``::error file=...,line=...,col=...,title=...::message``), and the SARIF log around
them. The linters' renderers (migrations, logs) and the gate's SARIF renderer build their
reports from these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/readiness/readiness"


def sarif_location(path: str, line: int, column: int, end_column: int = 0) -> dict[str, Any]:
    """A SARIF ``location`` of ``path`` at ``line``:``column`` (to ``end_column`` when past the
    start); SARIF counts from 1, so an unknown line or column (0) is 1."""
    region: dict[str, int] = {"startLine": max(line, 1), "startColumn": max(column, 1)}
    if end_column > column:
        region["endColumn"] = end_column
    return {"physicalLocation": {"artifactLocation": {"uri": path}, "region": region}}


class Unlinted(Protocol):
    """A file a linter could not read or parse, and where."""

    @property
    def file(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...

    @property
    def reason(self) -> str: ...


def sarif_notifications(errors: Iterable[Unlinted]) -> list[dict[str, Any]]:
    """The tool notifications (level ``error``) of the files a linter could not lint."""
    return [
        {
            "level": "error",
            "message": {"text": e.reason},
            "locations": [sarif_location(e.file, e.line, e.column)],
        }
        for e in errors
    ]


def github_errors(errors: Iterable[Unlinted], title: str) -> list[str]:
    """One ``::error`` command titled ``title`` per file a linter could not lint (an unknown
    line or column is 1)."""
    return [
        github_command(
            "error",
            file=e.file,
            line=max(e.line, 1),
            column=max(e.column, 1),
            title=title,
            message=e.reason,
        )
        for e in errors
    ]


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def github_command(
    level: str, *, file: str, line: int, column: int, title: str, message: str
) -> str:
    """One workflow command: ``level`` is ``error``, ``warning`` or ``notice``; every value is
    escaped as GitHub asks (``%``, CR and LF everywhere, ``:`` and ``,`` in properties), so a
    message cannot end the command or forge another one."""
    where = f"file={_property(file)},line={line},col={column},title={_property(title)}"
    return f"::{level} {where}::{_data(message)}"


def sarif_driver(
    tool: str, version: str, rules: list[dict[str, Any]], *, information_uri: str = INFORMATION_URI
) -> dict[str, Any]:
    """The ``driver`` of a linter's run: its name, version, home page and rules."""
    return {"name": tool, "version": version, "informationUri": information_uri, "rules": rules}


def sarif_log(driver: Mapping[str, Any], **run: Any) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run of the tool ``driver`` describes; ``run`` gives the run's
    other properties (``results``, ``invocations``, ``automationDetails`` ...), written in the
    order given."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{"tool": {"driver": driver}, **run}],
    }


def lint_sarif_log(
    tool: str,
    version: str,
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    notifications: list[dict[str, Any]],
) -> dict[str, Any]:
    """A linter's SARIF log: its rules, results, and the files it could not read as tool
    notifications (the run then did not execute successfully)."""
    invocation = {
        "executionSuccessful": not notifications,
        "toolExecutionNotifications": notifications,
    }
    return sarif_log(sarif_driver(tool, version, rules), results=results, invocations=[invocation])
