"""The broker's use cases: publish, select for verification, record verifications, branches,
environments, deployments and releases, the matrix and can-i-deploy. Surfaces stay thin."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import Connection

from readiness._common.clock import Clock
from readiness.config import NotifySettings
from readiness.contracts.pact import core
from readiness.contracts.pact.coverage import Coverage, endpoints_of, webhooks_of
from readiness.contracts.pact.coverage import coverage as pact_coverage
from readiness.contracts.pact.evidence import Evidence, provider_evidence
from readiness.contracts.pact.matrix import MatrixSelector
from readiness.contracts.pact.matrix import matrix as pact_matrix
from readiness.contracts.pact.model import Decision, Pact, Selected, Selector, Snapshot
from readiness.contracts.pact.store import PactStore
from readiness.errors import ConflictError, InputError, NotFoundError
from readiness.notify.core import absolute_link
from readiness.notify.model import (
    PACT_CONTENT_CHANGED,
    PACT_PUBLISHED,
    PACT_VERIFICATION_FAILED,
    PACT_VERIFICATION_PUBLISHED,
    PACT_VERIFICATION_SUCCEEDED,
)
from readiness.notify.service import new_event, queue
from readiness.storage.engine import Stores

MAX_NAME = 200
MAX_INTERFACE_BYTES = 1 << 20  # a stored OpenAPI document, as JSON
MAX_MESSAGE_TYPES = 1000


@dataclass(frozen=True, slots=True)
class Published:
    consumer: str
    provider: str
    version: str
    sha: str
    created: bool  # False: the same content was already published for this version


@dataclass(frozen=True, slots=True)
class StoredInterface:
    """A provider's recorded interface: its OpenAPI document and message types."""

    provider: str
    openapi: Any
    messages: list[str]
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "openapi": self.openapi,
            "messages": self.messages,
            "updated_at": self.updated_at.isoformat(),
        }


def _no_interface(provider: str) -> str:
    return (
        f"no OpenAPI interface is stored for provider {provider!r}; record one with "
        f"`readiness contracts coverage --provider {provider} --openapi FILE --record`"
    )


