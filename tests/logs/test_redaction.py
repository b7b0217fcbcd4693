"""Redaction: key rules, every detector with its validator, markers, nested values, wiring."""

from __future__ import annotations

import pytest

from readiness import logs
from readiness.logs.redaction import Redactor, key_words
from readiness.logs.redaction.validators import (
    iban_valid,
    jwt_valid,
    luhn_valid,
    shannon_entropy,
    ssn_valid,
)
from tests.logs.conftest import Configure

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
NO_ALG_JWT = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"  # header {"typ":"JWT"}: no alg


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("password", True),
        ("db.password", True),
        ("Authorization", True),
        ("set-cookie", True),
        ("Cookie", True),
        ("X-Api-Key", True),
        ("apiKey", True),
        ("api_key", True),
        ("access_token", True),
        ("client_secret", True),
        ("ssn", True),
        ("creditCardNumber", True),
        ("card", True),
        ("discard", False),
        ("author", False),
        ("tokens_used_count", False),
        ("order_id", False),
        ("message", False),
    ],
)
def test_key_rules_match_words_not_substrings(
    redactor: Redactor, key: str, *, sensitive: bool
) -> None:
    assert redactor.rules.is_sensitive(key) is sensitive


def test_key_words_split_every_naming_style() -> None:
    assert key_words("X-Api-Key") == ("x", "api", "key")
    assert key_words("creditCardNumber") == ("credit", "card", "number")
    assert key_words("db.password_hash") == ("db", "password", "hash")


def test_sensitive_keys_are_configurable() -> None:
    custom = Redactor(sensitive_keys=["mothers maiden name"])
    assert custom.mapping({"mothersMaidenName": "Smith", "password": "x"}) == {
        "mothersMaidenName": "[REDACTED]",
        "password": "x",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob.smith+tag@mail.example.co.uk now", "mail [EMAIL] now"),
        ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        ("bad luhn 4111111111111112", "bad luhn 4111111111111112"),
        ("no network 9111111111111111", "no network 9111111111111111"),
        ("ssn 123-45-6789", "ssn [SSN]"),
        ("area 000-45-6789", "area 000-45-6789"),
        ("area 666-45-6789", "area 666-45-6789"),
        ("area 912-45-6789", "area 912-45-6789"),
        ("group 123-00-6789", "group 123-00-6789"),
        ("serial 123-45-0000", "serial 123-45-0000"),
        ("iban GB82 WEST 1234 5698 7654 32 paid", "iban [IBAN] paid"),
        ("iban DE89370400440532013000", "iban [IBAN]"),
        ("iban GB83 WEST 1234 5698 7654 32", "iban GB83 WEST 1234 5698 7654 32"),
        ("iban GB82 WEST 1234 5698 7654 32 OK", "iban [IBAN] OK"),
        ("from 203.0.113.42", "from 203.0.113.0/24"),
        ("from 203.0.113.0/24", "from 203.0.113.0/24"),
        ("from 2001:db8:85a3::8a2e:370:7334.", "from 2001:db8:85a3::/48."),
        ("from ::1", "from ::/48"),
        ("at 12:30:45 on aa:bb:cc:dd:ee:ff", "at 12:30:45 on aa:bb:cc:dd:ee:ff"),
        ("call +1 415 555 2671", "call [PHONE]"),
        ("call (415) 555-2671", "call [PHONE]"),
        ("call 020 7946 0958", "call [PHONE]"),
        ("call +33 1 23 45 67 89", "call [PHONE]"),
        ("call +14155552671", "call [PHONE]"),
        ("on 2025-03-15 14:23:01", "on 2025-03-15 14:23:01"),
        ("total 1 000 000 000", "total 1 000 000 000"),
        ("version 1.2.3.4.5", "version 1.2.3.4.5"),
        ("order 1234567890", "order 1234567890"),
        (f"token {JWT}", "token [JWT]"),
        (f"not a jwt {NO_ALG_JWT}", f"not a jwt {NO_ALG_JWT}"),
        (f"Authorization: Bearer {JWT}", "Authorization: Bearer [JWT]"),
        ("Authorization: bearer abcdefgh12345678XYZ", "Authorization: bearer [SECRET]"),
        ("the bearer of this letter", "the bearer of this letter"),
        ("key AKIAIOSFODNN7EXAMPLE", "key [API_KEY:aws]"),
        ("key ghp_" + "a1B2" * 9, "key [API_KEY:github]"),
        ("key github_pat_" + "A1b_" * 20 + "zz", "key [API_KEY:github]"),
        ("key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "key [API_KEY:stripe]"),
        ("key xoxb-1234567890-abcdefghij", "key [API_KEY:slack]"),
        ("key AIza" + "SyD-1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6", "key [API_KEY:google]"),
        ("key sk-proj-abcDEF123ghiJKL456mnoPQR", "key [API_KEY:openai]"),
    ],
)
def test_detectors_replace_validated_findings_with_typed_markers(
    redactor: Redactor, text: str, expected: str
) -> None:
    assert redactor.text(text) == expected


