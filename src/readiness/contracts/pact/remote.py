"""The broker's command-line use cases against a remote broker over HTTP (``--broker-url``), and
the same use cases on the local database: one :class:`Broker` interface, so that
``readiness contracts publish|can-i-deploy|record-*|create-environment`` print the same output
and exit with the same codes either way.

The remote side speaks the HAL API (this broker's, at ``<server>/pact``). Its token is sent as a
Bearer token and never printed; an unreachable broker, a refused token or a server error is a
:class:`~readiness.errors.RemoteError` (the CLI exits 2 with one line).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from readiness.contracts import remote_http
from readiness.contracts.pact.core import content_sha
from readiness.contracts.pact.matrix import decision_json
from readiness.contracts.pact.service import PactService
from readiness.errors import ConflictError, InputError, NotFoundError, ReadinessError, RemoteError

ALREADY = "was already published"


class Broker(Protocol):
    """What the command line does with a broker, local or remote."""

    def publish(
        self, consumer: str, provider: str, version: str, content: dict[str, Any], *,
        branch: str | None, tags: tuple[str, ...],
    ) -> dict[str, Any]: ...  # fmt: skip

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> dict[str, Any]: ...

    def record(self, pacticipant: str, version: str, environment: str, *, kind: str) -> str: ...

    def undo(self, pacticipant: str, version: str, environment: str, *, kind: str) -> int: ...

    def create_environment(self, name: str, *, production: bool) -> str: ...

    def coverage(self, provider: str, openapi: Any, messages: list[str]) -> dict[str, Any]: ...

    def record_interface(
        self, provider: str, openapi: Any, messages: list[str]
    ) -> dict[str, Any]: ...

    def interface(self, provider: str) -> dict[str, Any]: ...

    def delete_interface(self, provider: str) -> None: ...


class LocalBroker:
    """The project's own database, through :class:`PactService`."""

    def __init__(self, service: PactService) -> None:
        self.service = service

    def publish(
        self, consumer: str, provider: str, version: str, content: dict[str, Any], *,
        branch: str | None, tags: tuple[str, ...],
    ) -> dict[str, Any]:  # fmt: skip
        done = self.service.publish(consumer, provider, version, content, branch=branch, tags=tags)
        return {
            "consumer": done.consumer,
            "provider": done.provider,
            "version": done.version,
            "sha": done.sha,
            "created": done.created,
        }

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> dict[str, Any]:
        return decision_json(self.service.can_i_deploy(pacticipant, version, environment))

    def record(self, pacticipant: str, version: str, environment: str, *, kind: str) -> str:
        return self.service.record(pacticipant, version, environment, kind=kind)

    def undo(self, pacticipant: str, version: str, environment: str, *, kind: str) -> int:
        return self.service.undo(pacticipant, version, environment, kind=kind)

    def create_environment(self, name: str, *, production: bool) -> str:
        return self.service.create_environment(name, production=production)

    def coverage(self, provider: str, openapi: Any, messages: list[str]) -> dict[str, Any]:
        return self.service.coverage(provider, openapi, messages).as_json()

    def record_interface(self, provider: str, openapi: Any, messages: list[str]) -> dict[str, Any]:
        return self.service.record_interface(provider, openapi, messages).as_json()

    def interface(self, provider: str) -> dict[str, Any]:
        return self.service.interface(provider).as_json()

    def delete_interface(self, provider: str) -> None:
        self.service.delete_interface(provider)


_ERRORS: dict[int, type[ReadinessError]] = {
    400: InputError,
    404: NotFoundError,
    409: ConflictError,
    422: InputError,
}


