"""The faster validators answer what the plain formulas answer: Luhn, card brands, IBAN mod-97
and the IPv6 /48 network (against ``ipaddress``)."""

from __future__ import annotations

import ipaddress
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logs.redaction import detectors, validators


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _brand(digits: str) -> str | None:
    n = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    rules = (
        ("visa", digits[0] == "4" and n in (13, 16, 19)),
        ("mastercard", (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16),
        ("amex", two in (34, 37) and n == 15),
        ("discover", (four == 6011 or two == 65 or 644 <= three <= 649) and 16 <= n <= 19),
        ("jcb", two == 35 and 16 <= n <= 19),
        ("diners", two in (30, 36, 38) and n == 14),
        ("unionpay", two == 62 and 16 <= n <= 19),
    )
    return next((brand for brand, matches in rules if matches), None)


def _mod97(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _ipv6_48(text: str) -> str | None:
    if text.count(":") < 2 or not any(ch not in ":" for ch in text):
        return None
    try:
        network = ipaddress.IPv6Network(f"{text}/48", strict=False)
    except ValueError:
        return None
    return f"{network.network_address}/48"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789", max_size=25) | st.text(max_size=6))
def test_luhn_matches_the_digit_by_digit_formula(digits: str) -> None:
    assert validators.luhn_valid(digits) == _luhn(digits)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_card_brand_matches_the_rule_table(digits: str) -> None:
    assert validators.card_brand(digits) == _brand(digits)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=15, max_size=34))
def test_iban_check_digits_match_the_character_by_character_number(iban: str) -> None:
    expected = validators.IBAN_LENGTHS.get(iban[:2])
    if expected is None or len(iban) == expected:
        assert validators.iban_valid(iban) == _mod97(iban)
    assert validators.iban_valid("GB82 WEST 1234 5698 7654 32") is True


@settings(max_examples=5000, deadline=None)
@given(st.text(alphabet="0012abcdefABCDEF:", max_size=40))
def test_the_ipv6_network_is_what_ipaddress_prints(text: str) -> None:
    match = re.fullmatch(r".*", text, re.S)
    assert match is not None
    assert detectors._ipv6(match) == _ipv6_48(text)
