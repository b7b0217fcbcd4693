"""Pure auth rules: token format, roles, session cookies, CSRF, Authorization headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.auth.core import (
    SessionData,
    check_csrf,
    csrf_token,
    display_prefix,
    hash_token,
    make_token,
    parse_authorization,
    read_session,
    role_allows,
    sign_in_locked_until,
    sign_session,
    validate_role,
)
from readiness.errors import InputError

KEY = b"k" * 32
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_a_token_is_rdy_followed_by_43_urlsafe_characters() -> None:
    token = make_token(bytes(range(32)))
    assert token == "rdy_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    assert len(token) == 47


def test_make_token_rejects_the_wrong_number_of_random_bytes() -> None:
    with pytest.raises(ValueError, match="needs 32 random bytes"):
        make_token(b"short")


def test_hash_is_sha256_hex_and_prefix_is_eight_characters() -> None:
    assert hash_token("rdy_x") == "18cc5e9627708b12d1a93072fd628f276e88c0ec13b4dcb72479062399275f93"
    assert display_prefix("rdy_abcdefgh") == "rdy_abcd"


@pytest.mark.parametrize(
    ("have", "need", "allowed"),
    [
        ("reader", "reader", True),
        ("reader", "writer", False),
        ("reader", "admin", False),
        ("reader", "auditor", False),
        ("writer", "reader", True),
        ("writer", "writer", True),
        ("writer", "admin", False),
        ("writer", "auditor", False),
        ("admin", "reader", True),
        ("admin", "writer", True),
        ("admin", "admin", True),
        ("admin", "auditor", True),
        ("auditor", "reader", True),
        ("auditor", "auditor", True),
        ("auditor", "writer", False),
        ("auditor", "admin", False),
        ("nobody", "reader", False),
    ],
)
def test_role_grants_follow_the_documented_table(have: str, need: str, allowed: bool) -> None:
    assert role_allows(have, need) is allowed


def test_an_unknown_role_is_an_input_error_listing_the_choices() -> None:
    with pytest.raises(InputError) as info:
        validate_role("root")
    assert info.value.message == (
        "role 'root' is not known; expected one of reader, writer, admin, auditor"
    )


def test_bearer_and_basic_headers_both_yield_the_token() -> None:
    basic = base64.b64encode(b"pact:rdy_secret").decode()
    assert parse_authorization("Bearer rdy_secret") == "rdy_secret"
    assert parse_authorization(f"Basic {basic}") == "rdy_secret"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Token abc", "Basic !!!", "Basic " + base64.b64encode(b"u").decode()],
)
def test_malformed_authorization_headers_yield_no_token(header: str | None) -> None:
    assert parse_authorization(header) is None


def test_a_signed_session_reads_back_until_it_expires() -> None:
    cookie = sign_session(KEY, SessionData(token_id=7, expires=int(NOW.timestamp()) + 60))
    assert read_session(KEY, cookie, now=NOW) == SessionData(7, int(NOW.timestamp()) + 60)
    later = datetime.fromtimestamp(NOW.timestamp() + 60, tz=UTC)
    assert read_session(KEY, cookie, now=later) is None


def test_a_session_signed_with_another_key_is_rejected() -> None:
    cookie = sign_session(b"x" * 32, SessionData(token_id=7, expires=int(NOW.timestamp()) + 60))
    assert read_session(KEY, cookie, now=NOW) is None


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=255))
def test_any_one_byte_change_to_a_session_cookie_is_rejected(pos: int, byte: int) -> None:
    cookie = sign_session(KEY, SessionData(token_id=7, expires=int(NOW.timestamp()) + 60))
    i = pos % len(cookie)
    tampered = cookie[:i] + chr(byte) + cookie[i + 1 :]
    if tampered != cookie:
        assert read_session(KEY, tampered, now=NOW) is None


def test_csrf_token_is_bound_to_the_session_value() -> None:
    token = csrf_token(KEY, "session-a")
    assert check_csrf(KEY, "session-a", token) is True
    assert check_csrf(KEY, "session-b", token) is False
    assert check_csrf(KEY, "session-a", None) is False


_T0 = datetime(2026, 1, 1, tzinfo=UTC)
_WINDOW = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("ages_min", "limit", "expected_min"),
    [
        ([], 1, None),
        ([0], 1, 15),
        ([0, 1], 3, None),  # one below the limit
        ([1, 2, 3], 3, 12),  # lifts when the oldest of the last three is a window old
        ([1, 2, 3, 20], 3, 12),  # a failure outside the window does not count
        ([15], 1, None),  # exactly a window old: out of it
        ([5, 14], 1, 10),  # the newest failure decides when limit is 1
    ],
)
def test_sign_in_locked_until(ages_min: list[int], limit: int, expected_min: int | None) -> None:
    failures = [_T0 - timedelta(minutes=a) for a in ages_min]
    got = sign_in_locked_until(failures, now=_T0, limit=limit, window=_WINDOW)
    assert got == (None if expected_min is None else _T0 + timedelta(minutes=expected_min))


def test_a_failure_in_the_future_does_not_count() -> None:
    future = [_T0 + timedelta(minutes=1)]
    assert sign_in_locked_until(future, now=_T0, limit=1, window=_WINDOW) is None
