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
from itertools import compress, islice
from operator import eq


class AttemptCounter:
    """The next attempt number of every test id seen so far in one report."""

    __slots__ = ("_added", "_arrived", "_bumped", "_journal", "_more", "_seen")

    def __init__(self) -> None:
        self._seen: set[str] = set()  # ids with at least one execution
        self._more: dict[str, int] = {}  # next attempt of the ids seen more than once
        self._journal = False
        self._added: list[str] = []
        self._bumped: list[tuple[str, int | None]] = []
        self._arrived: Sequence[str] = ()  # the ids the last arrive() added

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

    def arrive(self, ids: Sequence[str]) -> list[int]:
        """Record that the executions ``ids`` arrived, in order; return the indices that are not
        a test's first execution (seen before, or earlier in ``ids``).

        Every id counts as seen afterwards; a caller that has one of the first executions
        numbered by :meth:`next_attempt` and :meth:`record` calls :meth:`unsee` on it first.
        The usual cases cost two C-level set operations: no repeat, or only adjacent copies
        (pytest-rerunfailures)."""
        seen = self._seen
        n = len(ids)
        if seen.isdisjoint(ids):
            size = len(seen)
            seen.update(ids)
            self._arrived = ids
            if self._journal:
                self._added.extend(ids)
            distinct = len(seen) - size
            if distinct == n:
                return []
            adjacent = list(compress(range(1, n), map(eq, islice(ids, 1, None), ids)))
            return adjacent if distinct + len(adjacent) == n else _repeats(ids, set())
        repeats = _repeats(ids, seen.intersection(ids))
        again = set(repeats)
        new = [test_id for i, test_id in enumerate(ids) if i not in again]
        seen.update(new)
        self._arrived = new
        if self._journal:
            self._added.extend(new)
        return repeats

    def unsee(self, test_id: str) -> None:
        """Take back the arrival of a first execution that :meth:`record` numbers instead."""
        self._seen.discard(test_id)

    def undo_arrival(self) -> None:
        """Take back the last :meth:`arrive` (its region is read another way)."""
        self._seen.difference_update(self._arrived)
        self._arrived = ()

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


def _repeats(ids: Sequence[str], earlier: set[str]) -> list[int]:
    """The indices of ``ids`` in ``earlier`` or equal to an id before them."""
    out: list[int] = []
    local = set(earlier)
    for i, test_id in enumerate(ids):
        if test_id in local:
            out.append(i)
        else:
            local.add(test_id)
    return out
