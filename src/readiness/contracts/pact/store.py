"""The broker's rows (state database): writes in one transaction each, and the snapshot the
pure core decides on. Every query is scoped to one project."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness.contracts.pact import tables as t
from readiness.contracts.pact.model import Deployment, Pact, Snapshot, Verification, Version

MAIN_CANDIDATES = ("main", "master", "develop")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class PactStore:
    def __init__(self, engine: Engine, project: str) -> None:
        self.engine = engine
        self.project = project

    # -- writes --------------------------------------------------------------------------
    def pacticipant(self, conn: Connection, name: str, now: datetime) -> None:
        found = conn.execute(
            sa.select(t.pacticipants.c.id).where(
                t.pacticipants.c.project == self.project, t.pacticipants.c.name == name
            )
        ).first()
        if found is None:
            conn.execute(
                t.pacticipants.insert().values(project=self.project, name=name, created_at=now)
            )

    def set_main_branch(self, conn: Connection, name: str, branch: str, now: datetime) -> None:
        self.pacticipant(conn, name, now)
        conn.execute(
            t.pacticipants.update()
            .where(t.pacticipants.c.project == self.project, t.pacticipants.c.name == name)
            .values(main_branch=branch)
        )

    def version_id(self, conn: Connection, pacticipant: str, number: str) -> int | None:
        return conn.execute(
            sa.select(t.versions.c.id).where(
                t.versions.c.project == self.project,
                t.versions.c.pacticipant == pacticipant,
                t.versions.c.number == number,
            )
        ).scalar()

    def version(self, conn: Connection, pacticipant: str, number: str, now: datetime) -> int:
        """The id of the version, created (with its pacticipant) when new."""
        self.pacticipant(conn, pacticipant, now)
        found = self.version_id(conn, pacticipant, number)
        if found is not None:
            return found
        return int(
            conn.execute(
                t.versions.insert().values(
                    project=self.project, pacticipant=pacticipant, number=number, created_at=now
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )

    def add_branch(self, conn: Connection, version_id: int, branch: str) -> None:
        """Put the version on ``branch``; a pacticipant without a main branch gets the first of
        ``main``, ``master`` or ``develop`` it uses (as the Pact broker's auto-detection)."""
        if branch in MAIN_CANDIDATES:
            owner = sa.select(t.versions.c.pacticipant).where(t.versions.c.id == version_id)
            conn.execute(
                t.pacticipants.update()
                .where(
                    t.pacticipants.c.project == self.project,
                    t.pacticipants.c.name == owner.scalar_subquery(),
                    t.pacticipants.c.main_branch.is_(None),
                )
                .values(main_branch=branch)
            )
        exists = conn.execute(
            sa.select(t.branches.c.id).where(
                t.branches.c.version_id == version_id, t.branches.c.branch == branch
            )
        ).first()
        if exists is None:
            conn.execute(
                t.branches.insert().values(
                    project=self.project, version_id=version_id, branch=branch
                )
            )

    def add_tag(self, conn: Connection, version_id: int, tag: str) -> None:
        exists = conn.execute(
            sa.select(t.tags.c.id).where(t.tags.c.version_id == version_id, t.tags.c.name == tag)
        ).first()
        if exists is None:
            conn.execute(
                t.tags.insert().values(project=self.project, version_id=version_id, name=tag)
            )

    def content(self, conn: Connection, sha: str) -> dict[str, Any] | None:
        raw = conn.execute(
            sa.select(t.contents.c.content).where(
                t.contents.c.project == self.project, t.contents.c.sha == sha
            )
        ).scalar()
        return None if raw is None else dict(json.loads(raw))

    def latest_sha(self, conn: Connection, consumer: str, provider: str) -> str | None:
        """The content of the newest pact ``consumer`` published for ``provider``."""
        v, pc = t.versions, t.pacts
        return conn.execute(
            sa.select(pc.c.sha)
            .join(v, v.c.id == pc.c.consumer_version_id)
            .where(pc.c.project == self.project, pc.c.provider == provider)
            .where(v.c.pacticipant == consumer)
            .order_by(pc.c.id.desc())
            .limit(1)
        ).scalar()

    def pact_sha(self, conn: Connection, version_id: int, provider: str) -> str | None:
        return conn.execute(
            sa.select(t.pacts.c.sha).where(
                t.pacts.c.consumer_version_id == version_id, t.pacts.c.provider == provider
            )
        ).scalar()

    def put_pact(
        self,
        conn: Connection,
        version_id: int,
        *,
        provider: str,
        sha: str,
        content: dict[str, Any],
        now: datetime,
    ) -> None:
        if self.content(conn, sha) is None:
            conn.execute(
                t.contents.insert().values(
                    project=self.project, sha=sha, content=json.dumps(content, sort_keys=True)
                )
            )
        conn.execute(
            t.pacts.insert().values(
                project=self.project,
                consumer_version_id=version_id,
                provider=provider,
                sha=sha,
                created_at=now,
            )
        )

    def add_verification(
        self,
        conn: Connection,
        pact: Pact,
        provider_version_id: int,
        *,
        success: bool,
        body: dict[str, Any],
        now: datetime,
    ) -> int:
        return int(
            conn.execute(
                t.verifications.insert().values(
                    project=self.project,
                    consumer=pact.consumer,
                    provider=pact.provider,
                    sha=pact.sha,
                    provider_version_id=provider_version_id,
                    success=success,
                    body=json.dumps(body, sort_keys=True),
                    created_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )

    def environment(self, conn: Connection, name: str) -> dict[str, Any] | None:
        row = (
            conn.execute(
                sa.select(t.environments).where(
                    t.environments.c.project == self.project, t.environments.c.name == name
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    def environments(self, conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(
            sa.select(t.environments)
            .where(t.environments.c.project == self.project)
            .order_by(t.environments.c.name)
        ).mappings()
        return [dict(r) for r in rows]

    def add_environment(self, conn: Connection, name: str, production: bool, now: datetime) -> str:
        ident = str(uuid.uuid4())
        conn.execute(
            t.environments.insert().values(
                project=self.project, uuid=ident, name=name, production=production, created_at=now
            )
        )
        return ident

    def record(
        self,
        conn: Connection,
        version_id: int,
        *,
        environment: str,
        kind: str,
        target: str | None,
        now: datetime,
    ) -> str:
        """Record a deployment (ending the previous one of the same target) or a release."""
        if kind == "deployment":
            same = sa.select(t.versions.c.id).where(
                t.versions.c.pacticipant
                == sa.select(t.versions.c.pacticipant)
                .where(t.versions.c.id == version_id)
                .scalar_subquery()
            )
            conn.execute(
                t.deployments.update()
                .where(
                    t.deployments.c.project == self.project,
                    t.deployments.c.environment == environment,
                    t.deployments.c.kind == "deployment",
                    t.deployments.c.ended_at.is_(None),
                    t.deployments.c.version_id.in_(same),
                    (t.deployments.c.target == target)
                    if target
                    else t.deployments.c.target.is_(None),
                )
                .values(ended_at=now)
            )
        ident = str(uuid.uuid4())
        conn.execute(
            t.deployments.insert().values(
                project=self.project,
                uuid=ident,
                version_id=version_id,
                environment=environment,
                kind=kind,
                target=target,
                created_at=now,
            )
        )
        return ident

    def end(
        self, conn: Connection, version_id: int, environment: str, kind: str, now: datetime
    ) -> int:
        """Undo: mark the version no longer deployed (or its release no longer supported)."""
        result = conn.execute(
            t.deployments.update()
            .where(
                t.deployments.c.project == self.project,
                t.deployments.c.version_id == version_id,
                t.deployments.c.environment == environment,
                t.deployments.c.kind == kind,
                t.deployments.c.ended_at.is_(None),
            )
            .values(ended_at=now)
        )
        return int(result.rowcount)

    def put_interface(
        self, conn: Connection, provider: str, openapi: Any, messages: list[str], now: datetime
    ) -> None:
        """Store (replace) ``provider``'s OpenAPI document and declared message types."""
        pi = t.provider_interfaces
        own = (pi.c.project == self.project, pi.c.provider == provider)
        conn.execute(pi.delete().where(*own))
        conn.execute(
            pi.insert().values(
                project=self.project,
                provider=provider,
                openapi=json.dumps(openapi),  # keeps the document order of paths
                messages=json.dumps(messages),
                updated_at=now,
            )
        )

    def interface(self, conn: Connection, provider: str) -> tuple[Any, list[str], datetime] | None:
        """``provider``'s stored ``(openapi, messages, updated_at)``, None when none is."""
        pi = t.provider_interfaces
        row = conn.execute(
            sa.select(pi.c.openapi, pi.c.messages, pi.c.updated_at).where(
                pi.c.project == self.project, pi.c.provider == provider
            )
        ).first()
        if row is None:
            return None
        return json.loads(row.openapi), json.loads(row.messages), _aware(row.updated_at)

    def delete_interface(self, conn: Connection, provider: str) -> bool:
        """Forget ``provider``'s stored interface; whether one was stored."""
        pi = t.provider_interfaces
        done = conn.execute(
            pi.delete().where(pi.c.project == self.project, pi.c.provider == provider)
        )
        return bool(done.rowcount)

    def interfaces(self, conn: Connection) -> list[tuple[str, Any, list[str], datetime]]:
        """The stored provider interfaces: ``(provider, openapi, messages, updated_at)``."""
        pi = t.provider_interfaces
        rows = conn.execute(
            sa.select(pi.c.provider, pi.c.openapi, pi.c.messages, pi.c.updated_at)
            .where(pi.c.project == self.project)
            .order_by(pi.c.provider)
        )
        return [
            (r.provider, json.loads(r.openapi), json.loads(r.messages), _aware(r.updated_at))
            for r in rows
        ]

    # -- the snapshot --------------------------------------------------------------------
    def snapshot(self, conn: Connection, about: str | None = None) -> Snapshot:
        """The project's records; with ``about`` only what a decision on that pacticipant reads
        (its versions, the pacts it is consumer or provider of, their verifications, every
        current deployment) - what keeps can-i-deploy fast on a large broker."""
        p = self.project
        v, pc, vf, dp = t.versions, t.pacts, t.verifications, t.deployments
        mains = {
            r.name: r.main_branch
            for r in conn.execute(sa.select(t.pacticipants).where(t.pacticipants.c.project == p))
        }
        own = [v.c.project == p] + ([v.c.pacticipant == about] if about else [])
        vrows = list(conn.execute(sa.select(v.c.id, v.c.pacticipant, v.c.number).where(*own)))
        brs: dict[int, list[str]] = {}
        tgs: dict[int, list[str]] = {}
        for table, into, col in ((t.branches, brs, "branch"), (t.tags, tgs, "name")):
            query = sa.select(table.c.version_id, table.c[col]).join(
                v, v.c.id == table.c.version_id
            )
            for r in conn.execute(query.where(*own)):
                into.setdefault(r[0], []).append(r[1])
        versions = tuple(
            Version(
                r.pacticipant,
                r.number,
                r.id,
                tuple(sorted(brs.get(r.id, []))),
                tuple(sorted(tgs.get(r.id, []))),
            )
            for r in vrows
        )
        pact_query = (
            sa.select(
                v.c.pacticipant, pc.c.provider, v.c.number, pc.c.sha, pc.c.id, pc.c.created_at
            )
            .join(v, v.c.id == pc.c.consumer_version_id)
            .where(pc.c.project == p)
        )
        wheres = (
            [v.c.pacticipant == about, pc.c.provider == about] if about else [sa.true()]
        )  # two indexed queries, not one OR across the join
        found = {r[4]: r for where in wheres for r in conn.execute(pact_query.where(where))}
        pacts = tuple(
            Pact(r[0], r[1], r[2], r[3], r[4], _aware(r[5])) for _, r in sorted(found.items())
        )
        ver_query = (
            sa.select(
                vf.c.consumer,
                vf.c.provider,
                vf.c.sha,
                v.c.number,
                vf.c.success,
                vf.c.id,
                vf.c.created_at,
            )
            .join(v, v.c.id == vf.c.provider_version_id)
            .where(vf.c.project == p)
        )
        wheres = [vf.c.provider == about, vf.c.consumer == about] if about else [sa.true()]
        seen = {r[5]: r for where in wheres for r in conn.execute(ver_query.where(where))}
        verifications = tuple(
            Verification(r[0], r[1], r[2], r[3], bool(r[4]), r[5], _aware(r[6]))
            for _, r in sorted(seen.items())
        )
        dep_query = (
            sa.select(v.c.pacticipant, v.c.number, dp.c.environment, dp.c.kind)
            .join(v, v.c.id == dp.c.version_id)
            .where(dp.c.project == p, dp.c.ended_at.is_(None))
        )
        deployments = tuple(Deployment(r[0], r[1], r[2], r[3]) for r in conn.execute(dep_query))
        return Snapshot(mains, versions, pacts, verifications, deployments)
