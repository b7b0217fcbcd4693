"""Failure kinds, message normalisation and fingerprints."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.testhealth.junit.failures import (
    classify_failure,
    fingerprint,
    first_meaningful_line,
    normalise_message,
)
from readiness.testhealth.model import FailureKind


@pytest.mark.parametrize(
    ("failure_type", "message", "expected"),
    [
        ("TimeoutError", None, FailureKind.TIMEOUT),
        ("asyncio.exceptions.TimeoutError", "", FailureKind.TIMEOUT),
        (None, "Failed: Timeout >5.0s", FailureKind.TIMEOUT),
        (None, "Read timed out", FailureKind.TIMEOUT),
        ("grpc.RpcError", "StatusCode.DEADLINE_EXCEEDED: Deadline Exceeded", FailureKind.TIMEOUT),
        ("java.net.SocketTimeoutException", None, FailureKind.TIMEOUT),
        ("ConnectionRefusedError", "[Errno 111]", FailureKind.CONNECTION),
        ("ConnectionResetError", None, FailureKind.CONNECTION),
        ("socket.gaierror", "[Errno -2] Name or service not known", FailureKind.CONNECTION),
        (None, "connect ECONNREFUSED 127.0.0.1:5432", FailureKind.CONNECTION),
        (
            "sqlalchemy.exc.OperationalError",
            "(psycopg.OperationalError) could not connect to server",
            FailureKind.CONNECTION,
        ),
        ("java.net.ConnectException", "Connection refused", FailureKind.CONNECTION),
        ("AssertionError", "assert 1 == 2", FailureKind.ASSERTION),
        (None, "assert response.status == 200", FailureKind.ASSERTION),
        ("org.opentest4j.AssertionFailedError", None, FailureKind.ASSERTION),
        ("org.junit.ComparisonFailure", None, FailureKind.ASSERTION),
        (None, "expected:<3> but was:<4>", FailureKind.ASSERTION),
        (None, "Error: expect(received).toBe(expected)", FailureKind.ASSERTION),
        ("KeyError", "'user_id'", FailureKind.ERROR),
        ("sqlalchemy.exc.OperationalError", "no such table: orders", FailureKind.ERROR),
        (None, None, FailureKind.ERROR),
    ],
)
def test_failures_are_classified_by_type_then_message(
    failure_type: str | None, message: str | None, expected: FailureKind
) -> None:
    assert classify_failure(failure_type, message) is expected


def test_the_exception_type_wins_over_words_in_the_message() -> None:
    assert classify_failure("AssertionError", "request timed out") is FailureKind.ASSERTION


def test_first_meaningful_line_skips_traceback_headers_and_pytest_markers() -> None:
    text = "\n\nTraceback (most recent call last):\nE       KeyError: 'user'\nmore"
    assert first_meaningful_line(text) == "KeyError: 'user'"


def test_normalise_message_strips_run_specific_details() -> None:
    msg = (
        "AssertionError: <Order object at 0x7f3a2c1d9e50> id=3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f "
        "file /tmp/pytest-of-ci/pytest-12/test_a0/out.json took 1.25s, got 'pending' != \"paid\""
    )
    assert normalise_message(msg) == (
        "AssertionError: <Order object at <hex>> id=<uuid> file <tmp> took <n>s, got <str> != <str>"
    )


def test_normalise_message_keeps_only_the_first_meaningful_line() -> None:
    assert normalise_message("\n  boom at step 3\nsecond line 4") == "boom at step <n>"


def test_numbers_inside_identifiers_are_kept() -> None:
    assert normalise_message("test_2 failed on http2 with code 503") == (
        "test_2 failed on http2 with code <n>"
    )


def test_the_same_failure_in_two_runs_has_one_fingerprint() -> None:
    a = normalise_message("Timeout waiting for /tmp/tmpa1b2c3/sock after 5.0 s (pid 4242)")
    b = normalise_message("Timeout waiting for /tmp/tmpzz9911/sock after 5.1 s (pid 77)")
    assert fingerprint(FailureKind.TIMEOUT, a) == fingerprint(FailureKind.TIMEOUT, b)


def test_different_kinds_have_different_fingerprints() -> None:
    assert fingerprint(FailureKind.TIMEOUT, "x") != fingerprint(FailureKind.ERROR, "x")


def test_fingerprint_is_sixteen_hex_characters_of_sha256() -> None:
    # sha256(b"assertion\x00assert <n> == <n>")[:16]
    assert fingerprint("assertion", "assert <n> == <n>") == fingerprint(
        FailureKind.ASSERTION, "assert <n> == <n>"
    )
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint(None, "")) is not None


@given(st.text())
def test_normalising_is_idempotent(msg: str) -> None:
    once = normalise_message(msg)
    assert normalise_message(once) == once


@given(st.text(max_size=200), st.integers(), st.integers())
def test_numbers_never_change_the_normalised_message(prefix: str, a: int, b: int) -> None:
    stem = re.sub(r"[\d'\"]", "", prefix.replace("\n", " ")).strip()
    assert normalise_message(f"{stem} failed after {a} retries") == normalise_message(
        f"{stem} failed after {b} retries"
    )
