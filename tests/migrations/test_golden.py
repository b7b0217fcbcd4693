"""Golden tests: every rule, input SQL -> the exact findings (tests/migrations/golden/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.migrations.rules import RULES
from tests.migrations.golden_io import cases, render


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.stem)
def test_golden_case_gives_exactly_the_expected_findings(case: Path) -> None:
    expected = case.with_suffix(".expected").read_text(encoding="utf-8")
    assert render(case) == expected


def test_every_rule_has_a_golden_case_that_reports_it() -> None:
    reported = set()
    for case in cases():
        for line in case.with_suffix(".expected").read_text(encoding="utf-8").splitlines():
            reported.add(line.split()[1])
    assert sorted(set(RULES) - reported) == []
    assert {c.stem.split("-pg")[0] for c in cases()} >= set(RULES)
