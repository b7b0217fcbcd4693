"""Store a gate run on a shared server: ``POST /api/v1/gates/runs`` (writer role).

When ``READINESS_URL`` is set the gate reads its facts from the server, and its history is kept
there too, so the server's gates page shows every CI run of the project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from readiness._common.api_errors import error_from_response
from readiness._common.redact import mask_url
from readiness.config import Settings
from readiness.errors import ConfigError, RemoteError
from readiness.gate.history import GateRun

if TYPE_CHECKING:
    import httpx


def post_gate_run(
    settings: Settings, run: GateRun, *, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """Send ``run`` to the server's gate history; the stored run as the server returns it."""
    import httpx

    base = str(settings.url).rstrip("/")
    shown = mask_url(base)
    token = settings.resolved_token()
    if not token:
        raise ConfigError(
            f"READINESS_URL is set ({shown}) but no token: set READINESS_TOKEN or token_file "
            "(create one with `readiness tokens create --role writer`)"
        )
    body = run.to_dict()
    del body["id"], body["project"], body["by"], body["at"]  # the server assigns these
    try:
        with httpx.Client(
            base_url=f"{base}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(30.0, connect=10.0),
            transport=transport,
        ) as http:
            response = http.post("/gates/runs", params={"project": run.project}, json=body)
    except httpx.HTTPError as exc:
        raise RemoteError(
            f"Readiness server {shown} unreachable while storing the gate run: {exc}; check "
            "READINESS_URL and that the server is up"
        ) from exc
    if response.status_code >= 400:
        raise error_from_response(response, f"server {shown}: storing the gate run: ")
    stored: dict[str, Any] = response.json()
    return stored
