"""Moments typed on a command line: a date, a datetime, or a number of days from now. Pure.

Every option that takes a moment reads it here, so they all accept the same spellings:
``--expires 2026-04-30``, ``--expires 2026-04-30T12:00:00+02:00`` and ``--expires 90d``
(90 days from now); ``--timestamp`` takes the first two. A moment without a zone is UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from readiness.errors import InputError

MAX_DAYS = 36_500
"""The most days ``Nd`` may count (a hundred years): beyond it is a typo, not a plan."""

_DAYS = re.compile(r"(\d+)d")


def parse_moment(value: str, *, option: str) -> datetime:
    """An ISO date (midnight UTC) or datetime (UTC when it names no zone) given to ``option``.

    >>> parse_moment("2026-04-30", option="--timestamp").isoformat()
    '2026-04-30T00:00:00+00:00'
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time(0))
        except ValueError as exc:
            raise InputError(
                f"{option} {value}: expected an ISO date or datetime, e.g. 2026-04-30"
            ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_expiry(value: str, *, now: datetime, option: str = "--expires") -> datetime:
    """When something given to ``option`` expires: ``90d`` from ``now``, or a date or datetime.

    >>> now = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    >>> parse_expiry("90d", now=now).isoformat()
    '2026-05-30T09:30:00+00:00'
    """
    days = _DAYS.fullmatch(value.strip())
    if days is None:
        try:
            return parse_moment(value, option=option)
        except InputError:
            raise InputError(
                f"{option} {value}: expected a date such as 2026-04-30 or a number of days "
                "such as 90d"
            ) from None
    count = int(days.group(1))
    if not 1 <= count <= MAX_DAYS:
        raise InputError(f"{option} {value}: the number of days must be from 1 to {MAX_DAYS}")
    return now + timedelta(days=count)
