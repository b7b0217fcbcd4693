"""A run's totals, counted while its rows stream to the database (no query over what was written).

A test's final outcome is its highest attempt's, and among rows of the same attempt the latest;
what the run row stores (tests, failed, skipped) is the tally of those final outcomes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import compress


@dataclass
class Totals:
    """Rows, reruns and summed durations of one run."""

    results: int = 0
    reruns: int = 0
    duration_s: float = 0.0


@dataclass
class SparseFinalOutcomes:
    """The final outcomes of only the tests that had a failed, skipped or rerun row.

    Every other test's final outcome is a pass, so the per-test state stays small; the caller
    counts the distinct tests.
    """

    _last: dict[str, int] = field(default_factory=dict)  # attempt-0 rows, from a first special row
    _higher: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(
        self, keys: list[str], outcomes: list[int], attempts: list[int], special: list[int]
    ) -> None:
        """One batch: ``special`` lists the positions whose outcome or attempt is not zero."""
        last = self._last
        tracked = last.keys() & set(keys) if last else set()
        tracked.update(map(keys.__getitem__, special))
        if not tracked:
            return
        higher = self._higher
        for i in compress(range(len(keys)), map(tracked.__contains__, keys)):
            key, attempt = keys[i], attempts[i]
            if not attempt:
                last[key] = outcomes[i]
                continue
            seen = higher.get(key)
            if seen is None or attempt >= seen[0]:
                higher[key] = (attempt, outcomes[i])
        # A later attempt-0 row of a test with reruns never decides its final outcome.

    def counts(self, tests: int) -> tuple[int, int, int]:
        """(tests, tests whose final attempt failed, tests whose final attempt was skipped)."""
        final = dict(self._last)
        final.update((t, outcome) for t, (_a, outcome) in self._higher.items())
        counted = Counter(final.values())
        return tests, counted[1] + counted[2], counted[3]
