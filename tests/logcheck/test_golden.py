"""Golden cases: each ``golden/<case>.pysrc`` linted as ``app/<case>.py`` gives exactly the
findings of ``golden/<case>.expected`` (``line:column rule name``, then the suppressed count).

The inputs are ``.pysrc`` so that ruff and mypy leave their deliberate mistakes alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.logcheck.lint import RULES, LintOptions, lint_source

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.pysrc"))


def findings_of(case: str) -> list[str]:
    source = (GOLDEN / f"{case}.pysrc").read_text(encoding="utf-8")
    result = lint_source(f"app/{case}.py", source, LintOptions())
    lines = [f"{f.line}:{f.column} {f.rule} {f.name}" for f in result.findings]
    return [*lines, f"suppressed {result.suppressed}"]


@pytest.mark.parametrize("case", CASES)
def test_a_golden_case_gives_exactly_its_expected_findings(case: str) -> None:
    expected = (GOLDEN / f"{case}.expected").read_text(encoding="utf-8").splitlines()
    assert findings_of(case) == expected


def test_every_rule_has_a_golden_case_that_fires_it() -> None:
    fired = {
        line.split()[1]
        for case in CASES
        for line in (GOLDEN / f"{case}.expected").read_text(encoding="utf-8").splitlines()
        if not line.startswith("suppressed")
    }
    assert fired == set(RULES)


def test_every_rule_fires_on_its_own_failing_example_and_not_on_its_passing_one() -> None:
    prelude = "import structlog\nlog = structlog.get_logger()\nlogger = log\n"
    prelude += "async def handler(request, user, exc, e, uid, tid, order_id, form, traceback):\n"
    for rule in RULES.values():
        bad = lint_source("app/x.py", f"{prelude}    {rule.bad}\n", LintOptions()).findings
        good = lint_source("app/x.py", f"{prelude}    {rule.good}\n", LintOptions()).findings
        assert (rule.id, rule.id in {f.rule for f in bad}) == (rule.id, True)
        assert (rule.id, [f.rule for f in good if f.rule == rule.id]) == (rule.id, [])


def test_real_code_excerpts_give_exactly_their_expected_findings() -> None:
    corpus = Path(__file__).parent / "corpus"
    source = (corpus / "celery_excerpts.pysrc").read_text(encoding="utf-8")
    result = lint_source("celery/excerpts.py", source, LintOptions())
    found = [f"{f.line}:{f.column} {f.rule} {f.name}" for f in result.findings]
    expected = (corpus / "celery_excerpts.expected").read_text(encoding="utf-8").splitlines()
    assert [*found, f"suppressed {result.suppressed}"] == expected
