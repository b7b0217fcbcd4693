"""The plugin's summary headings count in words: "1 expired quarantine entry", "2 new tests"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from readiness.testhealth.model import QuarantineEntry
from readiness.testhealth.pytest.summary import write_summary


class Recorder:
    """Stands in for pytest's TerminalReporter: keeps the headings and lines written."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_sep(self, sep: str, title: str, **_markup: bool) -> None:
        self.lines.append(f"{sep} {title} {sep}")

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def entry(test_id: str) -> QuarantineEntry:
    return QuarantineEntry(
        test_id,
        owner=None,
        reason="races",
        issue=None,
        created=datetime(2026, 3, 1, tzinfo=UTC),
        expires=datetime(2026, 3, 31, tzinfo=UTC),
    )


def written(**sections: Any) -> list[str]:
    tr = Recorder()
    given: dict[str, Any] = {"quarantined": {}, "expired": {}, "flaky_new": {}, "messages": ()}
    write_summary(cast("Any", tr), **{**given, **sections})
    return tr.lines


def test_one_of_each_is_a_singular_heading() -> None:
    lines = written(
        quarantined={"t::q": entry("t::q")},
        expired={"t::e": entry("t::e")},
        flaky_new={"t::n": ["failed", "passed"]},
    )

    assert [line for line in lines if line.startswith("=")] == [
        "= readiness: 1 quarantined test failed (not blocking) =",
        "= readiness: 1 expired quarantine entry not honoured =",
        "= readiness: 1 new test flaky on first sight =",
    ]


def test_two_of_each_is_a_plural_heading() -> None:
    lines = written(
        quarantined={"t::q1": entry("t::q1"), "t::q2": entry("t::q2")},
        expired={"t::e1": entry("t::e1"), "t::e2": entry("t::e2")},
        flaky_new={"t::n1": ["failed", "passed"], "t::n2": ["passed", "failed"]},
    )

    assert [line for line in lines if line.startswith("=")] == [
        "= readiness: 2 quarantined tests failed (not blocking) =",
        "= readiness: 2 expired quarantine entries not honoured =",
        "= readiness: 2 new tests flaky on first sight =",
    ]
