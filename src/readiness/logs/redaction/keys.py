"""Key-name rules: a field whose name says it holds a secret is redacted whole.

Names are split into words (``snake_case``, ``kebab-case``, ``dotted.names``, ``camelCase``), so
``set-cookie``, ``X-Api-Key``, ``creditCard`` and ``db.password`` match, while ``discard`` or
``author`` do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Default sensitive names: each entry is a sequence of words that must appear, in order and
#: adjacent, among the key's words (``api key`` matches ``x_api_key`` and ``apiKey``).
DEFAULT_SENSITIVE_KEYS = (
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "auth header",
    "cookie",
    "set cookie",
    "session",
    "api key",
    "apikey",
    "private key",
    "credential",
    "credentials",
    "ssn",
    "card",
    "pan",
    "cvv",
    "cvc",
    "iban",
    "pin",
)

#: Identifier fields never redacted (their values are random, not personal).
DEFAULT_IDENTIFIER_KEYS = (
    "trace_id",
    "span_id",
    "request_id",
    "parent_id",
    "parent_span_id",
    "traceparent",
    "correlation_id",
    "timestamp",
    "level",
    "service",
    "environment",
    "version",
    "duration_ms",
    "logger",
)

#: Distinct key names whose verdict is remembered (keys repeat from line to line).
CACHE_SIZE = 4096

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


def key_words(key: str) -> tuple[str, ...]:
    """``'X-Api-Key'`` -> ``('x', 'api', 'key')``; ``'creditCardNumber'`` -> ``('credit', 'card',
    'number')``."""
    return tuple(w.lower() for w in _SEPARATORS.split(_CAMEL.sub("_", key)) if w)


class KeyRules:
    """Which field names are secrets (redacted whole) and which are identifiers (left alone)."""

    def __init__(
        self,
        sensitive: Iterable[str] = DEFAULT_SENSITIVE_KEYS,
        identifiers: Iterable[str] = DEFAULT_IDENTIFIER_KEYS,
    ) -> None:
        # " api key " in " x api key ": word sequences compared as space-padded strings.
        self._sensitive = tuple(f" {' '.join(key_words(name))} " for name in sensitive)
        self._identifiers = frozenset(identifiers)
        self._cache: dict[str, bool] = {}

    def is_identifier(self, key: str) -> bool:
        """A declared identifier field: its value is exempt from every detector."""
        return key in self._identifiers

    def is_sensitive(self, key: str) -> bool:
        """The key names a secret or PII field."""
        known = self._cache.get(key)
        if known is not None:
            return known
        words = f" {' '.join(key_words(key))} "
        found = any(rule in words for rule in self._sensitive)
        if len(self._cache) < CACHE_SIZE:
            self._cache[key] = found
        return found
