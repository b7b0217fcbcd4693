"""Typed events: declared classes whose every field carries a privacy class.

    class OrderPlaced(Event, action="order.placed"):
        order_id: Public[str]
        amount: Public[float]
        user_id: Pseudonymous[str]
        email: Hashed[str]
        card_number: Never[str]

    log.event(OrderPlaced(order_id="o-1", amount=120.5, user_id="u-4", email=e, card_number=c))

``public`` fields are logged as given, ``pseudonymous`` ones are already pseudonyms (logged as
given, never joined to identity here), ``hashed`` ones become a keyed HMAC-SHA256 (the same input
gives the same hash within one key, so they can still be grouped), ``never`` ones are dropped
before rendering. An event class is a frozen keyword-only dataclass: the type checker rejects an
unknown field; at run time ``OrderPlaced.of(**values)`` raises on one in development and, in
production, drops it and counts it in ``dropped_fields``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import typing
from enum import Enum
from typing import Annotated, Any, ClassVar, Self, TypeVar, dataclass_transform

from readiness.errors import InputError

T = TypeVar("T")


class Privacy(Enum):
    """How a field of a typed event may appear in a log line."""

    PUBLIC = "public"
    PSEUDONYMOUS = "pseudonymous"
    HASHED = "hashed"
    NEVER = "never"


Public = Annotated[T, Privacy.PUBLIC]
Pseudonymous = Annotated[T, Privacy.PSEUDONYMOUS]
Hashed = Annotated[T, Privacy.HASHED]
Never = Annotated[T, Privacy.NEVER]

HASH_HEX_CHARS = 32

#: Unknown fields dropped in production, by ``"EventClass.field"``.
dropped_fields: dict[str, int] = {}


class EventFieldError(InputError):
    """A typed event was given a field its class does not declare (development mode)."""

    code = "log_event_field"


class _Settings:
    strict = True
    hash_key = b""


settings = _Settings()


def set_mode(*, strict: bool, hash_key: bytes) -> None:
    """Called by ``configure``: strict (development) or lenient (production), and the HMAC key."""
    settings.strict = strict
    settings.hash_key = hash_key


def keyed_hash(value: object, key: bytes) -> str:
    """The first 32 hex characters of HMAC-SHA256(key, str(value))."""
    digest = hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:HASH_HEX_CHARS]


@dataclass_transform(kw_only_default=True, frozen_default=True)
class Event:
    """Base of typed log events. Subclass with ``action=`` (and optionally ``level=``)."""

    action: ClassVar[str]
    level: ClassVar[str]
    privacy: ClassVar[dict[str, Privacy]]

    def __init_subclass__(cls, *, action: str, level: str = "info", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.action = action
        cls.level = level
        hints = typing.get_type_hints(cls, include_extras=True)
        privacy: dict[str, Privacy] = {}
        for name, hint in hints.items():
            if typing.get_origin(hint) is ClassVar or name in ("action", "level", "privacy"):
                continue
            marks = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Privacy)]
            if len(marks) != 1:
                raise TypeError(
                    f"{cls.__name__}.{name} needs exactly one privacy class "
                    "(Public[...], Pseudonymous[...], Hashed[...] or Never[...])"
                )
            privacy[name] = marks[0]
        cls.privacy = privacy
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)

    @classmethod
    def of(cls, **values: Any) -> Self:
        """Builds the event from run-time values: an unknown field raises in development and is
        dropped (and counted in ``dropped_fields``) in production."""
        unknown = sorted(set(values) - set(cls.privacy))
        if unknown and settings.strict:
            raise EventFieldError(
                f"{cls.__name__} has no field {', '.join(map(repr, unknown))}; "
                f"declared: {', '.join(sorted(cls.privacy))}"
            )
        for name in unknown:
            key = f"{cls.__name__}.{name}"
            dropped_fields[key] = dropped_fields.get(key, 0) + 1
            del values[name]
        return cls(**values)

    def log_fields(self) -> dict[str, Any]:
        """The fields as they may be logged: hashed ones hashed, ``never`` ones absent."""
        out: dict[str, Any] = {"action": self.action}
        for name, privacy in self.privacy.items():
            value = getattr(self, name)
            if privacy is Privacy.NEVER:
                continue
            out[name] = keyed_hash(value, settings.hash_key) if privacy is Privacy.HASHED else value
        return out


def emit(logger: Any, event: Event, message: str | None = None) -> None:
    """Logs ``event`` at its class's level through ``logger`` (``log.event`` calls this)."""
    getattr(logger, event.level)(message or event.action, **event.log_fields())
