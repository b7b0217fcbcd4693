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


#: Key kinds: a key redaction leaves alone (its value is checked), a declared identifier (its
#: value is exempt), a private key (``_record``: passed through). Other keys are not remembered.
PLAIN, IDENTIFIER, PRIVATE = 0, 1, 2


class Prefiltered:
    """A structlog processor: ``redactor`` for the lines that need it, nothing for the others."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.fast = type(redactor) is Redactor
        self.gate = TextGate(redactor.detectors)
        self._keys: dict[str, int] = {}
        self._clean: set[str] = set()

    def _key_kind(self, key: str) -> int | None:
        """``PLAIN``, ``IDENTIFIER`` or ``PRIVATE``; None for a key the redactor must see (a
        sensitive name, or one a detector could match)."""
        kind = self._keys.get(key)
        if kind is not None:
            return kind
        rules = self.redactor.rules
        if key.startswith("_"):
            kind = PRIVATE
        elif rules.is_identifier(key):
            kind = IDENTIFIER
        elif rules.is_sensitive(key) or self.gate.could_match(key):
            return None
        else:
            kind = PLAIN
        if len(self._keys) >= CACHE_SIZE:
            self._keys.clear()
        self._keys[key] = kind
        return kind

    def _remember(self, value: Any, redacted: Any) -> None:
        """A string the redactor returned unchanged is clean."""
        if type(value) is str and len(value) <= MAX_CACHED_LENGTH and redacted == value:
            if len(self._clean) >= CACHE_SIZE:
                self._clean.clear()
            self._clean.add(value)

    def _triage(self, event_dict: MutableMapping[str, Any]) -> tuple[list[str], bool] | None:
        """The public keys whose field redaction could change, and whether private keys are
        present; None when a key is not a string (the redactor decides the whole line)."""
        keys, clean, could_match = self._keys, self._clean, self.gate.could_match
        dirty: list[str] = []
        private = False
        for key, value in event_dict.items():
            kind = keys.get(key)
            if kind is None:
                if type(key) is not str:
                    return None
                kind = self._key_kind(key)
            if kind == PLAIN:
                t = type(value)
                if t is str:
                    if value in clean or not could_match(value):
                        continue
                elif (
                    value is None
                    or t is bool
                    or t is float
                    or (t is int and -_SMALL_INT < value < _SMALL_INT)
                ):
                    continue
            elif kind == IDENTIFIER:
                continue
            elif kind == PRIVATE:
                private = True
                continue
            dirty.append(key)
        return dirty, private

    def _value(self, value: Any) -> Any:
        redacted = self.redactor.value(value)
        self._remember(value, redacted)
        return redacted

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        triage = self._triage(event_dict) if self.fast else None
        if triage is None:
            return self.redactor(logger, method_name, event_dict)
        dirty, private = triage
        if not dirty and not private:
            return event_dict
        keys = self._keys
        if not private and all(keys.get(key) == PLAIN for key in dirty):
            # Only values can change: redacted in place, every field keeps its place.
            for key in dirty:
                event_dict[key] = self._value(event_dict[key])
            return event_dict
        # What ``Redactor.__call__`` returns (its ``mapping`` treats each field on its own):
        # the public fields in order, the ones that could change redacted, then the private ones.
        out: dict[Any, Any] = {}
        for key, value in event_dict.items():
            if key.startswith("_"):
                continue
            if key not in dirty:
                out[key] = value
            elif keys.get(key) == PLAIN:
                out[key] = self._value(value)
            else:
                out.update(self.redactor.mapping({key: value}))
        if private:
            out.update({k: v for k, v in event_dict.items() if k.startswith("_")})
        return out
