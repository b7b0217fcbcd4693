"""One interface for the CLI, two implementations: the local embedded store or a shared server.

Both return JSON-ready dicts (the views of ``views.py``), so ``--format json`` output is the same
whether a command ran locally or against ``READINESS_URL``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from readiness._common.api_errors import error_from_response
from readiness._common.canonical import to_jsonable
from readiness._common.clock import Clock
from readiness._common.redact import mask_url
from readiness.config import Settings
from readiness.errors import ConfigError, NotFoundError, RemoteError
from readiness.testhealth.model import META_MAX_LENGTH, FixVerification, RunMeta

if TYPE_CHECKING:
    import httpx


class TestHealthClient(Protocol):
    """What the ``readiness tests`` commands need, local or remote."""

    def ingest(self, paths: Sequence[Path], meta: RunMeta) -> list[dict[str, Any]]: ...
    def flaky(
        self, *, include_healthy: bool = False, sort: str = "impact"
    ) -> list[dict[str, Any]]: ...
    def show(self, test_id: str) -> dict[str, Any]: ...
    def report(self) -> dict[str, Any]: ...
    def known(self) -> list[str]: ...
    def failing_orders(self, test_id: str, *, limit: int = 5) -> list[dict[str, Any]]: ...
    def quarantine_list(self) -> list[dict[str, Any]]: ...
    def quarantine_add(
        self,
        test_id: str,
        *,
        reason: str,
        owner: str | None,
        issue: str | None,
        expires: datetime | None,
        allow_unknown: bool = False,
    ) -> dict[str, Any]: ...
    def quarantine_remove(self, test_id: str, *, reason: str) -> None: ...
    def set_owner(self, test_id: str, owner: str) -> dict[str, Any]: ...
    def link_issue(self, test_id: str, issue: str) -> dict[str, Any]: ...
    def record_fix(self, verification: FixVerification) -> dict[str, Any]: ...
    def close(self) -> None: ...


TestHealthClient.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class


class LocalTestHealth:
    """The embedded store (SQLite by default) of the project in ``settings.root``."""

    __test__ = False

    def __init__(
        self, settings: Settings, clock: Clock, actor: str, *, create: bool = True
    ) -> None:
        from readiness.storage import open_stores
        from readiness.testhealth.service import TestHealthService

        self.stores = open_stores(settings, create=create)
        self.service = TestHealthService(
            settings=settings, stores=self.stores, clock=clock, actor=actor
        )
        self._readable = False

    def _check_readable(self) -> None:
        """A project this database does not hold, while it holds others, is an error.

        It is a typo in ``--project``, or history kept under another name: showing "no flaky
        tests" would hide it. A database with no project yet reads as empty.
        """
        if self._readable:
            return
        from readiness.projects.service import ProjectService

        projects = ProjectService(stores=self.stores, clock=self.service.clock)
        name = self.service.project
        known = [p.name for p in projects.list()]
        if known and name not in known:
            hint = projects.legacy_hint(name) or (
                f"this database holds {', '.join(known)}; choose one with --project NAME "
                "(or READINESS_PROJECT, or project in the configuration)"
            )
            raise NotFoundError(f"project {name!r} has no data here: {hint}")
        self._readable = True

    def ingest(self, paths: Sequence[Path], meta: RunMeta) -> list[dict[str, Any]]:
        from readiness.testhealth.views import ingest_view

        return [ingest_view(r) for r in self.service.ingest_files(paths, meta=meta)]

    def flaky(self, *, include_healthy: bool = False, sort: str = "impact") -> list[dict[str, Any]]:
        from readiness.testhealth.views import flaky_entry_view

        self._check_readable()
        found = self.service.flaky_impact(sort=sort, include_healthy=include_healthy)
        return [flaky_entry_view(h, i) for h, i in found]

    def show(self, test_id: str) -> dict[str, Any]:
        from readiness.testhealth.views import health_view, impact_view, signals_view

        self._check_readable()
        view = health_view(self.service.health(test_id=test_id)[0])
        triage = self.service.triage(test_id)
        view["impact"] = impact_view(triage.impact)
        view["signals"] = signals_view(triage.signals)
        view["history"] = to_jsonable(self.service.test_history(test_id))
        return view

    def report(self) -> dict[str, Any]:
        self._check_readable()
        report: dict[str, Any] = to_jsonable(self.service.report())
        return report

    def known(self) -> list[str]:
        self._check_readable()
        return self.service.known_test_ids()

    def failing_orders(self, test_id: str, *, limit: int = 5) -> list[dict[str, Any]]:
        from readiness.testhealth.views import failing_order_view

        return [failing_order_view(o) for o in self.service.failing_orders(test_id, limit=limit)]

    def quarantine_list(self) -> list[dict[str, Any]]:
        from readiness.testhealth.views import quarantine_view

        self._check_readable()
        return [quarantine_view(e) for e in self.service.quarantine_entries()]

    def quarantine_add(
        self,
        test_id: str,
        *,
        reason: str,
        owner: str | None,
        issue: str | None,
        expires: datetime | None,
        allow_unknown: bool = False,
    ) -> dict[str, Any]:
        from readiness.testhealth.views import quarantine_view

        entry = self.service.quarantine_add(
            test_id,
            reason=reason,
            owner=owner,
            issue=issue,
            expires=expires,
            allow_unknown=allow_unknown,
        )
        return quarantine_view(entry)

    def quarantine_remove(self, test_id: str, *, reason: str) -> None:
        self.service.quarantine_remove(test_id, reason=reason)

    def set_owner(self, test_id: str, owner: str) -> dict[str, Any]:
        from readiness.testhealth.views import annotation_view

        return annotation_view(test_id, self.service.set_owner(test_id, owner))

    def link_issue(self, test_id: str, issue: str) -> dict[str, Any]:
        from readiness.testhealth.views import annotation_view

        return annotation_view(test_id, self.service.link_issue(test_id, issue))

    def record_fix(self, verification: FixVerification) -> dict[str, Any]:
        from readiness.testhealth.views import fix_view

        return fix_view(self.service.record_fix_verification(verification))

    def close(self) -> None:
        self.stores.dispose()


class RemoteTestHealth:
    """A shared Readiness server (``READINESS_URL`` + ``READINESS_TOKEN``)."""

    __test__ = False

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        import httpx

        token = settings.resolved_token()
        self.base = str(settings.url).rstrip("/")
        self.shown = mask_url(self.base)  # what messages print: never the URL's secrets
        if not token:
            raise ConfigError(
                f"READINESS_URL is set ({self.shown}) but no token: set READINESS_TOKEN "
                "or token_file (create one with `readiness tokens create --role writer`)"
            )
        self.http = httpx.Client(
            base_url=f"{self.base}/api/v1/tests",
            params={"project": settings.project},  # every call names its project
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(300.0, connect=10.0),
            transport=transport,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; errors become ReadinessErrors with the server's message."""
        import httpx

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(
                f"Readiness server {self.shown} unreachable: {exc}; check READINESS_URL "
                "and that the server is up"
            ) from exc
        if response.status_code >= 400:
            raise error_from_response(response, f"server {self.shown}: ")
        return None if response.status_code == 204 else response.json()

    def ingest(self, paths: Sequence[Path], meta: RunMeta) -> list[dict[str, Any]]:
        """POST every file in one multipart request: the server stores all of them, or none."""
        # Cut like a local ingest cuts (the server refuses what its columns cannot hold).
        params: list[tuple[str, str | int]] = [
            (k, v[: META_MAX_LENGTH.get(k, len(v))])
            for k, v in (
                ("commit", meta.commit),
                ("branch", meta.branch),
                ("run_id", meta.run_id),
                ("job", meta.job),
                ("tree", meta.tree),
                ("seed", meta.seed),
                ("timestamp", meta.timestamp.isoformat() if meta.timestamp else None),
                ("pr", meta.pr),
                ("url", meta.url),
                ("provider", meta.provider),
            )
            if v is not None
        ]
        params.append(("attempt", meta.attempt))
        params += [("tag", f"{k}:{v}") for k, v in meta.tags.items()]
        from readiness.testhealth.ingest.files import open_reports

        with ExitStack() as stack:
            files = []
            for stream, source in open_reports(stack, paths):
                files.append(("file", (Path(source).name, stream, "application/xml")))
            result = self.call("POST", "/runs", params=params, files=files)
        return list(result) if isinstance(result, list) else [result]

    def flaky(self, *, include_healthy: bool = False, sort: str = "impact") -> list[dict[str, Any]]:
        if include_healthy:  # every test, by id, without impact: the server's /health list
            everything: list[dict[str, Any]] = self.call("GET", "/health")
            return everything
        result: list[dict[str, Any]] = self.call("GET", "/flaky", params={"sort": sort})
        return result

    def show(self, test_id: str) -> dict[str, Any]:
        found = self.call("GET", "/health", params={"test_id": test_id})
        view: dict[str, Any] = found[0]
        triage = self.call("GET", f"/tests/{quote(test_id, safe='/:')}/signals")
        view["impact"] = triage["impact"]
        view["signals"] = {k: triage[k] for k in ("verdict", "explanation", "signals")}
        view["history"] = self.call("GET", f"/tests/{quote(test_id, safe='/:')}/history")
        return view

    def report(self) -> dict[str, Any]:
        return {
            "suite_health": self.call("GET", "/suite-health"),
            "clusters": self.call("GET", "/clusters"),
        }

    def known(self) -> list[str]:
        return [h["test_id"] for h in self.call("GET", "/health")]

    def failing_orders(self, test_id: str, *, limit: int = 5) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call(
            "GET", f"/tests/{quote(test_id, safe='/:')}/failing-orders", params={"limit": limit}
        )
        return result

    def quarantine_list(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/quarantine")
        return result

    def quarantine_add(
        self,
        test_id: str,
        *,
        reason: str,
        owner: str | None,
        issue: str | None,
        expires: datetime | None,
        allow_unknown: bool = False,
    ) -> dict[str, Any]:
        body = {
            "test_id": test_id,
            "reason": reason,
            "owner": owner,
            "issue": issue,
            "expires": expires.isoformat() if expires else None,
            "allow_unknown": allow_unknown,
        }
        result: dict[str, Any] = self.call("POST", "/quarantine", json=body)
        return result

    def quarantine_remove(self, test_id: str, *, reason: str) -> None:
        self.call("DELETE", f"/quarantine/{test_id}", params={"reason": reason})

    def set_owner(self, test_id: str, owner: str) -> dict[str, Any]:
        path = f"/tests/{quote(test_id, safe='/:')}/owner"
        result: dict[str, Any] = self.call("PUT", path, json={"owner": owner})
        return result

    def link_issue(self, test_id: str, issue: str) -> dict[str, Any]:
        path = f"/tests/{quote(test_id, safe='/:')}/issue"
        result: dict[str, Any] = self.call("PUT", path, json={"issue": issue})
        return result

    def record_fix(self, verification: FixVerification) -> dict[str, Any]:
        from readiness.testhealth.views import fix_view

        result: dict[str, Any] = self.call(
            "POST", "/fix-verifications", json=fix_view(verification)
        )
        return result

    def close(self) -> None:
        self.http.close()


def open_client(
    settings: Settings, clock: Clock, *, actor: str, create: bool = True
) -> TestHealthClient:
    """The remote client when a server URL is configured, else the local store.

    ``create=False`` (commands that only read) never creates a local database.
    """
    if settings.is_remote:
        return RemoteTestHealth(settings)
    return LocalTestHealth(settings, clock, actor, create=create)
