"""A tiny client for applications: report the schema versions a consumer processed to a
Readiness server (handbook 21.7, schema-version telemetry), so "no consumer processed v1 in 30
days" is a fact. One HTTP call per report; batch the counts (e.g. once a minute per version).

    from readiness.contracts.client import report_processed

    report_processed(
        "https://readiness.example.com", token, subject="orders-value",
        consumer="billing", version=3, count=1200,
    )
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from readiness.errors import InputError, RemoteError


def report_processed(
    url: str,
    token: str,
    *,
    subject: str,
    consumer: str,
    version: int | None = None,
    schema_id: int | None = None,
    count: int = 1,
    at: datetime | None = None,
    project: str | None = None,
    timeout: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Report ``count`` events of ``subject``'s ``version`` (or schema ``schema_id``) processed
    by ``consumer``; returns the version number the server counted them under.
    :class:`RemoteError` when the server refuses or cannot be reached (the token is never in
    the message)."""
    if (version is None) == (schema_id is None):
        raise InputError("give exactly one of version and schema_id")
    body: dict[str, Any] = {"subject": subject, "count": count}
    if version is not None:
        body["version"] = version
    else:
        body["id"] = schema_id
    if at is not None:
        body["at"] = at.isoformat()
    params = {"project": project} if project else None
    endpoint = (
        f"{url.rstrip('/')}/api/v1/schema-registry/consumers/{quote(consumer, safe='')}/processed"
    )
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(
                endpoint, json=body, params=params, headers={"Authorization": f"Bearer {token}"}
            )
    except httpx.HTTPError as exc:
        raise RemoteError(f"could not report to {url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise RemoteError(f"{url} refused the report ({response.status_code}): {message}")
    return int(response.json()["version"])
