"""The linters' one severity scale: parsing ``--fail-on`` and the CI formats' spellings."""

from __future__ import annotations

import pytest

from readiness._common.severity import GITHUB_LEVEL, SARIF_LEVEL, Severity
from readiness.logcheck.lint import Severity as LogSeverity
from readiness.migrations.model import Severity as MigrationSeverity


@pytest.mark.parametrize(
    ("text", "expected"),
    [("info", Severity.INFO), (" Warning ", Severity.WARNING), ("ERROR", Severity.ERROR)],
)
def test_a_severity_is_parsed_from_its_label_in_any_case(text: str, expected: Severity) -> None:
    assert (Severity.parse(text), expected.label) == (expected, text.strip().lower())


def test_an_unknown_severity_names_the_three_it_expects() -> None:
    expected = "unknown severity 'fatal'; expected info, warning or error"
    with pytest.raises(ValueError, match=expected):
        Severity.parse("fatal")


def test_both_linters_use_the_one_scale_and_every_severity_has_its_ci_levels() -> None:
    assert (LogSeverity, MigrationSeverity) == (Severity, Severity)
    assert [(SARIF_LEVEL[s], GITHUB_LEVEL[s]) for s in sorted(Severity)] == [
        ("note", "notice"),
        ("warning", "warning"),
        ("error", "error"),
    ]
