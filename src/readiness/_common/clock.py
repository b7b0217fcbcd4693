"""An injectable clock: core code receives one, never calls ``datetime.now()`` itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until told to move; for tests and reproducible demos."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError(f"FrozenClock needs an aware datetime (got naive {at.isoformat()})")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._at = self._at + delta

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (aware)."""
        if at.tzinfo is None:
            raise ValueError(f"FrozenClock.set needs an aware datetime (got {at.isoformat()})")
        self._at = at.astimezone(UTC)


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as aware UTC; naive values (as SQLite returns them) are taken as UTC."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


# The dates Readiness stores: every database holds them, and so do the windows computed around
# them (a date near year 1 or 9999 would make "30 days earlier" overflow in PostgreSQL or Python).
EARLIEST_YEAR = 1970
LATEST_YEAR = 8999


def storable_date_problem(dt: datetime) -> str | None:
    """Why ``dt`` (aware or naive) is not a date Readiness stores, or None when it is."""
    if EARLIEST_YEAR <= dt.year <= LATEST_YEAR:
        return None
    return f"a date from {EARLIEST_YEAR} to {LATEST_YEAR} is expected (got year {dt.year})"
