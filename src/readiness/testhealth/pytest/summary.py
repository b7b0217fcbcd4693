"""The plugin's lines in pytest's terminal summary: quarantined and expired failures, new tests
that flaked on first sight, and what happened to the report. pytest, the standard library and
:mod:`readiness._common.words`."""

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
    # Imported here: loading the plugin imports only its own modules (tests/.../test_inert.py).
    from readiness._common.words import plural

    if quarantined:
        head = f"readiness: {plural(len(quarantined), 'quarantined test')} failed (not blocking)"
        tr.write_sep("=", head, yellow=True)
        for test_id, e in sorted(quarantined.items()):
            tr.write_line(
                f"{test_id}  owner={e.owner or '-'} expires={e.expires.date().isoformat()} "
                f"reason: {e.reason}"
            )
    if expired:
        head = f"readiness: {plural(len(expired), 'expired quarantine entry')} not honoured"
        tr.write_sep("=", head, red=True)
        for test_id, e in sorted(expired.items()):
            tr.write_line(
                f"{test_id}: quarantine expired on {e.expires.date().isoformat()}; its failure "
                "fails the session (fix the test, or renew the entry in review)"
            )
    if flaky_new:
        head = f"readiness: {plural(len(flaky_new), 'new test')} flaky on first sight"
        tr.write_sep("=", head, red=True)
        for test_id, outcomes in flaky_new.items():
            tr.write_line(f"{test_id}: {' '.join(outcomes)} (new flaky tests must not merge)")
    for message in messages:
        tr.write_line(message)
