"""The broker's records, as the pure core sees them (one project's snapshot)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Version:
    """A pacticipant's version; ``seq`` orders versions by creation (latest = highest)."""

    pacticipant: str
    number: str
    seq: int
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pact:
    """A pact published by ``consumer`` at ``consumer_version`` for ``provider``."""

    consumer: str
    provider: str
    consumer_version: str
    sha: str
    seq: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Verification:
    """A verification result of a pact content (``sha``) by one provider version."""

    consumer: str
    provider: str
    sha: str
    provider_version: str
    success: bool
    seq: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Deployment:
    """A version currently deployed (``kind="deployment"``) or released and supported."""

    pacticipant: str
    version: str
    environment: str
    kind: str  # "deployment" | "release"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the decisions read, for one project."""

    main_branches: dict[str, str | None]
    versions: tuple[Version, ...]
    pacts: tuple[Pact, ...]
    verifications: tuple[Verification, ...]
    deployments: tuple[Deployment, ...]

    def version(self, pacticipant: str, number: str) -> Version | None:
        for v in self.versions:
            if v.pacticipant == pacticipant and v.number == number:
                return v
        return None


@dataclass(frozen=True, slots=True)
class Selector:
    """A consumer version selector as clients send it (camelCase fields in JSON)."""

    main_branch: bool = False
    branch: str | None = None
    matching_branch: bool = False
    fallback_branch: str | None = None
    deployed_or_released: bool = False
    deployed: bool = False
    released: bool = False
    environment: str | None = None
    consumer: str | None = None
    latest: bool | None = None
    tag: str | None = None  # legacy: versions with this tag (``fallbackTag`` when none)
    fallback_tag: str | None = None
    required: bool = False  # ours: refuse when the selector matches nothing

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Selector:
        def text(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) and value else None

        latest = raw.get("latest")
        return cls(
            main_branch=raw.get("mainBranch") is True,
            branch=text("branch"),
            matching_branch=raw.get("matchingBranch") is True,
            fallback_branch=text("fallbackBranch"),
            deployed_or_released=raw.get("deployedOrReleased") is True,
            deployed=raw.get("deployed") is True,
            released=raw.get("released") is True,
            environment=text("environment"),
            consumer=text("consumer"),
            latest=latest if isinstance(latest, bool) else None,
            tag=text("tag"),
            fallback_tag=text("fallbackTag"),
            required=raw.get("required") is True,
        )


@dataclass(frozen=True, slots=True)
class Selected:
    """A pact chosen for verification, with why, and its pending/WIP status."""

    pact: Pact
    reasons: tuple[str, ...]
    pending: bool
    wip: bool = False
    notices: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MatrixRow:
    consumer: str
    consumer_version: str
    provider: str
    provider_version: str | None
    pact: Pact | None
    verification: Verification | None


@dataclass(frozen=True, slots=True)
class Decision:
    deployable: bool
    reason: str
    rows: tuple[MatrixRow, ...] = ()
    notices: tuple[dict[str, str], ...] = field(default_factory=tuple)