class PactService:
    """The broker of one project. Publications and verification results queue the project's
    webhooks (``pact.*`` events, docs/notifications.md) in their own transaction."""

    def __init__(
        self, stores: Stores, clock: Clock, project: str, *, notify: NotifySettings | None = None
    ) -> None:
        self.engine = stores.state
        self.clock = clock
        self.project = project
        self.notify = notify or NotifySettings()
        self.store = PactStore(stores.state, project)

    def _announce(self, conn: Connection, types: list[str], data: dict[str, Any]) -> None:
        consumer, provider, version = data["consumer"], data["provider"], data["consumer_version"]
        path = "/pact/pacts/provider/{}/consumer/{}/version/{}".format(
            *(quote(x, safe="") for x in (provider, consumer, version))
        )
        data["pact_url"] = absolute_link(path, self.notify.public_url)
        for kind in types:
            event = new_event(kind, project=self.project, clock=self.clock, data=dict(data))
            queue(conn, event, settings=self.notify)

    def snapshot(self) -> Snapshot:
        with self.engine.connect() as conn:
            return self.store.snapshot(conn)

    def publish(
        self,
        consumer: str,
        provider: str,
        version: str,
        content: dict[str, Any],
        *,
        branch: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> Published:
        """Store a pact for ``consumer`` at ``version``; the same content again is a no-op and a
        different one is a :class:`ConflictError` whose details carry the diff."""
        for label, value in (("consumer", consumer), ("provider", provider), ("version", version)):
            if not value:
                raise InputError(f"a pact needs a {label} name")
        sha = core.content_sha(content)
        now = self.clock.now()
        with self.engine.begin() as conn:
            vid = self.store.version(conn, consumer, version, now)
            self.store.pacticipant(conn, provider, now)
            if branch:
                self.store.add_branch(conn, vid, branch)
            for tag in tags:
                self.store.add_tag(conn, vid, tag)
            existing = self.store.pact_sha(conn, vid, provider)
            announced = {
                "consumer": consumer,
                "provider": provider,
                "consumer_version": version,
                "branch": branch,
                "sha": sha,
            }
            if existing == sha:  # the Ruby broker announces a republication too
                self._announce(conn, [PACT_PUBLISHED], announced)
                return Published(consumer, provider, version, sha, False)
            if existing is not None:
                old = self.store.content(conn, existing) or {}
                diff = core.diff_json(old, content)
                raise ConflictError(
                    f"a different pact between {consumer} and {provider} is already published "
                    f"for {consumer} version {version}; publish the change as a new version",
                    details={"diff": diff[:50]},
                )
            changed = self.store.latest_sha(conn, consumer, provider) != sha
            self.store.put_pact(conn, vid, provider=provider, sha=sha, content=content, now=now)
            self._announce(
                conn, [PACT_PUBLISHED] + ([PACT_CONTENT_CHANGED] if changed else []), announced
            )
        return Published(consumer, provider, version, sha, True)

    def pact(self, provider: str, consumer: str, version: str) -> tuple[Pact, dict[str, Any]]:
        snap = self.snapshot()
        for p in snap.pacts:
            if (p.provider, p.consumer, p.consumer_version) == (provider, consumer, version):
                with self.engine.connect() as conn:
                    return p, self.store.content(conn, p.sha) or {}
        raise NotFoundError(
            f"no pact between {consumer} version {version} and {provider}",
            details={"consumer": consumer, "provider": provider, "version": version},
        )

    def pact_by_sha(self, provider: str, consumer: str, sha: str) -> tuple[Pact, dict[str, Any]]:
        snap = self.snapshot()
        found = [
            p for p in snap.pacts if (p.provider, p.consumer, p.sha) == (provider, consumer, sha)
        ]
        if not found:
            raise NotFoundError(f"no pact between {consumer} and {provider} with sha {sha}")
        with self.engine.connect() as conn:
            return max(found, key=lambda p: p.seq), self.store.content(conn, sha) or {}

    def for_verification(
        self,
        provider: str,
        selectors: list[Selector],
        *,
        provider_branch: str | None = None,
        include_pending: bool = False,
        wip_since: datetime | None = None,
        rule: core.PendingRule = "main",
    ) -> list[Selected]:
        return core.pacts_for_verification(
            self.snapshot(),
            provider,
            selectors,
            provider_branch=provider_branch,
            include_pending=include_pending,
            wip_since=wip_since,
            rule=rule,
        )

    def verify(self, pact: Pact, provider_version: str, success: bool, body: dict[str, Any]) -> int:
        now = self.clock.now()
        with self.engine.begin() as conn:
            pvid = self.store.version(conn, pact.provider, provider_version, now)
            found = self.store.add_verification(
                conn, pact, pvid, success=success, body=body, now=now
            )
            outcome = PACT_VERIFICATION_SUCCEEDED if success else PACT_VERIFICATION_FAILED
            self._announce(
                conn,
                [PACT_VERIFICATION_PUBLISHED, outcome],
                {
                    "consumer": pact.consumer,
                    "provider": pact.provider,
                    "consumer_version": pact.consumer_version,
                    "provider_version": provider_version,
                    "sha": pact.sha,
                    "verification": {"id": found, "success": success},
                },
            )
            return found

    def evidence(self, provider: str, provider_version: str) -> list[Evidence]:
        """What ``provider_version`` verified of the pacts it had to (``contracts.verified``)."""
        # The whole snapshot: selecting consumers' main branches reads their versions too.
        return provider_evidence(self.snapshot(), provider, provider_version)

    def coverage(self, provider: str, openapi_doc: Any, messages: Sequence[str] = ()) -> Coverage:
        """Which of ``provider``'s endpoints (its OpenAPI document) and message types (``messages``
        and the document's ``webhooks``) no consumer's newest pact exercises."""
        endpoints = endpoints_of(openapi_doc)
        kinds = [*messages, *webhooks_of(openapi_doc)]
        newest: dict[str, Pact] = {}
        for p in self.snapshot().pacts:
            if p.provider == provider and (
                p.consumer not in newest or p.seq > newest[p.consumer].seq
            ):
                newest[p.consumer] = p
        with self.engine.connect() as conn:
            contents = {c: self.store.content(conn, p.sha) or {} for c, p in newest.items()}
        return pact_coverage(provider, endpoints, kinds, contents)

    def record_interface(
        self, provider: str, openapi_doc: Any, messages: Sequence[str] = ()
    ) -> Coverage:
        """Store ``provider``'s OpenAPI document and message types (replacing what was stored),
        so the dashboard shows its coverage; answers the coverage as :meth:`coverage` does."""
        if not provider or len(provider) > MAX_NAME:
            raise InputError(f"a provider name is 1 to {MAX_NAME} characters")
        endpoints_of(openapi_doc)  # refuse what is not an OpenAPI document before storing it
        if len(json.dumps(openapi_doc)) > MAX_INTERFACE_BYTES:
            raise InputError(
                f"the OpenAPI document is larger than {MAX_INTERFACE_BYTES} bytes as JSON"
            )
        if len(messages) > MAX_MESSAGE_TYPES or not all(
            isinstance(m, str) and 0 < len(m) <= MAX_NAME for m in messages
        ):
            raise InputError(
                f"message types are at most {MAX_MESSAGE_TYPES} names of 1 to {MAX_NAME} characters"
            )
        kinds = list(dict.fromkeys(messages))
        now = self.clock.now()
        with self.engine.begin() as conn:
            self.store.put_interface(conn, provider, openapi_doc, kinds, now)
        return self.coverage(provider, openapi_doc, kinds)

    def interface(self, provider: str) -> StoredInterface:
        """``provider``'s stored OpenAPI document and message types (:class:`NotFoundError`
        when none is stored)."""
        with self.engine.connect() as conn:
            found = self.store.interface(conn, provider)
        if found is None:
            raise NotFoundError(_no_interface(provider))
        return StoredInterface(provider, *found)

    def delete_interface(self, provider: str) -> None:
        """Forget ``provider``'s stored interface (:class:`NotFoundError` when none is stored):
        the dashboard stops showing its coverage."""
        with self.engine.begin() as conn:
            if not self.store.delete_interface(conn, provider):
                raise NotFoundError(_no_interface(provider))

    def stored_coverage(self) -> list[tuple[Coverage, datetime]]:
        """The coverage of every provider with a stored interface, by provider name, with when
        its interface was recorded."""
        with self.engine.connect() as conn:
            stored = self.store.interfaces(conn)
        return [(self.coverage(p, doc, kinds), at) for p, doc, kinds, at in stored]

    def matrix(self, selectors: list[MatrixSelector], latestby: str | None = None) -> Decision:
        """The ``/matrix`` between the selected versions (see :mod:`.matrix`)."""
        return pact_matrix(self.snapshot(), selectors, latestby)

    def branch_version(self, pacticipant: str, branch: str, version: str) -> None:
        now = self.clock.now()
        with self.engine.begin() as conn:
            vid = self.store.version(conn, pacticipant, version, now)
            self.store.add_branch(conn, vid, branch)

    def tag_version(self, pacticipant: str, version: str, tag: str) -> None:
        now = self.clock.now()
        with self.engine.begin() as conn:
            self.store.add_tag(conn, self.store.version(conn, pacticipant, version, now), tag)

    def set_main_branch(self, pacticipant: str, branch: str) -> None:
        with self.engine.begin() as conn:
            self.store.set_main_branch(conn, pacticipant, branch, self.clock.now())

    def create_environment(self, name: str, *, production: bool = False) -> str:
        with self.engine.begin() as conn:
            if self.store.environment(conn, name) is not None:
                raise ConflictError(f"environment {name!r} exists already")
            return self.store.add_environment(conn, name, production, self.clock.now())

    def environments(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return self.store.environments(conn)

    def _known(self, conn: Any, pacticipant: str, version: str, environment: str) -> int:
        if self.store.environment(conn, environment) is None:
            raise NotFoundError(
                f"no environment {environment!r}; create it first "
                f"(`readiness contracts create-environment {environment}`)"
            )
        vid = self.store.version_id(conn, pacticipant, version)
        if vid is None:
            raise NotFoundError(f"no version {version} of {pacticipant} is known to the broker")
        return vid

    def record(
        self,
        pacticipant: str,
        version: str,
        environment: str,
        *,
        kind: str = "deployment",
        target: str | None = None,
    ) -> str:
        """Record a deployment (``kind="deployment"``) or a release (``"release"``)."""
        with self.engine.begin() as conn:
            vid = self._known(conn, pacticipant, version, environment)
            return self.store.record(
                conn, vid, environment=environment, kind=kind, target=target, now=self.clock.now()
            )

    def undo(self, pacticipant: str, version: str, environment: str, *, kind: str) -> int:
        """Undo a deployment (no longer deployed) or a release (support ended)."""
        with self.engine.begin() as conn:
            vid = self._known(conn, pacticipant, version, environment)
            return self.store.end(conn, vid, environment, kind, self.clock.now())

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> Decision:
        with self.engine.connect() as conn:
            if self.store.environment(conn, environment) is None:
                return Decision(False, f"no environment {environment!r} is known to the broker")
            snap = self.store.snapshot(conn, about=pacticipant)
        return core.can_i_deploy(snap, pacticipant, version, environment)

    def can_deploy_together(self, versions: list[tuple[str, str]], environment: str) -> Decision:
        """Whether these versions can go to ``environment`` at once (none: the environment as it
        is now is consistent)."""
        with self.engine.connect() as conn:
            if self.store.environment(conn, environment) is None:
                return Decision(False, f"no environment {environment!r} is known to the broker")
            snap = self.store.snapshot(conn)
        return core.can_deploy_together(snap, versions, environment)

    def latest_on_branch(self, pacticipant: str, branch: str) -> str | None:
        found = [
            v
            for v in self.snapshot().versions
            if v.pacticipant == pacticipant and branch in v.branches
        ]
        return max(found, key=lambda v: v.seq).number if found else None
