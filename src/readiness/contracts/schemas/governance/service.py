"""The registry's governance use cases (handbook 21.5, Q9, Q22): consumers and their reader
schemas, field-level impact, meaning changes, the changelog a breaking or meaning change needs,
deprecation before removal and diffs; processed-version telemetry and field-presence monitoring
come from :class:`~.telemetry.Telemetry`.

It wraps :class:`~readiness.contracts.schemas.service.SchemaRegistry` (reads and the plain
registration) and adds its own tables (:mod:`..store.governance`). Consumer registrations and
governed registrations write audit events in their transaction. A governed registration is
evaluated and registered in one transaction that holds the subject
(:meth:`SchemaRegistry.locked`), so two registrations racing for the same subject are judged
one after the other, each against the version before it.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from readiness.audit.outbox.service import record
from readiness.contracts.schemas.core import formats
from readiness.contracts.schemas.core.compat import check_against
from readiness.contracts.schemas.core.diff import changelog as diff_changelog
from readiness.contracts.schemas.core.fields import fields_of
from readiness.contracts.schemas.governance import policy
from readiness.contracts.schemas.governance.base import MAX_NAME
from readiness.contracts.schemas.governance.evaluation import Evaluation
from readiness.contracts.schemas.governance.telemetry import Telemetry
from readiness.contracts.schemas.service import check_subject
from readiness.contracts.schemas.store import governance as governance_store
from readiness.contracts.schemas.store.registry import Reference, Version
from readiness.errors import (
    GovernanceRefusedError,
    InputError,
    SchemaNotFoundError,
    SubjectNotFoundError,
)


class SchemaGovernance(Telemetry):
    """Governance over one project's registry: consumers, evaluation, governed registration
    and diffs (telemetry from :class:`Telemetry`)."""

    # ------------------------------------------------------------------ consumers

    def register_consumer(
        self,
        subject: str,
        name: str,
        *,
        fields: list[str] | None = None,
        reader_schema: str | None = None,
        schema_type: str | None = None,
        strict: bool = True,
    ) -> policy.Consumer:
        """Register (or replace) ``name`` as a consumer of ``subject``."""
        if not name or len(name) > MAX_NAME or not name.strip() == name:
            raise InputError(f"a consumer name is 1 to {MAX_NAME} characters (got {name!r})")
        if not subject or len(subject) > 255:
            raise InputError("a subject name is 1 to 255 characters")
        paths = [str(f) for f in fields or []]
        if any(not p or len(p) > 500 for p in paths):
            raise InputError("each field path is 1 to 500 characters, e.g. order.amount")
        kind = self._kind_of(subject, schema_type)
        document = formats.parse(reader_schema, kind) if reader_schema is not None else None
        self.registry._ensure_project()
        with self.registry.stores.state.begin() as conn:
            governance_store.upsert_consumer(
                conn,
                self._project,
                subject,
                name=name,
                strict=strict,
                fields=paths,
                reader_schema=reader_schema,
                at=self.registry.clock.now(),
                by=self.registry.actor,
            )
            record(
                conn,
                clock=self.registry.clock,
                actor=self.registry.actor,
                action="schemas.consumer.registered",
                target_type="schema_subject",
                target_id=subject,
                details={
                    "project": self._project,
                    "consumer": name,
                    "strict": strict,
                    "fields": sorted(set(paths)),
                    "reader_schema": document is not None,
                },
            )
        return policy.Consumer(name, tuple(sorted(set(paths))), document, strict)

    def consumers(self, subject: str) -> list[policy.Consumer]:
        with self.registry.stores.state.connect() as conn:
            return self._consumers_in(conn, subject)

    def _consumers_in(self, conn: Connection, subject: str) -> list[policy.Consumer]:
        rows = governance_store.consumers(conn, self._project, subject)
        return [
            policy.Consumer(
                r.name,
                tuple(r.fields),
                json.loads(r.reader_schema) if r.reader_schema is not None else None,
                r.strict,
            )
            for r in rows
        ]

    def consumers_reading(self, subject: str, path: str) -> list[str]:
        """ "Which registered consumers read ``amount``?" """
        return policy.consumers_reading(self.consumers(subject), path, self._kind_of(subject, None))

    # ------------------------------------------------------------------ evaluation

    def evaluate(
        self,
        subject: str,
        text: str,
        schema_type: str | None = None,
        changelog: str | None = None,
        references: list[Reference] | None = None,
    ) -> Evaluation:
        """Everything governance says of registering ``text`` under ``subject`` now."""
        with self.registry.stores.state.connect() as conn:
            return self._evaluate(conn, subject, text, schema_type, changelog, references)

    def _evaluate(  # noqa: PLR0917 - evaluate()'s arguments and the connection
        self,
        conn: Connection,
        subject: str,
        text: str,
        schema_type: str | None,
        changelog: str | None,
        references: list[Reference] | None,
    ) -> Evaluation:
        """:meth:`evaluate`, reading on ``conn``."""
        kind = formats.schema_type(schema_type) if schema_type else self._kind_in(conn, subject)
        document = formats.parse(text, kind)
        checker = formats.checker(kind)
        consumers = self._consumers_in(conn, subject)
        try:
            existing = self.registry.versions_in(conn, subject)
        except SubjectNotFoundError:
            existing = []
        mode = self.registry.compatibility_in(conn, subject)
        same = [v for v in existing if v.schema.schema_type == kind]
        olds = [json.loads(v.schema.text) for v in same]
        incompatible = (
            self.registry.test_in(conn, subject, text, kind, references).incompatibilities
            if existing
            else []
        )
        breaking = check_against(checker, "FORWARD", document, olds[-1:]) if olds else []
        impacts = policy.impact(consumers, breaking + incompatible, document, kind, checker)
        meaning = policy.meaning_changes(olds[-1], document, kind) if olds else []
        meaning_consumers = sorted(
            {n for m in meaning for n in policy.consumers_reading(consumers, m.path, kind)}
        )
        removals = self._removals(conn, subject, same, olds, document, kind)
        required = bool(
            breaking or incompatible or meaning or any(c.broken for c in impacts) or removals
        )
        affected = sorted({c.consumer for c in impacts if c.broken} | set(meaning_consumers))
        has = bool(changelog and changelog.strip())
        return Evaluation(
            subject,
            not existing,
            mode,
            incompatible,
            breaking,
            impacts,
            meaning,
            removals,
            required,
            policy.changelog_missing(changelog, affected) if has else affected,
            has,
            tuple(meaning_consumers),
            self.settings.governance,
        )

    def _removals(  # noqa: PLR0917 - the evaluation's parts, passed on
        self,
        conn: Connection,
        subject: str,
        same: list[Version],
        olds: list[Any],
        document: Any,
        kind: str,
    ) -> list[policy.RemovalProblem]:
        if not olds:
            return []
        removed = policy.removed_fields(fields_of(olds[-1], kind), fields_of(document, kind))
        if not removed:
            return []
        window = self.settings.usage_window_days
        dates = governance_store.version_dates(conn, self._project, subject)
        rows = governance_store.usage(
            conn, self._project, subject, self._today() - timedelta(days=window - 1)
        )
        processed: dict[int, dict[str, int]] = {}
        for row in rows:
            processed.setdefault(row.version, {})[row.consumer] = row.count
        history = policy.History(
            [
                (v.version, _date(dates[v.version]), fields_of(old, kind))
                for v, old in zip(same, olds, strict=True)
            ],
            processed,
        )
        rule = policy.RemovalPolicy(self.settings.deprecation_days, window)
        return policy.removal_problems(removed, history, self._today(), rule)

    # ------------------------------------------------------------------ registration

    def registered_version(self, subject: str, text: str, schema_type: str | None) -> int | None:
        """The subject's version holding exactly this schema, if any."""
        try:
            return self.registry.lookup(subject, text, schema_type).version
        except (SubjectNotFoundError, SchemaNotFoundError):
            return None

    def register(
        self,
        subject: str,
        text: str,
        schema_type: str | None = None,
        changelog: str | None = None,
        references: list[Reference] | None = None,
    ) -> Version:
        """Register ``text`` (with its ``references``); with governance on, a breaking or
        meaning change without a changelog naming its consumers, or an early removal, is refused
        (:class:`GovernanceRefusedError`, 409). A given changelog is stored with the version.
        Evaluation, registration and changelog are one transaction holding the subject."""
        check_subject(subject)
        with self.registry.locked(subject) as conn:
            if self.settings.governance:
                evaluation = self._evaluate(conn, subject, text, schema_type, changelog, references)
                reasons = evaluation.refusals()
                if reasons and not evaluation.new_subject:
                    raise GovernanceRefusedError(
                        f"registration of {subject!r} refused by schema governance: "
                        + "; ".join(reasons),
                        details={
                            "reasons": reasons,
                            "affected_consumers": evaluation.affected,
                            "messages": evaluation.messages(),
                        },
                    )
            version = self.registry.register_locked(conn, subject, text, schema_type, references)
            logged = governance_store.changelogs(conn, self._project, subject)
            if changelog and changelog.strip() and version.version not in logged:
                governance_store.insert_changelog(
                    conn,
                    self._project,
                    subject,
                    version=version.version,
                    text=changelog,
                    at=self.registry.clock.now(),
                )
        return version

    def changelogs(self, subject: str) -> dict[int, str]:
        with self.registry.stores.state.connect() as conn:
            return governance_store.changelogs(conn, self._project, subject)

    # ------------------------------------------------------------------ diff

    def diff(self, subject: str, old: str | int, new: str | int = "latest") -> dict[str, Any]:
        """The human-readable changelog between two versions, with meaning changes, the
        consumers each change touches, and the changelog registered with the newer version."""
        a, b = self.registry.version(subject, old), self.registry.version(subject, new)
        if a.schema.schema_type != b.schema.schema_type:
            raise InputError(f"versions {a.version} and {b.version} have different schema types")
        kind = a.schema.schema_type
        found = self.diff_documents(
            subject, json.loads(a.schema.text), json.loads(b.schema.text), kind
        )
        logged = self.changelogs(subject).get(b.version)
        return found | {"old": a.version, "new": b.version, "changelog": logged}

    def diff_documents(self, subject: str, old: Any, new: Any, kind: str) -> dict[str, Any]:
        checker = formats.checker(kind)
        log = diff_changelog(old, new, checker)
        meaning = policy.meaning_changes(old, new, kind)
        consumers = self.consumers(subject)
        impacts = policy.impact(consumers, log.forward, new, kind, checker)
        lines = log.lines() + [f"! {m.message()}" for m in meaning]
        lines += [
            f"! consumer {c.consumer} affected: {m}"
            for c in impacts
            if c.broken
            for m in c.messages()
        ]
        return {
            "subject": subject,
            **log.as_dict(),
            "lines": lines,
            "meaning_changes": [m.as_dict() for m in meaning],
            "consumers": [c.as_dict() for c in impacts],
        }


def _date(value: datetime) -> date:
    return value.date()
