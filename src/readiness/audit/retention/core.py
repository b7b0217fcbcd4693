"""Pure rules of retention tiers: ages, months, framework policies, leaf ranges.

No database, no clock, no files. A *month* is a calendar month of the events' ``occurred_at`` in
UTC; an archive moves whole months whose last instant is older than the cutoff. A *policy* is
the retention period of a compliance framework (SOC 2 and PCI DSS one year, HIPAA six, SOX
seven): nothing may be pruned before the longest configured period has passed since the end of
its month (an event of March 2019 under SOX may be pruned from 2026-04-01).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from readiness.errors import InputError

FRAMEWORK_YEARS = {"soc2": 1, "pci_dss": 1, "hipaa": 6, "sox": 7}
FRAMEWORK_NAMES = {"soc2": "SOC 2", "pci_dss": "PCI DSS", "hipaa": "HIPAA", "sox": "SOX"}
_AGE = re.compile(r"(\d{1,4})(mo|y)\Z")

Month = tuple[int, int]
Ranges = list[tuple[int, int]]


def parse_age(text: str) -> int:
    """``12mo`` or ``1y`` as a number of months (at least 1)."""
    found = _AGE.match(text.strip())
    months = 0 if found is None else int(found[1]) * (12 if found[2] == "y" else 1)
    if months < 1:
        raise InputError(
            f"older-than: {text[:20]!r} is not an age like 12mo or 1y (whole months or years)",
            details={"field": "older_than"},
        )
    return months


def add_months(year: int, month: int, count: int) -> Month:
    total = year * 12 + (month - 1) + count
    return total // 12, total % 12 + 1


def month_start(month: Month) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=UTC)


def month_end(month: Month) -> datetime:
    """The first instant after ``month``."""
    return month_start(add_months(*month, 1))


def cutoff(now: datetime, months: int) -> datetime:
    """Events before this instant are older than ``months`` (same day and time, months ago;
    the 31st of a shorter month falls back to its last day)."""
    now = now.astimezone(UTC)
    year, month = add_months(now.year, now.month, -months)
    day = min(now.day, _days_in(year, month))
    return now.replace(year=year, month=month, day=day)


def _days_in(year: int, month: int) -> int:
    return (month_start(add_months(year, month, 1)) - month_start((year, month))).days


def archivable(month: Month, before: datetime) -> bool:
    """Whether every instant of ``month`` lies before ``before`` (the month can move whole)."""
    return month_end(month) <= before


def month_label(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


@dataclass(frozen=True)
class Policy:
    """The configured frameworks; the longest period wins."""

    frameworks: tuple[str, ...]

    @classmethod
    def of(cls, names: Iterable[str]) -> Policy:
        chosen = tuple(dict.fromkeys(name.strip().lower() for name in names))
        unknown = [name for name in chosen if name not in FRAMEWORK_YEARS]
        if unknown:
            raise InputError(
                f"retention frameworks: {unknown[0][:30]!r} is not one of "
                f"{', '.join(FRAMEWORK_YEARS)}",
                details={"field": "frameworks"},
            )
        return cls(chosen)

    @property
    def governing(self) -> str | None:
        """The framework with the longest period (the first configured on a tie)."""
        if not self.frameworks:
            return None
        return max(self.frameworks, key=lambda name: FRAMEWORK_YEARS[name])

    @property
    def years(self) -> int:
        governing = self.governing
        return 0 if governing is None else FRAMEWORK_YEARS[governing]

    def expiry(self, month: Month) -> date:
        """The first day on which the events of ``month`` may be pruned."""
        end = month_end(month)
        return end.replace(year=end.year + self.years).date()

    def refusal(self, month: Month, on: date) -> str | None:
        """Why ``month`` may not be pruned on day ``on`` (None: it may)."""
        expiry = self.expiry(month)
        if on >= expiry:
            return None
        governing = self.governing
        assert governing is not None  # no framework: every month expired at its end
        return (
            f"{month_label(month)} is under {FRAMEWORK_NAMES[governing]} retention "
            f"({self.years}y) until {expiry.isoformat()}: pruning refused"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "frameworks": {FRAMEWORK_NAMES[n]: FRAMEWORK_YEARS[n] for n in self.frameworks},
            "governing": None if self.governing is None else FRAMEWORK_NAMES[self.governing],
            "years": self.years,
        }


def ranges_of(indices: Sequence[int]) -> Ranges:
    """Sorted distinct leaf indices as half-open ranges ``[start, end)``."""
    out: Ranges = []
    for index in indices:
        if out and out[-1][1] == index:
            out[-1] = (out[-1][0], index + 1)
        else:
            out.append((index, index + 1))
    return out


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Half-open ranges sorted and joined where they touch or overlap."""
    out: Ranges = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def leaves_digest(leaf_hashes: Iterable[bytes]) -> str:
    """SHA-256 (hex) over the leaf hashes of an archive file in index order: what the manifest
    pins, so a file whose rows were swapped for others is caught even before the tree is."""
    digest = hashlib.sha256()
    for value in leaf_hashes:
        digest.update(value)
    return digest.hexdigest()


def part_name(ranges: Ranges) -> str:
    """The file name of an archive part: its first and last leaf (deterministic, so a rerun
    after a crash writes the same file again)."""
    return f"part-{ranges[0][0]:012d}-{ranges[-1][1] - 1:012d}.parquet"
