"""Which requests are audited, under which action, and why (pure: no I/O, no framework).

A route is audited when it is marked (the :func:`audited` decorator, a :class:`Rule` of the
:class:`CapturePolicy`) or when it falls in one of the handbook's "must be logged" categories
(20.2) and is not explicitly exempted with :func:`not_audited` and a reason. Every mutation
(POST, PUT, PATCH, DELETE) counts as a mutation of a sensitive resource unless exempted: one
missed endpoint is a compliance failure, so the safe default is to log it.

:func:`classify` says which categories a route belongs to and why, in words the coverage report
prints; :func:`resolve` says which action (if any) the middleware records for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

MUTATIONS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SPEC_ATTR = "__readiness_audit__"
_VERB = {"GET": "read", "HEAD": "read", "POST": "create", "PUT": "update", "PATCH": "update"}
_VERB["DELETE"] = "delete"
_SEGMENT = re.compile(r"[^a-z0-9_]+")
_PREFIX = re.compile(r"(?:api|v[0-9]+)\Z")  # /api/v1/items: the target type is items

F = TypeVar("F", bound=Callable[..., Any])


class Category(StrEnum):
    """The eight "must be logged" categories of handbook 20.2, in its order."""

    AUTHENTICATION = "authentication"
    AUTHORIZATION_FAILURE = "authorization_failure"
    SENSITIVE_MUTATION = "sensitive_mutation"
    ADMIN = "admin"
    ACCESS_CONTROL = "access_control"
    EXPORT = "export"
    CONFIGURATION = "configuration"
    OPERATOR_DB_ACCESS = "operator_db_access"


CATEGORY_TITLES = {
    Category.AUTHENTICATION: "authentication events",
    Category.AUTHORIZATION_FAILURE: "authorization failures",
    Category.SENSITIVE_MUTATION: "mutations of sensitive resources",
    Category.ADMIN: "admin actions",
    Category.ACCESS_CONTROL: "access-control changes",
    Category.EXPORT: "exports and bulk downloads",
    Category.CONFIGURATION: "configuration changes",
    Category.OPERATOR_DB_ACCESS: "direct database access by operators",
}

# Route tags (lowercase) and path segments that place a route in a category.
TAGS: dict[str, Category] = {
    "auth": Category.AUTHENTICATION,
    "authentication": Category.AUTHENTICATION,
    "admin": Category.ADMIN,
    "access-control": Category.ACCESS_CONTROL,
    "permissions": Category.ACCESS_CONTROL,
    "roles": Category.ACCESS_CONTROL,
    "export": Category.EXPORT,
    "exports": Category.EXPORT,
    "config": Category.CONFIGURATION,
    "configuration": Category.CONFIGURATION,
    "settings": Category.CONFIGURATION,
    "sensitive": Category.SENSITIVE_MUTATION,
}
SEGMENTS: dict[str, Category] = {
    "login": Category.AUTHENTICATION,
    "logout": Category.AUTHENTICATION,
    "signin": Category.AUTHENTICATION,
    "signout": Category.AUTHENTICATION,
    "password": Category.AUTHENTICATION,
    "password-reset": Category.AUTHENTICATION,
    "token": Category.AUTHENTICATION,
    "tokens": Category.AUTHENTICATION,
    "session": Category.AUTHENTICATION,
    "sessions": Category.AUTHENTICATION,
    "admin": Category.ADMIN,
    "roles": Category.ACCESS_CONTROL,
    "permissions": Category.ACCESS_CONTROL,
    "grants": Category.ACCESS_CONTROL,
    "acl": Category.ACCESS_CONTROL,
    "export": Category.EXPORT,
    "exports": Category.EXPORT,
    "download": Category.EXPORT,
    "bulk": Category.EXPORT,
    "config": Category.CONFIGURATION,
    "configuration": Category.CONFIGURATION,
    "settings": Category.CONFIGURATION,
}


@dataclass(frozen=True)
class Spec:
    """How one route is audited: given by :func:`audited` or a :class:`Rule`.

    ``action`` and ``target_type`` default to names derived from the route; ``target_param``
    names the path parameter that identifies the target (default: the last one). ``fields``
    are the field names a read of a sensitive resource reveals (``target_fields_accessed``).
    ``exempt`` (with its ``reason``) marks a route deliberately not audited.
    """

    action: str | None = None
    target_type: str | None = None
    target_param: str | None = None
    sensitive: bool = False
    fields: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    exempt: bool = False
    reason: str | None = None


def audited(
    *,
    action: str | None = None,
    target_type: str | None = None,
    target_param: str | None = None,
    sensitive: bool = False,
    fields: Sequence[str] = (),
    categories: Sequence[Category | str] = (),
) -> Callable[[F], F]:
    """Mark an endpoint as audited (put it under the route decorator)."""
    spec = Spec(
        action=action,
        target_type=target_type,
        target_param=target_param,
        sensitive=sensitive,
        fields=tuple(fields),
        categories=tuple(Category(c) for c in categories),
    )

    def mark(endpoint: F) -> F:
        setattr(endpoint, SPEC_ATTR, spec)
        return endpoint

    return mark


def not_audited(reason: str) -> Callable[[F], F]:
    """Exempt an endpoint from capture; the reason is printed by the coverage report."""
    if not reason.strip():
        raise ValueError("not_audited needs a reason: the coverage report prints it")
    spec = Spec(exempt=True, reason=reason.strip())

    def mark(endpoint: F) -> F:
        setattr(endpoint, SPEC_ATTR, spec)
        return endpoint

    return mark


@dataclass(frozen=True)
class Rule:
    """A :class:`Spec` for routes by template (``/patients/{patient_id}``) and methods."""

    path: str
    spec: Spec
    methods: frozenset[str] = frozenset()  # empty: every method

    def matches(self, path: str, method: str) -> bool:
        return self.path == path and (not self.methods or method in self.methods)


@dataclass(frozen=True)
class CapturePolicy:
    """What the middleware records. ``sensitive_resources`` are target types (first path
    segments) whose reads are audited with the fields they reveal; ``record_denials`` records
    every 401/403 of every route (``authn_token_invalid`` / ``authz_fail``)."""

    rules: tuple[Rule, ...] = ()
    sensitive_resources: frozenset[str] = frozenset()
    sensitive_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    record_denials: bool = True
    source: str = "api"


@dataclass(frozen=True)
class Planned:
    """What the middleware records for one route and method, and the categories it covers."""

    action: str | None  # None: not audited (see ``reason``)
    target_type: str
    target_param: str | None
    fields: tuple[str, ...]
    categories: tuple[tuple[Category, str], ...]  # each with the reason it applies
    reason: str
    exempt: bool = False


def derive_names(path: str, method: str) -> tuple[str, str]:
    """``(action, target_type)`` from a route template: ``PATCH /api/v1/items/{id}`` is
    ``api.v1.items.update`` on ``items``; ``/`` is ``root``."""
    words = [
        _SEGMENT.sub("_", s.lower()).strip("_")
        for s in path.split("/")
        if s and not s.startswith("{")
    ]
    words = [w for w in words if w] or ["root"]
    if not words[0][0].isalpha():
        words[0] = f"r{words[0]}"
    verb = _VERB.get(method, method.lower())
    target = next((w for w in words if not _PREFIX.match(w)), words[0])
    return ".".join([*words, verb]), target


def spec_for(policy: CapturePolicy, path: str, method: str, endpoint: object) -> Spec | None:
    """The explicit spec of a route: its decorator's, else the first matching rule's."""
    spec = getattr(endpoint, SPEC_ATTR, None)
    if isinstance(spec, Spec):
        return spec
    for rule in policy.rules:
        if rule.matches(path, method):
            return rule.spec
    return None


def classify(
    policy: CapturePolicy,
    path: str,
    method: str,
    *,
    tags: Collection[str],
    spec: Spec | None,
    extra: Collection[str] = (),
) -> tuple[tuple[Category, str], ...]:
    """The "must be logged" categories of a route, each with the reason it applies, in the
    order of :class:`Category`. ``extra`` are categories named in the route's OpenAPI extras
    (``x-audit-category``)."""
    found: dict[Category, str] = {}
    for category in spec.categories if spec else ():
        found.setdefault(category, "declared by @audited")
    for name in extra:
        found.setdefault(Category(name), "declared by x-audit-category")
    for tag in tags:
        tagged = TAGS.get(tag.lower())
        if tagged is Category.SENSITIVE_MUTATION and method not in MUTATIONS:
            continue
        if tagged is not None:
            found.setdefault(tagged, f"tag {tag!r}")
    for segment in path.lower().split("/"):
        named = SEGMENTS.get(segment)
        if named is not None:
            found.setdefault(named, f"path segment {segment!r}")
    if method in MUTATIONS:
        found.setdefault(Category.SENSITIVE_MUTATION, f"{method} changes data")
    return tuple((c, found[c]) for c in Category if c in found)


def resolve(
    policy: CapturePolicy,
    path: str,
    method: str,
    endpoint: object,
    *,
    tags: Collection[str] = (),
    extra: Collection[str] = (),
) -> Planned:
    """What the middleware records for ``method path``; pure, shared with the coverage report."""
    spec = spec_for(policy, path, method, endpoint)
    action, target_type = derive_names(path, method)
    categories = classify(policy, path, method, tags=tags, spec=spec, extra=extra)
    if spec is not None and spec.exempt:
        return Planned(None, target_type, None, (), categories, f"exempt: {spec.reason}", True)
    target_type = (spec.target_type if spec else None) or target_type
    sensitive_read = method in {"GET", "HEAD"} and (
        (spec is not None and spec.sensitive) or target_type in policy.sensitive_resources
    )
    fields = (spec.fields if spec else ()) or policy.sensitive_fields.get(target_type, ())
    if spec is not None:
        how = "@audited" if getattr(endpoint, SPEC_ATTR, None) is spec else "a capture rule"
        return Planned(
            spec.action or action, target_type, spec.target_param, fields, categories, how
        )
    if sensitive_read:
        reason = f"a read of the sensitive resource {target_type!r}"
        return Planned(action, target_type, None, fields, categories, reason)
    if categories:
        return Planned(action, target_type, None, (), categories, "a must-be-logged category")
    return Planned(None, target_type, None, (), (), "not sensitive, no category")
