"""The plugin's lines in pytest's terminal summary: quarantined and expired failures, new tests
that flaked on first sight, and what happened to the report. pytest and the standard library."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

    from readiness.testhealth.model import QuarantineEntry

__all__ = ["write_summary"]


def write_summary(
    tr: pytest.TerminalReporter,
    *,
    quarantined: Mapping[str, QuarantineEntry],
    expired: Mapping[str, QuarantineEntry],
    flaky_new: Mapping[str, Sequence[str]],
    messages: Sequence[str],
) -> None:
    """Write the summary sections that have something to say, then ``messages``."""
    if quarantined:
        n = len(quarantined)
        tr.write_sep("=", f"readiness: {n} quarantined test(s) failed (not blocking)", yellow=True)
        for test_id, e in sorted(quarantined.items()):
            tr.write_line(
                f"{test_id}  owner={e.owner or '-'} expires={e.expires.date().isoformat()} "
                f"reason: {e.reason}"
            )
    if expired:
        n = len(expired)
        tr.write_sep("=", f"readiness: {n} expired quarantine entr(y/ies) not honoured", red=True)
        for test_id, e in sorted(expired.items()):
            tr.write_line(
                f"{test_id}: quarantine expired on {e.expires.date().isoformat()}; its failure "
                "fails the session (fix the test, or renew the entry in review)"
            )
    if flaky_new:
        tr.write_sep("=", f"readiness: {len(flaky_new)} new test(s) flaky on first sight", red=True)
        for test_id, outcomes in flaky_new.items():
            tr.write_line(f"{test_id}: {' '.join(outcomes)} (new flaky tests must not merge)")
    for message in messages:
        tr.write_line(message)
