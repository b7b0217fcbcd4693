"""The flaky-tests and runs tables: their columns, sorts and filters (pure).

Both pages and the API build their lists here, so a filter means the same everywhere:

- ``status``: empty, the tests needing attention (flaky, broken, quarantined, fixed); ``all``,
  every test; or one status.
- ``owner``: the test's owner, the owner of its quarantine entry or else the first CODEOWNERS
  owner of its file; matched whole, case-insensitively, with or without a leading ``@``.
- ``branch``: the tests that failed at least once in a run of that branch (within ``since``
  when one is given) — "what is failing on my branch".
- ``since``: ``7d``, ``30d``, ``90d`` (any ``Nd``), ``all`` or a date ``YYYY-MM-DD``: the
  tests last seen (their newest run) at or after it.
- ``q``: text the test id contains, case-insensitively.

The list is sorted by impact (what each test cost CI, highest first) unless asked otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from readiness._common.clock import EARLIEST_YEAR, LATEST_YEAR
from readiness.testhealth.detection.impact import TestImpact
from readiness.testhealth.model import TestHealth, TestStatus
from readiness.testhealth.store.runs import RunRow
from readiness.web.tables import Column, TableQueryError, TableSpec, TableView

# The flaky page's status filter: empty (the tests needing attention), all, or one status;
# anything else is a 422 naming these values. A test checks it matches TestStatus.
StatusFilter = Literal["", "all", "healthy", "flaky", "broken", "quarantined", "fixed"]
ATTENTION = (TestStatus.BROKEN, TestStatus.FLAKY, TestStatus.QUARANTINED, TestStatus.FIXED)
_RANK = {s: n for n, s in enumerate((*ATTENTION, TestStatus.HEALTHY))}
MAX_SINCE_DAYS = 36_500
_DAYS = re.compile(r"(\d{1,5})d")


@dataclass(frozen=True, slots=True)
class FlakyRow:
    """One test of the flaky list, with what its filters and columns need besides its health."""

    test: TestHealth
    owner: str | None = None
    impact: TestImpact | None = None  # None for a test that never failed in the window


def _impact(row: FlakyRow) -> float:
    return row.impact.score if row.impact is not None else 0.0


def _status_rank(row: FlakyRow) -> tuple[int, float]:
    """Worst first: broken, flaky, quarantined, fixed, healthy; then the highest failure rate."""
    return _RANK[row.test.status], -row.test.figures.failure_rate


def _failure_rate(row: FlakyRow) -> float:
    return row.test.figures.failure_rate


def _flake_rate(row: FlakyRow) -> float | None:
    return row.test.figures.flake_rate  # None (a broken test) sorts last either way


FLAKY: TableSpec[FlakyRow] = TableSpec(
    path="/tests/flaky",
    partial="/tests/flaky/table",
    target="flaky-table",
    columns=(
        Column("test", "Test", lambda r: r.test.test_id),
        Column("status", "Status", _status_rank),
        Column("impact", "Impact", _impact, first="desc"),
        Column("owner", "Owner", lambda r: r.owner.lower() if r.owner else None),
        Column("runs", "Runs", lambda r: r.test.figures.runs, numeric=True),
        Column("failures", "Failures", lambda r: r.test.figures.failures, numeric=True),
        Column("failure_rate", "Failure rate (95%)", _failure_rate, first="desc"),
        Column("streak", "Streak", lambda r: r.test.figures.streak, numeric=True),
        Column("flake_rate", "Flake rate (95%)", _flake_rate, first="desc"),
        Column("last_seen", "Last seen", lambda r: r.test.last_seen, first="desc"),
        Column("rules", "Rules"),
    ),
    default_sort="impact",
    default_direction="desc",
    filters=("q", "status", "owner", "branch", "since"),
    tiebreak="test",
)

RUNS: TableSpec[RunRow] = TableSpec(
    path="/tests/runs",
    partial="/tests/runs/table",
    target="runs-table",
    columns=(
        Column("started", "Started", sortable=True, numeric=True),
        Column("branch", "Branch"),
        Column("commit", "Commit"),
        Column("ci_run", "CI run"),
        Column("job", "Job"),
        Column("tests", "Tests", sortable=True, numeric=True),
        Column("failures", "Failed", sortable=True, numeric=True),
        Column("reruns", "Reruns", numeric=True),
        Column("duration", "Duration", sortable=True, numeric=True),
        Column("seed", "Seed"),
    ),
    default_sort="started",
    default_direction="desc",
    filters=("q", "branch"),
)


# The CLI's ``--sort`` words (``readiness tests flaky --sort``) as the table's column keys.
SORT_ALIASES = {"failure-rate": "failure_rate", "name": "test", "last-seen": "last_seen"}


def sort_key(sort: str | None) -> str | None:
    """``sort`` as a column key of :data:`FLAKY` (the CLI's words are accepted too)."""
    return SORT_ALIASES.get(sort, sort) if sort is not None else None


def parse_since(value: str, now: datetime) -> datetime | None:
    """The moment ``since`` names (None: no bound); TableQueryError (422) for anything else."""
    text = value.strip()
    if text in ("", "all"):
        return None
    days = _DAYS.fullmatch(text)
    if days is not None and 1 <= int(days.group(1)) <= MAX_SINCE_DAYS:
        return now - timedelta(days=int(days.group(1)))
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is not None and EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    raise TableQueryError(
        f"query parameter 'since': {text[:80]!r} is not a time range; give 7d, 30d, 90d, "
        f"any number of days up to {MAX_SINCE_DAYS} as Nd, all, or a date YYYY-MM-DD",
        details={"field": "since", "location": "query"},
    )


def _owner_key(owner: str) -> str:
    return owner.strip().lower().removeprefix("@")


def select_flaky(
    tests: Iterable[TestHealth],
    view: TableView[FlakyRow],
    *,
    owners: Mapping[str, str | None],
    failed_on_branch: set[str] | None,
    since: datetime | None,
) -> list[FlakyRow]:
    """The rows the view's filters keep, in no particular order (``sort_rows`` orders them).

    ``failed_on_branch`` is the set of tests that failed on the view's branch (None: no
    branch filter); ``since`` the moment its time range starts.
    """
    q = view.filter("q").strip().lower()
    status = view.filter("status")
    owner = _owner_key(view.filter("owner"))
    out = []
    for t in tests:
        if status == "" and t.status not in ATTENTION:
            continue
        if status not in ("", "all") and t.status.value != status:
            continue
        if q and q not in t.test_id.lower():
            continue
        if failed_on_branch is not None and t.test_id not in failed_on_branch:
            continue
        if since is not None and (t.last_seen is None or t.last_seen < since):
            continue
        row = FlakyRow(t, owners.get(t.test_id))
        if owner and (row.owner is None or _owner_key(row.owner) != owner):
            continue
        out.append(row)
    return out
