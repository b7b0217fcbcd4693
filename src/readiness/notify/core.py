"""Pure rules of notifications: payloads, signatures, the retry schedule and webhook URLs.

Nothing here reads the clock, the network or a database: times, randomness and secrets are
parameters, so every rule is tested exactly.

Signatures follow Stripe's scheme. Each delivery carries ::

    X-Readiness-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">

keyed with the webhook's secret. A receiver checks it with :func:`verify_signature`, which also
refuses a timestamp older (or newer) than its tolerance: a captured request cannot be replayed
later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from readiness.errors import InputError, WebhookSignatureError
from readiness.notify.model import (
    AUDIT_VERIFY_FAILED,
    EVENT_TYPES,
    GATE_FAILED,
    KINDS,
    QUARANTINE_EXPIRED,
    QUARANTINE_EXPIRING,
    TEST_BROKEN,
    TEST_EVENT,
    TEST_FLAKY,
    Event,
)

SIGNATURE_HEADER = "X-Readiness-Signature"
EVENT_HEADER = "X-Readiness-Event"
DELIVERY_HEADER = "X-Readiness-Delivery"
SCHEMA = "readiness.event/1"
DEFAULT_TOLERANCE_S = 300
URL_MAX = 2000


# ------------------------------------------------------------------------------- payloads


def absolute_link(link: str | None, public_url: str | None) -> str | None:
    """``link`` (a dashboard path) made absolute with the server's ``public_url`` when known."""
    if link is None or public_url is None or not link.startswith("/"):
        return link
    return public_url.rstrip("/") + link


def generic_payload(event: Event, *, public_url: str | None = None) -> dict[str, Any]:
    """The generic JSON body (schema ``readiness.event/1``, documented in docs/notifications.md)."""
    return {
        "schema": SCHEMA,
        "id": event.id,
        "type": event.type,
        "project": event.project,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
        "link": absolute_link(event.link, public_url),
    }


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads these three as markup: https://api.slack.com/reference/surfaces/formatting
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def headline(event: Event) -> str:  # noqa: PLR0911 - one return per event type
    """One human line about ``event`` (plain text; Slack's markup is added by the caller)."""
    d = event.data
    test = d.get("test_id", "?")
    if event.type == TEST_FLAKY:
        rate = d.get("flake_rate")
        shown = f" (flake rate {rate:.0%})" if isinstance(rate, int | float) else ""
        return f"{event.project}: test {test} turned flaky{shown}"
    if event.type == TEST_BROKEN:
        return f"{event.project}: test {test} is broken (fails on every run)"
    if event.type == QUARANTINE_EXPIRING:
        return f"{event.project}: quarantine of {test} expires {d.get('expires', '?')[:10]}"
    if event.type == QUARANTINE_EXPIRED:
        return f"{event.project}: quarantine of {test} expired {d.get('expires', '?')[:10]}"
    if event.type == GATE_FAILED:
        failed = d.get("failed_checks") or []
        where = f" at {str(d['commit'])[:12]}" if d.get("commit") else ""
        names = ", ".join(str(c) for c in failed[:5]) + (" …" if len(failed) > 5 else "")
        return f"{event.project}: {d.get('gate', '?')} gate failed{where}" + (
            f": {names}" if names else ""
        )
    if event.type == AUDIT_VERIFY_FAILED:
        errors = d.get("errors") or []
        first = f": {errors[0]}" if errors else ""
        return f"{event.project}: the audit trail failed verification{first}"
    if event.type == TEST_EVENT:
        return f"{event.project}: test event from Readiness (the webhook works)"
    if event.type.startswith("pact."):
        pair = f"{d.get('consumer', '?')} {d.get('consumer_version', '?')} -> {d.get('provider')}"
        if "verification" in d:
            ok = "succeeded" if d["verification"].get("success") else "failed"
            return f"{event.project}: verification of {pair} {d.get('provider_version')} {ok}"
        return f"{event.project}: {event.type.removeprefix('pact.')} ({pair})"
    return f"{event.project}: {event.type}"


_ICONS = {
    TEST_FLAKY: ":warning:",
    TEST_BROKEN: ":x:",
    QUARANTINE_EXPIRING: ":hourglass_flowing_sand:",
    QUARANTINE_EXPIRED: ":hourglass:",
    GATE_FAILED: ":no_entry:",
    AUDIT_VERIFY_FAILED: ":rotating_light:",
    TEST_EVENT: ":wave:",
}


def slack_payload(event: Event, *, public_url: str | None = None) -> dict[str, Any]:
    """A Slack-compatible body (incoming webhooks): one short ``text`` line and its blocks."""
    icon = _ICONS.get(event.type, ":bell:")
    text = f"{icon} {_slack_escape(headline(event))}"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    link = absolute_link(event.link, public_url)
    context = f"`{event.type}` · {event.occurred_at:%Y-%m-%d %H:%M} UTC"
    if link is not None and link.startswith(("http://", "https://")):
        context += f" · <{link}|open in Readiness>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": text, "blocks": blocks}


