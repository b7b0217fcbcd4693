"""The redaction processor: walks an event dict and replaces what the rules and detectors find."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from readiness.logs.redaction import validators
from readiness.logs.redaction.detectors import (
    DEFAULT_ENTROPY_THRESHOLD,
    Detector,
    default_detectors,
)
from readiness.logs.redaction.keys import DEFAULT_IDENTIFIER_KEYS, DEFAULT_SENSITIVE_KEYS, KeyRules
from readiness.logs.redaction.scanning import OnFinding, clean, prescan, scan, scan_many

REDACTED = "[REDACTED]"
MAX_DEPTH = 32


class Redactor:
    """A structlog processor (``Redactor()(logger, method, event_dict)``) and a text scanner.

    Fields named like secrets become ``[REDACTED]``; strings everywhere else (values, keys, nested
    dicts and lists, exception messages and stacks) are scanned by the detectors; declared
    identifier fields and values that are UUIDs or hex ids are left alone. ``counts`` records
    how many findings of each kind were redacted since the redactor was made.
    """

    def __init__(
        self,
        *,
        sensitive_keys: Iterable[str] = DEFAULT_SENSITIVE_KEYS,
        identifier_keys: Iterable[str] = DEFAULT_IDENTIFIER_KEYS,
        detectors: list[Detector] | None = None,
        entropy_threshold: float = DEFAULT_ENTROPY_THRESHOLD,
    ) -> None:
        self.rules = KeyRules(sensitive_keys, identifier_keys)
        self.detectors = (
            detectors if detectors is not None else default_detectors(entropy_threshold)
        )
        self.counts: dict[str, int] = {}
        #: Called with ``(kind, original)`` for each finding (the scanner sets it).
        self.on_finding: OnFinding | None = None

    def text(self, text: str) -> str:
        """``text`` with every finding replaced by its typed marker."""
        # ``validators.is_identifier_value``, inlined: this runs for every string logged.
        if len(text) >= 16 and validators.IDENTIFIER.fullmatch(text) is not None:
            return text
        return scan(text, self.detectors, self.counts, self.on_finding)

    def prescanned_text(self, text: str, found: list[int] | None) -> str:
        """``self.text(text)``, given the gates ``text`` matches as ``scanning.prescan`` found
        them (None: not found, ``text`` is scanned as ``self.text`` does)."""
        if type(self).text is not Redactor.text:
            return self.text(text)
        if found is not None and not found and clean(found, self.detectors):
            return text
        if len(text) >= 16 and validators.IDENTIFIER.fullmatch(text) is not None:
            return text
        return scan(text, self.detectors, self.counts, self.on_finding, found=found)

    def texts(self, texts: Sequence[str]) -> list[str]:
        """``[self.text(t) for t in texts]``: the same results, counts and findings in the same
        order, faster. One Hyperscan scan finds the gates of them all (``scanning.prescan``); a
        text no gate matched comes back without a Python step of its own. (A subclass with its
        own ``text`` has it called for each text.)"""
        prescanned = (
            None if type(self).text is not Redactor.text else prescan(texts, self.detectors)
        )
        if prescanned is None:
            return [self.text(t) for t in texts]
        return scan_many(
            texts,
            prescanned,
            self.detectors,
            counts=self.counts,
            on_finding=self.on_finding,
            # ``validators.is_identifier_value``: its pattern matches 16 characters or more.
            keep=validators.IDENTIFIER.fullmatch,
        )

    def value(self, value: Any, depth: int = 0) -> Any:
        """A redacted copy of any loggable value."""
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, (bool, int, float)):
            # bool is an int: True must not be checked as a card number.
            return (
                value if isinstance(value, (bool, float)) or value is None else self.integer(value)
            )
        if depth >= MAX_DEPTH:
            return "[DEPTH]"
        if isinstance(value, Mapping):
            return self.mapping(value, depth + 1)
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.value(item, depth + 1) for item in value]
        return self.text(str(value))

    def integer(self, value: int) -> int | str:
        """A card number logged as an integer is still a card number."""
        if validators.card_valid(str(abs(value))):
            self.counts["card"] = self.counts.get("card", 0) + 1
            if self.on_finding is not None:
                self.on_finding("card", str(value))
            return "[CARD]"
        return value

    def mapping(self, mapping: Mapping[Any, Any], depth: int = 0) -> dict[Any, Any]:
        """A redacted copy of a dict: rules on keys, detectors on keys and values."""
        out: dict[Any, Any] = {}
        for key, item in mapping.items():
            name = key if isinstance(key, str) else str(key)
            if self.rules.is_identifier(name):
                out[key] = item
            elif self.rules.is_sensitive(name):
                self.counts["key"] = self.counts.get("key", 0) + 1
                if self.on_finding is not None:
                    self.on_finding("key", f"{name}={item}")
                out[key] = REDACTED
            else:
                out[self.text(key) if isinstance(key, str) else key] = self.value(item, depth)
        return out

    def __call__(
        self, _logger: object, _method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        private = {k: v for k, v in event_dict.items() if k.startswith("_")}
        public = {k: v for k, v in event_dict.items() if not k.startswith("_")}
        return {**self.mapping(public), **private}
