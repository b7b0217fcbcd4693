"""Contract coverage, pure (handbook 19.8, "audit all service interfaces"): which of a provider's
endpoints (from its OpenAPI document) and message types no consumer contract exercises.

An endpoint is an OpenAPI operation (method and path template, prefixed with the path of its
first ``servers`` URL when it has one); a pact's HTTP interaction covers it when the methods are
equal and the request path matches the template (``{id}`` matches one path segment). Message
types are the names given, plus the OpenAPI 3.1 ``webhooks``; a message interaction covers a
type when its description or one of its metadata values equals it (case-insensitively).
Only each consumer's newest pact for the provider counts: what consumers need today.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from readiness.errors import InputError

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_OPERATIONS = 10_000


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str  # upper case
    path: str  # the template, e.g. /users/{id}


@dataclass(frozen=True, slots=True)
class Covered:
    """One endpoint (``"GET /users/{id}"``) or message type and the consumers exercising it."""

    name: str
    consumers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Coverage:
    provider: str
    endpoints: tuple[Covered, ...]
    messages: tuple[Covered, ...]

    @property
    def uncovered(self) -> list[str]:
        """Endpoints and message types no consumer contract exercises, in document order."""
        return [c.name for c in (*self.endpoints, *self.messages) if not c.consumers]

    def as_json(self) -> dict[str, Any]:
        def rows(items: tuple[Covered, ...]) -> list[dict[str, Any]]:
            return [{"name": c.name, "consumers": list(c.consumers)} for c in items]

        total = len(self.endpoints) + len(self.messages)
        return {
            "provider": self.provider,
            "endpoints": rows(self.endpoints),
            "messages": rows(self.messages),
            "uncovered": self.uncovered,
            "covered": total - len(self.uncovered),
            "total": total,
        }


def endpoints_of(doc: Any) -> list[Endpoint]:
    """The operations of an OpenAPI document (3.x or Swagger 2.0), in document order."""
    if not isinstance(doc, Mapping):
        raise InputError("an OpenAPI document must be a JSON object")
    paths = doc.get("paths", {})
    if paths is None:
        paths = {}
    if not isinstance(paths, Mapping):
        raise InputError("the OpenAPI document's 'paths' must be an object")
    prefix = _base_path(doc)
    out: list[Endpoint] = []
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise InputError(f"OpenAPI path {path!r} must be a string starting with '/'")
        if not isinstance(item, Mapping):
            raise InputError(f"OpenAPI path {path!r} must be an object of operations")
        out.extend(Endpoint(m.upper(), prefix + path) for m in METHODS if m in item)
        if len(out) > MAX_OPERATIONS:
            raise InputError(f"the OpenAPI document has more than {MAX_OPERATIONS} operations")
    return out


def _base_path(doc: Mapping[str, Any]) -> str:
    base = doc.get("basePath")  # Swagger 2.0
    if isinstance(base, str):
        return base.rstrip("/")
    servers = doc.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], Mapping):
        url = servers[0].get("url")
        if isinstance(url, str) and "{" not in url:
            return urlsplit(url).path.rstrip("/")
    return ""


def webhooks_of(doc: Any) -> list[str]:
    """OpenAPI 3.1's ``webhooks``: the events the provider sends."""
    hooks = doc.get("webhooks") if isinstance(doc, Mapping) else None
    return [str(name) for name in hooks] if isinstance(hooks, Mapping) else []


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]*\})", path)
    body = "".join(
        "[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts
    )
    return re.compile(f"^{body}/?$")


def interactions(content: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """``(method, path)`` of a pact's HTTP interactions and its message interactions (pact
    specification v2/v3 ``interactions`` and ``messages``, v4 typed ``interactions``)."""
    http: list[tuple[str, str]] = []
    messages: list[dict[str, Any]] = []
    items = content.get("interactions")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("type", "Synchronous/HTTP"))
        request = item.get("request")
        if kind == "Synchronous/HTTP" and isinstance(request, Mapping):
            method, path = request.get("method"), request.get("path")
            if isinstance(method, str) and isinstance(path, str):
                http.append((method.upper(), path.split("?")[0]))
        elif kind.startswith("Asynchronous") or kind == "Synchronous/Messages":
            messages.append(dict(item))
    legacy = content.get("messages")
    messages.extend(
        dict(m) for m in (legacy if isinstance(legacy, list) else []) if isinstance(m, Mapping)
    )
    return http, messages


def _names(message: Mapping[str, Any]) -> set[str]:
    found = {str(message.get("description", "")).casefold()}
    for key in ("metadata", "contents"):
        meta = message.get(key)
        if isinstance(meta, Mapping):
            found |= {v.casefold() for v in meta.values() if isinstance(v, str)}
    return found


def coverage(
    provider: str,
    endpoints: Iterable[Endpoint],
    message_types: Iterable[str],
    pacts: Mapping[str, Mapping[str, Any]],
) -> Coverage:
    """Which ``endpoints`` and ``message_types`` the ``pacts`` (consumer -> newest pact content)
    exercise, each with the consumers that do."""
    calls = {consumer: interactions(content) for consumer, content in pacts.items()}
    covered = []
    for ep in endpoints:
        pattern = _template(ep.path)
        who = sorted(
            c for c, (http, _) in calls.items()
            if any(m == ep.method and pattern.match(p) for m, p in http)
        )  # fmt: skip
        covered.append(Covered(f"{ep.method} {ep.path}", tuple(who)))
    messages = []
    for kind in dict.fromkeys(message_types):
        who = sorted(
            c for c, (_, msgs) in calls.items() if any(kind.casefold() in _names(m) for m in msgs)
        )
        messages.append(Covered(kind, tuple(who)))
    return Coverage(provider, tuple(covered), tuple(messages))
