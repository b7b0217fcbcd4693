"""Messages, fixes and the configurable parts of the lint core: extra PII names, safe names,
field aliases, disabled rules, print_allowed globs, the stack frame limit; syntax errors."""

from __future__ import annotations

import pytest

from readiness.logcheck.lint import Finding, LintOptions, Severity, lint_source
from readiness.logcheck.lint.names import PiiNames, words

HEAD = "import structlog\nlog = structlog.get_logger()\n"


def lint(body: str, options: LintOptions | None = None, path: str = "app/x.py") -> list[Finding]:
    return lint_source(path, HEAD + body, options or LintOptions()).findings


def test_a_pii_finding_names_the_rule_severity_position_name_message_and_fix() -> None:
    [finding] = lint('log.info("login", email=address_of_user)\n')
    assert finding.as_dict() == {
        "rule": "pii-name",
        "severity": "error",
        "file": "app/x.py",
        "line": 3,
        "column": 19,
        "message": "field 'email' is named like personal data (email) and reaches the log line",
        "name": "email",
        "fix": "log an identifier or a hash instead (user_id, a masked value), or drop it",
    }
    assert finding.end_column == 24


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("userEmailAddress", ["user", "email", "address"]),
        ("APIKey", ["api", "key"]),
        ("x-api-key", ["x", "api", "key"]),
        ("set_cookie2", ["set", "cookie", "2"]),
    ],
)
def test_names_split_into_words_at_case_and_separator_boundaries(
    name: str, expected: list[str]
) -> None:
    assert words(name) == expected


@pytest.mark.parametrize(
    ("name", "term"),
    [
        ("password", "password"),
        ("apiKey", "api_key"),
        ("X-Api-Key", "api_key"),
        ("client_ip", "ip"),
        ("emailAddress", "email"),
        ("Set-Cookie", "set_cookie"),
        ("date_of_birth", "date_of_birth"),
        ("zip", None),
        ("ship", None),
        ("description", None),
        ("cardinality", None),
        ("token_type", None),
        ("has_password", None),
        ("email_hash", None),
        ("user_id", None),
    ],
)
def test_pii_names_match_on_word_boundaries(name: str, term: str | None) -> None:
    found = PiiNames().match(name)
    assert (found.term if found else None) == term


def test_configured_pii_names_are_added_and_safe_names_exempted() -> None:
    options = LintOptions(pii_names=("loyalty_number",), safe_names=frozenset({"email"}))
    found = lint('log.info("x", loyaltyNumber=n, email=e)\n', options)
    assert [(f.rule, f.name) for f in found] == [
        ("field-name", "loyaltyNumber"),
        ("pii-name", "loyaltyNumber"),
    ]


def test_configured_field_aliases_name_the_field_to_use() -> None:
    options = LintOptions(field_aliases={"customer": "user_id"})
    [found] = lint('log.info("x", customer=c)\n', options)
    assert (found.rule, found.name, found.fix) == (
        "field-name",
        "customer",
        "rename it to 'user_id' (or configure field_aliases)",
    )


def test_a_disabled_rule_reports_nothing() -> None:
    options = LintOptions(disable=frozenset({"field-name"}))
    assert lint('log.info("x", userId=u)\n', options) == []


@pytest.mark.parametrize(
    ("path", "reported"),
    [
        ("app/x.py", True),
        ("tests/test_x.py", False),
        ("src/pkg/tests/helpers.py", False),
        ("test_cli.py", False),
        ("scripts/seed.py", False),
        ("app/__main__.py", False),
        ("app/contest.py", True),
    ],
)
def test_print_is_reported_outside_the_allowed_globs(path: str, reported: bool) -> None:
    found = lint('print("x")\n', path=path)
    assert [f.rule for f in found] == (["print-call"] if reported else [])


def test_configured_print_allowed_globs_replace_the_defaults() -> None:
    options = LintOptions(print_allowed=("app/cli/**",))
    assert lint('print("x")\n', options, path="app/cli/main.py") == []
    assert [f.rule for f in lint('print("x")\n', options, path="tests/t.py")] == ["print-call"]


def test_a_shadowed_print_is_not_reported() -> None:
    assert lint('from rich import print\nprint("x")\n') == []


def test_the_stack_frame_limit_is_in_the_fix() -> None:
    [found] = lint(
        'import traceback\nlog.info("x", s=traceback.format_exc())\n', LintOptions(stack_frames=5)
    )
    assert found.fix == (
        "pass exc_info=True and let the renderer trim the stack to stack_frames (5); "
        "log error=str(exc) or type(exc).__name__ as the field"
    )


def test_an_error_log_names_the_context_it_lacks() -> None:
    [found] = lint('log.error("Error processing payment")\n')
    assert (found.rule, found.severity, found.name, found.message) == (
        "error-context",
        Severity.WARNING,
        "trace_id, error, action",
        "error log without trace_id, error, action: the line cannot be followed to its "
        "request, cause or operation",
    )


def test_a_logger_bound_with_trace_id_and_action_lacks_only_the_error() -> None:
    body = 'bound = log.bind(trace_id=t, action="a.b")\nbound.error("failed")\n'
    assert [(f.rule, f.name) for f in lint(body)] == [("error-context", "error")]


def test_a_file_with_a_syntax_error_is_reported_with_its_position() -> None:
    result = lint_source("app/bad.py", "def f(:\n    pass\n", LintOptions())
    assert (result.findings, result.error) == ([], result.error)
    assert result.error is not None
    assert result.error.as_dict() == {
        "file": "app/bad.py",
        "line": 1,
        "column": 7,
        "reason": "not valid Python: invalid syntax",
    }


def test_a_source_with_a_null_byte_is_reported_not_raised() -> None:
    result = lint_source("app/nul.py", "x = 1\0\n", LintOptions())
    assert result.error is not None
    assert result.error.reason.startswith("not valid Python") or result.error.reason.startswith(
        "cannot be parsed"
    )
