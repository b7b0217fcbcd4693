"""The redaction processor's fast path: a line whose fields cannot hold a finding skips it.

Most log lines carry nothing to redact: a short message, an action, a few ids and numbers. The
``Redactor`` would still scan each key and string value with every detector; ``Prefiltered``
decides first, per field and cheaply, whether redaction could change anything, and calls the
redactor (the whole line, so its output and its counts are exactly the redactor's) only when
some field could. A field cannot change when:

- its key is a declared identifier field (its value is exempt), or
- its key is not sensitive, cannot match a detector, and its value is ``None``, a bool, a float,
  an int of at most 12 digits (a card number has 13 to 19), or a string that cannot match a
  detector (shorter than every detector's ``min_length``, or lacking the ``hint`` and digit each
  detector needs: the metadata ``scan`` itself skips detectors by) or that the redactor already
  returned unchanged (remembered, up to ``CACHE_SIZE`` strings).

Only a plain ``Redactor`` gets the fast path; a subclass is called for every line.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from typing import Any

from readiness.logs.redaction import Detector, Redactor

#: Distinct keys and clean string values remembered (cleared when full).
CACHE_SIZE = 4096
#: Longer strings are not remembered.
MAX_CACHED_LENGTH = 256
#: Integers below this magnitude have at most 12 digits: not a card number.
_SMALL_INT = 10**12

_DIGIT = re.compile(r"\d")


class TextGate:
    """Whether a string could hold a finding of any of ``detectors`` (False: it cannot)."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        never = 1 << 62
        self.min_any = min((d.min_length for d in detectors), default=never)
        #: Detectors with no hint and no digit needed run on every string this long.
        self.plain_min = min(
            (d.min_length for d in detectors if d.hint is None and not d.needs_digit),
            default=never,
        )
        self.digit_min = min(
            (d.min_length for d in detectors if d.hint is None and d.needs_digit), default=never
        )
        self.hinted = sorted(
            ((d.min_length, d.hint, d.needs_digit) for d in detectors if d.hint is not None),
            key=lambda item: item[0],
        )

    def could_match(self, text: str) -> bool:
        n = len(text)
        if n < 2 or n < self.min_any:
            return False
        if n >= self.plain_min:
            return True
        has_digit: bool | None = None
        if n >= self.digit_min:
            has_digit = _DIGIT.search(text) is not None
            if has_digit:
                return True
        for min_length, hint, needs_digit in self.hinted:
            if n < min_length:
                break
            if hint is not None and hint in text:
                if not needs_digit:
                    return True
                if has_digit is None:
                    has_digit = _DIGIT.search(text) is not None
                if has_digit:
                    return True
        return False


class Prefiltered:
    """A structlog processor: ``redactor`` for the lines that need it, nothing for the others."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.fast = type(redactor) is Redactor
        self.gate = TextGate(redactor.detectors)
        #: key -> True (identifier: any value), False (clean key: the value is checked).
        self._keys: dict[str, bool] = {}
        self._clean: set[str] = set()

    def _key_kind(self, key: str) -> bool | None:
        """True for an identifier key, False for a key redaction leaves alone, None otherwise."""
        kind = self._keys.get(key)
        if kind is not None:
            return kind
        rules = self.redactor.rules
        if rules.is_identifier(key):
            kind = True
        elif rules.is_sensitive(key) or self.gate.could_match(key):
            return None
        else:
            kind = False
        if len(self._keys) >= CACHE_SIZE:
            self._keys.clear()
        self._keys[key] = kind
        return kind

    def _value_clean(self, value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value in self._clean or not self.gate.could_match(value)
        if value is None or kind is bool or kind is float:
            return True
        if kind is int:
            return bool(-_SMALL_INT < value < _SMALL_INT)
        return False

    def _dirty_keys(self, event_dict: MutableMapping[str, Any]) -> list[str] | None:
        """The public keys whose field redaction could change; None when a key is not a string
        (the redactor decides the whole line)."""
        dirty: list[str] = []
        for key, value in event_dict.items():
            if type(key) is not str:
                return None
            if key.startswith("_"):
                continue  # the redactor passes private keys (``_record``) through
            kind = self._key_kind(key)
            if kind is None or (kind is False and not self._value_clean(value)):
                dirty.append(key)
        return dirty

    def _remember(self, value: Any, redacted: Any) -> None:
        """A string the redactor returned unchanged is clean."""
        if type(value) is str and len(value) <= MAX_CACHED_LENGTH and redacted == value:
            if len(self._clean) >= CACHE_SIZE:
                self._clean.clear()
            self._clean.add(value)

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        dirty = self._dirty_keys(event_dict) if self.fast else None
        if dirty is None:
            return self.redactor(logger, method_name, event_dict)
        has_private = any(k.startswith("_") for k in event_dict)
        if not dirty and not has_private:
            return event_dict
        # What ``Redactor.__call__`` returns (its ``mapping`` treats each field on its own):
        # the public fields in order, the ones that could change redacted, then the private ones.
        out: dict[Any, Any] = {}
        for key, value in event_dict.items():
            if key.startswith("_"):
                continue
            if key not in dirty:
                out[key] = value
            elif self._keys.get(key) is False:  # an ordinary key: only the value can change
                redacted = self.redactor.value(value)
                self._remember(value, redacted)
                out[key] = redacted
            else:
                out.update(self.redactor.mapping({key: value}))
        if has_private:
            out.update({k: v for k, v in event_dict.items() if k.startswith("_")})
        return out
