"""Governance telemetry (handbook 21.7, Q11): the schema versions consumers report they processed,
usage per version over a window, and field presence from sample events, both as daily
aggregates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from readiness.contracts.schemas.governance import presence
from readiness.contracts.schemas.governance.base import MAX_NAME, GovernedRegistry
from readiness.contracts.schemas.store import governance as governance_store
from readiness.errors import InputError


class Telemetry(GovernedRegistry):
    """Processed-version reports and field presence of one project's subjects."""

    def report_processed(
        self,
        subject: str,
        consumer: str,
        *,
        version: int | None = None,
        schema_id: int | None = None,
        count: int = 1,
        at: datetime | None = None,
    ) -> int:
        """Add ``count`` events of ``subject``'s version (or schema id) processed by
        ``consumer`` on ``at``'s day (default today); returns the version number."""
        if not consumer or len(consumer) > MAX_NAME:
            raise InputError(f"a consumer name is 1 to {MAX_NAME} characters")
        if count < 1 or count > 10**12:
            raise InputError(f"count must be 1 to 10^12 (got {count})")
        if (version is None) == (schema_id is None):
            raise InputError("give exactly one of 'version' and 'id'")
        if version is not None:
            number = self.registry.version(subject, version).version
        else:
            held = [v for v in self.registry.versions(subject) if v.schema.id == schema_id]
            if not held:
                raise InputError(f"schema id {schema_id} is not a version of {subject!r}")
            number = held[0].version
        day = (at or self.registry.clock.now()).date()
        with self.registry.stores.state.begin() as conn:
            governance_store.add_processed(
                conn, self._project, subject, consumer=consumer, version=number, day=day, n=count
            )
        return number

    def usage(self, subject: str, days: int | None = None) -> dict[str, Any]:
        """Per version: which consumers processed it in the last ``days`` (default the usage
        window) and how many events; versions nobody processed are listed as unused."""
        window = days or self.settings.usage_window_days
        if window < 1:
            raise InputError(f"days must be at least 1 (got {window})")
        numbers = [v.version for v in self.registry.versions(subject)]
        since = self._today() - timedelta(days=window - 1)
        with self.registry.stores.state.connect() as conn:
            rows = governance_store.usage(conn, self._project, subject, since)
        versions = []
        for number in numbers:
            mine = [r for r in rows if r.version == number]
            versions.append(
                {
                    "version": number,
                    "events": sum(r.count for r in mine),
                    "consumers": [
                        {"consumer": r.consumer, "events": r.count, "last": r.last_day.isoformat()}
                        for r in mine
                    ],
                }
            )
        return {
            "subject": subject,
            "days": window,
            "since": since.isoformat(),
            "versions": versions,
            "unused": [v["version"] for v in versions if not v["events"]],
        }

    # ------------------------------------------------------------------ field presence

    def add_samples(self, subject: str, text: str, at: datetime | None = None) -> dict[str, Any]:
        """Count a batch of sample events (JSON lines) into ``at``'s day (default today)."""
        if not subject or len(subject) > 255:
            raise InputError("a subject name is 1 to 255 characters")
        events = presence.parse_samples(text)
        total, present = presence.count(events)
        day = (at or self.registry.clock.now()).date()
        if total:
            with self.registry.stores.state.begin() as conn:
                governance_store.add_samples(
                    conn, self._project, subject, day=day, events=total, present=dict(present)
                )
        return {"subject": subject, "day": day.isoformat(), "events": total, "fields": len(present)}

    def presence_report(self, subject: str, day: date | None = None) -> dict[str, Any]:
        """Presence per field on ``day`` (default today) and the day before, and the fields
        that dropped from ``presence_high`` % to ``presence_low`` % or less."""
        today = day or self._today()
        yesterday = today - timedelta(days=1)
        with self.registry.stores.state.connect() as conn:
            before = governance_store.presence(conn, self._project, subject, yesterday)
            after = governance_store.presence(conn, self._project, subject, today)
        found = presence.drops(
            before, after, high=self.settings.presence_high, low=self.settings.presence_low
        )
        paths = sorted(set(before[1]) | set(after[1]))
        return {
            "subject": subject,
            "day": today.isoformat(),
            "events": {"before": before[0], "after": after[0]},
            "fields": [
                {
                    "path": p,
                    "before": presence.percent(before[1].get(p, 0), before[0]),
                    "after": presence.percent(after[1].get(p, 0), after[0]),
                }
                for p in paths
            ],
            "drops": [d.as_dict() for d in found],
        }
