"""CI annotations: a finding's message or file name can never end a GitHub workflow command or
start another one, and SARIF locations count from 1."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from readiness._common.annotations import (
    github_command,
    github_errors,
    lint_sarif_log,
    sarif_location,
    sarif_log,
    sarif_notifications,
)
from readiness.logcheck.lint import SourceError


def test_a_command_escapes_what_github_reads_as_syntax() -> None:
    line = github_command(
        "error",
        file="a,b:c.py",
        line=3,
        column=7,
        title="rule, with: colon",
        message="100% broken\n::error::forged\r",
    )
    assert line == (
        "::error file=a%2Cb%3Ac.py,line=3,col=7,title=rule%2C with%3A colon::"
        "100%25 broken%0A::error::forged%0D"
    )


@given(st.text(), st.text(), st.text())
def test_any_text_stays_one_line_of_one_command(file: str, title: str, message: str) -> None:
    line = github_command("warning", file=file, line=1, column=1, title=title, message=message)
    assert "\n" not in line
    assert "\r" not in line
    assert line.count("::") - message.count("::") == 2  # only the command's own separators


def test_a_location_counts_from_one_and_keeps_an_end_past_its_start() -> None:
    assert sarif_location("m.sql", 0, 0) == {
        "physicalLocation": {
            "artifactLocation": {"uri": "m.sql"},
            "region": {"startLine": 1, "startColumn": 1},
        }
    }
    assert sarif_location("a.py", 4, 2, 9)["physicalLocation"]["region"] == {
        "startLine": 4,
        "startColumn": 2,
        "endColumn": 9,
    }
    assert "endColumn" not in sarif_location("a.py", 4, 9, 9)["physicalLocation"]["region"]


def test_the_sarif_envelope_keeps_the_run_properties_in_the_order_given() -> None:
    log = sarif_log({"name": "t"}, automationDetails={"id": "a/"}, invocations=[], results=[])
    assert json.dumps(log) == (
        '{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", '
        '"runs": [{"tool": {"driver": {"name": "t"}}, "automationDetails": {"id": "a/"}, '
        '"invocations": [], "results": []}]}'
    )


def test_a_linter_run_with_unreadable_files_did_not_execute_successfully() -> None:
    note = {"level": "error", "message": {"text": "cannot be read"}}
    clean = lint_sarif_log("lint", "1.0", [], [], [])["runs"][0]
    broken = lint_sarif_log("lint", "1.0", [], [], [note])["runs"][0]
    assert (list(clean), clean["tool"]["driver"]) == (
        ["tool", "results", "invocations"],
        {
            "name": "lint",
            "version": "1.0",
            "informationUri": "https://github.com/readiness/readiness",
            "rules": [],
        },
    )
    assert (clean["invocations"], broken["invocations"]) == (
        [{"executionSuccessful": True, "toolExecutionNotifications": []}],
        [{"executionSuccessful": False, "toolExecutionNotifications": [note]}],
    )


def test_unlinted_files_become_error_commands_and_tool_notifications() -> None:
    bad = SourceError("app/x.py", 0, 0, "cannot be read (No such file)")
    assert github_errors([bad], "not linted") == [
        "::error file=app/x.py,line=1,col=1,title=not linted::cannot be read (No such file)"
    ]
    assert sarif_notifications([bad]) == [
        {
            "level": "error",
            "message": {"text": "cannot be read (No such file)"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/x.py"},
                        "region": {"startLine": 1, "startColumn": 1},
                    }
                }
            ],
        }
    ]
