"""Validators: the checks that turn a regex candidate into a finding (pure functions)."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from typing import Protocol, cast

from readiness._common import speedups

#: IBAN lengths by country (ISO 13616 registry, the common ones); others need 15 to 34 characters.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24,
    "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}  # fmt: skip

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
#: What ``is_identifier_value`` accepts (of 16 characters or more): the three in one pattern.
IDENTIFIER = re.compile(f"[0-9a-fA-F]{{16,}}|{_UUID.pattern}|{_TRACEPARENT.pattern}")


class _Validators(Protocol):
    """The validators of the optional C accelerator (``native/``): the same answers on ASCII
    input, None where the Python function takes another path."""

    def card_valid(self, digits: str, /) -> bool | None: ...

    def iban_valid(self, candidate: str, lengths: dict[str, int], /) -> bool | None: ...

    def secret_candidates(self, text: str, /) -> bool | None: ...

    def ssn_sub(self, text: str, /) -> tuple[str, list[str], bool]: ...

    def ipv4_sub(self, text: str, /) -> tuple[str, list[str], bool]: ...

    def email_sub(self, text: str, /) -> tuple[str, list[str], bool]: ...

    def ipv6_network(self, text: str, /) -> str | None: ...


def _load_speedups() -> _Validators | None:
    """The accelerator, or None (not installed, an older build, or ``READINESS_PURE_PYTHON``
    set): the Python functions below then answer alone."""
    module = speedups.accelerator(
        "card_valid", "iban_valid", "secret_candidates", "ssn_sub", "ipv4_sub", "email_sub",
        "ipv6_network",
    )  # fmt: skip
    return None if module is None else cast("_Validators", module)


_speedups = _load_speedups()


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check digit of payment card numbers."""
    if digits.isascii() and digits.isdigit():
        # The same sum without a Python loop: every second digit from the right doubled (its
        # digits summed) by a translation, the digits summed as bytes (each one 48 too many).
        raw = digits.encode("ascii")
        return (
            sum(raw[::-2]) + sum(raw[-2::-2].translate(_LUHN_DOUBLED)) - 48 * len(raw)
        ) % 10 == 0
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_LUHN_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")


def card_brand(digits: str) -> str | None:
    """The card network a number's prefix (IIN) and length belong to, or None."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    brand = None
    if digits[0] == "4" and n in (13, 16, 19):
        brand = "visa"
    elif (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        brand = "mastercard"
    elif two in (34, 37) and n == 15:
        brand = "amex"
    elif (four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649) and 16 <= n <= 19:
        brand = "discover"
    elif two == 35 and 16 <= n <= 19:
        brand = "jcb"
    elif two in (30, 36, 38) and n == 14:
        brand = "diners"
    elif two == 62 and 16 <= n <= 19:
        brand = "unionpay"
    return brand


def card_valid(digits: str) -> bool:
    """13 to 19 digits, a known network prefix, a valid Luhn check digit."""
    if _speedups is not None:
        fast = _speedups.card_valid(digits)
        if fast is not None:
            return fast
    return _card_valid(digits)


def _card_valid(digits: str) -> bool:
    """``card_valid`` in Python."""
    return 13 <= len(digits) <= 19 and card_brand(digits) is not None and luhn_valid(digits)


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """A US SSN the SSA can issue: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


def iban_valid(candidate: str) -> bool:
    """The country's length (or 15-34 if unlisted) and the ISO 7064 mod-97 check digits."""
    if _speedups is not None:
        fast = _speedups.iban_valid(candidate, IBAN_LENGTHS)
        if fast is not None:
            return fast
    return _iban_valid(candidate)


def _iban_valid(candidate: str) -> bool:
    """``iban_valid`` in Python."""
    iban = candidate.replace(" ", "").upper()
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is None and not 15 <= len(iban) <= 34:
        return False
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    if rearranged.isascii() and rearranged.isalnum():
        # Each letter as its number (A=10 ... Z=35), in one translation.
        number = rearranged.translate(_IBAN_LETTERS)
    else:
        number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


#: Each ASCII character as itself, each capital as its number: a list (indexed by code point) is
#: a faster ``str.translate`` table than a dict; the text translated is ASCII.
_IBAN_LETTERS = [
    str(10 + code - ord("A")) if "A" <= chr(code) <= "Z" else chr(code) for code in range(128)
]


def _b64url_json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def jwt_valid(token: str) -> bool:
    """Three segments whose header decodes (base64url) to a JSON object naming an ``alg``."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        header = _b64url_json(parts[0])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and isinstance(header.get("alg"), str)


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``'s own character distribution."""
    if not text:
        return 0.0
    n = len(text)
    return -sum((c / n) * math.log2(c / n) for c in Counter(text).values())


def is_identifier_value(text: str) -> bool:
    """A UUID, a W3C traceparent, or a hex string of 16+ characters (trace/span ids, hashes)."""
    return len(text) >= 16 and IDENTIFIER.fullmatch(text) is not None
