"""What governance says of a candidate schema (pure): the mode's verdict, the consumers it
touches, meaning changes and early removals, and whether the changelog covers them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readiness.contracts.schemas.core.compat import Incompatibility
from readiness.contracts.schemas.governance import policy


@dataclass(frozen=True)
class Evaluation:
    """What registering a candidate would do: the mode's verdict, the consumers it touches,
    the meaning changes and early removals, and whether the changelog covers them."""

    subject: str
    new_subject: bool
    mode: str
    incompatibilities: list[Incompatibility]  # the subject's mode
    breaking: list[Incompatibility]  # old readers (FORWARD, latest) cannot read new data
    consumers: list[policy.ConsumerImpact]
    meaning: list[policy.MeaningChange]
    removals: list[policy.RemovalProblem]
    changelog_required: bool
    changelog_missing: list[str]  # affected consumers the changelog does not name
    has_changelog: bool
    meaning_consumers: tuple[str, ...] = ()  # consumers reading a field whose meaning changed
    governed: bool = False  # registration refuses what refusals() lists

    @property
    def affected(self) -> list[str]:
        names = {c.consumer for c in self.consumers if c.broken}
        return sorted(names | set(self.meaning_consumers))

    @property
    def compatible(self) -> bool:
        return not self.incompatibilities

    def refusals(self) -> list[str]:
        """Why governance refuses the registration (empty: it may go in)."""
        out = [r.message() for r in self.removals]
        if self.changelog_required and not self.has_changelog:
            who = ", ".join(self.affected) or "no registered consumer"
            out.append(
                f"a breaking or meaning change needs a changelog entry naming the affected "
                f"consumers ({who}); pass --changelog FILE or 'changelog' in the request"
            )
        elif self.changelog_required and self.changelog_missing:
            out.append(
                "the changelog does not name the affected consumers: "
                + ", ".join(self.changelog_missing)
            )
        return out

    def problems(self) -> list[str]:
        """Why the schema may not go in: the mode's incompatibilities, then the refusals."""
        return [i.message() for i in self.incompatibilities] + self.refusals()

    def messages(self) -> list[str]:
        items = [i.message() for i in self.incompatibilities]
        items += [
            f"consumer {c.consumer}: {m}" for c in self.consumers if c.broken for m in c.messages()
        ]
        items += [m.message() for m in self.meaning]
        return items + (self.refusals() if self.governed else [])

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "new_subject": self.new_subject,
            "compatible": self.compatible,
            "mode": self.mode,
            "messages": self.messages(),
            "incompatibilities": [i.as_dict() for i in self.incompatibilities],
            "breaking": [i.as_dict() for i in self.breaking],
            "consumers": [c.as_dict() for c in self.consumers],
            "affected_consumers": self.affected,
            "meaning_changes": [m.as_dict() for m in self.meaning],
            "removals": [r.message() for r in self.removals],
            "changelog_required": self.changelog_required,
            "changelog_missing": self.changelog_missing,
            "refusals": self.refusals(),
        }
