"""What one pytest session did, as the report will say it: every attempt of every test, in the
order tests first ran, per process that ran them; failed and skipped collectors; how the session
ended. Fed from pytest's report hooks by the plugin; pytest and the standard library only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from readiness.testhealth.pytest.report import QUARANTINED_PROPERTY, Attempt, Case, pytest_names

if TYPE_CHECKING:
    import pytest

__all__ = ["SESSION_CASE", "Recorder", "suite_name"]

SESSION_CASE = "(session)"
SUITE = "pytest"
_MAX_TEXT = 20_000
_FAILING = ("failed", "error")
_WORKER_NUMBER = re.compile(r"^pytest:gw(\d+)$")


def suite_name(report: pytest.TestReport) -> str:
    """``pytest``, or ``pytest:gw1`` for a report pytest-xdist's controller got from worker gw1."""
    node = getattr(report, "node", None)  # set by xdist's controller on every worker's report
    if node is None:
        return SUITE
    worker = getattr(getattr(node, "gateway", None), "id", None)
    if worker is None:
        worker = getattr(node, "workerinput", {}).get("workerid")
    return f"{SUITE}:{worker}" if worker else SUITE


def _suite_order(name: str) -> tuple[int, int, str]:
    match = _WORKER_NUMBER.match(name)
    if match:
        return (1, int(match.group(1)), name)
    return (0 if name == SUITE else 2, 0, name)


def failure_details(report: pytest.TestReport) -> tuple[str | None, str | None, str]:
    """``(message, exception type, full text)`` of a failed phase of a test."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(longrepr).strip().splitlines()[-1:]
    if isinstance(message, list):
        message = message[0] if message else None
    failure_type = None
    if message:
        head = message.split(":", 1)[0].strip()
        if head.replace(".", "").replace("_", "").isalnum() and " " not in head:
            failure_type = head
    return message, failure_type, str(longrepr)[:_MAX_TEXT]


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


class Recorder:
    """Every attempt of every test of one session (CONTRACTS C1), ready to be rendered."""

    def __init__(self) -> None:
        # Dicts keep insertion order: a test's place is the arrival of its first attempt.
        self._tests: dict[tuple[str, str], Case] = {}
        self._by_nodeid: dict[str, list[Case]] = {}
        self._collectors: dict[str, Case] = {}
        self._session: Case | None = None

    @property
    def has_collection_error(self) -> bool:
        """Whether a collector failed (its error already explains a broken session)."""
        return any(c.attempts[-1].outcome == "error" for c in self._collectors.values())

    def add_test_report(self, report: pytest.TestReport, suite: str = SUITE) -> None:
        """Fold one phase (setup, call, teardown) of one attempt into its testcase."""
        case = self._tests.get((suite, report.nodeid))
        if case is None:
            case = self._tests[(suite, report.nodeid)] = _new_case(report)
            self._by_nodeid.setdefault(report.nodeid, []).append(case)
        if report.when == "setup" or not case.attempts:
            case.attempts.append(Attempt(finished=False))
        attempt = case.attempts[-1]
        attempt.duration += report.duration
        # Teardown ends an attempt; so does xdist's report of a worker that crashed (when="???")
        # and a "rerun" report (older pytest-rerunfailures log no teardown before a rerun).
        ended = str(report.outcome) == "rerun"  # not in pytest's Literal; a plugin's outcome
        attempt.finished = ended or report.when not in ("setup", "call")
        quarantined = dict(report.user_properties).get(QUARANTINED_PROPERTY)
        if quarantined is not None:
            case.quarantined = str(quarantined)
        phase = _phase_outcome(report, quarantined=quarantined is not None)
        if phase in ("failed", "rerun"):
            if attempt.outcome not in _FAILING:
                attempt.outcome = "failed" if report.when == "call" else "error"
                attempt.message, attempt.type, attempt.text = failure_details(report)
        elif phase in ("skipped", "xfailed", "xpassed") and attempt.outcome == "passed":
            attempt.outcome = phase
            if phase == "skipped":
                attempt.type, attempt.message = "pytest.skip", _skip_reason(report)
            elif phase == "xfailed":
                reason = str(getattr(report, "wasxfail", ""))
                attempt.type, attempt.message = "pytest.xfail", reason.removeprefix("reason: ")

    def add_collect_report(self, report: pytest.CollectReport) -> None:
        """Record a collector that failed or skipped (a module-level skip); once per collector."""
        if report.passed or report.nodeid in self._collectors:
            return  # xdist's workers each collect; the first report of a collector is kept
        classname, name = pytest_names(report.nodeid)
        case = Case(classname, name, report.nodeid.partition("::")[0])
        if report.failed:
            text = str(report.longrepr)[:_MAX_TEXT]
            case.attempts.append(Attempt("error", message="collection failure", text=text))
        else:
            reason = _skip_reason(report)
            case.attempts.append(Attempt("skipped", message="collection skipped", text=reason))
        self._collectors[report.nodeid] = case

    def add_session_error(self, reason: str) -> None:
        """Record that the session itself ended in error (interrupted, internal, usage error)."""
        attempt = Attempt("error", message="session error", text=reason[:_MAX_TEXT])
        self._session = Case("", SESSION_CASE, "", attempts=[attempt])

    def drop_unfinished(self) -> None:
        """Forget attempts the session's end cut short (no teardown): their outcome is unknown,
        a test interrupted after its setup passed is not a pass."""
        for key, case in list(self._tests.items()):
            case.attempts = [a for a in case.attempts if a.finished]
            if not case.attempts:
                del self._tests[key]
                self._by_nodeid[key[1]].remove(case)

    def outcomes(self, nodeid: str) -> list[str]:
        """Every attempt's outcome of one test, in order (over every process that ran it)."""
        return [a.outcome for case in self._by_nodeid.get(nodeid, ()) for a in case.attempts]

    def suites(self) -> dict[str, list[Case]]:
        """Testcases per suite: ``pytest``, or ``pytest:gw0``, ``pytest:gw1``... under xdist.

        Collectors and the session are not any worker's: they lead (collectors) and close (the
        session) the first suite. A session that recorded nothing still has its empty ``pytest``
        suite, as pytest's own junitxml writes it.
        """
        grouped: dict[str, list[Case]] = {}
        for (suite, _), case in self._tests.items():
            grouped.setdefault(suite, []).append(case)
        suites = {name: grouped[name] for name in sorted(grouped, key=_suite_order)}
        session = [self._session] if self._session is not None else []
        first = next(iter(suites), SUITE)
        suites[first] = [*self._collectors.values(), *suites.get(first, []), *session]
        return suites


def _new_case(report: pytest.TestReport) -> Case:
    classname, name = pytest_names(report.nodeid)
    path = report.nodeid.partition("::")[0]
    defined_in, line, _ = report.location
    # An inherited test's location is in the file defining it; the testcase names the file that
    # collected it (the node id's), and a line of another file would point at the wrong code.
    same_file = defined_in.replace("\\", "/") == path
    return Case(classname, name, path, line if same_file else None)


def _phase_outcome(report: pytest.TestReport, *, quarantined: bool) -> str:
    if quarantined:  # the plugin turned a quarantined failure into an xfail for the terminal
        return "failed"
    if hasattr(report, "wasxfail"):
        if report.outcome == "skipped":
            return "xfailed"
        if report.outcome == "passed" and report.when == "call":
            return "xpassed"
    return str(report.outcome)
