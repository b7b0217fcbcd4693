"""The pure rules: payloads, signatures, the retry schedule and URL checks."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from readiness.errors import InputError, WebhookSignatureError
from readiness.notify import verify_signature
from readiness.notify.core import (
    check_events,
    check_kind,
    check_webhook_url,
    generic_payload,
    payload_body,
    retry_delay_s,
    shown_url,
    sign,
    slack_payload,
)
from readiness.notify.model import GATE_FAILED, TEST_FLAKY, Event

AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
FLAKY = Event(
    id="0195-abc",
    type=TEST_FLAKY,
    project="shop",
    occurred_at=AT,
    data={"test_id": "tests/test_pay.py::test_refund", "previous": "healthy", "flake_rate": 0.25},
    link="/tests/tests/test_pay.py::test_refund",
)


def test_generic_payload_has_the_documented_fields() -> None:
    assert generic_payload(FLAKY, public_url="https://rd.example") == {
        "schema": "readiness.event/1",
        "id": "0195-abc",
        "type": "test.flaky",
        "project": "shop",
        "occurred_at": "2026-03-10T09:30:00+00:00",
        "data": {
            "test_id": "tests/test_pay.py::test_refund",
            "previous": "healthy",
            "flake_rate": 0.25,
        },
        "link": "https://rd.example/tests/tests/test_pay.py::test_refund",
    }


def test_generic_payload_keeps_the_path_when_no_public_url_is_configured() -> None:
    assert generic_payload(FLAKY)["link"] == "/tests/tests/test_pay.py::test_refund"


def test_slack_payload_is_one_short_line_with_a_context_block() -> None:
    body = slack_payload(FLAKY, public_url="https://rd.example")

    assert body["text"] == (
        ":warning: shop: test tests/test_pay.py::test_refund turned flaky (flake rate 25%)"
    )
    assert body["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": body["text"]}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "`test.flaky` · 2026-03-10 09:30 UTC · "
                    "<https://rd.example/tests/tests/test_pay.py::test_refund|open in Readiness>",
                }
            ],
        },
    ]


def test_slack_text_escapes_the_characters_slack_reads_as_markup() -> None:
    event = Event("1", TEST_FLAKY, "shop", AT, {"test_id": "t[<a&b>]"})

    assert slack_payload(event)["text"] == ":warning: shop: test t[&lt;a&amp;b&gt;] turned flaky"


def test_gate_failed_headline_names_the_gate_commit_and_failed_checks() -> None:
    event = Event(
        "1",
        GATE_FAILED,
        "shop",
        AT,
        {"gate": "merge", "commit": "abcdef1234567890", "failed_checks": ["tests.flaky_new"]},
    )

    assert slack_payload(event)["text"] == (
        ":no_entry: shop: merge gate failed at abcdef123456: tests.flaky_new"
    )


def test_payload_body_is_json_with_sorted_keys() -> None:
    body = payload_body(FLAKY, kind="generic")

    assert body.startswith('{"data":{"flake_rate":0.25,')
    assert json.loads(body) == generic_payload(FLAKY)


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    assert sign("whsec_x", b'{"a":1}', timestamp=1773135000) == (
        "t=1773135000,v1=" + hmac.new(b"whsec_x", b'1773135000.{"a":1}', "sha256").hexdigest()
    )


def test_a_signature_verifies_with_the_same_secret_and_returns_its_time() -> None:
    header = sign("whsec_x", b"body", timestamp=int(AT.timestamp()))

    assert verify_signature("whsec_x", header, b"body", now=AT + timedelta(seconds=299)) == int(
        AT.timestamp()
    )


@pytest.mark.parametrize(
    ("secret", "body", "delay", "message"),
    [
        ("other", b"body", 0, "signature does not match: wrong secret, or the body was changed"),
        ("whsec_x", b"bodY", 0, "signature does not match: wrong secret, or the body was changed"),
        (
            "whsec_x",
            b"body",
            301,
            "signature timestamp is 301s away from now (tolerance 300s); a replayed or delayed "
            "request, or a clock out of sync",
        ),
    ],
)
def test_a_wrong_secret_a_changed_body_or_an_old_timestamp_is_refused(
    secret: str, body: bytes, delay: int, message: str
) -> None:
    header = sign("whsec_x", b"body", timestamp=int(AT.timestamp()))

    with pytest.raises(WebhookSignatureError) as caught:
        verify_signature(secret, header, body, now=AT + timedelta(seconds=delay))
    assert caught.value.message == message


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=12", "t=x,v1=ab"])
def test_a_missing_or_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_signature("whsec_x", header, b"body", now=AT)


def test_retries_back_off_exponentially_up_to_the_cap_then_stop() -> None:
    delays = [
        retry_delay_s(n, base_s=30, cap_s=300, max_attempts=6, random=lambda: 1.0 - 1e-9)
        for n in range(1, 7)
    ]

    assert [round(d) if d is not None else None for d in delays] == [30, 60, 120, 240, 300, None]


def test_jitter_draws_from_the_upper_half_of_each_interval() -> None:
    assert retry_delay_s(3, base_s=30, cap_s=3600, max_attempts=8, random=lambda: 0.0) == 60.0
    assert retry_delay_s(3, base_s=30, cap_s=3600, max_attempts=8, random=lambda: 0.5) == 90.0


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://host/x",
        "http://",
        "https://user:pw@host/x",
        "https://host/a b",
        "https://host:99999/",
        "https://host/\x00",
        "",
        "https://h/" + "x" * 2000,
    ],
)
def test_only_http_urls_without_credentials_are_webhook_urls(url: str) -> None:
    with pytest.raises(InputError):
        check_webhook_url(url)


def test_a_good_url_is_kept_without_surrounding_spaces() -> None:
    assert check_webhook_url(" https://hooks.example.com/x ") == "https://hooks.example.com/x"


def test_events_are_checked_and_kept_in_the_documented_order() -> None:
    assert check_events(["gate.failed", "test.flaky", "gate.failed"]) == (
        "test.flaky",
        "gate.failed",
    )
    with pytest.raises(InputError, match=r"unknown event type 'test\.nope'"):
        check_events(["test.nope"])
    with pytest.raises(InputError, match="at least one event type"):
        check_events([])
    with pytest.raises(InputError, match="kind must be one of generic, slack"):
        check_kind("teams")


def test_listings_show_the_start_of_the_path_only() -> None:
    assert shown_url("https://hooks.slack.com/services/T000/B000/XXXXXXXX") == (
        "https://hooks.slack.com/services/T000/B…"
    )
