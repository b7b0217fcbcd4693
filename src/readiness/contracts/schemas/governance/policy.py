"""Governance rules beyond structure (pure): consumers and their reader schemas with the
direction-aware enum policy, field-level consumer impact, meaning changes, the changelog a
breaking or meaning change needs, and deprecation before removal (handbook 21.5, Q9, Q22).

Nothing here reads a clock or a database: the service passes today's date, the consumers, the
versions' dates and the usage counts in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from readiness.contracts.schemas.core.compat import Checker, Incompatibility
from readiness.contracts.schemas.core.fields import FieldInfo, field_path, fields_of, related

# What a tolerant reader maps to a default instead of rejecting: an unknown enum value.
ENUM_KINDS = frozenset({"enum_values_not_accepted", "enum_symbols_missing", "enum_added"})


@dataclass(frozen=True)
class Consumer:
    """A registered consumer of a subject: the fields it reads (declared, plus those its reader
    schema implies) and whether it validates strictly (rejects unknown enum values)."""

    name: str
    fields: tuple[str, ...] = ()
    reader_schema: Any = None
    strict: bool = True

    def reads(self, kind: str) -> set[str]:
        found = set(self.fields)
        if self.reader_schema is not None:
            found |= set(fields_of(self.reader_schema, kind))
        return found


@dataclass(frozen=True)
class ConsumerImpact:
    """What a writer schema does to one consumer: the incompatibilities that touch it."""

    consumer: str
    incompatibilities: list[Incompatibility]

    @property
    def broken(self) -> bool:
        return bool(self.incompatibilities)

    def messages(self) -> list[str]:
        return [i.message() for i in self.incompatibilities]

    def as_dict(self) -> dict[str, Any]:
        return {"consumer": self.consumer, "broken": self.broken, "messages": self.messages()}


def reader_incompatibilities(
    consumer: Consumer, writer: Any, checker: Checker
) -> list[Incompatibility]:
    """Can ``consumer``'s reader schema read ``writer``'s data? A tolerant consumer accepts an
    unknown enum value (it maps it to a default); a strict one does not."""
    if consumer.reader_schema is None:
        return []
    found = checker(consumer.reader_schema, writer)
    if not consumer.strict:
        found = [i for i in found if i.kind not in ENUM_KINDS]
    return [_labelled(i, consumer.name) for i in found]


def _labelled(item: Incompatibility, consumer: str) -> Incompatibility:
    return Incompatibility(
        item.path,
        item.kind,
        item.reader,
        item.writer,
        f"{item.why}; the reader schema of consumer {consumer!r} cannot read it",
        "READER",
    )


def consumers_reading(consumers: Iterable[Consumer], path: str, kind: str) -> list[str]:
    """The consumers that read ``path`` (or a field inside it, or the object holding it)."""
    return sorted(c.name for c in consumers if any(related(path, f) for f in c.reads(kind)))


def impact(
    consumers: Sequence[Consumer],
    incompatibilities: Sequence[Incompatibility],
    writer: Any,
    kind: str,
    checker: Checker,
) -> list[ConsumerImpact]:
    """Each consumer with what breaks it: a consumer with a reader schema is checked against
    ``writer`` with that schema (it says exactly what it reads); one without (or when
    ``writer`` is None) gets the ``incompatibilities`` that touch a field it declares."""
    out: list[ConsumerImpact] = []
    for consumer in sorted(consumers, key=lambda c: c.name):
        if consumer.reader_schema is not None and writer is not None:
            out.append(
                ConsumerImpact(consumer.name, reader_incompatibilities(consumer, writer, checker))
            )
            continue
        reads = consumer.reads(kind)
        hits = [
            i
            for i in incompatibilities
            if (consumer.strict or i.kind not in ENUM_KINDS)
            and any(related(field_path(i.path, kind), f) for f in reads)
        ]
        out.append(ConsumerImpact(consumer.name, hits))
    return out


# ------------------------------------------------------------------ meaning changes


@dataclass(frozen=True)
class MeaningChange:
    """A field whose declared meaning (``x-meaning``, ``x-unit``, Avro ``doc`` or a custom
    property) changed between two versions: structurally compatible, semantically not (Q22)."""

    path: str
    old: dict[str, Any]
    new: dict[str, Any]

    def message(self) -> str:
        both = set(self.old) | set(self.new)
        keys = sorted(k for k in both if self.old.get(k) != self.new.get(k))
        shown = ", ".join(f"{k}: {self.old.get(k)!r} -> {self.new.get(k)!r}" for k in keys)
        return f"meaning changed at {self.path}: {shown}"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "message": self.message()}


def meaning_changes(old: Any, new: Any, kind: str) -> list[MeaningChange]:
    """The fields present in both versions whose meaning annotations differ (an annotation
    added where there was none is a declaration, not a change)."""
    before, after = fields_of(old, kind), fields_of(new, kind)
    out = []
    for path in sorted(set(before) & set(after)):
        a, b = before[path].meaning, after[path].meaning
        if a and a != b:
            out.append(MeaningChange(path, a, b))
    return out


# ------------------------------------------------------------------ changelog


def changelog_missing(changelog: str | None, consumers: Iterable[str]) -> list[str]:
    """The affected consumers the changelog does not name (every one of them without a
    changelog). Names match as whole words, case-insensitively."""
    names = sorted(set(consumers))
    if not changelog or not changelog.strip():
        return names
    return [
        n
        for n in names
        if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", changelog, re.IGNORECASE)
    ]


# ------------------------------------------------------------------ deprecation before removal


@dataclass(frozen=True)
class RemovalProblem:
    """Why a removed field may not go yet."""

    path: str
    reason: str

    def message(self) -> str:
        return f"field {self.path} removed too early: {self.reason}"


@dataclass(frozen=True)
class RemovalPolicy:
    cycle_days: int = 90
    window_days: int = 30


@dataclass(frozen=True)
class History:
    """What the deprecation rule needs to know of the subject's past: each version's fields
    and registration date (oldest first), and the versions consumers processed in the window
    (version -> consumer -> count)."""

    versions: Sequence[tuple[int, date, Mapping[str, FieldInfo]]]
    processed: Mapping[int, Mapping[str, int]] = field(default_factory=dict)


def removed_fields(old: Mapping[str, FieldInfo], new: Mapping[str, FieldInfo]) -> list[str]:
    """Fields of ``old`` that ``new`` lacks (children of a removed field not repeated)."""
    gone = sorted(set(old) - set(new))
    return [p for p in gone if not any(p != q and related(p, q) and len(q) < len(p) for q in gone)]


def removal_problems(
    removed: Sequence[str], history: History, today: date, policy: RemovalPolicy
) -> list[RemovalProblem]:
    """Each removed field must have been deprecated for ``cycle_days`` (since the declared
    ``x-deprecated-since`` date, else since the first version marking it) and no consumer may
    have processed a version holding it within ``window_days``."""
    out: list[RemovalProblem] = []
    for path in removed:
        since = _deprecated_since(path, history)
        if since is None:
            out.append(RemovalProblem(path, "it was never marked deprecated (deprecated: true)"))
            continue
        age = (today - since).days
        if age < policy.cycle_days:
            out.append(
                RemovalProblem(
                    path,
                    f"deprecated since {since.isoformat()} ({age} days), "
                    f"the cycle is {policy.cycle_days} days",
                )
            )
            continue
        users: dict[str, int] = {}
        for number, _day, fields in history.versions:
            if path in fields:
                for name, count in history.processed.get(number, {}).items():
                    if count > 0:
                        users[name] = users.get(name, 0) + count
        if users:
            who = ", ".join(f"{n} ({c})" for n, c in sorted(users.items()))
            out.append(
                RemovalProblem(
                    path,
                    f"consumers processed versions holding it in the last "
                    f"{policy.window_days} days: {who}",
                )
            )
    return out


def _deprecated_since(path: str, history: History) -> date | None:
    for _number, day, fields in history.versions:
        info = fields.get(path)
        if info is not None and info.deprecated:
            if info.deprecated_since:
                try:
                    return date.fromisoformat(info.deprecated_since[:10])
                except ValueError:
                    return day
            return day
    return None
