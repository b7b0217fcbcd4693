"""The Pact checks' facts read from a shared server: ``readiness gate`` with ``READINESS_URL``
set asks the server's broker (``/api/v1/pact``) what the provider version verified and what
can-i-deploy answers, with the gate's token and project, instead of opening a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from readiness.contracts.pact.remote import RemoteBroker
from readiness.errors import RemoteError


@dataclass(frozen=True, slots=True)
class RemoteEvidence:
    """One pact the provider version had to verify, as the server reported it."""

    consumer: str
    consumer_version: str
    state: str
    pending: bool


@dataclass(frozen=True, slots=True)
class RemoteVerdict:
    """The server's can-i-deploy answer: its summary and its matrix rows."""

    deployable: bool
    reason: str
    rows: Sequence[object]


class RemoteGateBroker:
    """The ``contracts_pact`` gate service of a project on a server."""

    def __init__(
        self,
        url: str,
        token: str | None,
        project: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.broker = RemoteBroker(
            f"{url.rstrip('/')}/api/v1/pact",
            token,
            project=project,
            transport=transport,
            url_setting="READINESS_URL",
            auth_setting="READINESS_TOKEN",
        )

    def close(self) -> None:
        self.broker.close()

    def evidence(self, provider: str, provider_version: str) -> list[RemoteEvidence]:
        answer = self.broker.verification_evidence(provider, provider_version)
        try:
            return [
                RemoteEvidence(
                    str(p["consumer"]),
                    str(p["consumer_version"]),
                    _state(p["state"]),
                    p["pending"] is True,
                )
                for p in answer["pacts"]
            ]
        except (KeyError, TypeError) as exc:
            raise _unexpected(self.broker.base, "verification evidence") from exc

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> RemoteVerdict:
        answer = self.broker.can_i_deploy(pacticipant, version, environment)
        try:
            summary: dict[str, Any] = answer["summary"]
            rows = answer["matrix"]
            if not isinstance(rows, list) or not isinstance(summary["deployable"], bool):
                raise TypeError("matrix or deployable")
            return RemoteVerdict(summary["deployable"], str(summary["reason"]), tuple(rows))
        except (KeyError, TypeError) as exc:
            raise _unexpected(self.broker.base, "can-i-deploy") from exc


_STATES = ("verified", "failed", "unverified")


def _state(value: object) -> str:
    if value not in _STATES:
        raise TypeError(f"state {value!r}")
    return str(value)


def _unexpected(base: str, what: str) -> RemoteError:
    return RemoteError(
        f"the server at {base} answered {what} in a shape this client does not know; "
        "is it a Readiness server of the same version?"
    )
