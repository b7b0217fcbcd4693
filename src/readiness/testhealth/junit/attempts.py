"""Attempt numbers by arrival: the n-th execution of a test id anywhere in a report is attempt n-1.

Runners write repeated executions of one test in many shapes: adjacent copies
(pytest-rerunfailures), children of one testcase (Surefire ``flakyFailure``/``rerunFailure``),
the whole list again (``go test -count``), the failed tests again at the end of the package
(gotestsum ``--rerun-fails``), copies interleaved with other workers' tests (pytest-xdist with
reruns), or the same test in several suites. Numbering per test id over the whole report, in the
order executions arrive, covers all of them and never gives two rows of a test the same attempt.

Memory: one reference per distinct test id (the id strings are the rows' own, which the ingest
keeps anyway) and a counter only for the ids seen more than once. The fast reader may take back a
region it read (a hand-over to the exact reader); it journals what a region recorded so that
:meth:`AttemptCounter.rollback` restores the counter exactly.
"""

from __future__ import annotations

from collections.abc import Sequence


class AttemptCounter:
    """The next attempt number of every test id seen so far in one report."""

    __slots__ = ("_added", "_bumped", "_journal", "_more", "_seen")

    def __init__(self) -> None:
        self._seen: set[str] = set()  # ids with at least one execution
        self._more: dict[str, int] = {}  # next attempt of the ids seen more than once
        self._journal = False
        self._added: list[str] = []
        self._bumped: list[tuple[str, int | None]] = []

    def next_attempt(self, test_id: str) -> int:
        """The attempt number the next execution of ``test_id`` gets."""
        more = self._more.get(test_id)
        if more is not None:
            return more
        return 1 if test_id in self._seen else 0

    def record(self, test_id: str, first: int, count: int) -> None:
        """``count`` executions of ``test_id`` numbered from ``first`` (its ``next_attempt``)."""
        if first == 0:
            self._seen.add(test_id)
            if self._journal:
                self._added.append(test_id)
        after = first + count
        if after > 1:
            if self._journal:
                self._bumped.append((test_id, self._more.get(test_id)))
            self._more[test_id] = after

    def repeated(self, ids: Sequence[str]) -> list[int]:
        """The indices of ``ids`` that are not a test's first execution (seen before, or
        earlier in ``ids``), in order; ``[]`` in the common case, at C speed."""
        fresh = set(ids)
        seen = self._seen
        if len(fresh) == len(ids) and seen.isdisjoint(fresh):
            return []
        out: list[int] = []
        local: set[str] = set()
        for i, test_id in enumerate(ids):
            if test_id in seen or test_id in local:
                out.append(i)
            else:
                local.add(test_id)
        return out

    def record_first(self, ids: Sequence[str]) -> None:
        """One execution each of ``ids``, all first executions of distinct tests."""
        self._seen.update(ids)
        if self._journal:
            self._added.extend(ids)

    def begin(self) -> None:
        """Start journaling (a region of the fast reader); forgets the previous journal."""
        self._journal = True
        self._added.clear()
        self._bumped.clear()

    def rollback(self) -> None:
        """Undo everything recorded since :meth:`begin`, and stop journaling."""
        for test_id, before in reversed(self._bumped):
            if before is None:
                del self._more[test_id]
            else:
                self._more[test_id] = before
        self._seen.difference_update(self._added)
        self.end()

    def end(self) -> None:
        """Stop journaling (the exact reader never takes anything back)."""
        self._journal = False
        self._added.clear()
        self._bumped.clear()