class RemoteBroker:
    """A broker at ``base_url`` (e.g. ``https://readiness.example/pact``)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        project: str | None = None,
        transport: httpx.BaseTransport | None = None,
        url_setting: str = "--broker-url",
        auth_setting: str = "--broker-token (PACT_BROKER_TOKEN)",
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"{url_setting} must be an http:// or https:// URL (got {base_url!r})")
        self.base = base_url.rstrip("/")
        self.url_setting, self.auth_setting = url_setting, auth_setting
        self.client = remote_http.client(
            token, project, transport=transport, accept="application/hal+json, application/json"
        )

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = remote_http.send(
            self.client,
            method,
            self.base + path,
            who=f"the Pact broker at {self.base}",
            url_setting=self.url_setting,
            auth_setting=self.auth_setting,
            **kwargs,
        )
        try:
            body = answer.json()
        except ValueError:
            body = None
        if answer.status_code >= 500 or body is None:
            raise RemoteError(
                f"the Pact broker at {self.base} answered {answer.status_code} to "
                f"{method} {path.split('?', maxsplit=1)[0]}; try again or ask its operator"
            )
        error = body.get("error") if isinstance(body, dict) else None
        if answer.status_code >= 400:
            message = error.get("message") if isinstance(error, dict) else None
            kind = _ERRORS.get(answer.status_code, RemoteError)
            raise kind(str(message or f"the Pact broker answered {answer.status_code}"))
        return body

    def _environment(self, name: str) -> str:
        listed = self._call("GET", "/environments")
        for env in listed.get("_embedded", {}).get("environments", []):
            if env.get("name") == name:
                return str(env["uuid"])
        raise NotFoundError(  # the local service's words
            f"no environment {name!r}; create it first "
            f"(`readiness contracts create-environment {name}`)"
        )

    def publish(
        self, consumer: str, provider: str, version: str, content: dict[str, Any], *,
        branch: str | None, tags: tuple[str, ...],
    ) -> dict[str, Any]:  # fmt: skip
        raw = json.dumps(content).encode()
        body: dict[str, Any] = {
            "pacticipantName": consumer,
            "pacticipantVersionNumber": version,
            "tags": list(tags),
            "contracts": [
                {
                    "consumerName": consumer,
                    "providerName": provider,
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(raw).decode(),
                }
            ],
        }
        if branch:
            body["branch"] = branch
        answer = self._call("POST", "/contracts/publish", json=body)
        notices = " ".join(str(n.get("text", "")) for n in answer.get("notices", []))
        return {
            "consumer": consumer,
            "provider": provider,
            "version": version,
            "sha": content_sha(content),
            "created": ALREADY not in notices,
        }

    def verification_evidence(self, provider: str, version: str) -> dict[str, Any]:
        path = (
            f"/pacticipants/{quote(provider, safe='')}/versions/{quote(version, safe='')}"
            "/verification-evidence"
        )
        return dict(self._call("GET", path))

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> dict[str, Any]:
        query = {"pacticipant": pacticipant, "version": version, "environment": environment}
        answer = dict(self._call("GET", "/can-i-deploy", params=query))
        answer.pop("_links", None)
        return answer

    def _version_path(self, pacticipant: str, version: str, kind: str, uuid: str) -> str:
        what = "deployed-versions" if kind == "deployment" else "released-versions"
        return (
            f"/pacticipants/{quote(pacticipant, safe='')}/versions/{quote(version, safe='')}"
            f"/{what}/environment/{uuid}"
        )

    def record(self, pacticipant: str, version: str, environment: str, *, kind: str) -> str:
        path = self._version_path(pacticipant, version, kind, self._environment(environment))
        return str(self._call("POST", path, json={})["uuid"])

    def undo(self, pacticipant: str, version: str, environment: str, *, kind: str) -> int:
        path = self._version_path(pacticipant, version, kind, self._environment(environment))
        return int(self._call("DELETE", path)["ended"])

    def create_environment(self, name: str, *, production: bool) -> str:
        body = {"name": name, "production": production}
        return str(self._call("POST", "/environments", json=body)["uuid"])

    def coverage(self, provider: str, openapi: Any, messages: list[str]) -> dict[str, Any]:
        path = f"/pacticipants/{quote(provider, safe='')}/coverage"
        return dict(self._call("POST", path, json={"openapi": openapi, "messages": messages}))

    def record_interface(self, provider: str, openapi: Any, messages: list[str]) -> dict[str, Any]:
        path = f"/pacticipants/{quote(provider, safe='')}/openapi"
        return dict(self._call("PUT", path, json={"openapi": openapi, "messages": messages}))

    def interface(self, provider: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/pacticipants/{quote(provider, safe='')}/openapi"))

    def delete_interface(self, provider: str) -> None:
        self._call("DELETE", f"/pacticipants/{quote(provider, safe='')}/openapi")
