"""The pytest plugin's calls to a Readiness server: its quarantine list and report uploads.

Every call names the project (``?project=``): the configured one, else ``READINESS_PROJECT``,
else the name derived from the rootdir's name, as the ``readiness`` CLI does.

``httpx`` and the platform are imported inside the functions, so the plugin stays cheap to load.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from readiness.testhealth.model import QuarantineEntry

QUARANTINE_API = "/api/v1/tests/quarantine"
RUNS_API = "/api/v1/tests/runs"


def project_params(settings: Any, root: Path) -> dict[str, str]:
    """The query parameters every call carries: ``{"project": name}``."""
    if settings is not None:
        return {"project": str(settings.project)}
    from readiness._common.project_names import project_name_from

    return {"project": os.environ.get("READINESS_PROJECT") or project_name_from(root.name)}


def _remote_error(action: str, exc: Exception) -> Exception:
    from readiness.errors import RemoteError

    return RemoteError(f"{action}: {exc}; check READINESS_URL and that the server is up")


def fetch_quarantine(client: httpx.Client) -> list[QuarantineEntry]:
    """GET the server's quarantine list (entries with ``source="server"``)."""
    import httpx

    from readiness.errors import RemoteError
    from readiness.testhealth.model import QuarantineEntry

    try:
        response = client.get(QUARANTINE_API)
    except httpx.HTTPError as exc:
        raise _remote_error(f"GET {QUARANTINE_API}", exc) from exc
    if response.status_code != 200:
        raise RemoteError(f"GET {QUARANTINE_API}: {_refusal(response)}")
    try:
        return [
            QuarantineEntry(
                test_id=str(item["test_id"]),
                owner=item.get("owner"),
                reason=str(item["reason"]),
                issue=item.get("issue"),
                created=_aware(item["created"]),
                expires=_aware(item["expires"]),
                created_by=str(item.get("created_by") or "unknown"),
                source="server",
            )
            for item in response.json()
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RemoteError(
            f"GET {QUARANTINE_API}: expected a JSON list of entries with test_id, reason, "
            f"created, expires ({type(exc).__name__}: {exc}); is READINESS_URL a Readiness server?"
        ) from exc


def _refusal(response: httpx.Response) -> str:
    """What the server said (its error message when it answers in the error shape)."""
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text[:200] or response.reason_phrase
    hint = "; check READINESS_TOKEN" if response.status_code in (401, 403) else ""
    return f"server answered {response.status_code}: {message}{hint}"


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def upload_junit(client: httpx.Client, xml_bytes: bytes, meta: dict[str, Any]) -> dict[str, Any]:
    """POST the JUnit XML (raw body) with the run metadata as query parameters."""
    import httpx

    from readiness.errors import RemoteError

    params = {k: str(v) for k, v in meta.items() if v is not None and k in _META_KEYS}
    try:
        response = client.post(
            RUNS_API,
            content=xml_bytes,
            params=params,
            headers={"Content-Type": "application/xml"},
        )
    except httpx.HTTPError as exc:
        raise _remote_error(f"POST {RUNS_API}", exc) from exc
    if response.status_code >= 300:
        raise RemoteError(f"POST {RUNS_API}: {_refusal(response)}")
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"result": body}


_META_KEYS = ("commit", "branch", "run_id", "attempt", "job", "pr", "url", "provider")
