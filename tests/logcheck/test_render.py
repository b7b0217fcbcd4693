"""The renderers: text with code frames within 80 columns, JSON, SARIF 2.1.0, GitHub."""

from __future__ import annotations

import json

from readiness import __version__
from readiness.logcheck.lint import LintOptions, LintReport, lint_texts
from readiness.logcheck.render import github, json_text, sarif_text, text
from tests.gate.test_sarif_schema import sarif_problems

SOURCE = (
    "import structlog\n"
    "log = structlog.get_logger()\n"
    'log.info("login", email=user.email)\n'
    'log.info("paid", userId=u)\n'
)
LONG = (
    "import structlog\nlog = structlog.get_logger()\n"
    + "def f():\n"
    + '    log.info("a rather long message that goes on and on and on", x=1, y=2, z=3, '
    + "password=pw)\n"
)


def report(source: str = SOURCE, path: str = "app/x.py") -> LintReport:
    return lint_texts([(path, source), ("app/bad.py", "def f(:\n")], LintOptions())


def test_text_shows_each_finding_with_its_code_frame_and_a_summary() -> None:
    assert text(report()) == (
        "app/bad.py:1:7: error not valid Python: invalid syntax\n"
        "\n"
        "app/x.py:3:19: error [pii-name]\n"
        "  field 'email' is named like personal data (email) and reaches the log line\n"
        '  3 | log.info("login", email=user.email)\n'
        "    |                   ^^^^^\n"
        "  fix: log an identifier or a hash instead (user_id, a masked value), or drop it\n"
        "\n"
        "app/x.py:4:18: warning [field-name]\n"
        "  field name 'userId' is not the convention; the baseline uses snake_case\n"
        "    ('user_id')\n"
        '  4 | log.info("paid", userId=u)\n'
        "    |                  ^^^^^^\n"
        "  fix: rename it to 'user_id' (or configure field_aliases)\n"
        "\n"
        "2 findings (1 error, 1 warning) in 2 files, 1 not linted\n"
    )


def test_text_lines_fit_in_80_columns_and_the_caret_stays_under_the_name() -> None:
    out = text(lint_texts([("app/long.py", LONG)], LintOptions()))
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    frame, caret = lines[2], lines[3]
    start = caret.index("^")
    assert frame[start : start + len("password")] == "password"
    assert caret.count("^") == len("password")


def test_a_clean_report_says_so() -> None:
    clean = lint_texts([("app/ok.py", "x = 1\n")], LintOptions())
    assert text(clean) == "no findings in 1 file\n"


def test_json_lists_findings_errors_and_counts() -> None:
    data = json.loads(json_text(report()))
    assert (data["files"], data["suppressed"]) == (2, 0)
    assert [(f["rule"], f["line"], f["column"], f["name"]) for f in data["findings"]] == [
        ("pii-name", 3, 19, "email"),
        ("field-name", 4, 18, "userId"),
    ]
    assert data["errors"] == [
        {"file": "app/bad.py", "line": 1, "column": 7, "reason": "not valid Python: invalid syntax"}
    ]


def test_sarif_has_the_mandatory_structure_of_2_1_0() -> None:
    log = json.loads(sarif_text(report()))
    assert sarif_problems(log) == []
    run = log["runs"][0]
    assert (run["tool"]["driver"]["name"], run["tool"]["driver"]["version"]) == (
        "readiness-logs-lint",
        __version__,
    )
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert [(r["ruleId"], rules[r["ruleIndex"]], r["level"]) for r in run["results"]] == [
        ("pii-name", "pii-name", "error"),
        ("field-name", "field-name", "warning"),
    ]
    assert run["results"][0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/x.py"},
        "region": {"startLine": 3, "startColumn": 19, "endColumn": 24},
    }
    assert run["invocations"][0]["executionSuccessful"] is False


def test_github_annotations_escape_their_properties_and_message() -> None:
    out = github(report(path="app/a,b.py"))
    assert out.splitlines() == [
        "::error file=app/a%2Cb.py,line=3,col=19,title=pii-name::field 'email' is named like "
        "personal data (email) and reaches the log line. Fix: log an identifier or a hash "
        "instead (user_id, a masked value), or drop it",
        "::warning file=app/a%2Cb.py,line=4,col=18,title=field-name::field name 'userId' is not "
        "the convention; the baseline uses snake_case ('user_id'). Fix: rename it to 'user_id' "
        "(or configure field_aliases)",
        "::error file=app/bad.py,line=1,col=7,title=not linted::not valid Python: invalid syntax",
    ]