def payload_body(event: Event, *, kind: str, public_url: str | None = None) -> str:
    """The exact JSON text a webhook of ``kind`` receives for ``event`` (sorted keys)."""
    body = (
        slack_payload(event, public_url=public_url)
        if kind == "slack"
        else generic_payload(event, public_url=public_url)
    )
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode("utf-8")


# ----------------------------------------------------------------------------- signatures


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int) -> str:
    """The ``X-Readiness-Signature`` value of ``body`` sent at ``timestamp`` (Unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> int:
    """Check a delivery's ``X-Readiness-Signature`` against the raw ``body``; return its time.

    Raises :class:`~readiness.errors.WebhookSignatureError` when the header is missing or malformed,
    no ``v1`` signature matches (compared in constant time), or its timestamp is more than
    ``tolerance_s`` seconds away from ``now`` (a replayed request).
    """
    if not header:
        raise WebhookSignatureError(
            f"no {SIGNATURE_HEADER} header; the request is not from Readiness"
        )
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureError(
            f"{SIGNATURE_HEADER} header malformed; expected 't=<unix seconds>,v1=<hex>'"
        )
    expected = _mac(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise WebhookSignatureError(
            "signature does not match: wrong secret, or the body was changed"
        )
    age = now.timestamp() - timestamp
    if abs(age) > tolerance_s:
        raise WebhookSignatureError(
            f"signature timestamp is {int(abs(age))}s away from now (tolerance {tolerance_s}s); "
            "a replayed or delayed request, or a clock out of sync"
        )
    return timestamp


# ---------------------------------------------------------------------------------- retries


def retry_delay_s(
    attempts: int,
    *,
    base_s: float,
    cap_s: float,
    max_attempts: int,
    random: Callable[[], float],
) -> float | None:
    """Seconds to wait after the ``attempts``-th failed attempt; None when none is left.

    Exponential (``base_s``, twice that, four times ...) up to ``cap_s``, each drawn from the
    upper half of its interval with ``random()`` in [0, 1): receivers that failed together do
    not all get their retries at the same instant.
    """
    if attempts >= max_attempts:
        return None
    ceiling: float = min(cap_s, base_s * 2.0 ** (attempts - 1))
    return ceiling * (0.5 + 0.5 * random())


# --------------------------------------------------------------------------- configuration


def check_webhook_url(url: str) -> str:
    """``url`` stripped, when it is an http(s) URL a webhook may target; else InputError."""
    value = url.strip()
    if not value or len(value) > URL_MAX:
        raise InputError(
            f"webhook url must be 1 to {URL_MAX} characters (got {len(value)})",
            details={"field": "url"},
        )
    if any(ord(c) < 0x21 or c == "\x7f" for c in value):
        raise InputError(
            "webhook url must not contain spaces or control characters",
            details={"field": "url"},
        )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"webhook url is not a URL ({exc})", details={"field": "url"}) from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(
            "webhook url must be an http:// or https:// URL with a host, e.g. "
            "https://hooks.example.com/readiness",
            details={"field": "url"},
        )
    if parts.username is not None or parts.password is not None:
        raise InputError(
            "webhook url must not carry a user name or password; the webhook secret signs "
            "each delivery instead",
            details={"field": "url"},
        )
    del port
    return value


def check_events(events: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The event types, known and without repeats, in the documented order; else InputError."""
    chosen = [e.strip() for e in events if e.strip()]
    unknown = sorted(set(chosen) - set(EVENT_TYPES))
    if unknown:
        raise InputError(
            f"unknown event type {unknown[0]!r}; use {', '.join(EVENT_TYPES)}",
            details={"field": "events", "got": unknown[0]},
        )
    if not chosen:
        raise InputError(
            f"a webhook needs at least one event type: {', '.join(EVENT_TYPES)}",
            details={"field": "events"},
        )
    return tuple(e for e in EVENT_TYPES if e in chosen)


def check_kind(kind: str) -> str:
    """``kind`` when it is ``generic`` or ``slack``; else InputError."""
    if kind not in KINDS:
        raise InputError(
            f"webhook kind must be one of {', '.join(KINDS)} (got {kind!r})",
            details={"field": "kind"},
        )
    return kind


def shown_url(url: str) -> str:
    """The URL as listings show it: scheme, host and the start of the path (Slack's webhook
    URLs carry their credential in the path)."""
    parts = urlsplit(url)
    path = parts.path if len(parts.path) <= 16 else parts.path[:16] + "…"
    return f"{parts.scheme}://{parts.netloc}{path}"


def excerpt(text: str, limit: int = 300) -> str:
    """The start of a response body or error, on one line, for the delivery log."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
