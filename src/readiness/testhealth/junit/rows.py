"""The row format of the JUnit reader and the pure helpers that build rows.

A row is one execution of one testcase as the ingest consumes it: the fields of
:class:`~readiness.testhealth.model.CaseResult` in order, with the outcome as a plain int
(cheaper to build and to bind than ``CaseResult`` and ``IntEnum``). Both readers (the exact one
in :mod:`.report` and the fast path in :mod:`.fast`) build rows only through these helpers, so
they agree on every field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from readiness._common.clock import storable_date_problem
from readiness.testhealth.junit.failures import classify_failure, first_meaningful_line
from readiness.testhealth.model import CaseResult, FailureKind, Outcome

Row = tuple[
    str, str | None, str, str | None, int, float, int, str | None, str | None, FailureKind | None
]
_OUTCOMES = tuple(Outcome)

MAX_MESSAGE = 2000
_MAX_CAPTURE = 4096
_TAIL = 300
OUTCOME_CHILDREN = {"failure": Outcome.FAILED, "error": Outcome.ERROR, "skipped": Outcome.SKIPPED}
# pytest writes an expected failure as a skip of this type (its own junitxml and our plugin).
XFAIL_TYPE = "pytest.xfail"
# Our pytest plugin lists every attempt's outcome here when a test ran more than once or was an
# xfail/xpass; earlier passing attempts have no Surefire child to express them.
OUTCOMES_PROPERTY = "readiness.outcomes"
LISTED = {o.name.lower(): o for o in Outcome}  # passed, failed, error, skipped, xfailed, xpassed
_NOT_FAILURES = (Outcome.SKIPPED, Outcome.XFAILED)  # outcomes whose text is a reason, not a trace
# go-junit-report and others put a placeholder in ``message``; the text says more.
_GENERIC_MESSAGES = frozenset({"", "failed", "error", "failure"})
# pytest ends a failure's text with "path.py:12: ErrorType"; that names the exception.
_PYTEST_TYPE_LINE = re.compile(r"^\S+:\d+: ([A-Za-z_][\w.]*)\s*$")


def child_outcome(name: str, failure_type: str | None) -> Outcome | None:
    """The outcome a direct child of ``<testcase>`` stands for (``None``: not an outcome)."""
    outcome = OUTCOME_CHILDREN.get(name)
    if outcome is Outcome.SKIPPED and failure_type == XFAIL_TYPE:
        return Outcome.XFAILED
    return outcome


def captures_text(outcome: Outcome) -> bool:
    """Whether the text of an outcome element is a failure's trace (kept) or a reason."""
    return outcome not in _NOT_FAILURES


@dataclass(slots=True)
class Failure:
    """Outcome details of one attempt while its element is open."""

    outcome: Outcome
    message: str | None
    failure_type: str | None
    duration_s: float | None = None
    head: list[str] = field(default_factory=list)
    head_len: int = 0
    tail: str = ""

    def add_text(self, data: str) -> None:
        """Keep exactly the first ``_MAX_CAPTURE`` characters and the last ``_TAIL``, however
        the text arrives in pieces."""
        if self.head_len < _MAX_CAPTURE:
            piece = data[: _MAX_CAPTURE - self.head_len]
            self.head.append(piece)
            self.head_len += len(piece)
        self.tail = (self.tail + data)[-_TAIL:]

    def final_message(self) -> str | None:
        """The message attribute, or the first meaningful line of the text when it says more."""
        text = "".join(self.head)
        message = self.message
        if (message is None or message.strip().lower() in _GENERIC_MESSAGES) and text.strip():
            message = first_meaningful_line(text) or message
        return message[:MAX_MESSAGE] if message else None

    def final_type(self) -> str | None:
        """The type attribute, or the exception pytest names on the last line of the text."""
        if self.failure_type:
            return self.failure_type
        lines = self.tail.strip().splitlines()
        match = _PYTEST_TYPE_LINE.match(lines[-1].strip()) if lines else None
        return match.group(1) if match else None


def parse_time(value: str | None) -> float:
    """A ``time`` attribute in seconds; 0.0 when missing, unreadable, negative or absurd."""
    if not value:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = float(value.replace(",", ""))  # "1,234.5" from some producers
        except ValueError:
            return 0.0
    return seconds if 0.0 <= seconds < 1e9 else 0.0


def parse_timestamp(value: str | None) -> datetime | None:
    """A suite's ``timestamp`` attribute (UTC when it names no zone); ``None`` if unreadable or
    not a date Readiness stores (``_common.clock.storable_date_problem``: year 1 or 9999 would
    break every later read on PostgreSQL)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if storable_date_problem(parsed) is not None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def with_failure(
    head: tuple[str, str | None, str, str | None], failure: Failure, attempt: int, duration: float
) -> Row:
    """The row of an attempt that has an outcome element."""
    message = failure.final_message()
    if not captures_text(failure.outcome):
        return (*head, int(failure.outcome), duration, attempt, message, None, None)
    failure_type = failure.final_type()
    # The message alone can hide the cause ("failed on setup with ..."); the text names it.
    kind = classify_failure(failure_type, f"{message or ''}\n{''.join(failure.head)}")
    return (*head, int(failure.outcome), duration, attempt, message, failure_type, kind)


def listed_attempts(
    listed: str | None, attempts: list[Failure], final: Failure | None
) -> tuple[list[Failure | int], Outcome] | None:
    """The earlier attempts in the order ``readiness.outcomes`` lists them, and the final
    outcome it names; ``None`` when the list does not agree with the children and the final
    outcome (then the children alone count).

    The failing earlier attempts are the Surefire children (in order), the others plain
    outcomes. A final ``xpassed`` agrees with a testcase without outcome child (pytest writes
    an xpass as a pass).
    """
    if not listed:
        return None
    outcomes = [LISTED.get(o.strip()) for o in listed.split(",")]
    actual = final.outcome if final is not None else Outcome.PASSED
    last = outcomes[-1]
    if None in outcomes or not (
        last is actual or (last is Outcome.XPASSED and actual is Outcome.PASSED)
    ):
        return None
    failing = iter(attempts)
    out: list[Failure | int] = []
    for outcome in outcomes[:-1]:
        if outcome in (Outcome.FAILED, Outcome.ERROR):
            child = next(failing, None)
            if child is None or child.outcome is not outcome:
                return None
            out.append(child)
        else:
            out.append(int(outcome))  # type: ignore[arg-type]  # never None: checked above
    if next(failing, None) is not None:
        return None
    return out, last


def case_results(rows: Iterator[Row]) -> Iterator[CaseResult]:
    """The rows as :class:`CaseResult` objects."""
    outcomes = _OUTCOMES
    for r in rows:
        yield CaseResult(r[0], r[1], r[2], r[3], outcomes[r[4]], r[5], r[6], r[7], r[8], r[9])
