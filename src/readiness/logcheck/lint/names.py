"""Names: splitting identifiers into words, PII and secret terms, field-name conventions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Secret-like terms: a value under such a name must never reach a log line.
SECRET_TERMS = (
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "private_key",
    "access_key",
    "secret_key",
    "authorization",
    "auth_header",
    "bearer",
    "cookie",
    "set_cookie",
    "credential",
    "credentials",
    "jwt",
    "otp",
    "cvv",
    "cvc",
    "pin",
)
#: Personal data terms (the handbook's PII list).
PII_TERMS = (
    "email",
    "ssn",
    "social_security",
    "card",
    "card_number",
    "credit_card",
    "iban",
    "phone",
    "mobile",
    "msisdn",
    "address",
    "street",
    "postcode",
    "dob",
    "birthdate",
    "birthday",
    "date_of_birth",
    "ip",
    "remote_addr",
    "first_name",
    "last_name",
    "full_name",
    "surname",
    "passport",
    "national_id",
    "tax_id",
)
#: A last word that makes the name describe the value rather than hold it (``token_type``).
SAFE_LAST = frozenset(
    {
        "id",
        "ids",
        "hash",
        "hashed",
        "digest",
        "sha256",
        "masked",
        "redacted",
        "count",
        "len",
        "length",
        "type",
        "kind",
        "present",
        "valid",
        "verified",
        "expires",
        "expiry",
        "ttl",
        "domain",
        "name",
        "field",
        "fields",
        "header",
        "format",
        "family",
        "version",
        "url",
        "path",
        "file",
        "endpoint",
        "class",
        "cls",
        "factory",
        "source",
        "provider",
    }
)
#: A first word that makes the name a flag or a number (``has_password``, ``num_tokens``).
SAFE_FIRST = frozenset({"has", "is", "n", "num", "no", "max", "min", "use", "with", "require"})
#: Common spellings of the baseline fields (on top of case and separator variants).
DEFAULT_ALIASES: Mapping[str, str] = {
    "uid": "user_id",
    "userid": "user_id",
    "trace": "trace_id",
    "traceid": "trace_id",
    "correlation_id": "trace_id",
    "req_id": "request_id",
    "requestid": "request_id",
    "err": "error",
    "exc": "error",
    "exception": "error",
    "elapsed_ms": "duration_ms",
    "latency_ms": "duration_ms",
    "took_ms": "duration_ms",
    "duration": "duration_ms",
    "env": "environment",
    "svc": "service",
    "service_name": "service",
    "op": "action",
    "operation": "action",
    "severity": "level",
    "lvl": "level",
}

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CAMEL = re.compile(r"[a-z0-9][A-Z]|[A-Z]{2,}[a-z]")


def words(name: str) -> list[str]:
    """``userEmail`` -> ``["user", "email"]``; ``APIKey`` -> ``["api", "key"]``."""
    return [w.lower() for w in _WORD.findall(name)]


def snake(name: str) -> str:
    """``userId`` -> ``user_id``; dots and dashes kept as they are."""
    return "_".join(words(name)) if _CAMEL.search(name) else name


def is_camel(name: str) -> bool:
    return bool(_CAMEL.search(name))


@dataclass(frozen=True)
class PiiMatch:
    term: str
    secret: bool


class PiiNames:
    """Word-boundary matching of identifiers against PII and secret terms."""

    def __init__(self, extra: Iterable[str] = (), safe: Iterable[str] = ()) -> None:
        self._terms: dict[str, PiiMatch] = {}
        for term in PII_TERMS:
            self._terms["".join(words(term))] = PiiMatch(term, secret=False)
        for term in (*SECRET_TERMS, *extra):
            self._terms["".join(words(term))] = PiiMatch(term, secret=True)
        self._safe = frozenset(safe)

    def match(self, name: str) -> PiiMatch | None:
        """The term ``name`` holds, or None (``zip`` and ``description`` hold none)."""
        if name in self._safe:
            return None
        parts = words(name)
        if not parts or parts[-1] in SAFE_LAST or (len(parts) > 1 and parts[0] in SAFE_FIRST):
            return None
        for start in range(len(parts)):
            for end in range(len(parts), start, -1):
                found = self._terms.get("".join(parts[start:end]))
                if found is not None:
                    return found
        return None


class FieldNames:
    """The baseline's snake_case names, their variants and the configured aliases."""

    def __init__(self, baseline: Iterable[str], aliases: Mapping[str, str]) -> None:
        self.baseline = frozenset(baseline)
        self._by_shape = {b.replace("_", "").lower(): b for b in self.baseline}
        self._aliases = {**DEFAULT_ALIASES, **aliases}

    def canonical(self, name: str) -> str:
        """The baseline name ``name`` stands for, or ``name`` itself."""
        if name in self.baseline:
            return name
        alias = self._aliases.get(name) or self._aliases.get(name.lower())
        if alias is not None:
            return alias
        return self._by_shape.get(name.replace("_", "").replace("-", "").lower(), name)

    def advice(self, name: str) -> str | None:
        """The name to use instead of ``name``, or None when ``name`` follows the convention."""
        if name in self.baseline:
            return None
        canonical = self.canonical(name)
        if canonical != name:
            return canonical
        return snake(name) if is_camel(name) else None
