"""The registry's governance read from a shared server: ``contracts.schemas_compatible`` in a
gate with ``READINESS_URL`` set asks the server what registering each repository schema would do
(``POST /api/v1/schema-registry/subjects/{subject}/impact``) and whether a version already holds
it (the Confluent lookup, ``POST /api/v1/schema-registry/subjects/{subject}``), with the gate's
token and project, instead of opening a database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from readiness.contracts import remote_http
from readiness.errors import InputError, RemoteError

#: Confluent error codes of a lookup that found nothing: no such subject, no such schema in it.
_NOT_REGISTERED = {40401, 40403}


@dataclass(frozen=True, slots=True)
class RemoteEvaluation:
    """What the server's governance says of registering a schema (``Evaluation.as_dict``)."""

    new_subject: bool
    mode: str
    affected: list[str]
    _problems: list[str]
    _messages: list[str]

    def problems(self) -> list[str]:
        return list(self._problems)

    def messages(self) -> list[str]:
        return list(self._messages)


class RemoteGovernance:
    """The ``contracts_schemas`` gate service of a project on a server."""

    def __init__(
        self,
        url: str,
        token: str | None,
        project: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = f"{url.rstrip('/')}/api/v1/schema-registry"
        self.client = remote_http.client(token, project, transport=transport)

    def close(self) -> None:
        self.client.close()

    def evaluate(
        self, subject: str, text: str, schema_type: str | None, changelog: str | None
    ) -> RemoteEvaluation:
        body = {"schema": text, "schemaType": schema_type, "changelog": changelog}
        answer = self._call(f"/subjects/{quote(subject, safe='')}/impact", body, missing=False)
        if answer is None:  # (only a lookup may find nothing)
            raise self._unexpected("a governance evaluation")
        try:
            incompatible = [str(i["message"]) for i in answer["incompatibilities"]]
            return RemoteEvaluation(
                new_subject=answer["new_subject"] is True,
                mode=str(answer["mode"]),
                affected=[str(c) for c in answer["affected_consumers"]],
                _problems=incompatible + [str(r) for r in answer["refusals"]],
                _messages=[str(m) for m in answer["messages"]],
            )
        except (KeyError, TypeError) as exc:
            raise self._unexpected("a governance evaluation") from exc

    def registered_version(self, subject: str, text: str, schema_type: str | None) -> int | None:
        body = {"schema": text, "schemaType": schema_type}
        answer = self._call(f"/subjects/{quote(subject, safe='')}", body, missing=True)
        if answer is None:
            return None
        version = answer.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise self._unexpected("a schema lookup")
        return version

    def _call(self, path: str, body: dict[str, Any], *, missing: bool) -> dict[str, Any] | None:
        answer = remote_http.send(
            self.client,
            "POST",
            self.base + path,
            who=f"the schema registry at {self.base}",
            url_setting="READINESS_URL",
            auth_setting="READINESS_TOKEN",
            json=body,
        )
        try:
            data = answer.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise RemoteError(
                f"the schema registry at {self.base} answered {answer.status_code} without a "
                "JSON object; try again or ask its operator"
            )
        if missing and answer.status_code == 404 and data.get("error_code") in _NOT_REGISTERED:
            return None
        message = data.get("message")
        if 400 <= answer.status_code < 500 and isinstance(message, str) and message:
            raise InputError(message)  # the registry's own words, as the local check says them
        if answer.status_code >= 400:
            raise RemoteError(
                f"the schema registry at {self.base} answered {answer.status_code}; try again or "
                "ask its operator"
            )
        return data

    def _unexpected(self, what: str) -> RemoteError:
        return RemoteError(
            f"the server at {self.base} answered {what} in a shape this client does not know; "
            "is it a Readiness server of the same version?"
        )