def test_entropy_at_the_threshold_is_a_secret_and_just_below_is_not() -> None:
    at = "ABCDEFGH12345678" * 2  # 16 symbols, each twice: exactly 4.0 bits per character
    below = "ABCDEFG12345678" * 2  # 15 symbols: log2(15) = 3.907 bits
    assert shannon_entropy(at) == 4.0
    assert round(shannon_entropy(below), 3) == 3.907
    assert Redactor().text(f"k={at}") == "k=[SECRET]"
    assert Redactor().text(f"k={below}") == f"k={below}"
    assert Redactor(entropy_threshold=shannon_entropy(below)).text(f"k={below}") == "k=[SECRET]"


def test_high_entropy_text_without_digits_or_letters_is_not_a_secret(redactor: Redactor) -> None:
    assert redactor.text("AbCdEfGhIjKlMnOpQrStUvWxYz") == "AbCdEfGhIjKlMnOpQrStUvWxYz"


def test_validators_on_their_own() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert ssn_valid("123", "45", "6789")
    assert not ssn_valid("899", "45", "0000")
    assert iban_valid("NL91ABNA0417164300")
    assert not iban_valid("NL91ABNA041716430")  # NL is 18 characters
    assert jwt_valid(JWT)
    assert not jwt_valid(NO_ALG_JWT)
    assert not jwt_valid("eyJ!!!.a.b")


def test_nested_values_are_walked_and_counted(redactor: Redactor) -> None:
    event = {
        "user": {"email": "a@example.com", "cards": [4111111111111111, "4111 1111 1111 1111"]},
        "headers": {"Set-Cookie": "sid=abc", "Accept": "text/html"},
        "ips": ("203.0.113.42",),
        "bob@example.com": 1,
    }
    assert redactor.mapping(event) == {
        "user": {"email": "[EMAIL]", "cards": ["[CARD]", "[CARD]"]},
        "headers": {"Set-Cookie": "[REDACTED]", "Accept": "text/html"},
        "ips": ["203.0.113.0/24"],
        "[EMAIL]": 1,
    }
    assert redactor.counts == {"email": 2, "card": 2, "key": 1, "ip": 1}


def test_identifier_fields_and_identifier_values_are_exempt(redactor: Redactor) -> None:
    event = {
        "trace_id": "4111111111111111",
        "request_id": "call +1 415 555 2671",
        "span_id": "00f067aa0ba902b7",
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "id": "123e4567-e89b-12d3-a456-426614174000",
    }
    assert redactor.mapping(event) == event


def test_configure_redacts_structlog_and_stdlib_lines(configure: Configure) -> None:
    import logging

    out = configure()
    logs.bind(trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    logs.get_logger().info("signup bob@example.com", password="hunter2", ip="203.0.113.42")
    logging.getLogger("lib").warning("card %s", "4111111111111111", extra={"token": "t"})
    first, second = out.records()
    assert first["message"] == "signup [EMAIL]"
    assert first["password"] == "[REDACTED]"
    assert first["ip"] == "203.0.113.0/24"
    assert first["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert second["message"] == "card [CARD]"
    assert second["token"] == "[REDACTED]"


def test_exception_messages_are_redacted(configure: Configure) -> None:
    out = configure()
    try:
        raise ValueError("no user bob@example.com")
    except ValueError:
        logs.get_logger().exception("lookup failed")
    error = out.records()[0]["error"]
    assert error["message"] == "no user [EMAIL]"
    assert error["stack"].endswith("ValueError: no user [EMAIL]")


def test_redaction_can_be_switched_off_or_replaced(configure: Configure) -> None:
    out = configure(redact=False)
    logs.get_logger().info("bob@example.com")
    assert out.records()[0]["message"] == "bob@example.com"
    logs.reset()
    out = configure(redact=Redactor(sensitive_keys=["nickname"]))
    logs.get_logger().info("x", nickname="bob", password="p")
    assert (out.records()[0]["nickname"], out.records()[0]["password"]) == ("[REDACTED]", "p")
