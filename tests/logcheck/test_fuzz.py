"""The linter never crashes: arbitrary text, mutated golden sources and generated log calls all
give a report (findings or one parse error), and a finding always points inside the file."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logcheck.lint import RULES, LintOptions, lint_source, lint_texts
from readiness.logcheck.lint.names import PiiNames
from readiness.logcheck.render import RENDERERS

HEAD = (
    "import logging, structlog\nlogger = logging.getLogger()\nlog = structlog.get_logger()\n"
    "def f(self, request, user, body):\n"
)
TRY = "    try:\n        pass\n    except E as exc:\n"
HEAD = (
    "import logging, structlog\nlogger = logging.getLogger()\nlog = structlog.get_logger()\n"
    "def f(self, request, user, body):\n"
)
TRY = "    try:\n        pass\n    except E as exc:\n"
GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.pysrc"))
SOURCES = [p.read_text(encoding="utf-8") for p in GOLDEN]

NAMES = st.sampled_from(
    ["email", "userId", "request", "user", "password", "exc", "body", "trace_id", "x", "locals()"]
)
METHODS = st.sampled_from(["info", "error", "exception", "bind", "warning", "log", "ainfo"])
RECEIVERS = st.sampled_from(["log", "logger", "self.logger", "logging", "structlog.get_logger()"])


@st.composite
def log_calls(draw: st.DrawFn) -> str:
    receiver, method = draw(RECEIVERS), draw(METHODS)
    args = [draw(st.sampled_from(['"done"', '"failed %s"', "msg", '""']))]
    named: dict[str, str] = {}  # one of each keyword: a repeated one is a syntax error
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["pos", "kw", "extra", "fstr", "spread"]))
        name = draw(NAMES)
        if kind == "pos":
            args.append(name)
        elif kind == "kw" and "(" not in name:
            named[name] = f"{name}={draw(NAMES)}"
        elif kind == "extra" and "(" not in name:
            named["extra"] = f'extra={{"{name}": {draw(NAMES)}}}'
        elif kind == "fstr":
            args[0] = f'f"{{{name}}}"'
        else:
            named[f"**{name}"] = f"**{name}"
    return f"{receiver}.{method}({', '.join(args + list(named.values()))})"


def check(source: str) -> None:
    result = lint_source("app/fuzz.py", source, LintOptions())
    lines = source.count("\n") + 1
    for f in result.findings:
        assert f.rule in RULES
        assert 1 <= f.line <= lines + 1
        assert f.column >= 1
    if result.error is not None:
        assert result.findings == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes_the_linter(source: str) -> None:
    check(source)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SOURCES), st.integers(0, 4000), st.integers(0, 40), st.text(max_size=8))
def test_mutated_golden_sources_never_crash_the_linter(
    source: str, at: int, cut: int, insert: str
) -> None:
    at = min(at, len(source))
    check(source[:at] + insert + source[at + cut :])


@settings(max_examples=300, deadline=None)
@given(st.lists(log_calls(), min_size=1, max_size=5), st.booleans())
def test_generated_log_calls_never_crash_the_linter_or_the_renderers(
    calls: list[str], in_except: bool
) -> None:
    indent = " " * (8 if in_except else 4)
    source = HEAD + (TRY if in_except else "") + "\n".join(indent + c for c in calls) + "\n"
    check(source)
    report = lint_texts([("app/fuzz.py", source)], LintOptions())
    assert report.errors == []
    for render in RENDERERS.values():
        assert isinstance(render(report), str)


WORDS = st.sampled_from(["user", "new", "primary", "client", "raw", "order", "billing"])
TERMS = st.sampled_from(["password", "email", "api_key", "ssn", "phone", "client_ip", "token"])


def _camel(parts: list[str]) -> str:
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


@given(st.lists(WORDS, max_size=2), TERMS, st.lists(WORDS, max_size=1))
def test_a_pii_term_is_found_in_snake_camel_pascal_and_kebab_names_alike(
    before: list[str], term: str, after: list[str]
) -> None:
    parts = [*before, *term.split("_"), *after]
    names = ["_".join(parts), _camel(parts), _camel(parts)[0].upper() + _camel(parts)[1:]]
    names.append("-".join(parts))
    pii = PiiNames()
    assert {n: pii.match(n) is not None for n in names} == dict.fromkeys(names, True)
